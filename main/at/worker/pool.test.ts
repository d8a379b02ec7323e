import { existsSync, readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { AtEvent } from '../vocab/types';
import { bytesOf, feed, modes, sessionSegments, type Segment } from '../parser/fixtures/events';
import { session51, session52 } from '../parser/fixtures/spec-sessions';
import { ParserPool, type ParserPortHandle, type WorkerLoss } from './pool';

const pools: ParserPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.dispose()));
});

function newPool(options: ConstructorParameters<typeof ParserPool>[0]): ParserPool {
  const pool = new ParserPool(options);
  pools.push(pool);
  return pool;
}

/** Collects a port's events; `until(n)` resolves once n events have arrived. */
function collect(handle: ParserPortHandle): { events: AtEvent[]; until: (n: number) => Promise<AtEvent[]> } {
  const events: AtEvent[] = [];
  const waiters: { n: number; resolve: (e: AtEvent[]) => void }[] = [];
  handle.onEvents((batch) => {
    events.push(...batch);
    for (const w of waiters.filter((x) => events.length >= x.n)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(events);
    }
  });
  return {
    events,
    until: (n) =>
      new Promise((resolve) => {
        if (events.length >= n) resolve(events);
        else waiters.push({ n, resolve });
      }),
  };
}

/** Pushes segments through a handle in chunks of the given sizes (cycled), noting commands in between. */
function pushAll(handle: ParserPortHandle, segments: readonly Segment[], sizes: readonly number[]): void {
  let k = 0;
  for (const segment of segments) {
    if (segment.note !== undefined) handle.note(segment.note);
    for (let i = 0; i < segment.bytes.length;) {
      const size = sizes[k++ % sizes.length] ?? 1;
      handle.push(segment.bytes.subarray(i, i + size));
      i += size;
    }
  }
}

function threadCount(): number {
  return readdirSync('/proc/self/task').length;
}

describe('ParserPool', () => {
  it('gives each port the same events, in order, as the in-thread parser', async () => {
    const pool = newPool({ workers: 2 });
    const streams = [session51, session52].flatMap((steps) => modes.map((m) => sessionSegments(steps, m).segments));
    // Parsed as a captured log is (feed): the payload echo is counted from the stream, not from notePayload.
    const ports = streams.map((segments, i) => ({ segments, handle: pool.open(`/dev/ttyV${i}`, { live: false }) }));
    const sinks = ports.map((p) => collect(p.handle));
    // Interleave the ports' pushes, in small uneven chunks, as reads from many ports would arrive.
    ports.forEach((p, i) => pushAll(p.handle, p.segments, [1 + i, 7, 3, 64]));
    for (const [i, p] of ports.entries()) {
      const expected = feed(p.segments);
      expect(expected.length).toBeGreaterThan(20);
      expect(await sinks[i]?.until(expected.length)).toEqual(expected);
    }
    expect(pool.liveWorkers).toBe(2);
  });

  it('reports a payload taken whole (onHold) and gives it up on request, across the thread boundary', async () => {
    const pool = newPool({ workers: 1 });
    const handle = pool.open('held');
    const sink = collect(handle);
    const holds: (string | null)[] = [];
    let held: () => void = () => undefined;
    const waitHold = (n: number): Promise<void> =>
      new Promise((resolve) => {
        held = () => {
          if (holds.length >= n) resolve();
        };
        held();
      });
    handle.onHold((hold) => {
      holds.push(hold);
      held();
    });
    handle.push(bytesOf('\r\nRDY\r\n\r\n+QMTRECV: 0,1,"t","never closed'));
    await waitHold(1);
    expect(holds).toEqual(['recv-quoted']);
    handle.abandonHold();
    await waitHold(2);
    expect(holds).toEqual(['recv-quoted', null]);
    const events = await sink.until(2);
    expect(events[1]).toMatchObject({ kind: 'unknown', reason: 'abandoned' });
    // A live parser counts a payload echo only when told: notePayload, then the echo.
    handle.note('AT+QMTPUBEX=0,0,0,0,"t",4');
    handle.push(bytesOf('AT+QMTPUBEX=0,0,0,0,"t",4\r\r\n> '));
    await sink.until(4);
    handle.notePayload(4);
    handle.push(bytesOf('O\r\nK\r\nOK\r\n'));
    expect((await sink.until(6)).slice(4)).toEqual([
      { kind: 'data', length: 4, bytes: bytesOf('O\r\nK') },
      { kind: 'final', result: 'OK', raw: 'OK' },
    ]);
  });

  it('copies pushed bytes, so the caller may reuse its buffer at once', async () => {
    const pool = newPool({ workers: 1 });
    const handle = pool.open('p');
    const sink = collect(handle);
    const buffer = bytesOf('\r\nRDY\r\n');
    handle.push(buffer);
    buffer.fill(0x58);
    expect(await sink.until(1)).toEqual([{ kind: 'urc', name: 'RDY', params: [], known: true, raw: 'RDY' }]);
  });

  it('refuses a port opened twice, and stops delivering to a disposed handle', async () => {
    const pool = newPool({ workers: 1 });
    const a = pool.open('a');
    expect(() => pool.open('a')).toThrow(/already open/);
    const b = pool.open('b');
    const sinkA = collect(a);
    const sinkB = collect(b);
    a.dispose();
    a.push(bytesOf('\r\nOK\r\n'));
    b.push(bytesOf('\r\nOK\r\n'));
    await sinkB.until(1);
    expect(sinkA.events).toEqual([]);
    // The id is free again after dispose, with a fresh parser.
    const reopened = pool.open('a');
    const sinkR = collect(reopened);
    reopened.push(bytesOf('\r\nRDY\r\n'));
    expect(await sinkR.until(1)).toEqual([{ kind: 'urc', name: 'RDY', params: [], known: true, raw: 'RDY' }]);
  });

  it('restarts a crashed worker, tells its ports, and keeps parsing', async () => {
    const pool = newPool({ workers: 1, entry: new URL('./fixtures/crashing-worker.ts', import.meta.url) });
    const a = pool.open('a');
    const b = pool.open('b');
    const sinkB = collect(b);
    const restarted = Promise.all(
      [a, b].map((h) => new Promise<WorkerLoss>((resolve) => h.onWorkerLost((loss) => resolve(loss)))),
    );
    const reasonA = new Promise<string>((resolve) => a.onRestart(resolve));
    b.push(bytesOf('\r\nRDY\r\n'));
    await sinkB.until(1);
    a.push(bytesOf('\0CRASH\0'));
    for (const loss of await restarted) {
      expect(loss.restarted).toBe(true);
      expect(loss.reason).toMatch(/parser worker crashed: Error/);
    }
    expect(await reasonA).toMatch(/parser worker crashed: Error/);
    expect(pool.restartCount).toBe(1);
    // Both ports work again on the new worker, with fresh parsers.
    const sinkA = collect(a);
    a.push(bytesOf('\r\n+QMTSTAT: 0,1\r\n'));
    b.push(bytesOf('\r\nOK\r\n'));
    expect(await sinkA.until(1)).toEqual([
      { kind: 'urc', name: '+QMTSTAT', params: ['0', '1'], known: true, raw: '+QMTSTAT: 0,1' },
    ]);
    expect((await sinkB.until(2))[1]).toEqual({ kind: 'final', result: 'OK', raw: 'OK' });
    expect(pool.liveWorkers).toBe(1);
  });

  it('gives up on a worker that keeps crashing, and says so', async () => {
    const pool = newPool({ workers: 1, entry: new URL('./fixtures/broken-worker.ts', import.meta.url) });
    const handle = pool.open('a');
    const losses: WorkerLoss[] = [];
    await new Promise<void>((resolve) => {
      handle.onWorkerLost((loss) => {
        losses.push(loss);
        if (!loss.restarted) resolve();
      });
    });
    expect(losses.map((l) => l.restarted)).toEqual([true, true, true, true, false]);
    expect(losses[4]?.reason).toMatch(/not restarted after 5 crashes/);
    expect(pool.liveWorkers).toBe(0);
    expect(() => pool.open('b')).toThrow(/kept crashing/);
  });

  it.runIf(existsSync('/proc/self/task'))('leaves no thread behind after dispose', async () => {
    const before = threadCount();
    const pool = new ParserPool({ workers: 3 });
    const sinks = ['a', 'b', 'c'].map((id) => {
      const handle = pool.open(id);
      const sink = collect(handle);
      handle.push(bytesOf('\r\nOK\r\n'));
      return sink;
    });
    await Promise.all(sinks.map((s) => s.until(1)));
    expect(pool.liveWorkers).toBe(3);
    expect(threadCount()).toBeGreaterThanOrEqual(before + 3);
    await pool.dispose();
    expect(pool.liveWorkers).toBe(0);
    expect(threadCount()).toBeLessThanOrEqual(before);
    expect(() => pool.open('d')).toThrow(/disposed/);
    await pool.dispose(); // idempotent
  });

  it('rejects a bad worker count with a clear error', () => {
    expect(() => new ParserPool({ workers: 0 })).toThrow(/workers must be an integer/);
    expect(() => new ParserPool({ workers: 1.5 })).toThrow(/workers must be an integer/);
  });
});
