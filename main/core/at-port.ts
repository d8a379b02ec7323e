import type { AtRequest } from '../at/vocab/request';
import type { ByteTransport, Disposable } from '../transport/types';

/** One line crossing a port, as the AT path reports it (already redacted at the source where it can be). */
export interface PortTranscriptEntry {
  readonly at: number;
  readonly dir: 'tx' | 'rx' | 'note';
  readonly text: string;
}

/**
 * The station core's AT path to one module: run transactions (one at a time, FIFO) and report every line.
 * Implemented over the AT engine (main/at/engine/) and, until that lands, by the small line-based port in
 * line-at-port.ts. The core never touches bytes itself.
 */
export interface AtPort {
  run<T>(request: AtRequest<T>, options?: { readonly signal?: AbortSignal }): Promise<T>;
  onTranscript(listener: (entry: PortTranscriptEntry) => void): Disposable;
  /** Unsolicited result codes by name (`RDY` after a module restarted, `+QMTSTAT`, ...). */
  onUrc(name: string, listener: () => void): Disposable;
  dispose(): Promise<void>;
}

/** Builds the AT path for a freshly attached transport (the composition root decides which implementation). */
export type AtPortFactory = (transport: ByteTransport) => AtPort;
