import type { Disposable } from './types';

/**
 * The listener bookkeeping every ByteTransport needs: data listeners, and close listeners fired exactly once.
 * Transports own one of these and forward `onData`/`onClose` to it, so the "close fires once, then nothing"
 * rule lives in one place.
 */
export class TransportSignals {
  private readonly dataListeners = new Set<(chunk: Uint8Array) => void>();
  private readonly closeListeners = new Set<(error: Error | undefined) => void>();
  private closedFlag = false;

  get closed(): boolean {
    return this.closedFlag;
  }

  onData(listener: (chunk: Uint8Array) => void): Disposable {
    this.dataListeners.add(listener);
    return { dispose: () => this.dataListeners.delete(listener) };
  }

  onClose(listener: (error: Error | undefined) => void): Disposable {
    this.closeListeners.add(listener);
    return { dispose: () => this.closeListeners.delete(listener) };
  }

  /** Hands a chunk to every data listener (a snapshot: listeners may unsubscribe while being called). */
  data(chunk: Uint8Array): void {
    if (this.closedFlag) return;
    for (const listener of [...this.dataListeners]) listener(chunk);
  }

  /** Marks the transport closed and fires the close listeners once; returns false when it was already closed. */
  close(error: Error | undefined): boolean {
    if (this.closedFlag) return false;
    this.closedFlag = true;
    const listeners = [...this.closeListeners];
    this.closeListeners.clear();
    this.dataListeners.clear();
    for (const listener of listeners) listener(error);
    return true;
  }
}
