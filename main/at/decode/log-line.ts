/**
 * The per-line decorations of captured AT logs, as customers send them: an optional timestamp
 * (`[2024-05-01 10:00:00.123]`, `2024-05-01T10:00:00.123Z`, `10:00:00.123`, with or without brackets, `.` or `,`
 * before the fraction) and an optional direction marker (`>`/`<` after a timestamp, `->`/`<-`, `>>`/`<<`,
 * `TX`/`RX`, `[TX]`, `SEND:`/`RECV:`). What remains is the line as it crossed the wire.
 */
export interface LogLine {
  /** 1-based line number in the file. */
  readonly number: number;
  /** The timestamp as written (without brackets), or null. */
  readonly time: string | null;
  /** Milliseconds: since the epoch for dated stamps, since midnight for time-only ones; null without a stamp. */
  readonly timeMs: number | null;
  /** `tx` host to module, `rx` module to host, null when the log does not say. */
  readonly direction: 'tx' | 'rx' | null;
  /** The line itself, trailing whitespace and literal `\r` / `<CR>` markers removed (a prompt keeps `> `). */
  readonly body: string;
  /**
   * A `//` annotation someone added to the log (as the application note's examples do), or null: the text after
   * the `//`, as written for a whole-line comment, trimmed for a note after the line.
   */
  readonly comment: string | null;
}

/**
 * Some tools log each read as one line with its line endings written out (`\r\nOK\r\n`, `<CR><LF>`): the
 * pieces between those escapes are the real lines. A body without escapes is one line.
 */
export function expandEscapedLines(body: string): string[] {
  if (!hasEscapedLines(body)) return [body];
  return body.split(/(?:\\r|\\n|<CR>|<LF>)+/i).filter((part) => part.trim() !== '');
}

/** Whether a body holds written-out line endings (`\r`, `\n`, `<CR>`, `<LF>`): else it is one line as it is. */
export function hasEscapedLines(body: string): boolean {
  return (body.includes('\\') || body.includes('<')) && /\\r|\\n|<CR>|<LF>/i.test(body);
}

/** Splits a log into lines: CR LF, LF or lone CR. */
export function splitLogLines(text: string): string[] {
  const splitter = new LineSplitter();
  return [...splitter.push(text), ...splitter.end()].map((line) => line.text);
}

const LF = 0x0a;

/** Longest log line decoded, in characters; the rest of a longer one is counted, not kept. */
export const MAX_LOG_LINE = 1 << 20;

/** One line of a log as the splitter hands it on. */
export interface SplitLine {
  readonly text: string;
  /** Characters of an overlong line that were dropped (0 for ordinary lines). */
  readonly dropped: number;
  /** Characters of its line ending: 2 for CR LF, 1 for LF or a lone CR, 0 for a last line without one. */
  readonly ending: number;
}

/**
 * Splits a log that arrives in pieces into lines (CR LF, LF or lone CR; a CR LF split across two pieces is one
 * line ending). Holds at most one line, and of a line longer than `maxLine` keeps the start only.
 */
export class LineSplitter {
  private partial = '';
  private dropped = 0;
  /** The last piece ended with CR: the line before it waits for the next piece, whose LF may belong to it. */
  private afterCr = false;

  constructor(private readonly maxLine = MAX_LOG_LINE) {}

  push(text: string): SplitLine[] {
    const lines: SplitLine[] = [];
    this.each(text, (line, dropped, ending) => lines.push({ text: line, dropped, ending }));
    return lines;
  }

  /**
   * Like `push`, handing each line (the characters dropped from it, and the length of its ending) to `sink`: no
   * array, no line objects.
   */
  each(text: string, sink: (text: string, dropped: number, ending: number) => void): void {
    if (text === '') return;
    let start = 0;
    if (this.afterCr) {
      this.afterCr = false;
      start = text.charCodeAt(0) === LF ? 1 : 0;
      const { text: line, dropped } = this.line();
      sink(line, dropped, start + 1);
    }
    let lf = text.indexOf('\n', start);
    let cr = text.indexOf('\r', start);
    while (lf >= 0 || cr >= 0) {
      let end: number;
      let next: number;
      if (cr >= 0 && (lf < 0 || cr < lf)) {
        end = cr;
        if (cr + 1 === text.length) {
          // Whether an LF follows is for the next piece to say.
          this.take(text, start, end);
          this.afterCr = true;
          return;
        }
        next = text.charCodeAt(cr + 1) === LF ? cr + 2 : cr + 1;
      } else {
        end = lf;
        next = lf + 1;
      }
      if (this.partial === '' && this.dropped === 0 && end - start <= this.maxLine) {
        sink(text.slice(start, end), 0, next - end);
      } else {
        this.take(text, start, end);
        const { text: line, dropped } = this.line();
        sink(line, dropped, next - end);
      }
      start = next;
      if (lf >= 0 && lf < start) lf = text.indexOf('\n', start);
      if (cr >= 0 && cr < start) cr = text.indexOf('\r', start);
    }
    this.take(text, start, text.length);
  }

  /** The last line, when the log does not end with a line ending (or ends with a CR still held). */
  end(): SplitLine[] {
    if (this.afterCr) {
      this.afterCr = false;
      return [{ ...this.line(), ending: 1 }];
    }
    return this.partial === '' && this.dropped === 0 ? [] : [{ ...this.line(), ending: 0 }];
  }

  private take(text: string, from: number, to: number): void {
    const room = this.maxLine - this.partial.length;
    const kept = Math.min(room, to - from);
    if (kept > 0) this.partial += text.slice(from, from + kept);
    this.dropped += to - from - Math.max(kept, 0);
  }

  private line(): { text: string; dropped: number } {
    const line = { text: this.partial, dropped: this.dropped };
    this.partial = '';
    this.dropped = 0;
    return line;
  }
}

const DATED = /^\[?(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,6}))?(?:Z|[+-]\d{2}:?\d{2})?\]?/;
const TIME_ONLY = /^\[?(\d{1,2}):(\d{2}):(\d{2})(?:[.,](\d{1,6}))?\]?/;
/** Markers that cannot be mistaken for line content. */
const WORD_MARKER =
  /^(?:\[(TX|RX|SEND|RECV|SENT)\]|(TX|RX|SEND|RECV|SENT)\s*:|(TX|RX)(?=\s)|(-->|<--|->|<-|>>|<<))\s*/i;
/** What may separate a timestamp from the rest: blanks and `|`. */
const SEPARATOR = /[\s|]/;
const BLANK = /\s/;

/** `\s`: ASCII answered without the expression. */
function isBlank(code: number, text: string, at: number): boolean {
  if (code < 0x80) return code === 0x20 || (code >= 0x09 && code <= 0x0d);
  return BLANK.test(text.charAt(at));
}

/** SEPARATOR: ASCII answered without the expression. */
function isSeparator(code: number, text: string, at: number): boolean {
  if (code < 0x80) return code === 0x20 || code === 0x7c || (code >= 0x09 && code <= 0x0d);
  return SEPARATOR.test(text.charAt(at));
}

/** `-->` or `<--` at the start (as WORD_MARKER reads them): its first character code, else 0. */
function plainArrow(rest: string): number {
  const first = rest.charCodeAt(0);
  if (first === 0x2d && rest.charCodeAt(1) === 0x2d && rest.charCodeAt(2) === 0x3e) return first;
  if (first === 0x3c && rest.charCodeAt(1) === 0x2d && rest.charCodeAt(2) === 0x2d) return first;
  return 0;
}
/** The characters a word marker can start with. */
const MARKER_START = /^[[TtRrSs<>-]/;
/** `>` / `<` after a timestamp: only direction markers when the log uses `<` somewhere (else `>` is a prompt). */
const ARROW_MARKER = /^([<>])(?:\s|$)/;

function fractionMs(fraction: string | undefined): number {
  if (fraction === undefined) return 0;
  return Math.round((Number.parseInt(fraction, 10) * 1000) / 10 ** fraction.length);
}

/** The timestamp as written, without its brackets. */
function unbracketed(whole: string): string {
  const from = whole.startsWith('[') ? 1 : 0;
  const to = whole.endsWith(']') ? whole.length - 1 : whole.length;
  return from === 0 && to === whole.length ? whole : whole.slice(from, to);
}

/** The last date seen and its epoch milliseconds: a log's lines share their date, Date.UTC runs once a day. */
let lastDate = '';
let lastDateMs = 0;

function dayMs(y: string, mo: string, d: string): number {
  const key = `${y}-${mo}-${d}`;
  if (key !== lastDate) {
    lastDate = key;
    lastDateMs = Date.UTC(Number(y), Number(mo) - 1, Number(d));
  }
  return lastDateMs;
}

/** The same for the fast path, keyed by the date as a number (YYYYMMDD): no string made per line. */
let lastDay = -1;
let lastDayMs = 0;

/** The digits at text[from, from + count) as a number, or -1 when one is not a digit. */
function digitsAt(text: string, from: number, count: number): number {
  let value = 0;
  for (let i = from; i < from + count; i++) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

/** A timestamp read at the start of a line: as written (no brackets), in milliseconds, and its length there. */
interface Stamp {
  time: string;
  timeMs: number;
  length: number;
}

/**
 * The common stamp `[YYYY-MM-DD HH:MM:SS.fff]` (or `T`, `,`, no brackets, no fraction; no zone), read without a
 * regular expression: this runs for every line of a dated log. Anything else: null (the expressions decide).
 */
function fastDated(text: string): Stamp | null {
  const b = text.charCodeAt(0) === 0x5b ? 1 : 0;
  if (text.charCodeAt(b + 4) !== 0x2d || text.charCodeAt(b + 7) !== 0x2d) return null;
  const sep = text.charCodeAt(b + 10);
  if ((sep !== 0x20 && sep !== 0x54) || text.charCodeAt(b + 13) !== 0x3a || text.charCodeAt(b + 16) !== 0x3a) {
    return null;
  }
  const y = digitsAt(text, b, 4);
  const mo = digitsAt(text, b + 5, 2);
  const d = digitsAt(text, b + 8, 2);
  const h = digitsAt(text, b + 11, 2);
  const mi = digitsAt(text, b + 14, 2);
  const sec = digitsAt(text, b + 17, 2);
  if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || sec < 0) return null;
  let end = b + 19;
  let fraction = 0;
  const mark = text.charCodeAt(end);
  if (mark === 0x2e || mark === 0x2c) {
    let digits = 0;
    let value = 0;
    for (
      let c = text.charCodeAt(end + 1) - 0x30;
      digits < 6 && c >= 0 && c <= 9;
      c = text.charCodeAt(end + 1 + digits) - 0x30
    ) {
      value = value * 10 + c;
      digits++;
    }
    if (digits === 0) return null;
    if (digits < 6) {
      const next = text.charCodeAt(end + 1 + digits) - 0x30;
      if (next >= 0 && next <= 9) return null;
    } else {
      const next = text.charCodeAt(end + 7) - 0x30;
      if (next >= 0 && next <= 9) return null;
    }
    fraction = Math.round((value * 1000) / 10 ** digits);
    end += 1 + digits;
  }
  const after = text.charCodeAt(end);
  // A zone (Z, +hh:mm) is left to the expression.
  if (after === 0x5a || after === 0x2b || after === 0x2d) return null;
  const length = end + (after === 0x5d ? 1 : 0);
  const day = (y * 100 + mo) * 100 + d;
  if (day !== lastDay) {
    lastDay = day;
    lastDayMs = Date.UTC(y, mo - 1, d);
  }
  return { time: text.slice(b, end), timeMs: lastDayMs + ((h * 60 + mi) * 60 + sec) * 1000 + fraction, length };
}

function parseStamp(text: string): Stamp | null {
  // Every stamp starts with a digit or `[`: most lines are answered without trying the expressions.
  const first = text.charCodeAt(0);
  if (first !== 0x5b && (first < 0x30 || first > 0x39)) return null;
  const fast = fastDated(text);
  if (fast !== null) return fast;
  const dated = DATED.exec(text);
  if (dated) {
    const [whole, y = '', mo = '', d = '', h, mi, s, f] = dated;
    const timeMs = dayMs(y, mo, d) + ((Number(h) * 60 + Number(mi)) * 60 + Number(s)) * 1000 + fractionMs(f);
    return { time: unbracketed(whole), timeMs, length: whole.length };
  }
  const timeOnly = TIME_ONLY.exec(text);
  if (timeOnly) {
    const [whole, h, mi, s, f] = timeOnly;
    const timeMs = ((Number(h) * 60 + Number(mi)) * 60 + Number(s)) * 1000 + fractionMs(f);
    return { time: unbracketed(whole), timeMs, length: whole.length };
  }
  return null;
}

const SENDING = new Set(['tx', 'send', 'sent', '-->', '->', '>>', '>']);

function directionOf(token: string): 'tx' | 'rx' {
  return SENDING.has(token.toLowerCase()) ? 'tx' : 'rx';
}

/** Whether the log marks directions with bare `<` / `>` after its timestamps (any `<ts> < ...` line says so). */
export function usesArrowMarkers(lines: readonly string[]): boolean {
  return lines.some(marksArrow);
}

/** Whether this line is `<timestamp> < ...`: the log then uses bare `<` / `>` as direction markers. */
export function marksArrow(raw: string): boolean {
  const line = raw.trimStart();
  const stamp = parseStamp(line);
  if (!stamp) return false;
  return arrowAfter(line, stamp.length);
}

/** Whether `line` holds a bare `<` marker after `from` (past the blanks and `|` that follow a timestamp). */
function arrowAfter(line: string, from: number): boolean {
  let at = from;
  while (at < line.length && isSeparator(line.charCodeAt(at), line, at)) at++;
  if (line.charCodeAt(at) !== 0x3c) return false;
  return at + 1 === line.length || isBlank(line.charCodeAt(at + 1), line, at + 1);
}

/**
 * What a first pass needs of a line that holds nothing else of interest: the width of its timestamp as
 * `parseLogLine` gives it (0 without one), and whether it marks a direction with a bare `<` (`marksArrow`).
 * One stamp parse, no body: most lines of a log are only this.
 */
export function stampFacts(raw: string, arrowWanted: boolean): { width: number; arrow: boolean } | null {
  const line = raw.trimStart();
  const stamp = parseStamp(line);
  if (!stamp) return null;
  return { width: stamp.time.length, arrow: arrowWanted && arrowAfter(line, stamp.length) };
}

const ESCAPED_ENDINGS = ['\\r', '\\n', '<CR>', '<LF>'];

/**
 * The text without the escaped line endings (`\r`, `\n`, `<CR>`, `<LF>`) and blanks at its end. Scanned from the
 * end rather than matched with a regular expression: a run of thousands of escapes followed by text would make
 * a backtracking match quadratic.
 */
function withoutEscapedEnding(text: string): string {
  if (!text.includes('\\') && !text.includes('<')) return text;
  let end = text.trimEnd().length;
  let stripped = false;
  for (;;) {
    const token = ESCAPED_ENDINGS.find(
      (candidate) =>
        end >= candidate.length && text.slice(end - candidate.length, end).toUpperCase() === candidate.toUpperCase(),
    );
    if (token === undefined) break;
    end -= token.length;
    stripped = true;
  }
  return stripped ? text.slice(0, end) : text;
}

function cleanBody(text: string): string {
  const body = withoutEscapedEnding(text);
  return body.startsWith('>') ? body : body.trimEnd();
}

/**
 * Splits off a `//` annotation: a whole-line comment, or one after whitespace outside any quoted string (so a
 * topic or URL such as `"mqtt://host"` is never cut).
 */
function splitComment(text: string, inQuote: boolean): { body: string; comment: string | null } {
  if (!text.includes('//')) return { body: text, comment: null };
  // A whole-line comment is kept as written after its `//` (`// note` stays `// note`); a trailing note is trimmed
  // (it is shown after `  // `).
  if (!inQuote && text.trimStart().startsWith('//')) {
    return { body: '', comment: text.trimStart().slice(2).trimEnd() };
  }
  let quoted = inQuote;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (!quoted && c === '/' && text[i + 1] === '/' && (text[i - 1] === ' ' || text[i - 1] === '\t')) {
      return { body: text.slice(0, i).trimEnd(), comment: text.slice(i + 2).trim() };
    }
  }
  return { body: text, comment: null };
}

/**
 * Splits one line into its decorations and its body. `inQuote`: the line before left a quoted parameter open (a
 * secret wrapped onto this line), so a `//` before its closing quote is part of it, not a comment.
 */
export function parseLogLine(raw: string, number: number, arrowMarkers: boolean, inQuote = false): LogLine {
  // Indentation is decoration too: an indented command is still a command (and still has its secrets redacted).
  const line = raw.trimStart();
  const stamp = parseStamp(line);
  let rest = line;
  if (stamp) {
    let from = stamp.length;
    while (from < line.length && isSeparator(line.charCodeAt(from), line, from)) from++;
    rest = line.slice(from);
  }
  let direction: 'tx' | 'rx' | null = null;
  const arrow = plainArrow(rest);
  const word = arrow === 0 && MARKER_START.test(rest) ? WORD_MARKER.exec(rest) : null;
  if (arrow !== 0) {
    // `-->` / `<--`, the most common markers, without the expression (which reads them the same way).
    direction = arrow === 0x2d ? 'tx' : 'rx';
    let from = 3;
    while (from < rest.length && isBlank(rest.charCodeAt(from), rest, from)) from++;
    rest = rest.slice(from);
  } else if (word) {
    direction = directionOf(word[1] ?? word[2] ?? word[3] ?? word[4] ?? '');
    rest = rest.slice(word[0].length);
  } else if (stamp && arrowMarkers) {
    const arrow = ARROW_MARKER.exec(rest);
    if (arrow) {
      direction = directionOf(arrow[1] ?? '');
      rest = rest.slice(arrow[0].length);
    }
  }
  const { body, comment } = splitComment(cleanBody(rest), inQuote);
  return {
    number,
    time: stamp?.time ?? null,
    timeMs: stamp?.timeMs ?? null,
    direction,
    body,
    comment,
  };
}
