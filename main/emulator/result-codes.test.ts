import { afterEach, describe, expect, it } from 'vitest';
import type {
  ConnectResult,
  MqttClientSession,
  MqttClientSessionFactory,
  OpenResult,
  PacketReport,
  SessionEvents,
} from './net/types';
import { bootInProcess, OK, info, urc } from '../testing/test-module';
import type { VirtualModule } from './virtual-module';

/**
 * Every outcome number the network side can report reaches the host in the documented form. The session here is
 * scripted by the test (each call waits until the test settles it), so each code is produced on purpose.
 */

interface Deferred<T> {
  resolve(value: T): void;
  promise: Promise<T>;
}
function deferred<T>(): Deferred<T> {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((r) => (resolve = r));
  return { resolve, promise };
}

class ScriptedSession implements MqttClientSession {
  state: MqttClientSession['state'] = 'closed';
  inflight = 0;
  open$ = deferred<OpenResult>();
  connect$ = deferred<ConnectResult>();
  packet$ = deferred<PacketReport>();
  report: (r: PacketReport) => void = () => undefined;
  disconnect$ = deferred<0 | -1>();
  close$ = deferred<0 | -1>();
  constructor(readonly events: SessionEvents) {}
  open() {
    this.state = 'opening';
    return this.open$.promise;
  }
  connect() {
    this.state = 'connecting';
    return this.connect$.promise;
  }
  subscribe(_m: number, _t: unknown, report: (r: PacketReport) => void) {
    this.report = report;
    return this.packet$.promise;
  }
  unsubscribe(_m: number, _t: unknown, report: (r: PacketReport) => void) {
    this.report = report;
    return this.packet$.promise;
  }
  publish(_m: number, _q: number, _r: boolean, _t: string, _p: Uint8Array, report: (r: PacketReport) => void) {
    this.report = report;
    return this.packet$.promise;
  }
  disconnect() {
    this.state = 'disconnecting';
    return this.disconnect$.promise;
  }
  close() {
    return this.close$.promise;
  }
  dropLink() {
    this.state = 'closed';
  }
  destroy() {
    this.state = 'closed';
  }
}

const modules: VirtualModule[] = [];
afterEach(() => {
  for (const m of modules.splice(0)) m.dispose();
});

async function boot() {
  const sessions: ScriptedSession[] = [];
  const factory: MqttClientSessionFactory = (_idx, events) => {
    const s = new ScriptedSession(events);
    sessions.push(s);
    return s;
  };
  const booted = await bootInProcess({ sessionFactory: factory });
  modules.push(booted.module);
  /** Opens and connects client 0 through the scripted session. */
  const connect = async (): Promise<ScriptedSession> => {
    expect(await booted.host.command('AT+QMTOPEN=0,"h",1883')).toBe(OK);
    const s = sessions.at(-1);
    if (!s) throw new Error('no session');
    s.state = 'open';
    s.open$.resolve(0);
    await booted.host.until(urc('+QMTOPEN: 0,0'));
    expect(await booted.host.command('AT+QMTCONN=0,"c"')).toBe(OK);
    expect(await booted.host.command('AT+QMTCONN?')).toBe(info('+QMTCONN: 0,2'));
    s.state = 'connected';
    s.connect$.resolve({ result: 0, retCode: 0 });
    await booted.host.until(urc('+QMTCONN: 0,0,0'));
    return s;
  };
  return { ...booted, sessions, connect };
}

describe('outcome codes reach the host as documented', () => {
  it('+QMTCONN <result> 1 and 2 (no ret_code), read-form states 2, 3 and 4', async () => {
    const { host, sessions } = await boot();
    expect(await host.command('AT+QMTOPEN=0,"h",1883')).toBe(OK);
    const s = sessions[0] as ScriptedSession;
    s.state = 'open';
    s.open$.resolve(0);
    await host.until(urc('+QMTOPEN: 0,0'));
    expect(await host.command('AT+QMTCONN=0,"c"')).toBe(OK);
    expect(await host.command('AT+QMTCONN?')).toBe(info('+QMTCONN: 0,2'));
    s.state = 'open';
    s.connect$.resolve({ result: 2 });
    expect(await host.until(urc('+QMTCONN: 0,2'))).toBe(urc('+QMTCONN: 0,2'));
    s.connect$ = deferred();
    expect(await host.command('AT+QMTCONN=0,"c"')).toBe(OK);
    s.state = 'connected';
    s.connect$.resolve({ result: 1 });
    expect(await host.until(urc('+QMTCONN: 0,1'))).toBe(urc('+QMTCONN: 0,1'));
    expect(await host.command('AT+QMTCONN?')).toBe(info('+QMTCONN: 0,3'));
    expect(await host.command('AT+QMTDISC=0')).toBe(OK);
    expect(await host.command('AT+QMTCONN?')).toBe(info('+QMTCONN: 0,4'));
    s.disconnect$.resolve(-1);
    expect(await host.until(urc('+QMTDISC: 0,-1'))).toBe(urc('+QMTDISC: 0,-1'));
  });

  it('+QMTCLOSE: idx,-1 and idx,0', async () => {
    const { host, connect } = await boot();
    const s = await connect();
    expect(await host.command('AT+QMTCLOSE=0')).toBe(OK);
    s.close$.resolve(-1);
    expect(await host.until(urc('+QMTCLOSE: 0,-1'))).toBe(urc('+QMTCLOSE: 0,-1'));
    s.close$ = deferred();
    expect(await host.command('AT+QMTCLOSE=0')).toBe(OK);
    s.state = 'closed';
    s.close$.resolve(0);
    expect(await host.until(urc('+QMTCLOSE: 0,0'))).toBe(urc('+QMTCLOSE: 0,0'));
  });

  it('+QMTSUB retransmission counts (notice on) then result 2; +QMTUNS result 2', async () => {
    const { host, connect } = await boot();
    expect(await host.command('AT+QMTCFG="timeout",0,5,3,1')).toBe(OK);
    const s = await connect();
    expect(await host.command('AT+QMTSUB=0,4,"a",1,"b",2')).toBe(OK);
    s.report({ result: 1, value: 1 });
    s.report({ result: 1, value: 2 });
    s.packet$.resolve({ result: 2 });
    const want = urc('+QMTSUB: 0,4,1,1') + urc('+QMTSUB: 0,4,1,2') + urc('+QMTSUB: 0,4,2');
    expect(await host.until(urc('+QMTSUB: 0,4,2'))).toBe(want);
    s.packet$ = deferred();
    expect(await host.command('AT+QMTUNS=0,5,"a"')).toBe(OK);
    s.packet$.resolve({ result: 2 });
    expect(await host.until(urc('+QMTUNS: 0,5,2'))).toBe(urc('+QMTUNS: 0,5,2'));
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('+QMTSTAT: 0,%i passes through', async (code) => {
    const { host, connect } = await boot();
    const s = await connect();
    s.state = 'closed';
    s.events.onStat(code);
    expect(await host.until(urc(`+QMTSTAT: 0,${code}`))).toBe(urc(`+QMTSTAT: 0,${code}`));
    // The link is gone: the read forms no longer list the client.
    expect(await host.command('AT+QMTOPEN?')).toBe(OK);
  });
});
