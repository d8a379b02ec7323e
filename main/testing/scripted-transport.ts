import { TransportSignals } from '../transport/signals';
import type { ByteTransport, Disposable } from '../transport/types';

/** One step of a script: when the station writes `expect`, the device answers `reply` (if any). */
export interface ScriptStep {
  readonly expect: string | Uint8Array;
  readonly reply?: string | Uint8Array;
}

const encoder = new TextEncoder();
const bytesOf = (data: string | Uint8Array): Uint8Array => (typeof data === 'string' ? encoder.encode(data) : data);
const latin1 = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');

/**
 * A fake port for engine unit tests (modem_chat's mock pipe): it checks every write against a script and
 * answers from it, delivering the device's bytes in chunks of `chunkSize` so framing is exercised at every
 * split. Replies are delivered on a microtask, like a read completing after the write. A write that does not
 * match the script is recorded in `mismatches` (tests assert it stays empty) and gets no answer.
 */
export class ScriptedTransport implements ByteTransport {
  readonly id: string;
  /** Everything the station wrote, as latin1 text (so any byte is visible), in order. */
  readonly writes: string[] = [];
  readonly mismatches: string[] = [];
  private readonly steps: ScriptStep[] = [];
  private readonly signals = new TransportSignals();

  constructor(
    readonly chunkSize: number,
    id = 'scripted:0',
  ) {
    this.id = id;
  }

  /** Appends steps to the script. */
  script(...steps: ScriptStep[]): this {
    this.steps.push(...steps);
    return this;
  }

  /** Steps not yet consumed. */
  get pending(): number {
    return this.steps.length;
  }

  /** The device sends bytes on its own (URCs, late replies, garbage), in chunks. */
  send(data: string | Uint8Array): void {
    const bytes = bytesOf(data);
    for (let at = 0; at < bytes.length && !this.signals.closed; at += this.chunkSize) {
      const chunk = bytes.slice(at, at + this.chunkSize);
      this.signals.data(chunk);
    }
  }

  /** The device disappears. */
  vanish(error: Error): void {
    this.finish(error);
  }

  get isOpen(): boolean {
    return !this.signals.closed;
  }

  write(data: Uint8Array): Promise<void> {
    if (this.signals.closed) return Promise.reject(new Error(`${this.id} is closed`));
    const written = latin1(data);
    this.writes.push(written);
    const step = this.steps[0];
    if (step === undefined || latin1(bytesOf(step.expect)) !== written) {
      this.mismatches.push(written);
      return Promise.resolve();
    }
    this.steps.shift();
    const reply = step.reply;
    if (reply !== undefined) queueMicrotask(() => this.send(reply));
    return Promise.resolve();
  }

  onData(listener: (chunk: Uint8Array) => void): Disposable {
    return this.signals.onData(listener);
  }

  onClose(listener: (error: Error | undefined) => void): Disposable {
    return this.signals.onClose(listener);
  }

  close(): Promise<void> {
    this.finish(undefined);
    return Promise.resolve();
  }

  private finish(error: Error | undefined): void {
    this.signals.close(error);
  }
}
