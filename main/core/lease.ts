import { Emitter, type Disposable } from '../base';
import { WorkQueue } from './queue';

/** Who talks to a unit: a guided console command, or a script run (identification, provisioning, diagnostics). */
export type LeaseHolder =
  { readonly kind: 'console' } | { readonly kind: 'script'; readonly script: string; readonly runId: string };

/**
 * The exclusive lease on one unit's port. Whoever talks to the unit holds it for the whole of what it does (one
 * console command, all the steps of a script), so a console command, a re-identification after `RDY` and a
 * provisioning script never interleave on the wire. Holders queue in arrival order; a waiting holder can give up
 * with an AbortSignal. `holder` and `waiting` are what the unit's activity shows.
 */
export class PortLease implements Disposable {
  private readonly queue = new WorkQueue(1);
  private current: LeaseHolder | null = null;
  private readonly changed = new Emitter<void>('lease.changed');
  /** Fired when the holder or the number of waiting holders changes. */
  readonly onDidChange = this.changed.event;

  get holder(): LeaseHolder | null {
    return this.current;
  }

  get waiting(): number {
    return this.queue.waiting;
  }

  /** Runs `work` holding the lease. `signal` cancels the wait only (see WorkQueue); the work gets no signal here. */
  async hold<T>(holder: LeaseHolder, work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const queued = this.queue.run(
      async () => {
        try {
          return await work();
        } finally {
          this.current = null;
          this.changed.fire();
        }
      },
      signal,
      () => {
        this.current = holder;
        this.changed.fire();
      },
    );
    this.changed.fire();
    try {
      return await queued;
    } finally {
      // A holder that gave up while waiting leaves the queue: the count changed.
      if (signal?.aborted === true) this.changed.fire();
    }
  }

  dispose(): void {
    this.changed.dispose();
  }
}
