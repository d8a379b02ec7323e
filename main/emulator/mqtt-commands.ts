import { ParamSyntaxError } from './command-line';
import type { CommandContext, HandlerTable } from './context';
import { deriveCredentials } from './credentials';
import { ufsName } from './files';
import type { IncomingMessage, MqttClientSession, PacketReport, TlsSettings } from './net/types';
import { editInput, ERROR, ok, type Outcome } from './outcome';
import { clientBusy, MQTT_CLIENTS, RECV_SLOTS, type MqttClientSlot } from './state';

/**
 * AT+QMTOPEN/CLOSE/CONN/DISC/SUB/UNS/PUBEX/RECV: check parameters and state, answer OK (or ERROR, or the `> `
 * prompt), and hand the network work to the client's MqttClientSession; its outcome comes back later as the
 * command's URC (`+QMTOPEN: <idx>,<result>` ...). Messages from the broker become +QMTRECV per "recv/mode".
 */

const IDX_MAX = MQTT_CLIENTS - 1;
export const MAX_PUBLISH_LENGTH = 1500;
export const INFLIGHT_WINDOW = 5;

function slotOf(ctx: CommandContext, idx: number): MqttClientSlot {
  const slot = ctx.state.mqtt[idx];
  if (!slot) throw new ParamSyntaxError('no such client');
  return slot;
}

/** Builds `<prefix><topic>"...` lines with raw payload bytes: +QMTRECV payloads are not escaped (field notes). */
export function recvLine(idx: number, message: IncomingMessage, slot: MqttClientSlot): Uint8Array {
  const hex = slot.config.recvFormat === 1;
  const payload = hex ? Buffer.from(Buffer.from(message.payload).toString('hex').toUpperCase()) : message.payload;
  const length = slot.config.msgLenEnable === 1 ? `,${payload.length}` : '';
  return Buffer.concat([
    Buffer.from(`+QMTRECV: ${idx},${message.msgid},"${message.topic}"${length},"`),
    payload,
    Buffer.from('"'),
  ]);
}

function tlsSettings(ctx: CommandContext, slot: MqttClientSlot): TlsSettings | undefined {
  if (slot.config.sslEnable !== 1) return undefined;
  const ssl = ctx.state.ssl[slot.config.sslCtx];
  if (!ssl) return undefined;
  const file = (spec: string | undefined) => {
    const name = spec === undefined ? null : ufsName(spec);
    return name === null ? undefined : ctx.state.files.get(name);
  };
  return {
    seclevel: ssl.seclevel,
    ca: file(ssl.cacert),
    cert: file(ssl.clientcert),
    key: file(ssl.clientkey),
    sslversion: ssl.sslversion,
    sni: ssl.sni === 1,
    ignoreLocalTime: ssl.ignorelocaltime === 1,
  };
}

/**
 * URCs of one session: dropped once the slot has moved on (reboot, unplug or a new QMTOPEN), so a late outcome of
 * a previous life never shows up in the next one.
 */
function liveUrc(
  ctx: CommandContext,
  slot: MqttClientSlot,
  session: MqttClientSession,
): (line: string | Uint8Array) => void {
  return (line) => {
    if (slot.session === session) ctx.urc(line);
  };
}

/** Creates the client's session with its events wired to URCs. */
function newSession(ctx: CommandContext, idx: number, slot: MqttClientSlot): MqttClientSession {
  const live = () => slot.session === session;
  const session: MqttClientSession = ctx.sessionFactory(idx, {
    onMessage: (message) => {
      if (!live()) return;
      if (slot.config.recvMode === 0) {
        ctx.urc(recvLine(idx, message, slot));
        return;
      }
      const free = slot.stored.findIndex((m) => m === undefined);
      // All five slots full: the module has nowhere to keep the message; it is lost, as on real firmware.
      if (free < 0) return;
      slot.stored[free] = message;
      ctx.urc(`+QMTRECV: ${idx},${free}`);
    },
    onStat: (errCode) => {
      if (!live()) return;
      slot.host = undefined;
      slot.port = undefined;
      ctx.urc(`+QMTSTAT: ${idx},${errCode}`);
    },
    onPing: (result) => {
      if (live()) ctx.urc(`+QMTPING: ${idx},${result}`);
    },
  });
  return session;
}

/** Reports of SUB/UNS/PUBEX: retransmissions only when "timeout" notice is on; the final one always. */
function reporter(say: (line: string) => void, slot: MqttClientSlot, prefix: string): (r: PacketReport) => void {
  return (r) => {
    if (r.result === 1 && slot.config.timeoutNotice !== 1) return;
    say(formatReport(prefix, r));
  };
}

/**
 * `<prefix>,<result>[,<value>]`: the value is the retransmission count for result 1, the granted QoS vector for a
 * SUBSCRIBE's result 0 (`grantedList`), and absent otherwise (spec: "If <result> is 0 or 2, it is not presented").
 */
function formatReport(prefix: string, r: PacketReport, grantedList = false): string {
  if (r.result === 2 || r.value === undefined || (r.result === 0 && !grantedList)) return `${prefix},${r.result}`;
  const value = typeof r.value === 'number' ? String(r.value) : r.value.join(',');
  return value === '' ? `${prefix},${r.result}` : `${prefix},${r.result},${value}`;
}

function settle(promise: Promise<unknown>, onError: () => void): void {
  promise.catch(onError);
}

function connected(slot: MqttClientSlot): boolean {
  return slot.session?.state === 'connected';
}

export const mqttHandlers: HandlerTable = {
  '+QMTOPEN': (c, p, ctx): Outcome => {
    if (c.form === 'test') return ok([`+QMTOPEN: (0-${IDX_MAX}),"hostname",(1-65535)`]);
    if (c.form === 'read') {
      const lines: string[] = [];
      ctx.state.mqtt.forEach((slot, idx) => {
        if (clientBusy(slot) && slot.host !== undefined) lines.push(`+QMTOPEN: ${idx},"${slot.host}",${slot.port}`);
      });
      return ok(lines);
    }
    if (c.form !== 'write' || p.length !== 3) return ERROR;
    const idx = p.int(0, 0, IDX_MAX);
    const host = p.str(1, 100, 1);
    const port = p.int(2, 1, 65535);
    const slot = slotOf(ctx, idx);
    if (clientBusy(slot)) return ok([], () => ctx.urc(`+QMTOPEN: ${idx},2`));
    // A host name no resolver would take (spaces, control characters) is a wrong parameter, reported by URC.
    if (!/^[A-Za-z0-9._:[\]-]+$/.test(host)) return ok([], () => ctx.urc(`+QMTOPEN: ${idx},1`));
    return ok([], () => {
      if (ctx.state.cfun !== 1) {
        ctx.urc(`+QMTOPEN: ${idx},3`);
        return;
      }
      const session = newSession(ctx, idx, slot);
      slot.session = session;
      slot.disconnected = false;
      slot.host = host;
      slot.port = port;
      const tls = tlsSettings(ctx, slot);
      const fault = ctx.faults().openFault;
      const request = {
        host,
        port,
        hostMap: ctx.hostMap,
        ...(tls ? { tls } : {}),
        ...(fault ? { fault } : {}),
        ...(ctx.network ? { network: ctx.network } : {}),
      };
      session.open(request).then(
        (result) => {
          if (slot.session !== session) return;
          if (result !== 0) {
            slot.host = undefined;
            slot.port = undefined;
          } else ctx.state.activePdp.add(slot.config.pdpcid);
          ctx.urc(`+QMTOPEN: ${idx},${result}`);
        },
        () => ctx.urc(`+QMTOPEN: ${idx},-1`),
      );
    });
  },
  '+QMTCLOSE': (c, p, ctx): Outcome => {
    if (c.form === 'test') return ok([`+QMTCLOSE: (0-${IDX_MAX})`]);
    if (c.form !== 'write' || p.length !== 1) return ERROR;
    const idx = p.int(0, 0, IDX_MAX);
    const slot = slotOf(ctx, idx);
    const session = slot.session;
    if (session?.state === 'closed' && slot.disconnected && ctx.faults().silentCloseAfterDisc === true) return ok();
    if (!session || session.state === 'closed') return ERROR;
    const say = liveUrc(ctx, slot, session);
    return ok([], () => {
      slot.host = undefined;
      slot.port = undefined;
      settle(
        session.close().then((r) => say(`+QMTCLOSE: ${idx},${r}`)),
        () => say(`+QMTCLOSE: ${idx},-1`),
      );
    });
  },
  '+QMTCONN': (c, p, ctx): Outcome => {
    // Answered without the blank line before OK, as the application note's example (5.1) shows it.
    if (c.form === 'test')
      return { kind: 'ok', lines: [`+QMTCONN: (0-${IDX_MAX}),"clientid","username","password"`], compact: true };
    if (c.form === 'read') {
      const states = { open: 1, connecting: 2, connected: 3, disconnecting: 4 } as const;
      const lines: string[] = [];
      ctx.state.mqtt.forEach((slot, idx) => {
        const state = slot.session?.state;
        if (state === 'open' || state === 'connecting' || state === 'connected' || state === 'disconnecting')
          lines.push(`+QMTCONN: ${idx},${states[state]}`);
      });
      return ok(lines);
    }
    if (c.form !== 'write' || (p.length !== 2 && p.length !== 4)) return ERROR;
    const idx = p.int(0, 0, IDX_MAX);
    const clientId = p.str(1, 256, 1);
    const username = p.length === 4 ? p.str(2, 256) : undefined;
    const password = p.length === 4 ? p.str(3, 256) : undefined;
    const slot = slotOf(ctx, idx);
    const session = slot.session;
    if (session?.state !== 'open') return ERROR;
    const say = liveUrc(ctx, slot, session);
    const config = slot.config;
    const credentials = deriveCredentials(config, { clientId, username, password }, ctx.now());
    return ok([], () => {
      const will = config.will;
      const request = {
        version: config.version,
        clientId: credentials.clientId,
        ...(credentials.username !== undefined ? { username: credentials.username } : {}),
        ...(credentials.password !== undefined ? { password: credentials.password } : {}),
        keepaliveSec: config.keepalive,
        cleanSession: config.cleanSession === 1,
        ...(will
          ? { will: { qos: will.qos, retain: will.retain === 1, topic: will.topic, message: will.message } }
          : {}),
        pktTimeoutMs: config.pktTimeout * 1000,
        retryTimes: config.retryTimes,
        ...(ctx.faults().forceConnackCode ? { forceConnackCode: ctx.faults().forceConnackCode } : {}),
      };
      settle(
        session.connect(request).then((r) => {
          say(r.retCode === undefined ? `+QMTCONN: ${idx},${r.result}` : `+QMTCONN: ${idx},${r.result},${r.retCode}`);
        }),
        () => say(`+QMTCONN: ${idx},2`),
      );
    });
  },
  '+QMTDISC': (c, p, ctx): Outcome => {
    if (c.form === 'test') return ok([`+QMTDISC: (0-${IDX_MAX})`]);
    if (c.form !== 'write' || p.length !== 1) return ERROR;
    const idx = p.int(0, 0, IDX_MAX);
    const slot = slotOf(ctx, idx);
    const session = slot.session;
    if (!session || !connected(slot)) return ERROR;
    const say = liveUrc(ctx, slot, session);
    return ok([], () => {
      settle(
        session.disconnect().then((r) => {
          slot.disconnected = true;
          slot.host = undefined;
          slot.port = undefined;
          say(`+QMTDISC: ${idx},${r}`);
        }),
        () => say(`+QMTDISC: ${idx},-1`),
      );
    });
  },
  '+QMTSUB': (c, p, ctx): Outcome => {
    if (c.form === 'test') return ok([`+QMTSUB: (0-${IDX_MAX}),<msgid>,list of ["topic",qos]`]);
    if (c.form !== 'write' || p.length < 4 || p.length % 2 !== 0) return ERROR;
    const idx = p.int(0, 0, IDX_MAX);
    const msgid = p.int(1, 1, 65535);
    const topics: { topic: string; qos: 0 | 1 | 2 }[] = [];
    for (let i = 2; i < p.length; i += 2) {
      const q = p.int(i + 1, 0, 2);
      topics.push({ topic: p.str(i, 256, 1), qos: q === 0 ? 0 : q === 1 ? 1 : 2 });
    }
    const slot = slotOf(ctx, idx);
    const session = slot.session;
    if (!session || !connected(slot)) return ERROR;
    const say = liveUrc(ctx, slot, session);
    const prefix = `+QMTSUB: ${idx},${msgid}`;
    return ok([], () => {
      settle(
        session.subscribe(msgid, topics, reporter(say, slot, prefix)).then((r) => say(formatReport(prefix, r, true))),
        () => say(`${prefix},2`),
      );
    });
  },
  '+QMTUNS': (c, p, ctx): Outcome => {
    if (c.form === 'test') return ok([`+QMTUNS: (0-${IDX_MAX}),<msgid>,list of ["topic"]`]);
    if (c.form !== 'write' || p.length < 3) return ERROR;
    const idx = p.int(0, 0, IDX_MAX);
    const msgid = p.int(1, 1, 65535);
    const topics: string[] = [];
    for (let i = 2; i < p.length; i++) topics.push(p.str(i, 256, 1));
    const slot = slotOf(ctx, idx);
    const session = slot.session;
    if (!session || !connected(slot)) return ERROR;
    const say = liveUrc(ctx, slot, session);
    const prefix = `+QMTUNS: ${idx},${msgid}`;
    return ok([], () => {
      settle(
        session.unsubscribe(msgid, topics, reporter(say, slot, prefix)).then((r) => say(`${prefix},${r.result}`)),
        () => say(`${prefix},2`),
      );
    });
  },
  '+QMTPUBEX': (c, p, ctx): Outcome => {
    if (c.form === 'test') return ok([`+QMTPUBEX: (0-${IDX_MAX}),<msgid>,(0-2),(0,1),"topic","length"`]);
    if (c.form !== 'write' || p.length !== 6) return ERROR;
    const idx = p.int(0, 0, IDX_MAX);
    const msgid = p.int(1, 0, 65535);
    const q = p.int(2, 0, 2);
    const qos = q === 0 ? 0 : q === 1 ? 1 : 2;
    const retain = p.int(3, 0, 1) === 1;
    const topic = p.str(4, 256, 1);
    const length = p.int(5, 1, MAX_PUBLISH_LENGTH);
    // msgid is 0 exactly when QoS is 0 (spec parameter table).
    if ((qos === 0) !== (msgid === 0)) return ERROR;
    const slot = slotOf(ctx, idx);
    const session = slot.session;
    if (!session || !connected(slot)) return ERROR;
    const say = liveUrc(ctx, slot, session);
    if (qos > 0 && session.inflight >= INFLIGHT_WINDOW) return ERROR;
    const config = slot.config;
    const prefix = `+QMTPUBEX: ${idx},${msgid}`;
    return editInput(config, length, (data) => {
      let payload: Uint8Array = data;
      if (config.sendMode === 1) {
        const text = Buffer.from(data).toString('latin1');
        if (!/^([0-9a-fA-F]{2})*$/.test(text)) return ERROR;
        payload = Buffer.from(text, 'hex');
      }
      return ok([], () => {
        settle(
          session
            .publish(msgid, qos, retain, topic, payload, reporter(say, slot, prefix))
            .then((r) => say(formatReport(prefix, r))),
          () => say(`${prefix},2`),
        );
      });
    });
  },
  '+QMTRECV': (c, p, ctx): Outcome => {
    if (c.form === 'test') return ok([]);
    if (c.form === 'read') {
      const lines: string[] = [];
      ctx.state.mqtt.forEach((slot, idx) => {
        if (!connected(slot)) return;
        lines.push(`+QMTRECV: ${idx},${slot.stored.map((m) => (m ? 1 : 0)).join(',')}`);
      });
      return ok(lines);
    }
    if (c.form !== 'write' || p.length < 1 || p.length > 2) return ERROR;
    const idx = p.int(0, 0, IDX_MAX);
    const recvId = p.optInt(1, 0, RECV_SLOTS - 1);
    const slot = slotOf(ctx, idx);
    if (!connected(slot)) return ERROR;
    const ids = recvId === undefined ? [0, 1, 2, 3, 4] : [recvId];
    const lines: Uint8Array[] = [];
    for (const id of ids) {
      const message = slot.stored[id];
      if (!message) continue;
      lines.push(recvLine(idx, message, slot));
      slot.stored[id] = undefined;
    }
    return ok(lines);
  },
};
