import { z } from 'zod';

/**
 * Stable error codes. Every failed request comes back as data carrying one of these codes (never a thrown
 * string across the boundary), so the UI and scripts can branch on the code and show the message as is.
 */
export const errorCodes = [
  /** The input does not match the request's schema; `field` names the offending field. */
  'invalid-input',
  /** No request of that name exists in the contract. */
  'unknown-request',
  /** No module with that id is attached. */
  'unknown-module',
  /** The module is still being identified, or has gone away. */
  'module-unavailable',
  /** The module did not answer within the command's time limit. */
  'timeout',
  /** The port closed (unplugged, I/O error) before the command completed. */
  'port-closed',
  /** The module's answer could not be understood. */
  'bad-response',
  /** The caller is not allowed to talk to the station (no or wrong token, wrong Origin/Host, untrusted sender). */
  'forbidden',
  /** The caller already has as many requests in progress as it may; it can retry once some have been answered. */
  'too-many-requests',
  /** A fault inside the station; the message says what, without secrets. */
  'internal',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

export const contractErrorSchema = z.object({
  code: z.enum(errorCodes),
  message: z.string(),
  field: z.string().optional(),
});

export type ContractError = z.infer<typeof contractErrorSchema>;

/** The result of every request: a value, or an error as data. */
export type Result<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ContractError };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function fail<T = never>(code: ErrorCode, message: string, field?: string): Result<T> {
  return { ok: false, error: field === undefined ? { code, message } : { code, message, field } };
}
