import { AtValidationError } from '../vocab/errors';

/**
 * The one validation mechanism of the command library: every builder runs each of its parameters through these
 * checks BEFORE it assembles a line, so a refused value never reaches a port. Each check names the field it
 * refuses, and never echoes the value itself (it may be a secret).
 */

const encoder = new TextEncoder();

/** Byte length as the module counts it (UTF-8). */
export function byteLength(value: string): number {
  return encoder.encode(value).length;
}

/** An integer within [min, max]. */
export function int(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new AtValidationError(field, 'must be an integer');
  }
  if (value < min || value > max) {
    throw new AtValidationError(field, `must be between ${min} and ${max}, got ${value}`);
  }
  return value;
}

/** One of a fixed list of integers (flags, enumerations). */
export function oneOf<T extends number>(field: string, value: unknown, allowed: readonly T[]): T {
  const found = allowed.find((candidate) => candidate === value);
  if (found === undefined) {
    throw new AtValidationError(field, `must be one of ${allowed.join(', ')}`);
  }
  return found;
}

/** A boolean flag written as 0/1. */
export function flag(field: string, value: unknown): 0 | 1 {
  if (typeof value !== 'boolean') throw new AtValidationError(field, 'must be true or false');
  return value ? 1 : 0;
}

export interface TextRule {
  /** Minimum length in bytes (default 1: an empty value is refused). */
  readonly minBytes?: number;
  /** Maximum length in bytes. */
  readonly maxBytes: number;
  /** An extra shape the value must have (e.g. a file name), with the words to say when it does not. */
  readonly pattern?: { readonly regex: RegExp; readonly expected: string };
}

/**
 * A string parameter that will be written between double quotes. A quote, CR, LF or any other control character
 * would let the value end the string or the command line and smuggle a second command in: refused, whatever the
 * module might do with it (the field notes: never rely on the module to reject injected text).
 */
export function text(field: string, value: unknown, rule: TextRule): string {
  if (typeof value !== 'string') throw new AtValidationError(field, 'must be a string');
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '"') throw new AtValidationError(field, 'must not contain a double quote');
    if (code < 0x20 || code === 0x7f) {
      throw new AtValidationError(
        field,
        `must not contain control characters (found 0x${code.toString(16).padStart(2, '0')})`,
      );
    }
  }
  const bytes = byteLength(value);
  const min = rule.minBytes ?? 1;
  if (bytes < min)
    throw new AtValidationError(field, min === 1 ? 'must not be empty' : `must be at least ${min} bytes`);
  if (bytes > rule.maxBytes) throw new AtValidationError(field, `must be at most ${rule.maxBytes} bytes, got ${bytes}`);
  if (rule.pattern && !rule.pattern.regex.test(value)) {
    throw new AtValidationError(field, `must be ${rule.pattern.expected}`);
  }
  return value;
}

/** `text` and then the quoted form, ready to go on the line. */
export function quoted(field: string, value: unknown, rule: TextRule): string {
  return `"${text(field, value, rule)}"`;
}

/** A binary payload (sent after `>` or CONNECT, so any byte is fine) with a size range. */
export function bytes(field: string, value: unknown, min: number, max: number): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new AtValidationError(field, 'must be bytes (Uint8Array)');
  if (value.length < min || value.length > max) {
    throw new AtValidationError(field, `must be between ${min} and ${max} bytes, got ${value.length}`);
  }
  return value;
}

/** Payloads are accepted as text (UTF-8 encoded) or bytes. */
export function payloadBytes(field: string, value: unknown, min: number, max: number): Uint8Array {
  const raw = typeof value === 'string' ? encoder.encode(value) : value;
  return bytes(field, raw, min, max);
}

/** A list parameter (topics of SUB/UNS) with a count range. */
export function list<T>(field: string, value: readonly T[], min: number, max: number): readonly T[] {
  const candidate: unknown = value;
  if (!Array.isArray(candidate)) throw new AtValidationError(field, 'must be a list');
  if (value.length < min || value.length > max) {
    throw new AtValidationError(field, `must list ${min} to ${max} entries`);
  }
  return value;
}

/** An object parameter (a setting, an options bag): anything else is refused before its fields are read. */
export function record<T extends object>(field: string, value: T): T {
  const candidate: unknown = value;
  if (typeof candidate !== 'object' || candidate === null || Array.isArray(candidate)) {
    throw new AtValidationError(field, 'must be an object');
  }
  return value;
}

/** One of a fixed list of names (sub-commands, SSL parameters). */
export function member<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
  const found = allowed.find((candidate) => candidate === value);
  if (found === undefined) throw new AtValidationError(field, `must be one of ${allowed.join(', ')}`);
  return found;
}
