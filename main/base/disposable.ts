/**
 * Disposables (after VS Code's lifecycle vocabulary): anything that holds a listener, a timer, a handle or a
 * port hands back a Disposable, and an owner keeps them in one DisposableStore that it disposes once.
 */
export interface Disposable {
  dispose(): void;
}

/** A Disposable that runs `fn` once, however often it is disposed. */
export function toDisposable(fn: () => void): Disposable {
  let done = false;
  return {
    dispose: () => {
      if (done) return;
      done = true;
      fn();
    },
  };
}

/**
 * Owns a set of disposables and disposes them together, in reverse order of adding (what was set up last is
 * torn down first). Adding to a store that is already disposed disposes the newcomer at once, so nothing
 * registered during shutdown leaks. An error from one disposable does not stop the others; the first is rethrown
 * after all have run.
 */
export class DisposableStore implements Disposable {
  private items: Disposable[] = [];
  private disposed = false;

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Adds `item` and returns it, so a subscription can be kept and stored in one expression. */
  add<T extends Disposable>(item: T): T {
    if (this.disposed) item.dispose();
    else this.items.push(item);
    return item;
  }

  /** Disposes `item` now and forgets it. */
  delete(item: Disposable): void {
    const index = this.items.indexOf(item);
    if (index >= 0) this.items.splice(index, 1);
    item.dispose();
  }

  /** Disposes everything held so far; the store stays usable. */
  clear(): void {
    const items = this.items;
    this.items = [];
    let first: unknown = undefined;
    let failed = false;
    for (let i = items.length - 1; i >= 0; i--) {
      try {
        items[i]?.dispose();
      } catch (error) {
        if (!failed) first = error;
        failed = true;
      }
    }
    if (failed) throw first;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.clear();
  }
}
