import type { ByteTransport, Disposable } from '../transport/types';
import type { VirtualModule } from './virtual-module';

/**
 * A ByteTransport straight into a VirtualModule, for demo mode and fast tests on any OS: what the station writes
 * is what the module receives, what the module sends (paced at its baud rate) arrives as data. Unplugging the
 * module closes the transport with an error, as a vanished USB port does.
 */
export class InProcessTransport implements ByteTransport {
  readonly id: string;
  private open = true;
  private readonly dataListeners = new Set<(chunk: Uint8Array) => void>();
  private readonly closeListeners = new Set<(error: Error | undefined) => void>();
  private readonly subscriptions: Disposable[];

  constructor(
    private readonly module: VirtualModule,
    id?: string,
  ) {
    this.id = id ?? `virtual:${module.identity.imei}`;
    this.subscriptions = [
      module.onOutput((bytes) => {
        for (const listener of this.dataListeners) listener(bytes);
      }),
      module.onUnplug(() => this.shut(new Error(`${this.id}: device unplugged`))),
    ];
  }

  get isOpen(): boolean {
    return this.open;
  }

  write(data: Uint8Array): Promise<void> {
    if (!this.open) return Promise.reject(new Error(`${this.id}: port is closed`));
    // Copy: the caller may reuse its buffer, and the module keeps the bytes in its input queue.
    const copy = Uint8Array.from(data);
    // Delivered on the next turn, as an OS write would be, so a reply never arrives inside the write call.
    return new Promise((resolve) => {
      setImmediate(() => {
        if (this.open) this.module.receive(copy);
        resolve();
      });
    });
  }

  onData(listener: (chunk: Uint8Array) => void): Disposable {
    this.dataListeners.add(listener);
    return { dispose: () => this.dataListeners.delete(listener) };
  }

  onClose(listener: (error: Error | undefined) => void): Disposable {
    this.closeListeners.add(listener);
    return { dispose: () => this.closeListeners.delete(listener) };
  }

  close(): Promise<void> {
    this.shut(undefined);
    return Promise.resolve();
  }

  private shut(error: Error | undefined): void {
    if (!this.open) return;
    this.open = false;
    for (const s of this.subscriptions) s.dispose();
    const listeners = [...this.closeListeners];
    this.closeListeners.clear();
    this.dataListeners.clear();
    for (const listener of listeners) listener(error);
  }
}
