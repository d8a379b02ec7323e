/** Errors of the AT layer. Every one carries a stable `code` and a message safe to show (no secrets). */
export type AtErrorCode =
  'invalid-parameter' | 'command-error' | 'timeout' | 'port-closed' | 'cancelled' | 'bad-response' | 'busy';

export class AtError extends Error {
  constructor(
    readonly code: AtErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AtError';
  }
}

/** A parameter was refused before anything was written to the port. `field` names it (`topic`, `clientId`, ...). */
export class AtValidationError extends AtError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super('invalid-parameter', `${field}: ${message}`);
    this.name = 'AtValidationError';
  }
}

/** The module answered ERROR / +CME ERROR / +CMS ERROR, or the completing URC reported a failure. */
export class AtCommandError extends AtError {
  constructor(
    message: string,
    readonly detail: { readonly final?: string; readonly cmeCode?: number; readonly resultCode?: number },
  ) {
    super('command-error', message);
    this.name = 'AtCommandError';
  }
}

export class AtResponseError extends AtError {
  constructor(message: string) {
    super('bad-response', message);
    this.name = 'AtResponseError';
  }
}
