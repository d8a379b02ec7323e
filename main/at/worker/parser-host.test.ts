import { describe, expect, it, vi } from 'vitest';
import { HOLD_REPORT_MS, ParserHost } from './parser-host';
import type { FromWorker } from './protocol';

describe('ParserHost', () => {
  it('parses per port, keeping ports apart', () => {
    const host = new ParserHost();
    host.handle({ type: 'open', portId: 'a' });
    host.handle({ type: 'open', portId: 'b' });
    host.handle({ type: 'note', portId: 'a', line: 'AT+QMTCONN?' });
    expect(
      host.handle({ type: 'bytes', portId: 'a', chunk: new TextEncoder().encode('\r\n+QMTCONN: 0,3\r\n') }),
    ).toEqual({
      type: 'events',
      portId: 'a',
      events: [{ kind: 'response', name: '+QMTCONN', params: ['0', '3'], raw: '+QMTCONN: 0,3' }],
    });
    // Port b has no command in flight: the same line is a URC there.
    expect(
      host.handle({ type: 'bytes', portId: 'b', chunk: new TextEncoder().encode('\r\n+QMTCONN: 0,3\r\n') }),
    ).toEqual({
      type: 'events',
      portId: 'b',
      events: [{ kind: 'urc', name: '+QMTCONN', params: ['0', '3'], known: true, raw: '+QMTCONN: 0,3' }],
    });
    expect(host.handle({ type: 'bytes', portId: 'b', chunk: new TextEncoder().encode('\r\n') })).toBeNull();
    host.handle({ type: 'close', portId: 'a' });
    expect(host.portCount).toBe(1);
  });

  it('answers malformed messages and unknown ports with a problem, never throwing', () => {
    const host = new ParserHost();
    for (const bad of [
      null,
      42,
      'x',
      { type: 'bytes', portId: 'a', chunk: 'not bytes' },
      { type: 'nope', portId: 'a' },
    ]) {
      expect(host.handle(bad)).toMatchObject({ type: 'problem', portId: null });
    }
    expect(host.handle({ type: 'bytes', portId: 'zz', chunk: new Uint8Array(1) })).toEqual({
      type: 'problem',
      portId: 'zz',
      message: 'port is not open in the parser worker',
    });
  });

  it('tells a payload taken whole only once it has lasted, and its end at once', () => {
    vi.useFakeTimers();
    try {
      const posted: FromWorker[] = [];
      const host = new ParserHost((reply) => posted.push(reply));
      host.handle({ type: 'open', portId: 'a', options: { live: true } });
      const push = (text: string): FromWorker | null =>
        host.handle({ type: 'bytes', portId: 'a', chunk: new TextEncoder().encode(text) });
      // A message spanning two reads: nothing is told about its hold.
      expect(push('\r\n+QMTRECV: 0,1,"t","ab')).toBeNull();
      vi.advanceTimersByTime(HOLD_REPORT_MS / 2);
      expect(push('cd"\r\n')).toMatchObject({ type: 'events', events: [{ kind: 'recv' }] });
      vi.advanceTimersByTime(HOLD_REPORT_MS);
      expect(posted).toEqual([]);
      // One that lasts is told after HOLD_REPORT_MS; its end comes with the events that end it.
      expect(push('\r\n+QMTRECV: 0,2,"t","open')).toBeNull();
      vi.advanceTimersByTime(HOLD_REPORT_MS);
      expect(posted).toEqual([{ type: 'events', portId: 'a', events: [], hold: 'recv-quoted' }]);
      expect(push('"\r\n')).toMatchObject({ type: 'events', hold: null });
      // Giving up a hold of another kind does nothing; of its own kind, it ends it.
      push('\r\n+QMTRECV: 0,3,"t","x');
      vi.advanceTimersByTime(HOLD_REPORT_MS);
      expect(host.handle({ type: 'abandon', portId: 'a', only: 'data' })).toBeNull();
      expect(host.handle({ type: 'abandon', portId: 'a', only: 'recv-quoted' })).toMatchObject({
        events: [{ kind: 'unknown', reason: 'abandoned' }],
        hold: null,
      });
    } finally {
      vi.useRealTimers();
    }
  });
});
