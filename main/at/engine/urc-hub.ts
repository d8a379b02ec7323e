import type { RecvEvent, UrcEvent } from '../vocab/request';
import type { Disposable } from '../../transport/types';

/** What a URC subscriber receives: a plain URC, or a +QMTRECV message (name `+QMTRECV`). */
export type UrcNotice = UrcEvent | RecvEvent;

/** The subscribers of one port's URCs, by name (upper case) and for all names. */
export class UrcHub {
  private readonly byName = new Map<string, Set<(event: UrcNotice) => void>>();
  private readonly all = new Set<(event: UrcNotice) => void>();

  on(name: string, listener: (event: UrcNotice) => void): Disposable {
    const key = name.toUpperCase();
    let set = this.byName.get(key);
    if (!set) {
      set = new Set();
      this.byName.set(key, set);
    }
    set.add(listener);
    const owned = set;
    return { dispose: () => owned.delete(listener) };
  }

  /** Only the URCs of one MQTT client: the client index is the first parameter (or `clientIdx` of a message). */
  onClient(name: string, clientIdx: number, listener: (event: UrcNotice) => void): Disposable {
    return this.on(name, (event) => {
      if (clientIndexOf(event) === clientIdx) listener(event);
    });
  }

  onAny(listener: (event: UrcNotice) => void): Disposable {
    this.all.add(listener);
    return { dispose: () => this.all.delete(listener) };
  }

  dispatch(event: UrcNotice): void {
    const name = event.kind === 'urc' ? event.name : '+QMTRECV';
    for (const listener of [...(this.byName.get(name) ?? [])]) listener(event);
    for (const listener of [...this.all]) listener(event);
  }

  clear(): void {
    this.byName.clear();
    this.all.clear();
  }
}

function clientIndexOf(event: UrcNotice): number | null {
  if (event.kind === 'recv') return event.clientIdx;
  const first = event.params[0]?.trim();
  return first !== undefined && /^\d+$/.test(first) ? Number(first) : null;
}
