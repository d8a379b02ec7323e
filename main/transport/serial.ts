import { realpath, stat } from 'node:fs/promises';
import { SerialPort } from 'serialport';
import { TransportSignals } from './signals';
import type { ByteTransport, Disposable } from './types';

/** How to open a port. Quectel USB AT ports ignore the line settings, but a UART module needs them: 115200 8N1. */
export interface SerialOpenOptions {
  readonly path: string;
  readonly baudRate?: number;
  readonly dataBits?: 5 | 6 | 7 | 8;
  readonly stopBits?: 1 | 2;
  readonly parity?: 'none' | 'even' | 'odd';
  /** How often to check that the device node still exists (see SerialTransport). Default 250 ms. */
  readonly presenceCheckMs?: number;
}

/** Opening a serial port failed (missing device, no permission, busy). The message names the path and the cause. */
export class SerialOpenError extends Error {
  constructor(
    readonly path: string,
    cause: string,
  ) {
    super(`cannot open serial port ${path}: ${cause}`);
    this.name = 'SerialOpenError';
  }
}

/**
 * ByteTransport over `serialport`, for real USB ports and pseudo-terminals. It must live on the main thread:
 * serialport's reads crash inside worker threads, so only parsing is moved off this thread (see ParserPool).
 */
export class SerialTransport implements ByteTransport {
  readonly id: string;
  private readonly signals = new TransportSignals();
  private readonly presence: NodeJS.Timeout;
  private readonly devicePath: string;
  /** Why the port closed, when it did not close on request: what later writes are rejected with. */
  private closeError: Error | undefined;

  private constructor(
    private readonly port: SerialPort,
    devicePath: string,
    presenceCheckMs: number,
  ) {
    this.id = port.path;
    // When the far side of a pseudo-terminal goes away, reads return 0 bytes and serialport retries them forever
    // instead of reporting a disconnect; a vanished USB device may behave the same. So the device node is
    // watched too: when it is gone, the port is closed and reported as vanished.
    this.devicePath = devicePath;
    this.presence = setInterval(() => void this.checkPresence(), presenceCheckMs);
    this.presence.unref();
    port.on('data', (chunk: Buffer) => {
      this.signals.data(chunk);
    });
    // serialport emits 'close' with a DisconnectedError when the device vanishes, and without one after close().
    port.on('close', (error: unknown) => {
      this.finish(error instanceof Error ? describeVanish(this.id, error) : undefined);
    });
    // An 'error' event without a listener would throw and end the process; a port error means the port is gone.
    port.on('error', (error: Error) => {
      this.finish(describeVanish(this.id, error));
    });
  }

  /** Opens `options.path` (115200 8N1 unless told otherwise). Rejects with SerialOpenError, never throws. */
  static open(options: SerialOpenOptions): Promise<SerialTransport> {
    return new Promise((resolve, reject) => {
      let port: SerialPort;
      try {
        port = new SerialPort({
          path: options.path,
          baudRate: options.baudRate ?? 115200,
          dataBits: options.dataBits ?? 8,
          stopBits: options.stopBits ?? 1,
          parity: options.parity ?? 'none',
          autoOpen: false,
        });
      } catch (error: unknown) {
        reject(new SerialOpenError(options.path, messageOf(error)));
        return;
      }
      port.open((error) => {
        if (error) {
          reject(new SerialOpenError(options.path, error.message));
          return;
        }
        realpath(options.path).then(
          (devicePath) => resolve(new SerialTransport(port, devicePath, options.presenceCheckMs ?? 250)),
          (cause: unknown) => {
            port.close();
            reject(new SerialOpenError(options.path, messageOf(cause)));
          },
        );
      });
    });
  }

  get isOpen(): boolean {
    return !this.signals.closed && this.port.isOpen;
  }

  write(data: Uint8Array): Promise<void> {
    if (!this.isOpen) {
      return Promise.reject(this.closeError ?? new Error(`serial port ${this.id} is closed`));
    }
    return new Promise((resolve, reject) => {
      this.port.write(Buffer.from(data.buffer, data.byteOffset, data.byteLength), (error) => {
        if (!error) {
          resolve();
          return;
        }
        // A write failing because the device went away should say so, not just "Port is not open".
        void this.checkPresence().then(() =>
          reject(this.closeError ?? new Error(`write to serial port ${this.id} failed: ${error.message}`)),
        );
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
    if (this.signals.closed || !this.port.isOpen) {
      this.finish(undefined);
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.port.close(() => {
        this.finish(undefined);
        resolve();
      });
    });
  }

  /** Closes the port as vanished when its device node is gone. */
  private async checkPresence(): Promise<void> {
    try {
      await stat(this.devicePath);
    } catch {
      if (this.signals.closed) return;
      this.finish(new Error(`serial port ${this.id} vanished: device ${this.devicePath} is gone`));
      if (this.port.isOpen) this.port.close();
    }
  }

  /** Fires the close listeners exactly once, whatever mix of 'close' and 'error' events serialport sends. */
  private finish(error: Error | undefined): void {
    if (this.signals.closed) return;
    this.closeError = error;
    clearInterval(this.presence);
    this.signals.close(error);
  }
}

function describeVanish(path: string, error: Error): Error {
  return new Error(`serial port ${path} vanished: ${error.message}`);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
