import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TranscriptLine } from '../../shared/contract';
import * as at from '../at/commands';
import { decodeLog, describeFinal, renderJsonLines, renderText } from '../at/decode';
import { AtEngine, inThreadParserLink, type TranscriptEntry } from '../at/engine';
import type { AtRequest } from '../at/vocab/request';
import { decodeAnswer } from '../core/decode';
import { redactLine, redactOutcome } from '../core/redact';
import { Station } from '../core/station';
import { waitForEvent, waitForIdentified } from '../core/wait-for';
import { InProcessTransport } from '../emulator/in-process-transport';
import { MemoryBroker } from '../emulator/memory-broker';
import { VirtualModule } from '../emulator/virtual-module';
import { cliScript } from '../testing/station-cli';

/**
 * Issue 7: every builder's line, with known secrets, through every path that shows AT text: the builder's
 * `redacted`, the engine's transcript, the station (its redaction, answers, decoded fields, pushed and stored
 * transcript), and the log decoder (in process and the `decode` CLI) on a capture of the same session. None of
 * them may show a secret. The session runs on virtual modules with echo on, so every line comes back too.
 */

const SECRETS = {
  conn: 'ConnPassword-1a2b3c',
  ali: 'AliDeviceSecret-4d5e6f',
  onenet: 'OneNetAccessKey-7a8b9c',
  apn: 'ApnPassword-0d1e2f',
  payload: 'PayloadSecret-3a4b5c',
  key: 'PrivateKeyBody3d7e8fAAAA',
} as const;
const secrets = Object.values(SECRETS);
const enc = (text: string): Uint8Array => new TextEncoder().encode(text);
const privateKey = enc(`-----BEGIN PRIVATE KEY-----\n${SECRETS.key}\n-----END PRIVATE KEY-----\n`);

/** Every builder of the command library, in an order a module can run, secrets wherever a builder takes one. */
const session: readonly (readonly [string, AtRequest<unknown>])[] = [
  ['echo', at.echo(true)],
  ['at', at.at()],
  ['ati', at.ati()],
  ['gsn', at.gsn()],
  ['cgsn', at.cgsn()],
  ['qccid', at.qccid()],
  ['cimi', at.cimi()],
  ['qgmr', at.qgmr()],
  ['csq', at.csq()],
  ['cpinQuery', at.cpinQuery()],
  ['ceregQuery', at.ceregQuery()],
  ['cgregQuery', at.cgregQuery()],
  ['copsQuery', at.copsQuery()],
  ['cmee', at.cmee(2)],
  ['cfun', at.cfun(1)],
  ['cfunQuery', at.cfunQuery()],
  [
    'qicsgp',
    at.qicsgp({ contextId: 1, contextType: 1, apn: 'cmnet', username: 'u', password: SECRETS.apn, authentication: 2 }),
  ],
  ['qiact', at.qiact(1)],
  ['qiactQuery', at.qiactQuery()],
  ['qfupl', at.qfupl('user_key.pem', privateKey)],
  ['qflst', at.qflst()],
  ['qsslcfg', at.qsslcfg(2, { param: 'clientkey', value: 'user_key.pem' })],
  ['qsslcfgQuery', at.qsslcfgQuery(2, 'clientkey')],
  ['qmtcfg', at.qmtcfg(0, { name: 'aliauth', productKey: 'pk1', deviceName: 'dev1', deviceSecret: SECRETS.ali })],
  ['qmtcfgQuery', at.qmtcfgQuery(0, 'aliauth')],
  ['qmtcfg/onenet', at.qmtcfg(1, { name: 'onenet', productId: 'pid1', accessKey: SECRETS.onenet })],
  ['qmtcfgQuery/onenet', at.qmtcfgQuery(1, 'onenet')],
  ['qmtopen', at.qmtopen(0, 'broker.local', 1883)],
  ['qmtopenQuery', at.qmtopenQuery()],
  ['qmtconn', at.qmtconn(0, 'dev1', { username: 'user', password: SECRETS.conn })],
  ['qmtconnQuery', at.qmtconnQuery()],
  ['qmtsub', at.qmtsub(0, 1, [{ topic: 'up', qos: 1 }])],
  ['qmtpubex', at.qmtpubex(0, 2, 1, 'down', SECRETS.payload, { secret: true })],
  ['qmtuns', at.qmtuns(0, 3, ['up'])],
  ['qmtrecvQuery', at.qmtrecvQuery()],
  ['qmtrecv', at.qmtrecv(0)],
  ['testForm', at.testForm('QMTCONN')],
  ['qmtdisc', at.qmtdisc(0)],
  ['qmtclose', at.qmtclose(0)],
  ['qfdel', at.qfdel('user_key.pem')],
  ['qideact', at.qideact(1)],
];

/** Exports of the command library that are helpers, not builders. */
const helpers = new Set([
  'ufsPath',
  'qfuplChecksum',
  'looksLikePrivateKey',
  'forClient',
  'linkDropped',
  'isFinalPacketResult',
  'isRetransmission',
  'packetBudgetMs',
  'clientIndex',
  'qos',
]);

function expectNoSecret(what: string, value: unknown, hidden: readonly string[] = secrets): void {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  for (const secret of hidden) expect(text, `${what} shows ${secret}`).not.toContain(secret);
}

/**
 * A captured log does not say which payload was meant to be secret (the station's `secret` flag never reaches
 * the wire): the decoder shows payload text as it was published. Every secret of a command line stays hidden.
 */
const lineSecrets = secrets.filter((secret) => secret !== SECRETS.payload);

const repo = fileURLToPath(new URL('../../', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'redaction-paths-'));

let engineModule: VirtualModule;
let engine: AtEngine;
const transcript: TranscriptEntry[] = [];
const errors: string[] = [];
const results: unknown[] = [];
/** Everything the module said, as a serial sniffer would capture it (echo on: the commands too). */
const capture: Uint8Array[] = [];

beforeAll(async () => {
  engineModule = new VirtualModule({ sessionFactory: new MemoryBroker().createSession, bootDelayMs: 2, baud: 0 });
  const transport = new InProcessTransport(engineModule);
  transport.onData((chunk) => capture.push(chunk.slice()));
  engine = new AtEngine({ transport, parser: inThreadParserLink(), describeFinal });
  engine.onTranscript((entry) => transcript.push(entry));
  const booted = new Promise<void>((resolve) => {
    const watch = engine.onUrc('+QIND', (event) => {
      if (event.kind === 'urc' && event.params[0] === 'SMS DONE') {
        watch.dispose();
        resolve();
      }
    });
  });
  engineModule.powerOn();
  await booted;
  for (const [, request] of session) {
    try {
      results.push(await engine.run(request, { signal: AbortSignal.timeout(5_000) }));
    } catch (error) {
      errors.push(error instanceof Error ? error.message : String(error));
    }
  }
});

afterAll(() => {
  engine.dispose();
  engineModule.dispose();
  rmSync(scratch, { recursive: true, force: true });
});

describe('every builder, every redaction path: no secret shows', { timeout: 120_000 }, () => {
  it('the session covers every builder of the command library', () => {
    const builders = Object.entries(at)
      .filter(([name, value]) => typeof value === 'function' && !helpers.has(name))
      .map(([name]) => name);
    const covered = new Set(session.map(([name]) => name.split('/')[0]));
    expect(builders.filter((name) => !covered.has(name))).toEqual([]);
  });

  it("the builders' redacted lines", () => {
    for (const [name, request] of session) expectNoSecret(`${name}.redacted`, request.redacted);
  });

  it('the engine transcript, results and errors (the module echoes every line and answers the secret reads)', () => {
    // The session really carried the secrets: the module was configured with them.
    expect(transcript.some((entry) => entry.kind === 'response' && entry.text.startsWith('+QMTCFG'))).toBe(true);
    expect(transcript.some((entry) => entry.kind === 'echo')).toBe(true);
    expectNoSecret('engine transcript', transcript);
    expectNoSecret('engine errors', errors);
    expectNoSecret('typed results', results);
  });

  it('the station redaction: lines, answers with their decoded fields', () => {
    for (const [name, request] of session) expectNoSecret(`station redactLine(${name})`, redactLine(request.line));
    const answer = at.qmtcfgQuery(0, 'aliauth');
    const outcome = redactOutcome({
      responses: [
        {
          kind: 'response',
          name: '+QMTCFG',
          params: ['aliauth', 'pk1', 'dev1', SECRETS.ali],
          raw: `+QMTCFG: "aliauth","pk1","dev1","${SECRETS.ali}"`,
        },
      ],
      final: { kind: 'final', result: 'OK', raw: 'OK' },
      elapsedMs: 1,
    });
    expectNoSecret('station outcome', outcome);
    expectNoSecret('decoded fields', decodeAnswer(answer.line, outcome));
  });

  it('the station: answers, decoded fields, pushed and stored transcript of typed lines', async () => {
    const module = new VirtualModule({ sessionFactory: new MemoryBroker().createSession, bootDelayMs: 2, baud: 0 });
    const station = new Station({
      openEngine: (transport) => new AtEngine({ transport, parser: inThreadParserLink() }),
      transcriptBatchMs: 5,
    });
    const pushed: TranscriptLine[] = [];
    station.on('transcriptLines', (lines) => pushed.push(...lines));
    station.attach(new InProcessTransport(module));
    module.powerOn();
    await waitForIdentified(station);
    const [info] = station.list();
    if (info === undefined) throw new Error('no module attached');
    const answers: unknown[] = [];
    for (const [, request] of session) {
      if (request.payload !== undefined) continue; // a typed line has no data phase
      answers.push(await station.sendAt(info.id, request.line));
    }
    const flushed = waitForEvent(station, 'transcriptLines', (lines) => lines.some((l) => l.text === 'AT'));
    await station.sendAt(info.id, 'AT');
    await flushed;
    expect(JSON.stringify(answers)).toContain('"Device secret","value":"***"');
    expectNoSecret('station answers', answers);
    expectNoSecret('station pushed transcript', pushed);
    expectNoSecret('station stored transcript', station.transcript(info.id));
    await station.dispose();
    module.dispose();
  });

  it('the decoder and the decode CLI on a capture of the session', async () => {
    const log = Buffer.concat(capture);
    expect(log.toString('latin1')).toContain(SECRETS.ali);
    const events = decodeLog(log);
    expect(events.filter((event) => event.kind === 'command').length).toBeGreaterThan(30);
    expectNoSecret('decoded events', events, lineSecrets);
    expectNoSecret('decoded text', renderText(events), lineSecrets);
    expectNoSecret('decoded JSON', renderJsonLines(events), lineSecrets);
    const file = join(scratch, 'capture.log');
    writeFileSync(file, log);
    for (const args of [[file], [file, '--json']]) {
      const { stdout } = await promisify(execFile)(process.execPath, [cliScript(), 'decode', ...args], {
        cwd: repo,
        maxBuffer: 64 * 1024 * 1024,
      });
      expect(stdout).toContain(args.length === 1 ? 'AT+QMTCFG="aliauth",0,"pk1","dev1","***"' : '\\"***\\"');
      expectNoSecret(`decode ${args.join(' ')}`, stdout, lineSecrets);
    }
  });
});
