import { afterEach, describe, expect, it } from 'vitest';
import { DisposableStore, Emitter, setUnexpectedErrorHandler, toDisposable } from '.';

describe('Emitter', () => {
  let restore: (() => void) | undefined;
  afterEach(() => restore?.());

  it('contains a throwing listener: the others still run and the error is reported, not rethrown', async () => {
    const reported: [unknown, string][] = [];
    restore = setUnexpectedErrorHandler((error, origin) => reported.push([error, origin]));
    const emitter = new Emitter<number>('test.event');
    const seen: number[] = [];
    emitter.event(() => {
      throw new Error('faulty subscriber');
    });
    emitter.event((value) => seen.push(value));
    expect(() => emitter.fire(7)).not.toThrow();
    // Nothing is rethrown later either (the old emitter rethrew in a microtask, which killed the process).
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual([7]);
    expect(reported).toHaveLength(1);
    expect(String(reported[0]?.[0])).toContain('faulty subscriber');
    expect(reported[0]?.[1]).toBe('test.event');
  });

  it('a listener added while firing hears the next fire only; one removed while firing still hears this one', () => {
    const emitter = new Emitter<string>();
    const calls: string[] = [];
    const second = { dispose: (): void => undefined };
    emitter.event((v) => {
      calls.push(`a:${v}`);
      emitter.event((w) => calls.push(`late:${w}`));
      second.dispose();
    });
    Object.assign(
      second,
      emitter.event((v) => calls.push(`b:${v}`)),
    );
    emitter.fire('1');
    emitter.fire('2');
    expect(calls).toEqual(['a:1', 'b:1', 'a:2', 'late:2']);
  });

  it('after dispose it has no listeners and takes none', () => {
    const emitter = new Emitter<number>();
    const seen: number[] = [];
    emitter.event((v) => seen.push(v));
    emitter.dispose();
    emitter.event((v) => seen.push(v));
    emitter.fire(1);
    expect(seen).toEqual([]);
    expect(emitter.hasListeners).toBe(false);
  });
});

describe('DisposableStore', () => {
  it('disposes in reverse order, once, and disposes late additions at once', () => {
    const order: string[] = [];
    const store = new DisposableStore();
    store.add(toDisposable(() => order.push('first')));
    store.add(toDisposable(() => order.push('second')));
    store.dispose();
    store.dispose();
    store.add(toDisposable(() => order.push('late')));
    expect(order).toEqual(['second', 'first', 'late']);
    expect(store.isDisposed).toBe(true);
  });

  it('runs every disposable even when one throws, then rethrows the first error', () => {
    const order: string[] = [];
    const store = new DisposableStore();
    store.add(toDisposable(() => order.push('a')));
    store.add(
      toDisposable(() => {
        throw new Error('b failed');
      }),
    );
    store.add(toDisposable(() => order.push('c')));
    expect(() => store.dispose()).toThrow('b failed');
    expect(order).toEqual(['c', 'a']);
  });
});
