import { describeFinal } from '../at/decode/describe';
import { AtEngine } from '../at/engine';
import type { ParserLink } from '../at/engine';
import type { AtRequest } from '../at/vocab/request';
import type { ByteTransport, Disposable } from '../transport/types';
import type { AtPort, PortTranscriptEntry } from './at-port';

/**
 * The core's AT path over the AT engine: transactions run as the engine runs them, and its transcript (already
 * redacted by the engine from `request.redacted` and secret responses) is mapped to the station's line form.
 */
export class EnginePort implements AtPort {
  private readonly engine: AtEngine;

  constructor(transport: ByteTransport, parser: ParserLink) {
    this.engine = new AtEngine({ transport, parser, describeFinal });
  }

  run<T>(request: AtRequest<T>, options: { readonly signal?: AbortSignal } = {}): Promise<T> {
    return this.engine.run(request, options);
  }

  onTranscript(listener: (entry: PortTranscriptEntry) => void): Disposable {
    return this.engine.onTranscript((entry) =>
      listener({
        at: entry.at,
        dir: entry.direction === 'out' ? 'tx' : 'rx',
        text: entry.note === undefined ? entry.text : `${entry.text}  (${entry.note})`,
      }),
    );
  }

  onUrc(name: string, listener: () => void): Disposable {
    return this.engine.onUrc(name, () => listener());
  }

  dispose(): Promise<void> {
    this.engine.dispose();
    return Promise.resolve();
  }
}
