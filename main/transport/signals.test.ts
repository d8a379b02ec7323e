import { describe, expect, it } from 'vitest';
import { setUnexpectedErrorHandler } from '../base';
import { TransportSignals } from './signals';

describe('TransportSignals', () => {
  it('fires close listeners exactly once and drops data after close', () => {
    const signals = new TransportSignals();
    const closes: (string | undefined)[] = [];
    const chunks: number[] = [];
    signals.onClose((error) => closes.push(error?.message));
    signals.onData((chunk) => chunks.push(chunk.length));
    signals.data(new Uint8Array(3));
    expect(signals.close(new Error('gone'))).toBe(true);
    expect(signals.close(undefined)).toBe(false);
    signals.data(new Uint8Array(5));
    expect(closes).toEqual(['gone']);
    expect(chunks).toEqual([3]);
    expect(signals.closed).toBe(true);
  });

  it('lets a listener unsubscribe while data is being delivered', () => {
    const signals = new TransportSignals();
    const seen: string[] = [];
    const first = signals.onData(() => {
      seen.push('first');
      first.dispose();
    });
    signals.onData(() => seen.push('second'));
    signals.data(new Uint8Array(1));
    signals.data(new Uint8Array(1));
    expect(seen).toEqual(['first', 'second', 'second']);
  });

  it('contains a listener that throws: the other listeners still get the chunk and the close', () => {
    const reported: string[] = [];
    const restore = setUnexpectedErrorHandler((error, origin) => reported.push(`${origin}: ${String(error)}`));
    try {
      const signals = new TransportSignals();
      const seen: string[] = [];
      signals.onData(() => {
        throw new Error('bad data listener');
      });
      signals.onData(() => seen.push('data'));
      signals.onClose(() => {
        throw new Error('bad close listener');
      });
      signals.onClose(() => seen.push('close'));
      signals.data(new Uint8Array(1));
      signals.close(undefined);
      expect(seen).toEqual(['data', 'close']);
      expect(reported).toEqual([
        'transport.data: Error: bad data listener',
        'transport.close: Error: bad close listener',
      ]);
    } finally {
      restore();
    }
  });
});
