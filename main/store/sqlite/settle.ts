/**
 * Runs synchronous database work behind the async store interface: a throw becomes a rejected promise rather than
 * an exception at the call site, as it would be for a remote database.
 */
export function settle<T>(work: () => T): Promise<T> {
  return new Promise((resolve) => {
    resolve(work());
  });
}
