import { CATALOGUE } from './commands';
import { carriesSecrets, secretRule, settingSpec, type SecretRule } from './lookup';
import type { CommandSpec } from './types';

/**
 * The one redactor: hides the secret parameters the catalogue marks (`secret: true`) in any text that may carry
 * an AT command or answer: lines the station writes, what a module echoes or answers, captured logs, error
 * messages. Everything that shows AT text to people (builders' `redacted`, the engine's transcript, the station,
 * the log decoder) goes through it.
 *
 * It reads commands as a module does and as logs spell them: anywhere in a line (after log decorations), joined
 * with `;`, with blanks around the name and `=` / `:`, in any case, with control or invisible characters inside
 * the name (a NUL), with full-width forms (U+FF0B for `+`), and with a secret wrapped onto the next line (the
 * LineRedactor carries a command whose parameters run past the end of a line). It fails closed: when a
 * secret-bearing command cannot be read (a stray or unterminated quote, more parameters than the command has, a
 * sub-setting that cannot be read), everything from the doubtful parameter on is hidden.
 *
 * Masking keeps the line's structure: each secret parameter is replaced on its own (`"***"`), so three
 * parameters stay three; an empty secret (`""`) stays visibly empty; and prose after a complete command (a
 * comment that mentions one) is left as it is.
 */

export const REDACTED = '***';

export interface Redaction {
  /** The text with every secret replaced by `***`. */
  readonly text: string;
  /** The secret values removed (for masking them wherever else they appear: see SecretMask). */
  readonly secrets: readonly string[];
}

// ---- a search view of the line ------------------------------------------------------------------------------

/**
 * The line as the redactor searches it: control and invisible (format) characters dropped, compatibility forms
 * (full-width `＋＝＂，`) folded to ASCII. `map[i]` is where character i of `text` is in the line; `map[text.length]`
 * is the line's length. Null map: the view is the line itself (printable ASCII, the common case).
 */
interface View {
  readonly text: string;
  readonly map: readonly number[] | null;
}

const PLAIN = /^[\t\x20-\x7e]*$/;
const FORMAT = /^[\p{Cc}\p{Cf}]$/u;

function viewOf(line: string): View {
  if (PLAIN.test(line)) return { text: line, map: null };
  let text = '';
  const map: number[] = [];
  let i = 0;
  for (const char of line) {
    const at = i;
    i += char.length;
    if (char === '\t') {
      text += ' ';
      map.push(at);
      continue;
    }
    if (FORMAT.test(char)) continue;
    const code = char.codePointAt(0) ?? 0;
    const folded = code >= 0x80 ? char.normalize('NFKC') : char;
    if (folded.length === 1 && folded.charCodeAt(0) < 0x80) {
      text += folded;
      map.push(at);
    } else {
      for (let unit = 0; unit < char.length; unit++) {
        text += char.charAt(unit);
        map.push(at + unit);
      }
    }
  }
  map.push(line.length);
  return { text, map };
}

const at = (view: View, index: number): number => (view.map === null ? index : (view.map[index] ?? 0));

// ---- reading the parameters of one command ------------------------------------------------------------------

interface Field {
  /** The field in the view, blanks around it excluded. */
  readonly start: number;
  readonly end: number;
  /** `"..."` with both quotes on this line. */
  readonly quoted: boolean;
  /** The rest of a quoted field opened on an earlier line: its content up to the closing quote at `end`. */
  readonly continued: boolean;
}

interface Scan {
  readonly fields: readonly Field[];
  /** Where the command ends in the view: its `;`, the start of prose after it, or the end of the line. */
  readonly end: number;
  /** Where a field that cannot be read starts (a stray or unterminated quote), or -1. */
  readonly bad: number;
  /** The bad field is a quote still open at the end of the line. */
  readonly open: boolean;
  /** The line ends right after a comma or the `=`: the next parameter may be on the next line. */
  readonly trailing: boolean;
}

const QUOTE = 0x22;

function blank(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

function scanned(fields: Field[], end: number, bad = -1, open = false, trailing = false): Scan {
  return { fields, end, bad, open, trailing };
}

/** Reads the fields of a command in `text` from `from`, the first one the rest of an open quote when `inQuote`. */
function scanFields(text: string, from: number, inQuote: boolean): Scan {
  const fields: Field[] = [];
  const length = text.length;
  let i = from;
  let continuing = inQuote;
  for (;;) {
    if (!continuing) while (i < length && blank(text.charCodeAt(i))) i++;
    if (i >= length) return scanned(fields, length, -1, false, true);
    const start = i;
    if (continuing || text.charCodeAt(i) === QUOTE) {
      const close = text.indexOf('"', continuing ? i : i + 1);
      if (close < 0) return scanned(fields, length, start, true);
      let k = close + 1;
      while (k < length && blank(text.charCodeAt(k))) k++;
      const next = text.charCodeAt(k);
      if (k >= length || next === COMMA || next === SEMICOLON) {
        fields.push({ start, end: continuing ? close : close + 1, quoted: !continuing, continued: continuing });
        continuing = false;
        if (k >= length) return scanned(fields, length);
        if (next === SEMICOLON) return scanned(fields, k);
        i = k + 1;
        continue;
      }
      if (k > close + 1) {
        // Blanks, then words: prose after a complete parameter, unless a quote follows before the next comma
        // (then the quote was not the closing one, and the secret may run on). The look stops at the first
        // quote, comma or semicolon, so no stretch of a line is read more than a few times.
        let stop = k;
        while (stop < length && !fieldEnd(text.charCodeAt(stop))) stop++;
        if (text.charCodeAt(stop) !== QUOTE) {
          fields.push({ start, end: continuing ? close : close + 1, quoted: !continuing, continued: continuing });
          return scanned(fields, close + 1);
        }
      }
      return scanned(fields, length, start);
    }
    let j = i;
    while (j < length && !fieldEnd(text.charCodeAt(j))) j++;
    if (text.charCodeAt(j) === QUOTE) return scanned(fields, length, start);
    let end = j;
    while (end > start && blank(text.charCodeAt(end - 1))) end--;
    fields.push({ start, end, quoted: false, continued: false });
    if (j >= length) return scanned(fields, length);
    if (text.charCodeAt(j) === SEMICOLON) return scanned(fields, j);
    i = j + 1;
  }
}

const COMMA = 0x2c;
const SEMICOLON = 0x3b;

/** A comma, semicolon or quote: where an unquoted field (or prose after a field) stops. */
function fieldEnd(code: number): boolean {
  return code === COMMA || code === SEMICOLON || code === QUOTE;
}

// ---- commands that carry secrets ----------------------------------------------------------------------------

/** Commands with a secret in some form, by name without the `+` (the search looks at `+NAME`). */
const SECRET_BEARING: ReadonlyMap<string, CommandSpec> = new Map(
  [...CATALOGUE.values()].filter(carriesSecrets).map((spec) => [spec.name.slice(1), spec]),
);

/** The sub-setting names of the secret-bearing commands. */
const SETTING_NAMES: ReadonlySet<string> = new Set(
  [...SECRET_BEARING.values()].flatMap((spec) => Object.keys(spec.settings?.entries ?? {})),
);

/** Whether `value` (its quotes and blanks aside) is the start of a sub-setting's name: `"aliau`, cut by a line break. */
function settingPart(value: string): boolean {
  const name = value.replace(/["\s]/g, '').toLowerCase();
  if (name === '') return false;
  for (const setting of SETTING_NAMES) if (setting.startsWith(name)) return true;
  return false;
}

/**
 * The shortest piece of a region hidden because it could not be read that is learnt as a secret (and so masked all
 * over a log): shorter pieces (`us`, `0`) are mostly the stray halves of ordinary parameters, and masking them
 * everywhere would make the log unreadable. The region itself is hidden whatever its pieces.
 */
const MIN_PIECE = 4;

/** A command of a line whose parameters continue on the next line. */
interface Carry {
  readonly spec: CommandSpec;
  readonly form: 'write' | 'answer';
  /** The sub-setting's name, once read (commands with sub-settings). */
  readonly setting: string | undefined;
  /** Index of the parameter the next line continues (or starts). */
  readonly index: number;
  /** The next line starts inside that parameter's quotes. */
  readonly inQuote: boolean;
  /** What the open parameter held so far (to learn the whole secret once it closes). */
  readonly partial: string;
  /** Characters still allowed for the open parameter before it is no longer taken for one. */
  readonly budget: number;
  /**
   * The line ended right after parameter `index` (complete, or unquoted and maybe not): the next line may go on
   * with a comma, or (unquoted) with the rest of that parameter.
   */
  readonly after?: 'quoted' | 'unquoted';
  /** The open parameter was hidden (it could not be read): its rest is hidden too, whatever parameter it is. */
  readonly hidden?: boolean;
}

/** What a line leaves open for the next: the parameters of a command, or the start of a command's name. */
interface Pending {
  readonly carry: Carry | null;
  /** The line ended inside a secret-bearing command's head (`AT+QMTCO`, `AT+QMTCONN`): `+` and what followed. */
  readonly head: string | null;
}

interface CommandResult {
  /** Where to go on searching the view. */
  readonly end: number;
  readonly carry: Carry | null;
}

/** One masked range of the line, in line coordinates. */
interface Mask {
  readonly from: number;
  readonly to: number;
}

class LineWork {
  readonly masks: Mask[] = [];
  readonly secrets: string[] = [];

  constructor(
    readonly line: string,
    readonly view: View,
  ) {}

  /** Masks [start, end) of the view, and learns what it held. */
  mask(start: number, end: number, wholeRegion = false, learnIt = true): string {
    const from = at(this.view, start);
    const to = at(this.view, end);
    if (to <= from) return '';
    const value = this.line.slice(from, to);
    this.masks.push({ from, to });
    if (learnIt) this.learn(value, wholeRegion);
    return value;
  }

  /**
   * Remembers a hidden value; for a region hidden because it could not be read, also each piece between its
   * quotes and commas (one of them is the secret), except the names of sub-settings (`aliauth`), which are no
   * secret and would be masked all over a log.
   */
  learn(value: string, pieces: boolean): void {
    if (settingPart(value)) return;
    this.secrets.push(value);
    if (!pieces) return;
    for (const piece of value.split(/[",;]/)) {
      const trimmed = piece.trim();
      if (trimmed.length >= MIN_PIECE && !settingPart(trimmed)) this.secrets.push(trimmed);
    }
  }

  result(): Redaction {
    if (this.masks.length === 0) return { text: this.line, secrets: NOTHING };
    this.masks.sort((a, b) => a.from - b.from);
    let text = '';
    let last = 0;
    for (const { from, to } of this.masks) {
      if (from < last) continue;
      text += this.line.slice(last, from) + REDACTED;
      last = to;
    }
    return { text: text + this.line.slice(last), secrets: this.secrets.filter((secret) => secret !== '') };
  }
}

/** Masks one field's value: the content between its quotes, or the whole unquoted value. Empty stays empty. */
function maskField(work: LineWork, field: Field): string {
  if (field.quoted) return field.end - field.start > 2 ? work.mask(field.start + 1, field.end - 1) : '';
  return field.end > field.start ? work.mask(field.start, field.end) : '';
}

/**
 * Redacts the parameters of one secret-bearing command, starting at `from` in the view (after its `=` or `:`,
 * or at the start of a line that continues it), and says where the command ended and whether it continues.
 */
function redactCommand(
  work: LineWork,
  from: number,
  state: Omit<Carry, 'budget' | 'partial'> & Partial<Carry>,
): CommandResult {
  const text = work.view.text;
  const scan = scanFields(text, from, state.inQuote);
  const { spec, form, index: first } = state;
  let setting = state.setting;
  if (spec.settings !== undefined && setting === undefined && first === 0) {
    const field = scan.fields[0];
    if (field !== undefined) {
      const name = text.slice(field.quoted ? field.start + 1 : field.start, field.quoted ? field.end - 1 : field.end);
      setting = field.continued ? (state.partial ?? '') + name : name;
    }
  }
  const settingFound = setting === undefined ? undefined : settingSpec(spec, setting);
  const settingRead = spec.settings === undefined || setting !== undefined;
  if (!settingRead && scan.fields.length === 0 && scan.bad >= 0 && !scan.open && !state.inQuote) {
    // A quoted name the catalogue knows, then something other than a comma: `reading AT+QMTCFG="will": ...` in
    // an error message. The name decides whether the command can carry a secret: when it cannot, the rest is
    // prose; when it can, the rest is hidden (fail closed) and the name is kept.
    const close = text.indexOf('"', scan.bad + 1);
    const named = settingSpec(spec, text.slice(scan.bad + 1, close));
    if (named !== undefined) {
      if (secretRule(spec, form, named) !== null) work.mask(close + 1, text.length, true);
      return { end: close + 1, carry: null };
    }
  }
  if (!settingRead) {
    // The sub-setting is on the next line, or cannot be read (a stray quote): fail closed / carry. A name cut by
    // the line's end (`"aliau`) is shown: it is no secret, and the next line says which setting it is.
    const partial = scan.open && scan.bad >= 0 ? text.slice(scan.bad + 1) : '';
    if (scan.bad >= 0 && !(scan.open && settingPart(partial))) work.mask(scan.bad, text.length, true);
    const carry =
      scan.trailing || scan.open
        ? { spec, form, setting: undefined, index: 0, inQuote: scan.open, partial, budget: 64 }
        : null;
    return { end: scan.end, carry };
  }
  if (spec.settings !== undefined && settingFound === undefined) {
    // A sub-setting the catalogue does not know (a typo, another firmware's, `'aliauth'` in single quotes): where its
    // secrets would sit cannot be told, so every parameter after the name is hidden, each on its own.
    const from = first === 0 ? 1 : 0;
    for (let i = from; i < scan.fields.length; i++) maskField(work, scan.fields[i] as Field);
    if (scan.bad >= 0) work.mask(scan.bad, text.length, true);
    // Its parameters may go on over the next line: hidden there too (after a comma, inside a quote, or after the
    // last parameter when the next line goes on with a comma).
    const count = first + scan.fields.length;
    const ended = scan.bad < 0 && !scan.trailing && scan.end === text.length && count > 1;
    if (!scan.trailing && !scan.open && !ended) return { end: scan.end, carry: null };
    const rest = { spec, form, setting, partial: '', budget: 512, hidden: true };
    const carry: Carry = scan.open
      ? { ...rest, index: count, inQuote: true }
      : scan.trailing
        ? { ...rest, index: count, inQuote: false }
        : { ...rest, index: count - 1, inQuote: false, after: 'quoted' };
    return { end: scan.end, carry };
  }
  const rule = secretRule(spec, form, settingFound);
  if (rule === null) return { end: scan.end, carry: null };
  return applyRule(work, scan, rule, state, setting);
}

/** Whether parameter `index` is one of the rule's secrets. */
function isSecret(rule: SecretRule, index: number): boolean {
  for (const secret of rule.secrets) if (secret.index === index) return true;
  return false;
}

function applyRule(
  work: LineWork,
  scan: Scan,
  rule: SecretRule,
  state: Omit<Carry, 'budget' | 'partial'> & Partial<Carry>,
  setting: string | undefined,
): CommandResult {
  const first = state.index;
  const firstSecret = rule.secrets[0]?.index ?? 0;
  const lastSecret = rule.secrets[rule.secrets.length - 1]?.index ?? 0;
  const badIndex = scan.bad >= 0 ? first + scan.fields.length : -1;
  const count = first + scan.fields.length + (scan.bad >= 0 ? 1 : 0);
  // More parameters than the form has: where the secret sits can no longer be told, so every parameter from the
  // first secret on is hidden (each on its own).
  const tooMany = count > rule.maxParams;
  for (let i = 0; i < scan.fields.length; i++) {
    const field = scan.fields[i] as Field;
    const index = first + i;
    if (field.continued) {
      // The rest of a parameter opened on an earlier line: hidden when it is a secret (its head was), or when where
      // the secrets sit can no longer be told; shown when it is the sub-setting's name or another parameter.
      if (index === 0 && setting !== undefined && state.spec.settings !== undefined) continue;
      if (!tooMany && !isSecret(rule, index) && !state.hidden) continue;
      const value = work.mask(field.start, field.end);
      if (state.partial !== undefined) work.learn(state.partial + value, false);
      continue;
    }
    if ((tooMany && index >= firstSecret) || isSecret(rule, index)) maskField(work, field);
  }
  let carry: Carry | null = null;
  const text = work.view.text;
  // A quote still open at the end of the line, at a parameter that is no secret and holds no comma: a line break
  // inside it (a username cut in two), shown, and followed onto the next line.
  const wrapped =
    scan.open &&
    !tooMany &&
    !isSecret(rule, badIndex) &&
    badIndex < lastSecret &&
    !text.includes(',', scan.bad) &&
    !(scan.fields.length === 0 && state.inQuote);
  if (wrapped) {
    carry = { spec: state.spec, form: state.form, setting, index: badIndex, inQuote: true, partial: '', budget: 512 };
  } else if (badIndex >= 0 && (badIndex <= lastSecret || tooMany)) {
    const head = work.mask(
      scan.open ? scan.bad + (scan.fields.length === 0 && state.inQuote ? 0 : 1) : scan.bad,
      work.view.text.length,
      true,
    );
    if (scan.open && badIndex <= lastSecret) {
      const maxBytes = rule.secrets.find((secret) => secret.index >= badIndex)?.maxBytes ?? 512;
      const partial = (scan.fields.length === 0 && state.inQuote ? (state.partial ?? '') : '') + head;
      const budget = (scan.fields.length === 0 && state.inQuote ? (state.budget ?? maxBytes) : maxBytes) - head.length;
      if (budget > 0) {
        const { spec, form } = state;
        carry = { spec, form, setting, index: badIndex, inQuote: true, partial, budget, hidden: true };
      }
    }
  } else if (scan.trailing && first + scan.fields.length <= lastSecret) {
    carry = {
      spec: state.spec,
      form: state.form,
      setting,
      index: first + scan.fields.length,
      inQuote: false,
      partial: '',
      budget: 0,
    };
  } else if (scan.bad < 0 && !scan.trailing && scan.end === text.length && scan.fields.length > 0) {
    // The line ends right after a parameter: the next may go on with a comma (a line break before it), or with
    // the rest of an unquoted secret.
    const last = scan.fields[scan.fields.length - 1] as Field;
    const index = first + scan.fields.length - 1;
    const unquotedSecret = !last.quoted && !last.continued && isSecret(rule, index);
    if (index < lastSecret || unquotedSecret) {
      // Only an unquoted secret is taken to go on without a comma (its rest hidden); any other parameter must be
      // followed by a comma (or, a comma lost, by a quote).
      const after = unquotedSecret ? 'unquoted' : 'quoted';
      const partial = unquotedSecret ? text.slice(last.start, last.end) : '';
      carry = { spec: state.spec, form: state.form, setting, index, inQuote: false, partial, budget: 0, after };
    }
  }
  return { end: scan.end, carry };
}

// ---- finding commands in a line -----------------------------------------------------------------------------

interface Found {
  readonly spec: CommandSpec;
  readonly form: 'write' | 'answer';
  /** Where its parameters start in the view. */
  readonly paramsFrom: number;
}

function isNameChar(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
}

/**
 * The next secret-bearing command or answer in the view from `from`: `+NAME` (blanks may separate `+`, the name's
 * parts and the operator), then `=` (a write; `=?` is a test and skipped) or `:` (an answer).
 */
function findCommand(text: string, from: number): { found: Found | null; next: number } {
  let plus = text.indexOf('+', from);
  while (plus >= 0) {
    let i = plus + 1;
    while (i < text.length && blank(text.charCodeAt(i))) i++;
    let name = '';
    for (;;) {
      const from = i;
      while (i < text.length && isNameChar(text.charCodeAt(i))) i++;
      name += text.slice(from, i);
      let j = i;
      while (j < text.length && blank(text.charCodeAt(j))) j++;
      if (j > i && j < text.length && isNameChar(text.charCodeAt(j)) && name !== '') {
        i = j;
        continue;
      }
      i = j;
      break;
    }
    const spec = name === '' ? undefined : SECRET_BEARING.get(name.toUpperCase());
    const op = text.charAt(i);
    if (spec !== undefined && (op === '=' || op === ':')) {
      let k = i + 1;
      while (k < text.length && blank(text.charCodeAt(k))) k++;
      if (op === ':' || text.charAt(k) !== '?') {
        return { found: { spec, form: op === '=' ? 'write' : 'answer', paramsFrom: i + 1 }, next: i + 1 };
      }
    }
    plus = text.indexOf('+', plus + 1);
  }
  return { found: null, next: text.length };
}

/**
 * Some secret-bearing `+NAME` followed by `=` or `:`, blanks allowed wherever findCommand allows them (and more):
 * a line of printable ASCII without a match holds no command findCommand would take, and is not read further.
 */
const SECRET_NAME = new RegExp(
  `\\+[ \\t]*(?:${[...SECRET_BEARING.keys()]
    // findCommand reads names of letters and digits only: no other name can be found, by it or here.
    .filter((name) => /^[A-Z0-9]+$/i.test(name))
    .map((name) => name.split('').join('[ \\t]*'))
    .join('|')})[ \\t]*[=:]`,
  'i',
);

/** The start of a secret-bearing name, written as any of its prefixes, blanks allowed between letters. */
function prefixesOf(name: string): string {
  let pattern = '';
  for (let i = name.length - 1; i >= 0; i--) {
    const char = name.charAt(i);
    pattern = pattern === '' ? char : `${char}(?:[ \\t]*${pattern})?`;
  }
  return pattern;
}

/** A line that ends in the head of a secret-bearing command (`+`, `+QMT`, `+QMTCONN `): see headAtEnd. */
const HEAD_AT_END = new RegExp(
  `^\\+[ \\t]*(?:(?:${[...SECRET_BEARING.keys()]
    .filter((name) => /^[A-Z0-9]+$/i.test(name))
    .map(prefixesOf)
    .join('|')})[ \\t]*)?$`,
  'i',
);

/** A plus sign, or a compatibility form of one (full-width, small, superscript, subscript). */
const PLUS = /[+\uFF0B\uFE62\u207A\u208A]/;

/** A line that is a protocol line of its own, not the rest of a wrapped command. */
const PROTOCOL_LINE =
  /^\s*(?:(?:OK|ERROR|NO CARRIER|RDY|APP RDY|POWERED DOWN|CONNECT)\s*$|\+CM[ES] ERROR|AT\s*(?:[+&$%^]|[A-Z]?\d*\s*$)|\+\s*[A-Z][A-Z0-9]*\s*:|>)/i;

const NOTHING: readonly string[] = [];

/** Goes on with the command a line left open, at the start of the next line. */
function continueCommand(work: LineWork, carry: Carry): CommandResult {
  const text = work.view.text;
  if (carry.after === undefined) return redactCommand(work, 0, carry);
  let i = 0;
  while (i < text.length && blank(text.charCodeAt(i))) i++;
  const next = { ...carry, after: undefined };
  if (text.charCodeAt(i) === COMMA) return redactCommand(work, i + 1, { ...next, index: carry.index + 1 });
  if (carry.after === 'unquoted') {
    // The rest of an unquoted secret (`AT+CPIN=12`, then `34`) is one word up to a comma or the line's end: hidden
    // here, learnt only joined to its start. Words with blanks between them are a line of their own.
    let j = i;
    while (j < text.length && !fieldEnd(text.charCodeAt(j)) && !blank(text.charCodeAt(j))) j++;
    let k = j;
    while (k < text.length && blank(text.charCodeAt(k))) k++;
    const ends = k >= text.length || text.charCodeAt(k) === COMMA || text.charCodeAt(k) === SEMICOLON;
    if (j === i || !ends) return { end: 0, carry: null };
    const rest = work.mask(i, j, false, false);
    work.learn(carry.partial + rest, false);
    if (k < text.length && text.charCodeAt(k) === COMMA) {
      return redactCommand(work, k + 1, { ...next, index: carry.index + 1, partial: '' });
    }
    return { end: k, carry: null };
  }
  // A quoted parameter after a lost comma (read as the next one).
  if (text.charCodeAt(i) === QUOTE) return redactCommand(work, i, { ...next, index: carry.index + 1 });
  return { end: 0, carry: null };
}

/**
 * The start of a secret-bearing command's name at the end of a line (`+`, `+QMTCO`, `+QMTCONN`, blanks allowed
 * where findCommand allows them), which the next line may complete: `+` and what follows it, or null.
 */
function headAtEnd(text: string): string | null {
  const plus = text.lastIndexOf('+');
  if (plus < 0) return null;
  const tail = text.slice(plus);
  return HEAD_AT_END.test(tail) ? tail : null;
}

function redactWith(line: string, pending: Pending): { redaction: Redaction; pending: Pending } {
  const { carry, head } = pending;
  if (carry === null && head === null && !mayHoldSecret(line)) {
    return { redaction: { text: line, secrets: NOTHING }, pending: NONE };
  }
  // An empty line (a capture's CR CR LF) breaks nothing: what the last line left open waits for the next.
  if (BLANK_LINE.test(line)) return { redaction: { text: line, secrets: NOTHING }, pending };
  const view = viewOf(line);
  let work: LineWork | null = null;
  let pos = 0;
  let open: Carry | null = null;
  const own = PROTOCOL_LINE.test(view.text);
  if (carry !== null && !own) {
    work = new LineWork(line, view);
    const result = continueCommand(work, carry);
    pos = result.end;
    open = result.carry;
  } else if (head !== null && !own) {
    // The name begun on the last line, completed on this one: read as one (`AT+QMTCO` then `NN=0,...`).
    const { found } = findCommand(head + view.text, 0);
    if (found !== null && found.paramsFrom > head.length) {
      work = new LineWork(line, view);
      const result = redactCommand(work, found.paramsFrom - head.length, {
        spec: found.spec,
        form: found.form,
        setting: undefined,
        index: 0,
        inQuote: false,
      });
      pos = result.end;
      open = result.carry;
    }
  }
  while (pos < view.text.length) {
    const { found, next } = findCommand(view.text, pos);
    if (found === null) break;
    work ??= new LineWork(line, view);
    const result = redactCommand(work, found.paramsFrom, {
      spec: found.spec,
      form: found.form,
      setting: undefined,
      index: 0,
      inQuote: false,
    });
    open = result.carry;
    pos = Math.max(result.end, next);
  }
  // The name may go on over more lines (`AT+QMT`, `CONN`, `=0,...`): a line without a plus extends the head.
  const grown = head !== null && !own && work === null && !view.text.includes('+') ? head + view.text : null;
  const nextHead =
    open !== null ? null : grown !== null ? headAtEnd(grown) : PLUS.test(line) ? headAtEnd(view.text) : null;
  return {
    redaction: work === null ? { text: line, secrets: NOTHING } : work.result(),
    pending: open === null && nextHead === null ? NONE : { carry: open, head: nextHead },
  };
}

const NONE: Pending = { carry: null, head: null };

/** A line of nothing but blanks and control characters. */
const BLANK_LINE = /^[\s\p{Cc}\p{Cf}]*$/u;

/**
 * Whether a line may hold a secret the catalogue knows, a cheap first test: it has a plus sign (in any form) and,
 * when it is printable ASCII, a secret-bearing name the redactor would read as a command or an answer. A line of
 * which this is false is left as it is by the redactor (when no earlier line left a command open), and so is any
 * part of it.
 */
export function mayHoldSecret(line: string): boolean {
  return PLUS.test(line) && (!PLAIN.test(line) || SECRET_NAME.test(line) || headAtEnd(line) !== null);
}

/** One line with its secrets masked, and the secrets it held. No memory of other lines. */
export function redact(line: string): Redaction {
  return redactWith(line, NONE).redaction;
}

/** One line with its secrets masked (see `redact`). */
export function redactLine(line: string): string {
  return redactWith(line, NONE).redaction.text;
}

/**
 * Redacts a stream of lines (a log, a transcript), following a command whose parameters run onto the next line:
 * the rest of an open quoted parameter is hidden up to its closing quote, and a parameter list that ends on a
 * comma continues with the next line (unless that line is a protocol line of its own: OK, AT..., +NAME: ...).
 */
export class LineRedactor {
  private pending: Pending = NONE;

  line(text: string): Redaction {
    const { redaction, pending } = redactWith(text, this.pending);
    this.pending = pending;
    return redaction;
  }

  /** Whether the last line ended inside a quoted parameter of a command (its rest is on the next line). */
  get inQuote(): boolean {
    return this.pending.carry?.inQuote === true;
  }

  /** Whether the last line left a command open (its next parameter, or the rest of its name, may be next). */
  get continuing(): boolean {
    return this.pending !== NONE;
  }

  reset(): void {
    this.pending = NONE;
  }
}

/** Text of several lines (CR, LF or CR LF) with every line redacted, wrapped secrets followed across lines. */
export function redactText(text: string): string {
  if (!text.includes('\n') && !text.includes('\r')) return redactLine(text);
  const redactor = new LineRedactor();
  return text.replace(/[^\r\n]+/g, (line) => redactor.line(line).text);
}
