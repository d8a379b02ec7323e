import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import * as at from '../commands';
import { AtError } from '../vocab/errors';
import { ParserPool } from '../worker/pool';
import { MemoryBroker } from '../../emulator/memory-broker';
import { startPtyModule, type PtyModule } from '../../emulator/pty-module';
import { SerialTransport } from '../../transport/serial';
import { AtEngine } from './engine';
import type { TranscriptEntry } from './transcript';

/**
 * Issue 8 item 7 (engine part), where it was found: `--fault garbage=MS` puts noise bytes on a real pty between
 * whatever else the module sends, and some commands came back `ok` with their answer lines lost. An answer damaged
 * by noise is `bad-response`; every `ok` carries exactly the module's truth.
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

async function station() {
  const device: PtyModule = await startPtyModule({ sessionFactory: new MemoryBroker().createSession, bootDelayMs: 5 });
  cleanups.push(() => device.close());
  await device.module.whenReady();
  const port = await SerialTransport.open({ path: device.path });
  cleanups.push(() => port.close());
  const engine = new AtEngine({ transport: port, parser: pool.open(device.path) });
  cleanups.push(() => Promise.resolve(engine.dispose()));
  const transcript: TranscriptEntry[] = [];
  engine.onTranscript((entry) => transcript.push(entry));
  onTestFailed(() => {
    const lines = transcript.map(
      (e) => `${e.direction === 'out' ? '>>' : '<<'} ${e.kind} ${JSON.stringify(e.text)} ${e.note ?? ''}`,
    );
    console.error(`transcript of ${device.path}:\n${lines.slice(-200).join('\n')}`);
  });
  return { device, engine };
}

describe('line noise on a real pty (issue 8, item 7)', () => {
  it('never reports an answer with lines lost to noise as ok', async () => {
    const { device, engine } = await station();
    const files = ['a.pem', 'b.pem', 'c.pem'];
    for (const name of files) await engine.run(at.qfupl(name, new TextEncoder().encode(`-----${name}-----\n`)));
    await engine.run(at.qiact(1));
    const truth = {
      files: await engine.run(at.qflst()),
      contexts: await engine.run(at.qiactQuery()),
      info: await engine.run(at.ati()),
      imei: await engine.run(at.cgsn()),
    };
    expect(truth.files).toHaveLength(3);
    expect(truth.contexts).toHaveLength(1);

    // Noise at points of the exchange rather than on a clock, so the test means the same on a loaded machine:
    // before the echo of every third command (it glues onto the echo), and after the echo of the next one.
    let commands = 0;
    let noisy = true;
    engine.onTranscript((entry) => {
      if (!noisy || entry.note !== undefined) return;
      if (entry.direction === 'out' && entry.kind === 'command' && ++commands % 3 === 1) device.module.injectGarbage();
      if (entry.direction === 'in' && entry.kind === 'echo' && commands % 3 === 2) device.module.injectGarbage();
    });
    const wrong: string[] = [];
    const codes = new Map<string, number>();
    let oks = 0;
    const check = async (name: string, run: () => Promise<unknown>, right: unknown): Promise<void> => {
      try {
        const value = await run();
        oks++;
        if (JSON.stringify(value) !== JSON.stringify(right)) wrong.push(`${name} ok with ${JSON.stringify(value)}`);
      } catch (error) {
        expect(error).toBeInstanceOf(AtError);
        const code = (error as AtError).code;
        codes.set(code, (codes.get(code) ?? 0) + 1);
      }
    };
    for (let i = 0; i < 12; i++) {
      await check('AT+QFLST', () => engine.run(at.qflst()), truth.files);
      await check('AT+QIACT?', () => engine.run(at.qiactQuery()), truth.contexts);
      await check('ATI', () => engine.run(at.ati()), truth.info);
      await check('AT+CGSN', () => engine.run(at.cgsn()), truth.imei);
    }
    noisy = false;
    expect(wrong).toEqual([]);
    // The noise hit answers (they failed honestly) and spared others (they were right).
    expect(codes.get('bad-response') ?? 0).toBeGreaterThan(0);
    expect([...codes.keys()].every((code) => code === 'bad-response' || code === 'timeout')).toBe(true);
    expect(oks).toBeGreaterThan(0);
    // Without the noise the port works as before.
    expect(await engine.run(at.qflst())).toEqual(truth.files);
  }, 120_000);
});
