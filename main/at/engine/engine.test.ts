import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { setUnexpectedErrorHandler } from '../../base';
import * as at from '../commands';
import { AtCommandError, AtError } from '../vocab/errors';
import type { AtRequest } from '../vocab/request';
import { AtEngine, type AtEngineOptions, type UrcNotice } from './engine';
import type { PortHealth } from './health';
import { inThreadParserLink, type ParserLink } from './parser-link';
import { PROBES } from './probes';
import { ScriptedTransport, type ScriptStep } from './fixtures/scripted-transport';
import type { TranscriptEntry } from './transcript';

const SECRET = 'wN9Y6pZSIly7Exa5qVzcmigEGO4kAazZ';
const [PROBE = '', PROBE2 = '', PROBE3 = ''] = PROBES;

interface Rig {
  readonly port: ScriptedTransport;
  readonly engine: AtEngine;
  readonly transcript: TranscriptEntry[];
}

const TRAP = { limitMs: 5_000, noticeMs: 200 } as const;

function rig(
  chunkSize: number,
  parser: ParserLink = inThreadParserLink(),
  options: Partial<AtEngineOptions> = {},
): Rig {
  const port = new ScriptedTransport(chunkSize);
  const engine = new AtEngine({
    transport: port,
    parser,
    resync: { timeoutMs: 500, attempts: 2 },
    trap: TRAP,
    ...options,
  });
  const transcript: TranscriptEntry[] = [];
  engine.onTranscript((entry) => transcript.push(entry));
  return { port, engine, transcript };
}

/** The module (echo on, its power-up default) answers `line` with `body` after echoing it. */
function echoed(line: string, body = '\r\nOK\r\n'): ScriptStep {
  return { expect: `${line}\r`, reply: `${line}\r${body}` };
}

/** A rig whose port has been proven clean by the engine's first probe (every engine starts that way). */
function cleanRig(chunkSize: number, parser?: ParserLink, options?: Partial<AtEngineOptions>): Rig {
  const r = rig(chunkSize, parser, options);
  r.port.script(echoed(PROBE));
  return r;
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

async function code(promise: Promise<unknown>): Promise<string> {
  const error = await failure(promise);
  return error instanceof AtError ? error.code : `not an AtError: ${String(error)}`;
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe.each([1, 8, 64])('AtEngine with replies in %i-byte chunks', (chunkSize) => {
  it('proves the port clean with a probe first, then writes the line with CR and resolves the parsed answer', async () => {
    const { port, engine, transcript } = cleanRig(chunkSize);
    port.script(echoed('AT+CSQ', '\r\n+CSQ: 24,99\r\n\r\nOK\r\n'));
    expect(engine.health.clean).toBe(false);
    const result = await engine.run(at.csq());
    expect(result).toMatchObject({ rssi: 24 });
    expect(port.writes).toEqual([`${PROBE}\r`, 'AT+CSQ\r']);
    expect(port.mismatches).toEqual([]);
    expect(transcript.filter((e) => e.note === 'resync').map((e) => e.text)).toEqual([PROBE, 'OK']);
    expect(engine.health).toMatchObject({ state: 'ok', clean: true, resyncs: 1, staleLines: 0 });
  });

  it('with echo off (after ATE0) ties the answer by being the only line on a clean port', async () => {
    const { port, engine, transcript } = cleanRig(chunkSize);
    port.script(
      echoed('ATE0'),
      { expect: 'AT+GSN\r', reply: '\r\n864475040000017\r\n\r\nOK\r\n' },
      { expect: 'AT+QCCID\r', reply: '\r\n+QCCID: 89860000000000000017\r\n\r\nOK\r\n' },
    );
    await engine.run(at.echo(false));
    expect(await engine.run(at.gsn())).toBe('864475040000017');
    expect(await engine.run(at.qccid())).toBe('89860000000000000017');
    expect(transcript.filter((e) => e.kind === 'echo' && e.note === undefined).map((e) => e.text)).toEqual(['ATE0']);
    expect(port.mismatches).toEqual([]);
  });

  it('runs queued commands one at a time, in order', async () => {
    const { port, engine } = cleanRig(chunkSize);
    port.script(
      echoed('ATI', '\r\nQuectel\r\nEC200U\r\nRevision: EC200UCNAAR03A03M08\r\n\r\nOK\r\n'),
      echoed('AT+QCCID', '\r\n+QCCID: 89860000000000000017\r\n\r\nOK\r\n'),
      echoed('AT+CIMI', '\r\n460001234567890\r\n\r\nOK\r\n'),
    );
    const results = await Promise.all([engine.run(at.ati()), engine.run(at.qccid()), engine.run(at.cimi())]);
    expect(results[0]).toMatchObject({ manufacturer: 'Quectel', model: 'EC200U' });
    expect(results[1]).toBe('89860000000000000017');
    expect(results[2]).toBe('460001234567890');
    expect(port.pending).toBe(0);
  });

  it('turns ERROR and +CME ERROR into AtCommandError with the decoded text', async () => {
    const { port, engine } = cleanRig(chunkSize);
    const data = new TextEncoder().encode('-----BEGIN CERTIFICATE-----\n');
    port.script(
      echoed('AT+QMTCFG="version",0,4', '\r\nERROR\r\n'),
      echoed(`AT+QFUPL="UFS:ca.pem",${data.length},60`, '\r\n+CME ERROR: 407\r\n'),
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

  it('sends the payload exactly after the prompt, takes its echo whole, then waits for the completing URC', async () => {
    const { port, engine, transcript } = cleanRig(chunkSize);
    const payload = 'Look:\r\nOK\r\n"quoted"';
    const line = `AT+QMTPUBEX=0,0,0,0,"topic/pub",${payload.length}`;
    port.script(
      { expect: `${line}\r`, reply: `${line}\r\r\n> ` },
      { expect: payload, reply: `${payload}\r\nOK\r\n\r\n+QMTPUBEX: 0,0,0\r\n` },
    );
    const result = await engine.run(at.qmtpubex(0, 0, 0, 'topic/pub', payload));
    expect(result).toMatchObject({ result: 0 });
    expect(port.writes.slice(1)).toEqual([`${line}\r`, payload]);
    expect(engine.mode).toBe('command');
    // The echoed payload is one data entry: its OK and quotes were never read as lines.
    expect(transcript.filter((e) => e.direction === 'in' && e.kind === 'data')).toHaveLength(1);
    expect(engine.health.staleLines).toBe(0);
  });

  it('uploads a file after CONNECT (data mode) and checks the checksum', async () => {
    const { port, engine } = cleanRig(chunkSize);
    const file = new Uint8Array(1188).map((_, i) => (i * 7) & 0xff);
    const checksum = at.qfuplChecksum(file);
    let modeDuringUpload = '';
    port.script(echoed('AT+QFUPL="UFS:cacert.pem",1188,100', '\r\nCONNECT\r\n'), {
      expect: file,
      reply: `\r\n+QFUPL: 1188,${checksum}\r\n\r\nOK\r\n`,
    });
    port.onData(() => {
      if (engine.mode !== 'command') modeDuringUpload = engine.mode;
    });
    const result = await engine.run(at.qfupl('cacert.pem', file, { inputTimeoutS: 100 }));
    expect(result).toEqual({ size: 1188, checksum });
    expect(modeDuringUpload).toBe('data');
    expect(port.mismatches).toEqual([]);
  });

  it('routes URCs to subscribers while a command is in flight, by name and by client index', async () => {
    const { port, engine } = cleanRig(chunkSize);
    const client0: UrcNotice[] = [];
    const pings: UrcNotice[] = [];
    const all: string[] = [];
    engine.onClientUrc('+QMTRECV', 0, (event) => client0.push(event));
    engine.onUrc('+qmtping', (event) => pings.push(event));
    engine.onAnyUrc((event) => all.push(event.raw));
    port.script(
      echoed(
        'AT+CSQ',
        '\r\n+CSQ: 20,99\r\n' +
          '\r\n+QMTRECV: 1,0,"other",2,"no"\r\n' +
          '\r\n+QMTRECV: 0,0,"topic/example",36,"This is the payload related to topic"\r\n' +
          '\r\n+QMTPING: 0,1\r\n' +
          '\r\nOK\r\n',
      ),
    );
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
    const { port, engine } = cleanRig(chunkSize);
    port.script(echoed('AT+QMTDISC=0', '\r\n+QMTDISC: 0,0\r\n\r\nOK\r\n'));
    expect(await engine.run(at.qmtdisc(0))).toMatchObject({ clientIdx: 0, result: 0 });
  });

  it('fails fast on an abort URC and hands the URC to subscribers too', async () => {
    const { port, engine } = cleanRig(chunkSize);
    const stats: string[] = [];
    engine.onUrc('+QMTSTAT', (event) => stats.push(event.raw));
    port.script(echoed('AT+QMTCONN=0,"dev"'));
    const pending = failure(engine.run(at.qmtconn(0, 'dev')));
    await flush();
    port.send('\r\n+QMTSTAT: 0,1\r\n');
    const error = await pending;
    expect(error).toBeInstanceOf(AtCommandError);
    expect((error as Error).message).toContain('+QMTSTAT: 0,1');
    expect(stats).toEqual(['+QMTSTAT: 0,1']);
  });

  it('after a timeout, writes a probe spelled unlike the late line and takes the next command only once it is proven', async () => {
    const { port, engine, transcript } = cleanRig(chunkSize);
    port.script(
      { expect: 'AT+CSQ\r', reply: 'AT+CSQ\r' }, // echoed, answered too late
      { expect: `${PROBE}\r` }, // the late answer and the probe's echo are sent by hand below
      echoed('AT+QCCID', '\r\n+QCCID: 89860000000000000017\r\n\r\nOK\r\n'),
    );
    const first = failure(engine.run(at.csq()));
    const second = engine.run(at.qccid());
    await vi.advanceTimersByTimeAsync(300);
    expect(((await first) as AtError).code).toBe('timeout');
    expect(engine.health).toMatchObject({ state: 'degraded', consecutiveTimeouts: 1, clean: false });
    // The late answer of AT+CSQ (its OK included) is not taken for AT+QCCID, nor as the probe's proof.
    port.send('\r\n+CSQ: 31,99\r\n\r\nOK\r\n');
    await flush();
    expect(port.writes.at(-1)).toBe(`${PROBE}\r`);
    port.send(`${PROBE}\r\r\nOK\r\n`);
    expect(await second).toBe('89860000000000000017');
    expect(port.writes.slice(1)).toEqual(['AT+CSQ\r', `${PROBE}\r`, 'AT+QCCID\r']);
    expect(engine.health).toMatchObject({ state: 'ok', consecutiveTimeouts: 0, totalTimeouts: 1, clean: true });
    expect(transcript.filter((e) => e.note === 'stale').map((e) => e.text)).toEqual(['+CSQ: 31,99', 'OK']);
    expect(port.mismatches).toEqual([]);
  });

  it('with echo off, a probe that only turns echo on proves nothing: the next one, echoed, does', async () => {
    const { port, engine } = cleanRig(chunkSize);
    port.script(
      echoed('ATE0'),
      { expect: 'AT+CSQ\r' }, // no answer in time
      { expect: `${PROBE}\r`, reply: '\r\n+CSQ: 31,99\r\n\r\nOK\r\n\r\nOK\r\n' }, // echo off: the probe is not echoed
      echoed(PROBE2),
      echoed('AT+CIMI', '\r\n460001234567890\r\n\r\nOK\r\n'),
    );
    await engine.run(at.echo(false));
    const first = failure(engine.run(at.csq()));
    const next = engine.run(at.cimi());
    await vi.advanceTimersByTimeAsync(300);
    expect(((await first) as AtError).code).toBe('timeout');
    await vi.advanceTimersByTimeAsync(500);
    expect(await next).toBe('460001234567890');
    expect(port.mismatches).toEqual([]);
  });

  it('fails a command whose final comes without its echo, and proves the port clean before the next', async () => {
    const { port, engine } = cleanRig(chunkSize);
    port.script(
      { expect: 'AT+CGSN\r', reply: '\r\n864475040000017\r\n\r\nOK\r\n' }, // the echo is missing
      echoed(PROBE),
      echoed('AT+CGSN', '\r\n864475040000017\r\n\r\nOK\r\n'),
    );
    const error = (await failure(engine.run(at.cgsn()))) as AtError;
    expect(error.code).toBe('bad-response');
    expect(error.message).toContain('cannot be tied');
    expect(await engine.run(at.cgsn())).toBe('864475040000017');
    expect(engine.health.untiedAnswers).toBe(1);
    expect(port.mismatches).toEqual([]);
  });

  it("never completes a command with another command's echo and answer (IMSI as IMEI)", async () => {
    const { port, engine } = cleanRig(chunkSize);
    port.script(
      { expect: 'AT+CGSN\r', reply: 'AT+CIMI\r\r\n460001234567890\r\n\r\nOK\r\n' },
      echoed(PROBE),
      echoed('ATI', '\r\nQuectel\r\nEC200U\r\nRevision: R1\r\n\r\nOK\r\n'),
    );
    const error = (await failure(engine.run(at.cgsn()))) as AtError;
    expect(error.code).toBe('bad-response');
    expect(error.message).toContain('did not write');
    expect((await engine.run(at.ati())).model).toBe('EC200U');
  });

  it('fails an answer damaged by noise as bad-response (echo on), and proves the port before the next', async () => {
    const { port, engine } = cleanRig(chunkSize);
    port.script(
      echoed(
        'AT+QMTOPEN?',
        '\r\n+QMTOPEN: 0,"a.example",1883\r\n\x7f\x13+QMTOPEN: 1,"b.exam\xffple",1883\r\n\r\nOK\r\n',
      ),
      echoed(PROBE),
      echoed('AT+QMTOPEN?', '\r\n+QMTOPEN: 0,"a.example",1883\r\n\r\nOK\r\n'),
    );
    const error = (await failure(engine.run(at.qmtopenQuery()))) as AtError;
    expect(error.code).toBe('bad-response');
    expect(error.message).toContain('damaged');
    expect(await engine.run(at.qmtopenQuery())).toEqual([{ clientIdx: 0, host: 'a.example', port: 1883 }]);
    expect(port.writes.filter((w) => PROBES.includes(w.trim()))).toHaveLength(2);
    expect(port.mismatches).toEqual([]);
  });

  it('takes an answer whose echo came behind noise (noise before the echo cannot touch the answer)', async () => {
    const { port, engine, transcript } = cleanRig(chunkSize);
    // The tail of a noise burst that came between two lines sticks to the front of the echo.
    port.script({ expect: 'AT+CGSN\r', reply: '\x7f\x13AT+CGSN\r\r\n864475040000017\r\n\r\nOK\r\n' });
    expect(await engine.run(at.cgsn())).toBe('864475040000017');
    expect(transcript.filter((entry) => entry.kind === 'unknown').map((entry) => entry.text)).toEqual(['\\x7f\\x13']);
    expect(engine.health.untiedAnswers).toBe(0);
    expect(port.mismatches).toEqual([]);
  });

  it('fails an answer damaged by noise as bad-response with echo off too', async () => {
    const { port, engine } = cleanRig(chunkSize);
    port.script(echoed('ATE0'), {
      expect: 'AT+QMTCONN?\r',
      reply: '\r\n\x00garbled\r\n\r\n+QMTCONN: 0,3\r\n\r\nOK\r\n',
    });
    await engine.run(at.echo(false));
    expect(await code(engine.run(at.qmtconnQuery()))).toBe('bad-response');
  });

  it('fails the queue as "not sent" when no probe is answered, then starts again on the next command', async () => {
    const { port, engine } = cleanRig(chunkSize);
    const states: string[] = [];
    engine.onHealth((health) => states.push(health.state));
    port.script(
      { expect: 'AT+CSQ\r', reply: 'AT+CSQ\r' }, // the module is busy with it for a long time
      { expect: `${PROBE}\r` },
      { expect: `${PROBE2}\r` },
    );
    const first = failure(engine.run(at.csq()));
    const queued = failure(engine.run(at.cgsn()));
    await vi.advanceTimersByTimeAsync(300 + 500 + 500);
    expect(((await first) as AtError).code).toBe('timeout');
    const notSent = (await queued) as AtError;
    expect(notSent.code).toBe('timeout');
    expect(notSent.message).toContain('not sent');
    expect(states).toContain('unresponsive');
    expect(port.writes).not.toContain('AT+CGSN\r');
    // A new command starts a new round, with a spelling not yet on the wire; the late answers then come in order.
    port.script({ expect: `${PROBE3}\r` }, echoed('AT+CGSN', '\r\n864475040000017\r\n\r\nOK\r\n'));
    const later = engine.run(at.cgsn());
    await flush();
    port.send(`\r\n+CSQ: 5,99\r\n\r\nOK\r\n${PROBE}\r\r\nOK\r\n${PROBE2}\r\r\nOK\r\n${PROBE3}\r\r\nOK\r\n`);
    expect(await later).toBe('864475040000017');
    expect(engine.health).toMatchObject({ state: 'ok', clean: true });
    expect(port.mismatches).toEqual([]);
  });

  it('times out a missing completion URC without resynchronising or blaming the port', async () => {
    const { port, engine } = cleanRig(chunkSize);
    port.script(echoed('AT+QMTCLOSE=0'), echoed('AT+CSQ', '\r\n+CSQ: 5,99\r\n\r\nOK\r\n'));
    const close = failure(engine.run(at.qmtclose(0)));
    const next = engine.run(at.csq());
    await flush();
    await vi.advanceTimersByTimeAsync(at.LINK_BUDGET_MS.qmtclose);
    const error = (await close) as AtError;
    expect(error.code).toBe('timeout');
    expect(error.message).toContain('no +QMTCLOSE');
    expect(await next).toMatchObject({ rssi: 5 });
    expect(port.writes.slice(1)).toEqual(['AT+QMTCLOSE=0\r', 'AT+CSQ\r']);
    expect(engine.health.state).toBe('ok');
  });

  it('cancels a queued command without writing it, and an in-flight one with a resync', async () => {
    const { port, engine } = cleanRig(chunkSize);
    port.script({ expect: 'AT+COPS?\r', reply: 'AT+COPS?\r' }, { expect: `${PROBE}\r` });
    const inFlight = new AbortController();
    const queued = new AbortController();
    const first = failure(engine.run(at.copsQuery(), { signal: inFlight.signal }));
    const second = failure(engine.run(at.csq(), { signal: queued.signal }));
    await flush();
    queued.abort();
    expect(((await second) as AtError).code).toBe('cancelled');
    inFlight.abort();
    expect(((await first) as AtError).code).toBe('cancelled');
    await flush();
    expect(port.writes.slice(1)).toEqual(['AT+COPS?\r', `${PROBE}\r`]);
    // The cancelled line is still being answered: the port is clean once the module has got to the probe.
    expect(engine.health.clean).toBe(false);
    port.send(`\r\n+COPS: 0\r\n\r\nOK\r\n${PROBE}\r\r\nOK\r\n`);
    await flush();
    expect(engine.health.clean).toBe(true);
    const already = AbortSignal.abort();
    expect(((await failure(engine.run(at.csq(), { signal: already }))) as AtError).code).toBe('cancelled');
    expect(port.mismatches).toEqual([]);
  });

  it('fails the command in flight and every queued one when the port closes, then refuses new ones', async () => {
    const { port, engine } = cleanRig(chunkSize);
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

  it('fails the command in flight at once when the module restarts (RDY), and proves the port again', async () => {
    const { port, engine } = cleanRig(chunkSize);
    const rdy: string[] = [];
    engine.onUrc('RDY', (event) => rdy.push(event.raw));
    port.script(
      { expect: 'AT+QIACT=1\r', reply: 'AT+QIACT=1\r' },
      // The line written before the restart may still be read by the module: the new probe avoids its spelling.
      echoed(PROBE),
      echoed('AT+CSQ', '\r\n+CSQ: 9,99\r\n\r\nOK\r\n'),
    );
    const pending = failure(engine.run(at.qiact(1)));
    const next = engine.run(at.csq());
    await flush();
    port.send('\r\nRDY\r\n');
    const error = (await pending) as AtError;
    expect(error.code).toBe('command-error');
    expect(error.message).toContain('RDY');
    expect(await next).toMatchObject({ rssi: 9 });
    expect(rdy).toEqual(['RDY']);
    expect(port.mismatches).toEqual([]);
  });

  it('keeps garbage and lines from before the engine in the transcript and out of the next answer', async () => {
    const { port, engine, transcript } = rig(chunkSize);
    port.send('\r\n\x00\x01garbage\xff\r\n\r\nOK\r\n');
    port.script(echoed(PROBE), echoed('AT+CSQ', '\r\n+CSQ: 7,99\r\n\r\nOK\r\n'));
    await flush();
    expect(await engine.run(at.csq())).toMatchObject({ rssi: 7 });
    const stale = transcript.filter((e) => e.direction === 'in' && e.note === 'stale');
    expect(stale.map((e) => e.kind)).toContain('final');
    expect(transcript.some((e) => e.kind === 'unknown')).toBe(true);
    expect(engine.health.staleLines).toBeGreaterThanOrEqual(2);
  });

  it('never lets a secret reach the transcript or an error message', async () => {
    const { port, engine, transcript } = cleanRig(chunkSize);
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
    const upload = `AT+QFUPL="UFS:user_key.pem",${key.length},60`;
    port.script(
      echoed(aliauth.line),
      echoed(upload, '\r\nCONNECT\r\n'),
      { expect: key, reply: `\r\n+QFUPL: ${key.length},${at.qfuplChecksum(key)}\r\n\r\nOK\r\n` },
      echoed('AT+QMTCFG="aliauth",0', `\r\n+QMTCFG: "aliauth","oyjtmPI5a5j","MQTT_TEST","${SECRET}"\r\n\r\nOK\r\n`),
      echoed('AT+QMTCONN=0,"c","u","hunter22"', '\r\n+CME ERROR: 3\r\n'),
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
    const { port, engine } = cleanRig(8, link);
    port.script({ expect: 'AT+CSQ\r', reply: 'AT+CSQ\r' }, echoed(PROBE));
    const pending = failure(engine.run(at.csq()));
    await flush();
    restart?.('worker exited with code 1');
    const error = (await pending) as AtError;
    expect(error.code).toBe('bad-response');
    expect(error.message).toContain('parser restarted');
    await flush();
    expect(port.writes.slice(1)).toEqual(['AT+CSQ\r', `${PROBE}\r`]);
  });

  it('dispose fails pending work and detaches from the port', async () => {
    const { port, engine } = cleanRig(8);
    port.script({ expect: 'AT+CSQ\r' });
    const pending = failure(engine.run(at.csq()));
    await flush();
    engine.dispose();
    expect(((await pending) as AtError).code).toBe('port-closed');
    port.send('\r\nOK\r\n');
    expect(port.isOpen).toBe(true);
  });

  it('contains a listener that throws: the engine and the other listeners carry on', async () => {
    const reported: string[] = [];
    const restore = setUnexpectedErrorHandler((error, origin) => reported.push(`${origin}: ${String(error)}`));
    try {
      const { port, engine, transcript } = cleanRig(8);
      engine.onTranscript(() => {
        throw new Error('faulty subscriber');
      });
      engine.onUrc('+QIND', () => {
        throw new Error('faulty URC subscriber');
      });
      port.script(echoed('AT+CSQ', '\r\n+QIND: SMS DONE\r\n\r\n+CSQ: 3,99\r\n\r\nOK\r\n'));
      expect(await engine.run(at.csq())).toMatchObject({ rssi: 3 });
      expect(transcript.some((e) => e.text === '+CSQ: 3,99')).toBe(true);
      expect(reported.some((r) => r.startsWith('engine.transcript') && r.includes('faulty subscriber'))).toBe(true);
      expect(reported.some((r) => r.includes('faulty URC subscriber'))).toBe(true);
    } finally {
      restore();
    }
  });
});

describe('data inputs (issue 8, item 2)', () => {
  it('a `> ` for a command that opens one but is not fed: ESC, nothing else written, then it carries on', async () => {
    const { port, engine, transcript } = cleanRig(8);
    const states: PortHealth[] = [];
    engine.onHealth((health) => states.push(health));
    // A typed command the guided session's guard missed: the module opens a 60-byte will-message input.
    port.script({ expect: 'AT+QMTCFG="willex",0,1,0,0,"t",60\r', reply: 'AT+QMTCFG="willex",0,1,0,0,"t",60\r\r\n> ' });
    const typed = failure(engine.run(plain('AT+QMTCFG="willex",0,1,0,0,"t",60')));
    const queued = failure(engine.run(at.qmtconn(0, 'cid', { username: 'user', password: SECRET })));
    port.script({ expect: '\x1b' });
    await flush();
    expect(((await queued) as AtError).code).toBe('busy');
    expect(engine.mode).toBe('prompt');
    expect(engine.health.state).toBe('trapped');
    expect(engine.health.trap).toMatchObject({ cause: 'prompt' });
    expect(engine.health.trap?.detail).toContain('ESC');
    expect(((await failure(engine.run(at.csq()))) as AtError).code).toBe('busy');
    expect(port.writes.slice(1)).toEqual(['AT+QMTCFG="willex",0,1,0,0,"t",60\r', '\x1b']);
    expect(JSON.stringify(transcript)).not.toContain(SECRET);
    // The module leaves the input on ESC with ERROR: the typed command gets it, the port is free again.
    port.send('\r\nERROR\r\n');
    const error = (await typed) as AtError;
    expect(error.code).toBe('command-error');
    port.script(echoed('AT+CSQ', '\r\n+CSQ: 20,99\r\n\r\nOK\r\n'));
    expect(await engine.run(at.csq())).toMatchObject({ rssi: 20 });
    expect(engine.mode).toBe('command');
    expect(states.map((s) => s.state)).toEqual(['ok', 'trapped', 'ok']);
    expect(port.mismatches).toEqual([]);
  });

  it('a `> ` of an abandoned publish: ESC before any probe could become its payload', async () => {
    const { port, engine } = cleanRig(8);
    const line = 'AT+QMTPUBEX=0,1,1,0,"t",9';
    port.script({ expect: `${line}\r`, reply: `${line}\r` }, { expect: '\x1b\r' }, { expect: `${PROBE}\r` });
    const publish = failure(engine.run(at.qmtpubex(0, 1, 1, 't', 'not-yet!!')));
    await vi.advanceTimersByTimeAsync(at.MQTT_FINAL_MS);
    expect(((await publish) as AtError).code).toBe('timeout');
    expect(port.writes.slice(2)).toEqual(['\x1b\r', `${PROBE}\r`]);
    // The module gets round to it: the prompt, and the ESC already in its input ends it. No second ESC is written
    // and the probe proves the port clean.
    port.send('\r\n> ');
    expect(engine.health.trap?.cause).toBe('prompt');
    port.send(`\r\nERROR\r\n\x1b\r${PROBE}\r\r\nOK\r\n`);
    await flush();
    expect(engine.health).toMatchObject({ clean: true });
    expect(engine.health.state).not.toBe('trapped');
    port.script(echoed('AT+CSQ', '\r\n+CSQ: 4,99\r\n\r\nOK\r\n'));
    expect(await engine.run(at.csq())).toMatchObject({ rssi: 4 });
    expect(port.mismatches).toEqual([]);
  });

  it('a payload echo that never completes is not waited for once its command has failed', async () => {
    const { port, engine } = cleanRig(8);
    const line = 'AT+QMTPUBEX=0,0,0,0,"t",10';
    port.script({ expect: `${line}\r`, reply: `${line}\r\r\n> ` }, { expect: '0123456789', reply: '012' });
    const publish = failure(engine.run(at.qmtpubex(0, 0, 0, 't', '0123456789')));
    await flush();
    // ESC first: the module might still wait for payload bytes lost on the way.
    port.script({ expect: '\x1b\r' }, { expect: `${PROBE}\r`, reply: `${PROBE}\r\r\nOK\r\n` });
    await vi.advanceTimersByTimeAsync(at.MQTT_FINAL_MS);
    expect(((await publish) as AtError).code).toBe('timeout');
    // The probe's echo and OK are read as lines (not as the 7 payload bytes still missing): the port is clean.
    await flush();
    expect(engine.health.clean).toBe(true);
    expect(port.mismatches).toEqual([]);
  });

  it('a CONNECT or `> ` inside a message payload is neither a data phase nor a trap', async () => {
    const { port, engine } = cleanRig(8);
    const messages: UrcNotice[] = [];
    engine.onUrc('+QMTRECV', (event) => messages.push(event));
    // msg_len_enable 0 (the default): `x"\r\nCONNECT\r\n` and a stray `> ` cut the payload short.
    port.send('\r\n+QMTRECV: 0,1,"t","x"\r\nCONNECT\r\n"\r\n\r\n> ');
    port.script(echoed('AT+CSQ', '\r\n+CSQ: 8,99\r\n\r\nOK\r\n'));
    expect(await engine.run(at.csq())).toMatchObject({ rssi: 8 });
    // Even while a command is answered: no data phase, no trap, nothing written.
    port.script(echoed('AT+CGSN', '\r\n+QMTRECV: 0,2,"t",7,"CONNECT"\r\n\r\n> \r\n864475040000017\r\n\r\nOK\r\n'));
    expect(await engine.run(at.cgsn())).toBe('864475040000017');
    expect(engine.health.state).toBe('ok');
    expect(engine.mode).toBe('command');
    expect(messages).toHaveLength(2);
    expect(port.mismatches).toEqual([]);
  });

  it('a length-less message during an answer puts it in doubt: its payload may pose as the answer', async () => {
    const { port, engine } = cleanRig(8);
    // The payload `x"\r\nOK\r\n` of a message without a length: its tail reads as an OK for the command, and the
    // real final (ERROR) comes after it. The port is proven again before the next command.
    port.script(
      echoed('AT+QMTCFG="version",0,4', '\r\n+QMTRECV: 0,1,"t","x"\r\nOK\r\n"\r\n\r\nERROR\r\n'),
      echoed(PROBE),
    );
    expect(await code(engine.run(at.qmtcfg(0, { name: 'version', vsn: 4 })))).toBe('bad-response');
    await flush();
    expect(engine.health.clean).toBe(true);
    // A message with its length cannot pose as anything: the answer stands.
    port.script(echoed('AT+QMTCFG="version",0,4', '\r\n+QMTRECV: 0,2,"t",9,"x"\r\nOK\r\n"\r\n\r\nOK\r\n'));
    await engine.run(at.qmtcfg(0, { name: 'version', vsn: 4 }));
    expect(port.mismatches).toEqual([]);
  });

  it('an upload CONNECT of an abandoned QFUPL: nothing written until the upload ends', async () => {
    const { port, engine } = cleanRig(8);
    const file = new Uint8Array(16).fill(0x41);
    const line = `AT+QFUPL="UFS:a.bin",16,5`;
    port.script({ expect: `${line}\r`, reply: `${line}\r` }, { expect: `${PROBE}\r` });
    const upload = failure(engine.run({ ...at.qfupl('a.bin', file, { inputTimeoutS: 5 }), timeoutMs: 300 }));
    await vi.advanceTimersByTimeAsync(300);
    expect(((await upload) as AtError).code).toBe('timeout');
    // The module had been slow: its CONNECT comes while the resync waits for its probe.
    port.send('\r\nCONNECT\r\n');
    expect(engine.health.trap).toMatchObject({ cause: 'upload' });
    expect(((await failure(engine.run(at.csq()))) as AtError).code).toBe('busy');
    await vi.advanceTimersByTimeAsync(2000);
    expect(port.writes.slice(1)).toEqual([`${line}\r`, `${PROBE}\r`]);
    // The upload times out on the module (+CME ERROR: 421): the port is taken back and proven with a new probe.
    port.script(echoed(PROBE2), echoed('AT+CSQ', '\r\n+CSQ: 6,99\r\n\r\nOK\r\n'));
    port.send('\r\n+CME ERROR: 421\r\n');
    await flush();
    expect(engine.health.state).not.toBe('trapped');
    expect(await engine.run(at.csq())).toMatchObject({ rssi: 6 });
  });

  it('takes the port back after the trap time even if the module never leaves its input', async () => {
    const { port, engine } = cleanRig(8);
    port.script({ expect: 'AT+QMTCFG="willex",0,1,0,0,"t",60\r', reply: 'AT+QMTCFG="willex",0,1,0,0,"t",60\r\r\n> ' });
    const typed = failure(engine.run(plain('AT+QMTCFG="willex",0,1,0,0,"t",60', 60_000)));
    port.script({ expect: '\x1b' }, echoed(PROBE));
    await flush();
    const trap = engine.health.trap;
    expect(trap?.until).toBe((trap?.since ?? 0) + TRAP.limitMs);
    await vi.advanceTimersByTimeAsync(TRAP.limitMs);
    expect(engine.health.state).not.toBe('trapped');
    expect(port.writes.at(-1)).toBe(`${PROBE}\r`);
    expect(((await typed) as AtError).code).toBe('timeout');
    port.script(echoed('AT+CSQ', '\r\n+CSQ: 1,99\r\n\r\nOK\r\n'));
    expect(await engine.run(at.csq())).toMatchObject({ rssi: 1 });
  });

  it('a forged +QMTRECV length shows as a trap, and the port is usable again after the trap time', async () => {
    const { port, engine, transcript } = cleanRig(8);
    port.script(echoed('AT'));
    await engine.run(at.at());
    // The module's client mode is not known to this engine: a plausible length is taken... and nothing follows.
    port.send('\r\n+QMTRECV: 0,9,"t",6000,"');
    await vi.advanceTimersByTimeAsync(TRAP.noticeMs);
    expect(engine.health).toMatchObject({ state: 'trapped', trap: { cause: 'payload' } });
    expect(((await failure(engine.run(at.csq()))) as AtError).code).toBe('busy');
    port.script(echoed(PROBE), echoed('AT+CSQ', '\r\n+CSQ: 2,99\r\n\r\nOK\r\n'));
    await vi.advanceTimersByTimeAsync(TRAP.limitMs - TRAP.noticeMs);
    expect(engine.health.state).not.toBe('trapped');
    expect(transcript.some((e) => e.kind === 'unknown' && e.text.includes('abandoned'))).toBe(true);
    expect(await engine.run(at.csq())).toMatchObject({ rssi: 2 });
    expect(port.mismatches).toEqual([]);
  });

  it('a long message still arriving (a slow line) is not a trap; one that stops arriving is', async () => {
    const { port, engine } = cleanRig(8);
    port.script(echoed('AT'));
    await engine.run(at.at());
    const states: string[] = [];
    engine.onHealth((health) => states.push(health.state));
    port.send('\r\n+QMTRECV: 0,9,"t",100,"');
    for (let i = 0; i < 9; i++) {
      await vi.advanceTimersByTimeAsync(TRAP.noticeMs / 2);
      port.send('0123456789');
    }
    expect(states).toEqual([]);
    await vi.advanceTimersByTimeAsync(TRAP.noticeMs);
    expect(states).toEqual(['trapped']);
    port.send('0123456789"\r\n');
    await flush();
    expect(states).toEqual(['trapped', 'ok']);
  });

  it('a message that ends before the notice time never shows as a trap', async () => {
    const { port, engine } = cleanRig(8);
    port.script(echoed('AT'));
    await engine.run(at.at());
    const states: string[] = [];
    engine.onHealth((health) => states.push(health.state));
    port.send('\r\n+QMTRECV: 0,9,"t",4,"ab');
    await vi.advanceTimersByTimeAsync(TRAP.noticeMs / 2);
    port.send('cd"\r\n');
    await vi.advanceTimersByTimeAsync(TRAP.limitMs);
    expect(states).toEqual([]);
    expect(engine.health.state).toBe('ok');
  });
});

describe('completion budgets (issue 7)', () => {
  it('a retransmission notice restarts the budget, and the module result is what the step reports', async () => {
    const { port, engine } = cleanRig(8);
    const timing = { pktTimeoutS: 1, retryTimes: 2 };
    const budget = at.packetBudgetMs(timing);
    port.script(echoed('AT+QMTSUB=0,3,"t",1'));
    const pending = engine.run(at.qmtsub(0, 3, [{ topic: 't', qos: 1 }], timing));
    await flush();
    await vi.advanceTimersByTimeAsync(budget - 100);
    port.send('\r\n+QMTSUB: 0,3,1,1\r\n');
    await vi.advanceTimersByTimeAsync(budget - 100);
    port.send('\r\n+QMTSUB: 0,3,1,2\r\n');
    await vi.advanceTimersByTimeAsync(budget - 100);
    port.send('\r\n+QMTSUB: 0,3,2\r\n');
    const result = await pending;
    expect(result).toMatchObject({ result: 2, ok: false });
    expect(result.resultText).toMatch(/failed to send packet/i);
  });

  it('without notices the budget still covers the first send and every retry', async () => {
    const { port, engine } = cleanRig(8);
    const timing = { pktTimeoutS: 1, retryTimes: 2 };
    port.script(echoed('AT+QMTSUB=0,3,"t",1'));
    const pending = engine.run(at.qmtsub(0, 3, [{ topic: 't', qos: 1 }], timing));
    await flush();
    await vi.advanceTimersByTimeAsync(at.packetBudgetMs(timing) - 1);
    port.send('\r\n+QMTSUB: 0,3,2\r\n');
    await flush();
    expect(await pending).toMatchObject({ result: 2 });
    // A notice from another packet restarts nothing: past the budget the wait ends with a timeout.
    port.script(echoed('AT+QMTSUB=0,4,"t",1'));
    const other = failure(engine.run(at.qmtsub(0, 4, [{ topic: 't', qos: 1 }], timing)));
    await flush();
    await vi.advanceTimersByTimeAsync(at.packetBudgetMs(timing) - 100);
    port.send('\r\n+QMTSUB: 0,3,1,1\r\n');
    await vi.advanceTimersByTimeAsync(100);
    const error = (await other) as AtError;
    expect(error.code).toBe('timeout');
    expect(error.message).toContain('no +QMTSUB');
  });
});

describe('a secret answer that arrives after its transaction timed out', () => {
  it('is masked in the transcript until the port is proven clean', async () => {
    const { port, engine, transcript } = cleanRig(8);
    const query: AtRequest<string[]> = { ...plain('AT+QMTCFG="aliauth",0', 300), secretResponses: true };
    // No answer in time; the late answer comes in while the resync probe is out.
    port.script(
      { expect: 'AT+QMTCFG="aliauth",0\r', reply: 'AT+QMTCFG="aliauth",0\r' },
      { expect: `${PROBE}\r`, reply: `\r\n+QMTCFG: "aliauth","pk","dn","${SECRET}"\r\n\r\nOK\r\n${PROBE}\r\r\nOK\r\n` },
    );
    const timedOut = failure(engine.run(query));
    await vi.advanceTimersByTimeAsync(301);
    expect(((await timedOut) as AtError).code).toBe('timeout');
    await flush();
    expect(port.mismatches).toEqual([]);
    expect(JSON.stringify(transcript)).not.toContain(SECRET);
    expect(transcript.some((e) => e.text === '<redacted late answer>')).toBe(true);
    // Once the port is clean, lines are shown again.
    port.script(echoed('AT+CSQ', '\r\n+CSQ: 20,99\r\n\r\nOK\r\n'));
    await engine.run(at.csq());
    expect(transcript.some((e) => e.text === '+CSQ: 20,99')).toBe(true);
  });
});
