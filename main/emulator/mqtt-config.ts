import { ParamSyntaxError, type Params } from './command-line';
import type { HandlerTable } from './context';
import { editInput, ERROR, OK, ok, type Outcome } from './outcome';
import { clientBusy, MQTT_CLIENTS, type MqttConfig } from './state';

/**
 * AT+QMTCFG: one table entry per sub-command, each with its test line, its query line and its setter. Omitting
 * the optional parameters queries; setting anything while the client's network is open answers ERROR (spec:
 * "If the optional parameter is specified and the MQTT connection is not established ...").
 */

const IDX = `(0-${MQTT_CLIENTS - 1})`;

interface SubCommand {
  readonly test: string;
  read(config: MqttConfig): string;
  /** Applies the parameters from index 2 on; may answer with a `> ` input (willex). */
  write(config: MqttConfig, p: Params): Outcome;
}

const bit = (p: Params, i: number): 0 | 1 => (p.int(i, 0, 1) === 1 ? 1 : 0);
const qos = (p: Params, i: number): 0 | 1 | 2 => {
  const v = p.int(i, 0, 2);
  return v === 0 ? 0 : v === 1 ? 1 : 2;
};

function exactly(p: Params, count: number): void {
  if (p.length !== count) throw new ParamSyntaxError('wrong number of parameters');
}

/**
 * The part "will" and "willex" share: flag 0 clears the Will (alone, or with the full parameter list) and
 * returns undefined; flag 1 needs all 7 parameters and returns the QoS, retain flag and topic.
 */
function willHeader(c: MqttConfig, p: Params): { qos: 0 | 1 | 2; retain: 0 | 1; topic: string } | undefined {
  if (bit(p, 2) === 0) {
    if (p.length !== 3) exactly(p, 7);
    c.will = undefined;
    return undefined;
  }
  exactly(p, 7);
  return { qos: qos(p, 3), retain: bit(p, 4), topic: p.str(5, 256, 1) };
}

const SUBCOMMANDS: Readonly<Record<string, SubCommand>> = {
  version: {
    test: `"version",${IDX},(3,4)`,
    read: (c) => `"version",${c.version}`,
    write: (c, p) => {
      exactly(p, 3);
      const v = p.int(2, 3, 4);
      c.version = v === 3 ? 3 : 4;
      return OK;
    },
  },
  pdpcid: {
    test: `"pdpcid",${IDX},(1-7)`,
    read: (c) => `"pdpcid",${c.pdpcid}`,
    write: (c, p) => {
      exactly(p, 3);
      c.pdpcid = p.int(2, 1, 7);
      return OK;
    },
  },
  ssl: {
    test: `"ssl",${IDX},(0,1),(0-5)`,
    read: (c) => (c.sslEnable === 1 ? `"ssl",1,${c.sslCtx}` : `"ssl",0`),
    write: (c, p) => {
      const enable = bit(p, 2);
      // With SSL on, the context index must be given (spec note 2).
      if (enable === 1) exactly(p, 4);
      else if (p.length > 4) return ERROR;
      c.sslEnable = enable;
      if (p.has(3)) c.sslCtx = p.int(3, 0, 5);
      return OK;
    },
  },
  keepalive: {
    test: `"keepalive",${IDX},(0-3600)`,
    read: (c) => `"keepalive",${c.keepalive}`,
    write: (c, p) => {
      exactly(p, 3);
      c.keepalive = p.int(2, 0, 3600);
      return OK;
    },
  },
  session: {
    test: `"session",${IDX},(0,1)`,
    read: (c) => `"session",${c.cleanSession}`,
    write: (c, p) => {
      exactly(p, 3);
      c.cleanSession = bit(p, 2);
      return OK;
    },
  },
  timeout: {
    test: `"timeout",${IDX},(1-60),(0-10),(0,1)`,
    read: (c) => `"timeout",${c.pktTimeout},${c.retryTimes},${c.timeoutNotice}`,
    write: (c, p) => {
      exactly(p, 5);
      const pktTimeout = p.int(2, 1, 60);
      const retryTimes = p.int(3, 0, 10);
      const notice = bit(p, 4);
      Object.assign(c, { pktTimeout, retryTimes, timeoutNotice: notice });
      return OK;
    },
  },
  will: {
    test: `"will",${IDX},(0,1),(0-2),(0,1),"willtopic","willmessage"`,
    read: (c) =>
      c.will
        ? `"will",1,${c.will.qos},${c.will.retain},"${c.will.topic}","${Buffer.from(c.will.message).toString()}"`
        : `"will",0`,
    write: (c, p) => {
      const will = willHeader(c, p);
      if (will === undefined) return OK;
      c.will = { ...will, message: Buffer.from(p.str(6, 256)) };
      return OK;
    },
  },
  willex: {
    test: `"willex",${IDX},(0,1),(0-2),(0,1),"willtopic",(1-256)`,
    read: (c) =>
      c.will ? `"willex",1,${c.will.qos},${c.will.retain},"${c.will.topic}",${c.will.message.length}` : `"willex",0`,
    write: (c, p) => {
      const will = willHeader(c, p);
      if (will === undefined) return OK;
      const length = p.int(6, 1, 256);
      return editInput(c, length, (data) => {
        c.will = { ...will, message: data };
        return OK;
      });
    },
  },
  'recv/mode': {
    test: `"recv/mode",${IDX},(0,1),(0,1)`,
    read: (c) => `"recv/mode",${c.recvMode},${c.msgLenEnable}`,
    write: (c, p) => {
      if (p.length !== 3) exactly(p, 4);
      c.recvMode = bit(p, 2);
      if (p.has(3)) c.msgLenEnable = bit(p, 3);
      return OK;
    },
  },
  qmtping: {
    test: `"qmtping",${IDX},(5-60)`,
    read: (c) => `"qmtping",${c.qmtping}`,
    write: (c, p) => {
      exactly(p, 3);
      c.qmtping = p.int(2, 5, 60);
      return OK;
    },
  },
  'send/mode': {
    test: `"send/mode",${IDX},(0,1)`,
    read: (c) => `"send/mode",${c.sendMode}`,
    write: (c, p) => {
      exactly(p, 3);
      c.sendMode = bit(p, 2);
      return OK;
    },
  },
  aliauth: {
    test: `"aliauth",${IDX},"product key","device name","device secret"`,
    read: (c) =>
      c.aliauth
        ? `"aliauth","${c.aliauth.productKey}","${c.aliauth.deviceName}","${c.aliauth.deviceSecret}"`
        : `"aliauth"`,
    write: (c, p) => {
      exactly(p, 5);
      c.aliauth = { productKey: p.str(2, 64, 1), deviceName: p.str(3, 64, 1), deviceSecret: p.str(4, 128, 1) };
      return OK;
    },
  },
  onenet: {
    test: `"onenet",${IDX},"product id","access key"`,
    read: (c) => (c.onenet ? `"onenet","${c.onenet.productId}","${c.onenet.accessKey}"` : `"onenet"`),
    write: (c, p) => {
      exactly(p, 4);
      c.onenet = { productId: p.str(2, 64, 1), accessKey: p.str(3, 128, 1) };
      return OK;
    },
  },
  dataformat: {
    test: `"dataformat",${IDX},(0,1),(0,1)`,
    read: (c) => `"dataformat",${c.sendMode},${c.recvFormat}`,
    write: (c, p) => {
      exactly(p, 4);
      c.sendMode = bit(p, 2);
      c.recvFormat = bit(p, 3);
      return OK;
    },
  },
  'view/mode': {
    test: `"view/mode",${IDX},(0,1)`,
    read: (c) => `"view/mode",${c.viewMode}`,
    write: (c, p) => {
      exactly(p, 3);
      c.viewMode = bit(p, 2);
      return OK;
    },
  },
  'edit/timeout': {
    test: `"edit/timeout",${IDX},(0,1),(1-180)`,
    read: (c) => (c.editTimeoutEnabled === 1 ? `"edit/timeout",1,${c.editTimeout}` : `"edit/timeout",0`),
    write: (c, p) => {
      const enable = bit(p, 2);
      if (enable === 1) exactly(p, 4);
      else if (p.length > 4) return ERROR;
      c.editTimeoutEnabled = enable;
      if (p.has(3)) c.editTimeout = p.int(3, 1, 180);
      return OK;
    },
  },
};

export const mqttConfigHandlers: HandlerTable = {
  '+QMTCFG': (c, p, ctx): Outcome => {
    if (c.form === 'test') return ok(Object.values(SUBCOMMANDS).map((s) => `+QMTCFG: ${s.test}`));
    if (c.form !== 'write') return ERROR;
    const name = p.str(0, 32).toLowerCase();
    const sub = SUBCOMMANDS[name];
    if (!sub) return ERROR;
    const slot = ctx.state.mqtt[p.int(1, 0, MQTT_CLIENTS - 1)];
    if (!slot) return ERROR;
    if (p.length === 2) return ok([`+QMTCFG: ${sub.read(slot.config)}`]);
    if (clientBusy(slot)) return ERROR;
    return sub.write(slot.config, p);
  },
};
