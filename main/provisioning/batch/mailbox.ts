import type { UrcNotice } from '../../at/engine';
import { DisposableStore, toDisposable } from '../../base';

/** A message the module reported from the broker: in the URC itself (recv/mode 0). */
export interface Arrival {
  readonly topic: string;
  readonly payload: Uint8Array;
  /** When the station saw it (ms since the epoch). */
  readonly at: number;
}

/** A message the module stored for AT+QMTRECV (recv/mode 1): `+QMTRECV: <idx>,<recv_id>`. */
export interface StoredNotice {
  readonly recvId: number;
  readonly at: number;
}

/** The client's link closed: `+QMTSTAT: <idx>,<err_code>`. */
export interface LinkLoss {
  readonly code: number;
  readonly raw: string;
}

/**
 * What one unit's MQTT client reported during its run, from the moment its network is opened: the messages it
 * received (a message can come back before its publish has even completed: the broker delivers to the subscriber
 * before it acknowledges the publisher, so the `receive` step reads what is already here and then waits for more),
 * and whether its link closed (+QMTSTAT). The MQTT steps check the link themselves rather than through a script
 * abort: a +QMTSTAT that arrives with the answer that ended a step (a broker closes the link right after it refuses
 * a CONNECT) must not take the place of that answer.
 */
export class Mailbox {
  private readonly arrivals: Arrival[] = [];
  private readonly notices: StoredNotice[] = [];
  private lost: LinkLoss | undefined;
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly clientIdx: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The first +QMTSTAT of the client since its network was opened, if any. */
  get linkLost(): LinkLoss | undefined {
    return this.lost;
  }

  /** Feeds a +QMTRECV (either form) or +QMTSTAT URC of the unit; those of other clients are ignored. */
  accept(event: UrcNotice): void {
    if (event.kind === 'urc' && event.name.toUpperCase() === '+QMTSTAT') {
      const [idx, code] = event.params.map((param) => param.trim());
      if (idx !== String(this.clientIdx) || code === undefined || !/^\d+$/.test(code)) return;
      this.lost ??= { code: Number(code), raw: event.raw };
    } else if (event.kind === 'recv') {
      if (event.clientIdx !== this.clientIdx || event.solicited) return;
      this.arrivals.push({ topic: event.topic, payload: event.payload, at: this.now() });
    } else {
      const [idx, recvId] = event.params.map((param) => param.trim());
      if (idx !== String(this.clientIdx) || recvId === undefined || !/^[0-4]$/.test(recvId)) return;
      this.notices.push({ recvId: Number(recvId), at: this.now() });
    }
    for (const wake of [...this.waiters]) wake();
  }

  /** Messages that came in the URC, oldest first; taken out of the mailbox. */
  takeArrivals(): Arrival[] {
    return this.arrivals.splice(0);
  }

  /** Stored-message notices, oldest first; taken out of the mailbox. */
  takeNotices(): StoredNotice[] {
    return this.notices.splice(0);
  }

  /** Nothing to read (no message, no notice) and the link is up. */
  get empty(): boolean {
    return this.arrivals.length === 0 && this.notices.length === 0 && this.lost === undefined;
  }

  /**
   * Resolves when something arrives (at once when something is waiting already), false at `deadline` (ms since
   * the epoch); rejects when `signal` aborts.
   */
  next(deadline: number, signal: AbortSignal): Promise<boolean> {
    if (!this.empty) return Promise.resolve(true);
    return new Promise<boolean>((resolve, reject) => {
      const cleanup = new DisposableStore();
      const done = (): void => cleanup.dispose();
      const wake = (): void => {
        done();
        resolve(true);
      };
      this.waiters.add(wake);
      cleanup.add(toDisposable(() => this.waiters.delete(wake)));
      const timer = setTimeout(
        () => {
          done();
          resolve(false);
        },
        Math.max(0, deadline - this.now()),
      );
      cleanup.add(toDisposable(() => clearTimeout(timer)));
      const onAbort = (): void => {
        done();
        reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
      };
      if (signal.aborted) {
        onAbort();
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });
      cleanup.add(toDisposable(() => signal.removeEventListener('abort', onAbort)));
    });
  }
}
