import type { Disposable } from '../base';

export type { Disposable } from '../base';

/**
 * A byte transport: what the AT engine talks to. Implemented by the serialport transport (real ports and
 * pseudo-terminals) and by the in-process transport of a virtual module. Nothing above the AT engine sees bytes.
 */
export interface ByteTransport {
  /** A stable identifier: the port path (`/dev/ttyUSB2`, `/tmp/fleet/ttyV0`) or `virtual:<n>`. */
  readonly id: string;
  /** Resolves once the bytes are handed to the OS (or the virtual module). Rejects if the transport is closed. */
  write(data: Uint8Array): Promise<void>;
  onData(listener: (chunk: Uint8Array) => void): Disposable;
  /** Fired once when the transport closes; `error` is set when it vanished (unplugged, I/O error). */
  onClose(listener: (error: Error | undefined) => void): Disposable;
  readonly isOpen: boolean;
  close(): Promise<void>;
}
