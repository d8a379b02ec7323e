import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import * as at from '../commands';
import { AtError } from '../vocab/errors';
import { ParserPool } from '../worker/pool';
import { MemoryBroker } from '../../emulator/memory-broker';
import { startPtyModule, type PtyModule } from '../../emulator/pty-module';
import { SerialTransport } from '../../transport/serial';
import { AtEngine, type AtEngineOptions } from './engine';
import type { TranscriptEntry } from './transcript';

/**
 * Issue 8 item 1, where it was found: a virtual module on a real pseudo-terminal with `late=+CSQ:<ms>`, the engine
 * as production runs it (serialport, parser worker), and the six identification commands sent back to back, again
 * and again. A late answer must never complete another command: every `ok` carries this module's own values.
 */

let pool: ParserPool;
const cleanups: (() => Promise<void>)[] = [];
beforeAll(() => {
  pool = new ParserPool({ workers: 1 });
});
afterAll(async () => {
  await pool.dispose();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function station(lateMs: number, options: Partial<AtEngineOptions> = {}) {
  const device: PtyModule = await startPtyModule({
    sessionFactory: new MemoryBroker().createSession,
    faults: { lateResponse: { '+CSQ': lateMs } },
    bootDelayMs: 5,
  });
  cleanups.push(() => device.close());
  await device.module.whenReady();
  const port = await SerialTransport.open({ path: device.path });
  cleanups.push(() => port.close());
  const engine = new AtEngine({ transport: port, parser: pool.open(device.path), ...options });
  cleanups.push(() => Promise.resolve(engine.dispose()));
  const transcript: TranscriptEntry[] = [];
  engine.onTranscript((entry) => transcript.push(entry));
  onTestFailed(() => {
    const lines = transcript.map(
      (e) => `${e.direction === 'out' ? '>>' : '<<'} ${e.kind} ${JSON.stringify(e.text)} ${e.note ?? ''}`,
    );
    console.error(`transcript of ${device.path}:\n${lines.join('\n')}`);
  });
  return { device, engine };
}

type Check = readonly [string, () => Promise<unknown>, (value: unknown) => boolean];

describe('late answers on a real pty (issue 8, item 1)', () => {
  it('never completes a command with the late answer of another; the port comes back once they are through', async () => {
    const { device, engine } = await station(1200, { resync: { timeoutMs: 150, attempts: 2 } });
    const id = device.module.identity;
    const checks: readonly Check[] = [
      ['AT+CSQ', () => engine.run(at.csq()), (v) => (v as { rssi: number }).rssi === id.rssi],
      ['AT+CPIN?', () => engine.run(at.cpinQuery()), (v) => (v as { state: string }).state === 'READY'],
      ['AT+CGSN', () => engine.run(at.cgsn()), (v) => v === id.imei],
      ['ATI', () => engine.run(at.ati()), (v) => (v as { revision: string }).revision === id.revision],
      ['AT+QCCID', () => engine.run(at.qccid()), (v) => v === id.iccid],
      ['AT+CIMI', () => engine.run(at.cimi()), (v) => v === id.imsi],
    ];
    const wrong: string[] = [];
    const codes = new Set<string>();
    for (let round = 0; round < 4; round++) {
      const results = await Promise.allSettled(checks.map(([, run]) => run()));
      results.forEach((result, i) => {
        const [name, , right] = checks[i] ?? ['?', () => Promise.resolve(), () => false];
        if (result.status === 'fulfilled' && !right(result.value)) {
          wrong.push(`round ${round}: ${name} ok with ${JSON.stringify(result.value)}`);
        }
        if (result.status === 'rejected') {
          expect(result.reason).toBeInstanceOf(AtError);
          codes.add((result.reason as AtError).code);
        }
      });
    }
    expect(wrong).toEqual([]);
    // Under doubt the answer is an error: a timeout, or an answer that could not be tied to its command.
    expect([...codes].every((code) => code === 'timeout' || code === 'bad-response')).toBe(true);
    // Once the module has worked through everything it was sent, the port is proven clean and answers right.
    const deadline = Date.now() + 60_000;
    let imei: unknown = null;
    while (imei === null && Date.now() < deadline) imei = await engine.run(at.cgsn()).catch(() => null);
    expect(imei).toBe(id.imei);
    expect(await engine.run(at.qccid())).toBe(id.iccid);
    expect(await engine.run(at.cimi())).toBe(id.imsi);
    expect((await engine.run(at.ati())).revision).toBe(id.revision);
  }, 90_000);
});
