import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as at from '../commands';
import { AtCommandError, AtError } from '../vocab/errors';
import type { AtRequest } from '../vocab/request';
import { AtEngine, type UrcNotice } from './engine';
import { inThreadParserLink, type ParserLink } from './parser-link';
import { ScriptedTransport } from '../../testing/scripted-transport';
import type { TranscriptEntry } from './transcript';

const SECRET = 'wN9Y6pZSIly7Exa5qVzcmigEGO4kAazZ';

interface Rig {
  readonly port: ScriptedTransport;
  readonly engine: AtEngine;
  readonly transcript: TranscriptEntry[];
}

function rig(chunkSize: number, parser: ParserLink = inThreadParserLink()): Rig {
  const port = new ScriptedTransport(chunkSize);
  const engine = new AtEngine({ transport: port, parser, resync: { timeoutMs: 500, settleMs: 50, attempts: 2 } });
  const transcript: TranscriptEntry[] = [];
  engine.onTranscript((entry) => transcript.push(entry));
  return { port, engine, transcript };
}

/** A request without a library builder: for the engine's own mechanics. */
function plain(line: string, timeoutMs = 300): AtRequest<string[]> {
  return {
    line,
    redacted: line,
    timeoutMs,
    parse: (outcome) => outcome.responses.map((event) => event.raw),
  };
}

/** Lets microtasks (replies, the next command starting) run without moving the clock. */
async function flush(): Promise<void> {
  await vi.advanceTimersByTimeAsync(0);
}

/** Captures a rejection now, so a promise that fails during a timer advance is never "unhandled". */
function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => new Error('expected a rejection'),
    (error: unknown) => error,
  );
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe.each([1, 8, 64])('AtEngine with replies in %i-byte chunks', (chunkSize) => {
  it('writes the line with CR and resolves with the parsed answer (echo off)', async () => {
    const { port, engine } = rig(chunkSize);
    port.script({ expect: 'AT+CSQ\r', reply: '\r\n+CSQ: 24,99\r\n\r\nOK\r\n' });
    const result = await engine.run(at.csq());
    expect(result).toMatchObject({ rssi: 24 });
    expect(port.writes).toEqual(['AT+CSQ\r']);
    expect(port.mismatches).toEqual([]);
  });

  it('consumes the echo and still collects the responses (echo on)', async () => {
    const { port, engine, transcript } = rig(chunkSize);
    port.script(
      { expect: 'AT+GSN\r', reply: 'AT+GSN\r\r\n864475040000017\r\n\r\nOK\r\n' },
      { expect: 'AT+CGSN\r', reply: 'AT+CGSN\r\r\n864475040000017\r\n\r\nOK\r\n' },
    );
    expect(await engine.run(at.gsn())).toBe('864475040000017');
    expect(await engine.run(at.cgsn())).toBe('864475040000017');
    expect(transcript.filter((e) => e.kind === 'echo').map((e) => e.text)).toEqual(['AT+GSN', 'AT+CGSN']);
    expect(transcript.some((e) => e.note !== undefined)).toBe(false);
  });

  it('runs queued commands one at a time, in order', async () => {
    const { port, engine } = rig(chunkSize);
    port.script(
      { expect: 'ATI\r', reply: '\r\nQuectel\r\nEC200U\r\nRevision: EC200UCNAAR03A03M08\r\n\r\nOK\r\n' },
      { expect: 'AT+QCCID\r', reply: '\r\n+QCCID: 89860000000000000017\r\n\r\nOK\r\n' },
      { expect: 'AT+CIMI\r', reply: '\r\n460001234567890\r\n\r\nOK\r\n' },
    );
    const results = await Promise.all([engine.run(at.ati()), engine.run(at.qccid()), engine.run(at.cimi())]);
    expect(results[0]).toMatchObject({ manufacturer: 'Quectel', model: 'EC200U' });
    expect(results[1]).toBe('89860000000000000017');
    expect(results[2]).toBe('460001234567890');
    expect(port.pending).toBe(0);
  });

  it('turns ERROR and +CME ERROR into AtCommandError with the decoded text', async () => {
    const { port, engine } = rig(chunkSize);
    const data = new TextEncoder().encode('-----BEGIN CERTIFICATE-----\n');
    port.script(
      { expect: 'AT+QMTCFG="version",0,4\r', reply: '\r\nERROR\r\n' },
      { expect: `AT+QFUPL="UFS:ca.pem",${data.length},60\r`, reply: '\r\n+CME ERROR: 407\r\n' },
    );
    const plainError = await failure(engine.run(at.qmtcfg(0, { name: 'version', vsn: 4 })));
    expect(plainError).toBeInstanceOf(AtCommandError);
    expect((plainError as AtCommandError).message).toMatch(/^AT\+QMTCFG="version",0,4: .*\(ERROR\)/);
    expect((plainError as AtCommandError).detail.final).toBe('ERROR');
    const cme = await failure(engine.run(at.qfupl('ca.pem', data)));
    expect(cme).toBeInstanceOf(AtCommandError);
    expect((cme as AtCommandError).detail.cmeCode).toBe(407);
    expect((cme as AtCommandError).message).toMatch(/407.*exist.*What to do/i);
    expect(engine.health.state).toBe('ok');
  });

  it('sends the payload exactly after the prompt, then waits for the completing URC', async () => {
    const { port, engine } = rig(chunkSize);
    const payload = 'This is test data, hello MQTT.';
    port.script(
      { expect: 'AT+QMTPUBEX=0,0,0,0,"topic/pub",30\r', reply: '\r\n> ' },
      { expect: payload, reply: '\r\nOK\r\n\r\n+QMTPUBEX: 0,0,0\r\n' },
    );
    const result = await engine.run(at.qmtpubex(0, 0, 0, 'topic/pub', payload));
    expect(result).toMatchObject({ result: 0 });
    expect(port.writes).toEqual(['AT+QMTPUBEX=0,0,0,0,"topic/pub",30\r', payload]);
    expect(engine.mode).toBe('command');
  });

  it('uploads a file after CONNECT (data mode) and checks the checksum', async () => {
    const { port, engine } = rig(chunkSize);
    const file = new Uint8Array(1188).map((_, i) => (i * 7) & 0xff);
    const checksum = at.qfuplChecksum(file);
    let modeDuringUpload = '';
    port.script(
      { expect: 'AT+QFUPL="UFS:cacert.pem",1188,100\r', reply: '\r\nCONNECT\r\n' },
      { expect: file, reply: `\r\n+QFUPL: 1188,${checksum}\r\n\r\nOK\r\n` },
    );
    port.onData(() => {
      if (engine.mode !== 'command') modeDuringUpload = engine.mode;
    });
    const result = await engine.run(at.qfupl('cacert.pem', file, { inputTimeoutS: 100 }));
    expect(result).toEqual({ size: 1188, checksum });
    expect(modeDuringUpload).toBe('data');
    expect(port.mismatches).toEqual([]);
  });

  it('routes URCs to subscribers while a command is in flight, by name and by client index', async () => {
    const { port, engine } = rig(chunkSize);
    const client0: UrcNotice[] = [];
    const pings: UrcNotice[] = [];
    const all: string[] = [];
    engine.onClientUrc('+QMTRECV', 0, (event) => client0.push(event));
    engine.onUrc('+qmtping', (event) => pings.push(event));
    engine.onAnyUrc((event) => all.push(event.raw));
    port.script({
      expect: 'AT+CSQ\r',
      reply:
        '\r\n+CSQ: 20,99\r\n' +
        '\r\n+QMTRECV: 1,0,"other",2,"no"\r\n' +
        '\r\n+QMTRECV: 0,0,"topic/example",36,"This is the payload related to topic"\r\n' +
        '\r\n+QMTPING: 0,1\r\n' +
        '\r\nOK\r\n',
    });
    expect(await engine.run(at.csq())).toMatchObject({ rssi: 20 });
    expect(client0).toHaveLength(1);
    const message = client0[0];
    expect(message?.kind).toBe('recv');
    if (message?.kind === 'recv') {
      expect(new TextDecoder().decode(message.payload)).toBe('This is the payload related to topic');
      expect(message.topic).toBe('topic/example');
    }
    expect(pings.map((e) => e.raw)).toEqual(['+QMTPING: 0,1']);
    expect(all).toHaveLength(3);
  });

  it('completes on a URC that arrives before the OK', async () => {
    const { port, engine } = rig(chunkSize);
    port.script({ expect: 'AT+QMTDISC=0\r', reply: '\r\n+QMTDISC: 0,0\r\n\r\nOK\r\n' });
    expect(await engine.run(at.qmtdisc(0))).toMatchObject({ clientIdx: 0, result: 0 });
  });

  it('fails fast on an abort URC and hands the URC to subscribers too', async () => {
    const { port, engine } = rig(chunkSize);
    const stats: string[] = [];
    engine.onUrc('+QMTSTAT', (event) => stats.push(event.raw));
    port.script({ expect: 'AT+QMTCONN=0,"dev"\r', reply: '\r\nOK\r\n' });
    const pending = failure(engine.run(at.qmtconn(0, 'dev')));
    await flush();
    port.send('\r\n+QMTSTAT: 0,1\r\n');
    const error = await pending;
    expect(error).toBeInstanceOf(AtCommandError);
    expect((error as Error).message).toContain('+QMTSTAT: 0,1');
    expect(stats).toEqual(['+QMTSTAT: 0,1']);
  });

  it('times out, resynchronises, and never hands the late reply to the next command (echo off)', async () => {
    const { port, engine, transcript } = rig(chunkSize);
    port.script(
      { expect: 'AT+CSQ\r' }, // no answer in time
      { expect: 'AT\r' }, // the resync probe; the late reply and the probe's own OK are sent by hand below
      { expect: 'AT+QCCID\r', reply: '\r\n+QCCID: 89860000000000000017\r\n\r\nOK\r\n' },
    );
    const first = failure(engine.run(at.csq()));
    const second = engine.run(at.qccid());
    await vi.advanceTimersByTimeAsync(300);
    const error = await first;
    expect(error).toBeInstanceOf(AtError);
    expect((error as AtError).code).toBe('timeout');
    expect(engine.health).toMatchObject({ state: 'degraded', consecutiveTimeouts: 1 });
    expect(port.writes.at(-1)).toBe('AT\r');
    // The late answer of AT+CSQ arrives, then the OK of the probe: the engine must take neither for AT+QCCID.
    port.send('\r\n+CSQ: 31,99\r\n\r\nOK\r\n');
    await vi.advanceTimersByTimeAsync(20);
    port.send('\r\nOK\r\n');
    await vi.advanceTimersByTimeAsync(100);
    expect(await second).toBe('89860000000000000017');
    expect(port.writes).toEqual(['AT+CSQ\r', 'AT\r', 'AT+QCCID\r']);
    expect(engine.health).toMatchObject({ state: 'ok', consecutiveTimeouts: 0, totalTimeouts: 1 });
    expect(transcript.filter((e) => e.note === 'resync').map((e) => e.text)).toEqual(['+CSQ: 31,99', 'OK', 'OK']);
    expect(port.mismatches).toEqual([]);
  });

  it("with echo on, takes the OK after the probe's echo as the clean one", async () => {
    const { port, engine } = rig(chunkSize);
    port.script(
      { expect: 'AT+CSQ\r', reply: 'AT+CSQ\r' }, // echoed, answered too late
      { expect: 'AT\r', reply: '\r\n+CSQ: 31,99\r\n\r\nOK\r\nAT\r\r\nOK\r\n' },
      { expect: 'AT+QCCID\r', reply: 'AT+QCCID\r\r\n+QCCID: 89860000000000000017\r\n\r\nOK\r\n' },
    );
    const first = failure(engine.run(at.csq()));
    const second = engine.run(at.qccid());
    await vi.advanceTimersByTimeAsync(300);
    expect(((await first) as AtError).code).toBe('timeout');
    await vi.advanceTimersByTimeAsync(100);
    expect(await second).toBe('89860000000000000017');
    expect(port.writes).toEqual(['AT+CSQ\r', 'AT\r', 'AT+QCCID\r']);
    expect(port.mismatches).toEqual([]);
  });

  it('counts consecutive timeouts and reports an unresponsive port', async () => {
    const { port, engine } = rig(chunkSize);
    const states: string[] = [];
    engine.onHealth((health) => states.push(health.state));
    port.script(
      { expect: 'AT+CSQ\r' },
      { expect: 'AT\r' },
      { expect: 'AT\r' },
      { expect: 'AT+CSQ\r' },
      { expect: 'AT\r' },
    );
    const first = failure(engine.run(at.csq()));
    const second = failure(engine.run(at.csq()));
    await vi.advanceTimersByTimeAsync(300 + 500 + 500 + 300);
    expect(((await first) as AtError).code).toBe('timeout');
    expect(((await second) as AtError).code).toBe('timeout');
    expect(engine.health.consecutiveTimeouts).toBe(2);
    expect(states).toContain('unresponsive');
    expect(port.mismatches).toEqual([]);
  });

  it('times out a missing completion URC without resynchronising or blaming the port', async () => {
    const { port, engine } = rig(chunkSize);
    port.script(
      { expect: 'AT+QMTCLOSE=0\r', reply: '\r\nOK\r\n' },
      { expect: 'AT+CSQ\r', reply: '\r\n+CSQ: 5,99\r\n\r\nOK\r\n' },
    );
    const close = failure(engine.run(at.qmtclose(0)));
    const next = engine.run(at.csq());
    await flush();
    await vi.advanceTimersByTimeAsync(at.TIMEOUTS.qmtclose);
    const error = (await close) as AtError;
    expect(error.code).toBe('timeout');
    expect(error.message).toContain('no +QMTCLOSE');
    expect(await next).toMatchObject({ rssi: 5 });
    expect(port.writes).toEqual(['AT+QMTCLOSE=0\r', 'AT+CSQ\r']);
    expect(engine.health.state).toBe('ok');
  });

  it('cancels a queued command without writing it, and an in-flight one with a resync', async () => {
    const { port, engine } = rig(chunkSize);
    port.script({ expect: 'AT+COPS?\r' }, { expect: 'AT\r', reply: '\r\nOK\r\n' });
    const inFlight = new AbortController();
    const queued = new AbortController();
    const first = failure(engine.run(at.copsQuery(), { signal: inFlight.signal }));
    const second = failure(engine.run(at.csq(), { signal: queued.signal }));
    await flush();
    queued.abort();
    expect(((await second) as AtError).code).toBe('cancelled');
    inFlight.abort();
    expect(((await first) as AtError).code).toBe('cancelled');
    await vi.advanceTimersByTimeAsync(100);
    expect(port.writes).toEqual(['AT+COPS?\r', 'AT\r']);
    const already = AbortSignal.abort();
    expect(((await failure(engine.run(at.csq(), { signal: already }))) as AtError).code).toBe('cancelled');
    expect(port.mismatches).toEqual([]);
  });

  it('fails the command in flight and every queued one when the port closes, then refuses new ones', async () => {
    const { port, engine } = rig(chunkSize);
    port.script({ expect: 'AT+QFLST="*"\r' });
    const pending = [failure(engine.run(at.qflst())), failure(engine.run(at.csq())), failure(engine.run(at.ati()))];
    await flush();
    port.vanish(new Error('device unplugged'));
    for (const error of await Promise.all(pending)) {
      expect(error).toBeInstanceOf(AtError);
      expect((error as AtError).code).toBe('port-closed');
      expect((error as AtError).message).toContain('device unplugged');
    }
    const later = (await failure(engine.run(at.csq()))) as AtError;
    expect(later.code).toBe('port-closed');
    expect(engine.health).toMatchObject({ state: 'closed', closedReason: 'device unplugged' });
  });

  it('fails the command in flight at once when the module restarts (RDY)', async () => {
    const { port, engine } = rig(chunkSize);
    const rdy: string[] = [];
    engine.onUrc('RDY', (event) => rdy.push(event.raw));
    port.script({ expect: 'AT+QIACT=1\r' }, { expect: 'AT+CSQ\r', reply: '\r\n+CSQ: 9,99\r\n\r\nOK\r\n' });
    const pending = failure(engine.run(at.qiact(1)));
    const next = engine.run(at.csq());
    await flush();
    port.send('\r\nRDY\r\n');
    const error = (await pending) as AtError;
    expect(error.code).toBe('command-error');
    expect(error.message).toContain('RDY');
    expect(await next).toMatchObject({ rssi: 9 });
    expect(rdy).toEqual(['RDY']);
  });

  it('keeps garbage and late lines in the transcript and out of the next answer', async () => {
    const { port, engine, transcript } = rig(chunkSize);
    port.send('\r\n\x00\x01garbage\xff\r\n\r\nOK\r\n');
    port.script({ expect: 'AT+CSQ\r', reply: '\r\n+CSQ: 7,99\r\n\r\nOK\r\n' });
    await flush();
    expect(await engine.run(at.csq())).toMatchObject({ rssi: 7 });
    const stale = transcript.filter((e) => e.direction === 'in' && e.note === 'stale');
    expect(stale.map((e) => e.kind)).toContain('final');
    expect(transcript.some((e) => e.kind === 'unknown')).toBe(true);
    expect(engine.health.staleLines).toBeGreaterThanOrEqual(2);
  });

  it('never lets a secret reach the transcript or an error message', async () => {
    const { port, engine, transcript } = rig(chunkSize);
    const key = new TextEncoder().encode(
      '-----BEGIN RSA PRIVATE KEY-----\nMIIEsecretkeybytes\n-----END RSA PRIVATE KEY-----\n',
    );
    const aliauth = at.qmtcfg(0, {
      name: 'aliauth',
      productKey: 'oyjtmPI5a5j',
      deviceName: 'MQTT_TEST',
      deviceSecret: SECRET,
    });
    const query: AtRequest<string[]> = { ...plain('AT+QMTCFG="aliauth",0'), secretResponses: true };
    port.script(
      { expect: `${aliauth.line}\r`, reply: `${aliauth.line}\r\r\nOK\r\n` },
      {
        expect: `AT+QFUPL="UFS:user_key.pem",${key.length},60\r`,
        reply: 'AT+QFUPL="UFS:user_key.pem"\r\r\nCONNECT\r\n',
      },
      { expect: key, reply: `\r\n+QFUPL: ${key.length},${at.qfuplChecksum(key)}\r\n\r\nOK\r\n` },
      {
        expect: 'AT+QMTCFG="aliauth",0\r',
        reply: `AT+QMTCFG="aliauth",0\r\r\n+QMTCFG: "aliauth","oyjtmPI5a5j","MQTT_TEST","${SECRET}"\r\n\r\nOK\r\n`,
      },
      {
        expect: 'AT+QMTCONN=0,"c","u","hunter22"\r',
        reply: `AT+QMTCONN=0,"c","u","hunter22"\r\r\n+CME ERROR: 3\r\n`,
      },
    );
    await engine.run(aliauth);
    await engine.run(at.qfupl('user_key.pem', key));
    await engine.run(query);
    const error = (await failure(engine.run(at.qmtconn(0, 'c', { username: 'u', password: 'hunter22' })))) as Error;
    port.send(`\r\n${aliauth.line}\r\n`); // a late echo of the secret line
    await flush();
    const text = JSON.stringify(transcript);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('hunter22');
    expect(text).not.toContain('MIIEsecretkeybytes');
    expect(text).toContain(`<${key.length} bytes redacted>`);
    const lines = transcript.map((e) => e.text);
    expect(lines).toContain('AT+QMTCFG="aliauth",0,"oyjtmPI5a5j","MQTT_TEST","***"');
    expect(lines).toContain('+QMTCFG: <redacted>');
    expect(error.message).not.toContain('hunter22');
    expect(transcript.filter((e) => e.direction === 'out').map((e) => e.kind)).toEqual([
      'command',
      'command',
      'payload',
      'command',
      'command',
    ]);
  });
});

describe('AtEngine input checks and lifecycle', () => {
  it('refuses a malformed request before writing anything', async () => {
    const { port, engine } = rig(8);
    const injected = (await failure(engine.run(plain('AT+CSQ\r\nAT+CFUN=0')))) as AtError;
    expect(injected.code).toBe('invalid-parameter');
    const noTimeout = (await failure(engine.run(plain('AT', Number.NaN)))) as AtError;
    expect(noTimeout.code).toBe('invalid-parameter');
    const notAt = (await failure(engine.run(plain('+++')))) as AtError;
    expect(notAt.code).toBe('invalid-parameter');
    expect(port.writes).toEqual([]);
  });

  it('fails its transaction and resyncs when the parser restarts', async () => {
    const inner = inThreadParserLink();
    let restart: ((reason: string) => void) | undefined;
    const link: ParserLink = {
      ...inner,
      onRestart: (listener) => {
        restart = listener;
        return { dispose: () => (restart = undefined) };
      },
    };
    const { port, engine } = rig(8, link);
    port.script({ expect: 'AT+CSQ\r' }, { expect: 'AT\r', reply: '\r\nOK\r\n' });
    const pending = failure(engine.run(at.csq()));
    await flush();
    restart?.('worker exited with code 1');
    const error = (await pending) as AtError;
    expect(error.code).toBe('bad-response');
    expect(error.message).toContain('parser restarted');
    await vi.advanceTimersByTimeAsync(100);
    expect(port.writes).toEqual(['AT+CSQ\r', 'AT\r']);
  });

  it('dispose fails pending work and detaches from the port', async () => {
    const { port, engine } = rig(8);
    port.script({ expect: 'AT+CSQ\r' });
    const pending = failure(engine.run(at.csq()));
    await flush();
    engine.dispose();
    expect(((await pending) as AtError).code).toBe('port-closed');
    port.send('\r\nOK\r\n');
    expect(port.isOpen).toBe(true);
  });
});

describe('a data input the station did not ask for', () => {
  it('writes nothing more (no probe, no queued secret) until the module leaves the input, then carries on', async () => {
    const { port, engine, transcript } = rig(8);
    // A typed command the guard missed: the module opens a 60-byte will-message input.
    port.script({ expect: 'AT+QMTCFG="willex" ,0,1,0,0,"t",60\r', reply: '\r\n> ' });
    const typed = failure(engine.run(plain('AT+QMTCFG="willex" ,0,1,0,0,"t",60')));
    const queued = failure(engine.run(at.qmtconn(0, 'cid', { username: 'user', password: SECRET })));
    await flush();
    const error = await typed;
    expect(error).toBeInstanceOf(AtError);
    expect((error as AtError).code).toBe('busy');
    expect((error as AtError).message).toContain('did not ask for');
    expect(((await queued) as AtError).code).toBe('busy');
    expect(engine.mode).toBe('prompt');
    // Later transactions fail at once; time passing sends no resync probe into the open input.
    expect(((await failure(engine.run(at.csq()))) as AtError).code).toBe('busy');
    await vi.advanceTimersByTimeAsync(5000);
    expect(port.writes).toEqual(['AT+QMTCFG="willex" ,0,1,0,0,"t",60\r']);
    expect(JSON.stringify(transcript)).not.toContain(SECRET);
    expect(transcript.some((e) => e.note === 'unexpected')).toBe(true);
    // The module's edit timeout ends the input with ERROR: the port resynchronises and works again.
    port.script(
      { expect: 'AT\r', reply: '\r\nOK\r\n' },
      { expect: 'AT+CSQ\r', reply: '\r\n+CSQ: 20,99\r\n\r\nOK\r\n' },
    );
    port.send('\r\nERROR\r\n');
    await flush();
    const csq = engine.run(at.csq());
    await vi.advanceTimersByTimeAsync(200);
    expect(await csq).toMatchObject({ rssi: 20 });
    expect(engine.mode).toBe('command');
    expect(port.mismatches).toEqual([]);
  });
});

describe('a secret answer that arrives after its transaction timed out', () => {
  it('is masked in the transcript while the port resynchronises', async () => {
    const { port, engine, transcript } = rig(8);
    const query: AtRequest<string[]> = { ...plain('AT+QMTCFG="aliauth",0', 300), secretResponses: true };
    // No answer in time; the late answer comes in while the resync probe is out.
    port.script(
      { expect: 'AT+QMTCFG="aliauth",0\r' },
      { expect: 'AT\r', reply: `\r\n+QMTCFG: "aliauth","pk","dn","${SECRET}"\r\n\r\nOK\r\n\r\nOK\r\n` },
    );
    const timedOut = failure(engine.run(query));
    await vi.advanceTimersByTimeAsync(301);
    expect(((await timedOut) as AtError).code).toBe('timeout');
    await vi.advanceTimersByTimeAsync(1000);
    expect(port.mismatches).toEqual([]);
    expect(JSON.stringify(transcript)).not.toContain(SECRET);
    expect(transcript.some((e) => e.text === '<redacted late answer>')).toBe(true);
    // Once the port is clean, lines are shown again.
    port.script({ expect: 'AT+CSQ\r', reply: '\r\n+CSQ: 20,99\r\n\r\nOK\r\n' });
    await engine.run(at.csq());
    expect(transcript.some((e) => e.text === '+CSQ: 20,99')).toBe(true);
  });
});
