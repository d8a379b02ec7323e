/**
 * How AT text is put together, as modules read it: command lines (`AT` then one or more commands joined by `;`,
 * ITU-T V.250) and parameter lists (top-level commas, double-quoted strings). The parser, the redactor, the
 * decoder and the data-phase guard all read lines through these two functions, so they agree on where a
 * command and each of its parameters starts and ends.
 */

/** One parameter of a parameter list, as positions in the text it was read from. */
export interface ParamSpan {
  /** Between its commas: from after the comma before it to the comma after it (or the end). */
  readonly from: number;
  readonly to: number;
  /** The same without the blanks around it (spaces and tabs). */
  readonly start: number;
  readonly end: number;
  /** Number of double quotes inside. */
  readonly quotes: number;
  /** Exactly one quoted string (`"..."`) and nothing else. */
  readonly quoted: boolean;
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const OPEN_PAREN = 0x28;
const CLOSE_PAREN = 0x29;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

function isBlank(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

function span(text: string, from: number, to: number, quotes: number): ParamSpan {
  let start = from;
  let end = to;
  while (start < end && isBlank(text.charCodeAt(start))) start++;
  while (end > start && isBlank(text.charCodeAt(end - 1))) end--;
  const quoted =
    quotes === 2 && end - start >= 2 && text.charCodeAt(start) === QUOTE && text.charCodeAt(end - 1) === QUOTE;
  return { from, to, start, end, quotes, quoted };
}

/**
 * The parameters of `text` (what follows `=` or `NAME: `), split on the commas outside double quotes. With
 * `brackets` (the default), commas inside `(...)` and `[...]` do not split either: test-command answers list
 * ranges that way (`(0-5),"hostname",(1-65535)`). An unterminated quote runs to the end of the text. Empty or
 * blank text has no parameters.
 */
export function paramSpans(text: string, brackets = true, from = 0, to = text.length): ParamSpan[] {
  const spans: ParamSpan[] = [];
  let blank = true;
  for (let i = from; i < to; i++) {
    const code = text.charCodeAt(i);
    if (code > 0x20 && (code < 0x7f || text.slice(from, to).trim() !== '')) {
      blank = false;
      break;
    }
  }
  if (blank) return spans;
  let inQuotes = false;
  let depth = 0;
  let quotes = 0;
  let start = from;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      inQuotes = !inQuotes;
      quotes++;
    } else if (inQuotes) {
      continue;
    } else if (brackets && (c === OPEN_PAREN || c === OPEN_BRACKET)) {
      depth++;
    } else if (brackets && (c === CLOSE_PAREN || c === CLOSE_BRACKET) && depth > 0) {
      depth--;
    } else if (c === COMMA && depth === 0) {
      spans.push(span(text, start, i, quotes));
      start = i + 1;
      quotes = 0;
    }
  }
  spans.push(span(text, start, to, quotes));
  return spans;
}

/**
 * The value of a parameter: quoted strings lose their quotes and keep their content exactly (blanks included);
 * unquoted text is trimmed.
 */
export function paramValue(text: string, param: ParamSpan): string {
  if (param.quotes === 0) return text.slice(param.from, param.to).trim();
  if (param.quoted) return text.slice(param.start + 1, param.end - 1);
  let value = '';
  let inQuotes = false;
  let start = param.from;
  for (let i = param.from; i < param.to; i++) {
    if (text.charCodeAt(i) !== QUOTE) continue;
    value += inQuotes ? text.slice(start, i) : text.slice(start, i).trim();
    start = i + 1;
    inQuotes = !inQuotes;
  }
  const rest = text.slice(start, param.to);
  return value + (inQuotes ? rest : rest.trim());
}

/** The parameter values of `text` (see paramSpans and paramValue). */
export function splitParams(text: string): string[] {
  const spans = paramSpans(text);
  const values = new Array<string>(spans.length);
  for (let i = 0; i < spans.length; i++) values[i] = paramValue(text, spans[i] as ParamSpan);
  return values;
}

/** One command of a command line. */
export interface CommandReading {
  /** `+QMTCONN` (upper case, blanks and control characters dropped); null for basic commands (`E0`, `I`, `&F`). */
  readonly name: string | null;
  readonly kind: 'test' | 'read' | 'write' | 'exec';
  /** Where its parameter text starts (after `=`) and ends (its `;` or the end of the line). */
  readonly paramsFrom: number;
  readonly end: number;
}

/** Characters a module ignores between the parts of a command (V.250): blanks and control characters. */
function ignorable(code: number): boolean {
  return code <= 0x20 || code === 0x7f;
}

/** `+`, `$`, `%` or `^`: the prefixes of extended command names. */
function extendedPrefix(code: number): boolean {
  return code === 0x2b || code === 0x24 || code === 0x25 || code === 0x5e;
}

/** A letter, digit or `_`. */
function nameChar(code: number): boolean {
  return (
    (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) || (code >= 0x30 && code <= 0x39) || code === 0x5f
  );
}

/** The first index at or after `from` that is not ignorable. */
function skipIgnorable(line: string, from: number): number {
  let i = from;
  while (i < line.length && ignorable(line.charCodeAt(i))) i++;
  return i;
}

/**
 * Reads a command line as a module does (V.250): `AT` (any case), then commands joined by `;`; blanks and
 * control characters outside quoted strings are ignored, so `AT +QMTCONN =0`, `at+qmtconn=0` and a NUL inside
 * the name all read as AT+QMTCONN. Null when the text is not a command line (it does not start with AT).
 */
export function readCommandLine(line: string): CommandReading[] | null {
  let i = skipIgnorable(line, 0);
  if ((line.charCodeAt(i) | 0x20) !== 0x61) return null;
  i = skipIgnorable(line, i + 1);
  if ((line.charCodeAt(i) | 0x20) !== 0x74) return null;
  i++;
  const commands: CommandReading[] = [];
  for (;;) {
    i = skipIgnorable(line, i);
    if (i >= line.length) {
      if (commands.length === 0) commands.push({ name: null, kind: 'exec', paramsFrom: i, end: i });
      return commands;
    }
    if (!extendedPrefix(line.charCodeAt(i))) {
      // A basic command (E0, I, &F, Z): up to the next `;`.
      const end = endOfCommand(line, i);
      commands.push({ name: null, kind: 'exec', paramsFrom: end, end });
      if (end >= line.length) return commands;
      i = end + 1;
      continue;
    }
    // The name: its prefix, then letters, digits and `_`, ignorable characters between them dropped.
    let name = line.charAt(i);
    let run = ++i;
    for (; i < line.length; i++) {
      const code = line.charCodeAt(i);
      if (nameChar(code)) continue;
      if (!ignorable(code)) break;
      if (i > run) name += line.slice(run, i);
      run = i + 1;
    }
    if (i > run) name += line.slice(run, i);
    name = name.toUpperCase();
    let kind: CommandReading['kind'] = 'exec';
    const op = line.charCodeAt(i);
    if (op === 0x3d) {
      i = skipIgnorable(line, i + 1);
      if (line.charCodeAt(i) === 0x3f) {
        kind = 'test';
        i++;
      } else kind = 'write';
    } else if (op === 0x3f) {
      kind = 'read';
      i++;
    }
    const end = endOfCommand(line, i);
    commands.push({ name, kind, paramsFrom: i, end });
    if (end >= line.length) return commands;
    i = end + 1;
  }
}

/** The index of the `;` outside quotes that ends the command starting at `from`, or the line's length. */
function endOfCommand(line: string, from: number): number {
  let inQuotes = false;
  for (let i = from; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === QUOTE) inQuotes = !inQuotes;
    else if (c === 0x3b && !inQuotes) return i;
  }
  return line.length;
}
