/**
 * The store's errors: each has a stable `code` for callers and a message that names what is wrong and what to do,
 * never a credential's value.
 */
export type StoreErrorCode =
  | 'bad-input'
  | 'not-found'
  | 'not-assigned'
  | 'key-unsafe'
  | 'key-invalid'
  | 'key-mismatch'
  | 'schema-too-new'
  | 'data-dir';

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}
