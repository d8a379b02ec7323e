import { DisposableStore, type Disposable } from '../base';
import { TransportSignals } from '../transport/signals';
import type { ByteTransport } from '../transport/types';
import type { VirtualModule } from './virtual-module';

/**
 * A ByteTransport straight into a VirtualModule, for demo mode and fast tests on any OS: what the station writes
 * is what the module receives, what the module sends (paced at its baud rate) arrives as data. Unplugging the
 * module closes the transport with an error, as a vanished USB port does.
 */
export class InProcessTransport implements ByteTransport {
  readonly id: string;
  private readonly signals = new TransportSignals();
  private readonly subscriptions = new DisposableStore();

  constructor(
    private readonly module: VirtualModule,
    id?: string,
  ) {
    this.id = id ?? `virtual:${module.identity.imei}`;
    this.subscriptions.add(module.onOutput((bytes) => this.signals.data(bytes)));
    this.subscriptions.add(module.onUnplug(() => this.shut(new Error(`${this.id}: device unplugged`))));
  }

  get isOpen(): boolean {
    return !this.signals.closed;
  }

  write(data: Uint8Array): Promise<void> {
    if (this.signals.closed) return Promise.reject(new Error(`${this.id}: port is closed`));
    // Copy: the caller may reuse its buffer, and the module keeps the bytes in its input queue.
    const copy = Uint8Array.from(data);
    // Delivered on the next turn, as an OS write would be, so a reply never arrives inside the write call.
    return new Promise((resolve) => {
      setImmediate(() => {
        if (!this.signals.closed) this.module.receive(copy);
        resolve();
      });
    });
  }

  onData(listener: (chunk: Uint8Array) => void): Disposable {
    return this.signals.onData(listener);
  }

  onClose(listener: (error: Error | undefined) => void): Disposable {
    return this.signals.onClose(listener);
  }

  close(): Promise<void> {
    this.shut(undefined);
    return Promise.resolve();
  }

  private shut(error: Error | undefined): void {
    if (this.signals.closed) return;
    this.subscriptions.dispose();
    this.signals.close(error);
  }
}
