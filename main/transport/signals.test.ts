import { describe, expect, it } from 'vitest';
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
});
