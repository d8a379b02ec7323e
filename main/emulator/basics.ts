import { ParamSyntaxError } from './command-line';
import type { CommandContext, HandlerTable } from './context';
import { cme, ERROR, OK, ok } from './outcome';

/**
 * The general commands a provisioning station uses around MQTT: identity, SIM and network state, PDP context,
 * echo and error reporting. Responses follow the Quectel AT manuals' shapes.
 */

function networkUp(ctx: CommandContext): boolean {
  return ctx.state.cfun === 1;
}

/** A deterministic private address per module for AT+QIACT?. */
function pdpAddress(ctx: CommandContext, cid: number): string {
  const imei = ctx.state.identity.imei;
  return `10.${Number(imei.slice(-6, -4)) + cid}.${Number(imei.slice(-4, -2))}.${Number(imei.slice(-2)) + 1}`;
}

function registrationLine(name: string, n: number, ctx: CommandContext): string {
  return `${name}: ${n},${networkUp(ctx) ? 1 : 0}`;
}

export const basicHandlers: HandlerTable = {
  '': () => OK,
  E: (command, _p, ctx) => {
    if (command.basicArg !== '' && command.basicArg !== '0' && command.basicArg !== '1') return ERROR;
    ctx.state.echo = command.basicArg === '1';
    return OK;
  },
  // Verbose result codes and result codes on are the modes the station relies on; numeric (ATV0) and quiet
  // (ATQ1) modes are not modelled, so they are refused rather than silently ignored.
  V: (command) => (command.basicArg === '' || command.basicArg === '1' ? OK : ERROR),
  Q: (command) => (command.basicArg === '' || command.basicArg === '0' ? OK : ERROR),
  Z: () => OK,
  '&F': () => OK,
  '&W': () => OK,
  I: (command, _p, ctx) =>
    command.basicArg === '' || command.basicArg === '0'
      ? ok(['Quectel', ctx.state.identity.model, `Revision: ${ctx.state.identity.revision}`])
      : ERROR,
  '+CGMI': (c) => (c.form === 'exec' ? ok(['Quectel']) : c.form === 'test' ? OK : ERROR),
  '+CGMM': (c, _p, ctx) => (c.form === 'exec' ? ok([ctx.state.identity.model]) : c.form === 'test' ? OK : ERROR),
  '+CGMR': (c, _p, ctx) => (c.form === 'exec' ? ok([ctx.state.identity.revision]) : c.form === 'test' ? OK : ERROR),
  '+QGMR': (c, _p, ctx) =>
    c.form === 'exec' ? ok([`${ctx.state.identity.revision}_01.200.01.200`]) : c.form === 'test' ? OK : ERROR,
  '+GSN': (c, _p, ctx) => (c.form === 'exec' ? ok([ctx.state.identity.imei]) : c.form === 'test' ? OK : ERROR),
  '+CGSN': (c, p, ctx) => {
    if (c.form === 'test') return ok(['+CGSN: (0-3)']);
    if (c.form === 'exec') return ok([ctx.state.identity.imei]);
    if (c.form === 'write') {
      const snt = p.int(0, 0, 3);
      return snt === 1 ? ok([`+CGSN: "${ctx.state.identity.imei}"`]) : ok([ctx.state.identity.imei]);
    }
    return ERROR;
  },
  '+QCCID': (c, _p, ctx) =>
    c.form === 'exec' ? ok([`+QCCID: ${ctx.state.identity.iccid}`]) : c.form === 'test' ? OK : ERROR,
  '+CIMI': (c, _p, ctx) => (c.form === 'exec' ? ok([ctx.state.identity.imsi]) : c.form === 'test' ? OK : ERROR),
  '+CPIN': (c) => {
    if (c.form === 'read') return ok(['+CPIN: READY']);
    if (c.form === 'test') return OK;
    return cme(3);
  },
  '+CSQ': (c, _p, ctx) => {
    if (c.form === 'test') return ok(['+CSQ: (0-31,99),(0-7,99)']);
    if (c.form !== 'exec') return ERROR;
    return ok([networkUp(ctx) ? `+CSQ: ${ctx.state.identity.rssi},99` : '+CSQ: 99,99']);
  },
  '+CREG': (c, p, ctx) => registration('+CREG', c.form, p.length > 0 ? p.int(0, 0, 2) : undefined, ctx, 'cregN'),
  '+CEREG': (c, p, ctx) => registration('+CEREG', c.form, p.length > 0 ? p.int(0, 0, 2) : undefined, ctx, 'ceregN'),
  '+CGREG': (c, p, ctx) => registration('+CGREG', c.form, p.length > 0 ? p.int(0, 0, 2) : undefined, ctx, 'cgregN'),
  '+COPS': (c, _p, ctx) => {
    if (c.form === 'read') return ok([networkUp(ctx) ? '+COPS: 0,0,"CHINA MOBILE",7' : '+COPS: 0']);
    if (c.form === 'test') return ok(['+COPS: (2,"CHINA MOBILE","CMCC","46000",7),,(0-4),(0-2)']);
    if (c.form === 'write') return OK;
    return ERROR;
  },
  '+CFUN': (c, p, ctx) => {
    if (c.form === 'read') return ok([`+CFUN: ${ctx.state.cfun}`]);
    if (c.form === 'test') return ok(['+CFUN: (0,1,4),(0,1)']);
    if (c.form !== 'write') return ERROR;
    const fun = p.int(0, 0, 4);
    if (fun !== 0 && fun !== 1 && fun !== 4) return ERROR;
    const reset = p.optInt(1, 0, 1) ?? 0;
    if (reset === 1) return ok([], () => ctx.reboot());
    ctx.state.cfun = fun;
    if (fun !== 1) {
      // Radio off: every PDP context and MQTT link goes down, as with a lost network.
      ctx.state.activePdp.clear();
      for (const slot of ctx.state.mqtt) slot.session?.dropLink();
    }
    return OK;
  },
  '+CMEE': (c, p, ctx) => {
    if (c.form === 'read') return ok([`+CMEE: ${ctx.state.cmee}`]);
    if (c.form === 'test') return ok(['+CMEE: (0-2)']);
    if (c.form !== 'write') return ERROR;
    const n = p.int(0, 0, 2);
    ctx.state.cmee = n === 0 ? 0 : n === 1 ? 1 : 2;
    return OK;
  },
  '+QICSGP': (c, p, ctx) => {
    if (c.form === 'test') return ok(['+QICSGP: (1-7),(1-3),"APN","USERNAME","PASSWORD",(0-3)']);
    if (c.form !== 'write') return ERROR;
    const cid = p.int(0, 1, 7);
    if (p.length === 1) {
      const pdp = ctx.state.pdp.get(cid);
      if (!pdp) return ok(['+QICSGP: 0,"","","",0']);
      return ok([`+QICSGP: ${pdp.contextType},"${pdp.apn}","${pdp.username}","${pdp.password}",${pdp.authentication}`]);
    }
    const contextType = p.int(1, 1, 3);
    const apn = p.has(2) ? p.str(2, 99) : '';
    const username = p.has(3) ? p.str(3, 127) : '';
    const password = p.has(4) ? p.str(4, 127) : '';
    const authentication = p.optInt(5, 0, 3) ?? 0;
    if (p.length > 6) throw new ParamSyntaxError('too many parameters');
    if (ctx.state.activePdp.has(cid)) return cme(3);
    ctx.state.pdp.set(cid, { contextType, apn, username, password, authentication });
    return OK;
  },
  '+QIACT': (c, p, ctx) => {
    if (c.form === 'test') return ok(['+QIACT: (1-7)']);
    if (c.form === 'read') {
      const lines = [...ctx.state.activePdp]
        .sort((a, b) => a - b)
        .map((cid) => `+QIACT: ${cid},1,${ctx.state.pdp.get(cid)?.contextType ?? 1},"${pdpAddress(ctx, cid)}"`);
      return ok(lines);
    }
    if (c.form !== 'write') return ERROR;
    const cid = p.int(0, 1, 7);
    if (!networkUp(ctx) || ctx.faults().openFault === 'pdp-failure') return cme(561);
    ctx.state.activePdp.add(cid);
    return OK;
  },
  '+QIDEACT': (c, p, ctx) => {
    if (c.form === 'test') return ok(['+QIDEACT: (1-7)']);
    if (c.form !== 'write') return ERROR;
    const cid = p.int(0, 1, 7);
    ctx.state.activePdp.delete(cid);
    for (const slot of ctx.state.mqtt) if (slot.config.pdpcid === cid) slot.session?.dropLink();
    return OK;
  },
};

function registration(
  name: string,
  form: string,
  n: number | undefined,
  ctx: CommandContext,
  key: 'cregN' | 'ceregN' | 'cgregN',
) {
  if (form === 'read') return ok([registrationLine(name, ctx.state[key], ctx)]);
  if (form === 'test') return ok([`${name}: (0-2)`]);
  if (form === 'write' && n !== undefined) {
    ctx.state[key] = n;
    return OK;
  }
  return ERROR;
}
