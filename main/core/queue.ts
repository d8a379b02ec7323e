import PQueue from 'p-queue';

/**
 * A FIFO of async work with at most `concurrency` running at once (p-queue), where a caller's AbortSignal
 * cancels only the *wait*: once the work has started, aborting is the work's own business (it passes the signal on
 * to the AT engine and ends soon after). p-queue itself would free the slot the moment the signal aborts, letting
 * the next holder start while the previous one still talks to the module; an exclusive port lease cannot allow
 * that, and the runner's concurrency limit should not either.
 */
export class WorkQueue {
  private readonly queue: PQueue;

  constructor(concurrency: number) {
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
    }
    this.queue = new PQueue({ concurrency });
  }

  /** Work waiting for a slot. */
  get waiting(): number {
    return this.queue.size;
  }

  /** Work holding a slot. */
  get running(): number {
    return this.queue.pending;
  }

  /**
   * Runs `work` when a slot is free, in arrival order. Rejects with `signal.reason` if the signal aborts before the
   * work started (the work then never runs); afterwards the signal no longer concerns the queue.
   */
  async run<T>(work: () => Promise<T>, signal?: AbortSignal, onStart?: () => void): Promise<T> {
    signal?.throwIfAborted();
    const waitOnly = new AbortController();
    const forward = (): void => waitOnly.abort(signal?.reason);
    signal?.addEventListener('abort', forward, { once: true });
    try {
      return await this.queue.add(
        async () => {
          signal?.removeEventListener('abort', forward);
          onStart?.();
          return work();
        },
        { signal: waitOnly.signal },
      );
    } finally {
      signal?.removeEventListener('abort', forward);
    }
  }
}
