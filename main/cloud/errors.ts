/**
 * A credential input that cannot be signed. The message names the field and what is wrong with it, never its
 * value: the values include device secrets and access keys.
 */
export class CredentialError extends Error {
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`${field}: ${problem}`);
    this.name = 'CredentialError';
  }
}

/** Requires a non-empty string without control characters (they would corrupt the CONNECT fields). */
export function requireText(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) throw new CredentialError(field, 'must be a non-empty string');
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    if (code < 0x20 || code === 0x7f) throw new CredentialError(field, 'must not contain control characters');
  }
  return value;
}

/** Requires a whole number of seconds or milliseconds since the epoch (positive, safe integer). */
export function requireTime(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new CredentialError(field, 'must be a positive whole number');
  }
  return value;
}
