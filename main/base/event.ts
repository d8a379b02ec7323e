import { toDisposable, type Disposable } from './disposable';
import { onUnexpectedError } from './errors';

/** Subscribing to an event: call it with a listener, keep the Disposable to unsubscribe. */
export type Event<T> = (listener: (value: T) => void) => Disposable;

/**
 * The one typed event emitter of the project (engine, parser pool, transports, URC hub, station core). Listeners
 * run in subscription order; a listener that throws is reported through onUnexpectedError and the others still
 * run. Listeners added or removed while firing take effect from the next fire (copy on write, so firing does not
 * allocate: it sits on the AT engine's per-line path).
 */
export class Emitter<T> implements Disposable {
  private listeners: readonly ((value: T) => void)[] = [];
  private disposed = false;

  /** `origin` names the event in error reports (`engine.transcript`, `station.unitChanged`). */
  constructor(private readonly origin = 'an event listener') {}

  /** The subscription function to expose (`readonly onDidX = this.emitter.event`). */
  readonly event: Event<T> = (listener) => {
    if (this.disposed) return toDisposable(() => undefined);
    this.listeners = [...this.listeners, listener];
    return toDisposable(() => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    });
  };

  fire(value: T): void {
    const listeners = this.listeners;
    for (const listener of listeners) {
      try {
        listener(value);
      } catch (error) {
        onUnexpectedError(error, this.origin);
      }
    }
  }

  get hasListeners(): boolean {
    return this.listeners.length > 0;
  }

  get size(): number {
    return this.listeners.length;
  }

  /** Drops every listener; later subscriptions are no-ops. */
  dispose(): void {
    this.disposed = true;
    this.listeners = [];
  }
}
