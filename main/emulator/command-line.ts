/**
 * How a module reads one command line: `AT` prefix, basic (`E0`, `I`) or extended (`+QMTCFG`) command, and its
 * form (test `=?`, read `?`, write `=...`, execute). Parameters are split the way Quectel firmware does: a quoted
 * string runs to the next quote (no escapes), anything else runs to the next comma. Unquoted values such as
 * `0xFFFF` stay distinguishable from quoted ones because some commands accept only one of the two.
 */

export type CommandForm = 'test' | 'read' | 'write' | 'exec';

export type Param =
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'raw'; readonly value: string }
  /** Nothing between two commas (`1,,2`). */
  | { readonly kind: 'empty' };

export interface ParsedCommand {
  /** Upper-case name: `+QMTCFG`, `E`, `I`, `&F`, or `` for a bare `AT`. */
  readonly name: string;
  readonly form: CommandForm;
  readonly params: readonly Param[];
  /** Text after the name for basic commands (`0` in `ATE0`). */
  readonly basicArg: string;
}

export class ParamSyntaxError extends Error {}

export function splitParams(text: string): Param[] {
  const params: Param[] = [];
  let i = 0;
  if (text.length === 0) return params;
  for (;;) {
    while (text[i] === ' ') i++;
    if (text[i] === '"') {
      const end = text.indexOf('"', i + 1);
      if (end < 0) throw new ParamSyntaxError('unterminated string');
      params.push({ kind: 'string', value: text.slice(i + 1, end) });
      i = end + 1;
      while (text[i] === ' ') i++;
    } else {
      let end = text.indexOf(',', i);
      if (end < 0) end = text.length;
      const value = text.slice(i, end).trim();
      params.push(value.length === 0 ? { kind: 'empty' } : { kind: 'raw', value });
      i = end;
    }
    if (i >= text.length) return params;
    if (text[i] !== ',') throw new ParamSyntaxError('junk after parameter');
    i++;
  }
}

/**
 * Parses a line without its CR into the commands it holds: one extended command (`AT+QMTCFG=...`), or one or more
 * basic commands written together as V.250 allows (`ATE1V1Q0`: echo on, verbose results, results on). Returns null
 * when the line does not start with AT (modules ignore it).
 */
export function parseCommandLine(line: string): readonly ParsedCommand[] | null {
  if (!/^at/i.test(line)) return null;
  const body = line.slice(2);
  if (body.length === 0) return [{ name: '', form: 'exec', params: [], basicArg: '' }];
  const extended = /^([+&][A-Za-z][A-Za-z0-9]*)(.*)$/s.exec(body);
  if (extended && body.startsWith('+')) {
    const name = (extended[1] ?? '').toUpperCase();
    const rest = extended[2] ?? '';
    if (rest === '') return [{ name, form: 'exec', params: [], basicArg: '' }];
    if (rest === '?') return [{ name, form: 'read', params: [], basicArg: '' }];
    if (rest === '=?') return [{ name, form: 'test', params: [], basicArg: '' }];
    if (rest.startsWith('=')) return [{ name, form: 'write', params: splitParams(rest.slice(1)), basicArg: '' }];
    throw new ParamSyntaxError('bad command form');
  }
  // Basic commands: one letter (or & + letter) and an optional numeric argument each, any number in a row.
  if (!/^(?:&?[A-Za-z]\d*)+$/.test(body)) throw new ParamSyntaxError('bad basic command');
  return [...body.matchAll(/(&?[A-Za-z])(\d*)/g)].map((m) => ({
    name: (m[1] ?? '').toUpperCase(),
    form: 'exec',
    params: [],
    basicArg: m[2] ?? '',
  }));
}

/** Reads parameters by position with the checks every handler needs; throws ParamSyntaxError on a bad one. */
export class Params {
  constructor(readonly list: readonly Param[]) {}

  get length(): number {
    return this.list.length;
  }

  has(index: number): boolean {
    const p = this.list[index];
    return p !== undefined && p.kind !== 'empty';
  }

  /** An integer in [min, max], unquoted. */
  int(index: number, min: number, max: number): number {
    const p = this.list[index];
    if (p?.kind !== 'raw' || !/^-?\d+$/.test(p.value)) throw new ParamSyntaxError(`parameter ${index} not an integer`);
    const n = Number(p.value);
    if (n < min || n > max) throw new ParamSyntaxError(`parameter ${index} out of range`);
    return n;
  }

  optInt(index: number, min: number, max: number): number | undefined {
    return this.has(index) ? this.int(index, min, max) : undefined;
  }

  /** A quoted string of at most maxLength bytes. */
  str(index: number, maxLength = 1024, minLength = 0): string {
    const p = this.list[index];
    if (p?.kind !== 'string') throw new ParamSyntaxError(`parameter ${index} not a string`);
    const length = Buffer.byteLength(p.value);
    if (length > maxLength || length < minLength) throw new ParamSyntaxError(`parameter ${index} bad length`);
    return p.value;
  }

  /** An unquoted token (e.g. `0xFFFF`). */
  raw(index: number): string {
    const p = this.list[index];
    if (p?.kind !== 'raw') throw new ParamSyntaxError(`parameter ${index} must be unquoted`);
    return p.value;
  }
}
