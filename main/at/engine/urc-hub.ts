import { Emitter, type Disposable } from '../../base';
import type { RecvEvent, UrcEvent } from '../vocab/request';

/** What a URC subscriber receives: a plain URC, or a +QMTRECV message (name `+QMTRECV`). */
export type UrcNotice = UrcEvent | RecvEvent;

/** The subscribers of one port's URCs, by name (upper case) and for all names. */
export class UrcHub implements Disposable {
  private readonly byName = new Map<string, Emitter<UrcNotice>>();
  private readonly all = new Emitter<UrcNotice>('engine.urc');
  private disposed = false;

  on(name: string, listener: (event: UrcNotice) => void): Disposable {
    const key = name.toUpperCase();
    let emitter = this.byName.get(key);
    if (emitter === undefined) {
      emitter = new Emitter<UrcNotice>(`engine.urc ${key}`);
      if (this.disposed) emitter.dispose();
      else this.byName.set(key, emitter);
    }
    return emitter.event(listener);
  }

  /** Only the URCs of one MQTT client: the client index is the first parameter (or `clientIdx` of a message). */
  onClient(name: string, clientIdx: number, listener: (event: UrcNotice) => void): Disposable {
    return this.on(name, (event) => {
      if (clientIndexOf(event) === clientIdx) listener(event);
    });
  }

  onAny(listener: (event: UrcNotice) => void): Disposable {
    return this.all.event(listener);
  }

  /** Tells the subscribers; one that throws is reported (onUnexpectedError) and the others still hear it. */
  dispatch(event: UrcNotice): void {
    this.byName.get(event.kind === 'urc' ? event.name : '+QMTRECV')?.fire(event);
    this.all.fire(event);
  }

  dispose(): void {
    this.disposed = true;
    for (const emitter of this.byName.values()) emitter.dispose();
    this.byName.clear();
    this.all.dispose();
  }
}

function clientIndexOf(event: UrcNotice): number | null {
  if (event.kind === 'recv') return event.clientIdx;
  const first = event.params[0]?.trim();
  return first !== undefined && /^\d+$/.test(first) ? Number(first) : null;
}
