import { Emitter, type Disposable, type Event } from '../base';

/**
 * The events every ByteTransport has: data chunks, and a close fired exactly once. Transports own one of these and
 * forward `onData`/`onClose` to it, so the "close fires once, then nothing" rule lives in one place. Built on the
 * base Emitter: a listener that throws is reported (onUnexpectedError) and the other listeners still hear the event.
 */
export class TransportSignals implements Disposable {
  private readonly dataEmitter = new Emitter<Uint8Array>('transport.data');
  private readonly closeEmitter = new Emitter<Error | undefined>('transport.close');
  private closedFlag = false;

  readonly onData: Event<Uint8Array> = this.dataEmitter.event;
  readonly onClose: Event<Error | undefined> = this.closeEmitter.event;

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Hands a chunk to every data listener (listeners may unsubscribe while being called). */
  data(chunk: Uint8Array): void {
    if (!this.closedFlag) this.dataEmitter.fire(chunk);
  }

  /** Marks the transport closed and fires the close listeners once; returns false when it was already closed. */
  close(error: Error | undefined): boolean {
    if (this.closedFlag) return false;
    this.closedFlag = true;
    this.dataEmitter.dispose();
    this.closeEmitter.fire(error);
    this.closeEmitter.dispose();
    return true;
  }

  /** Drops every listener without firing anything (the owner is being torn down). */
  dispose(): void {
    this.closedFlag = true;
    this.dataEmitter.dispose();
    this.closeEmitter.dispose();
  }
}
