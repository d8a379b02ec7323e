import type { AtOutcome } from '../at/vocab/request';
import { splitParams } from './params';

/**
 * Secrets that travel in AT text: the QMTCONN password, the Alibaba device secret, the OneNET access key, the
 * APN password and SIM PINs/PUKs/facility passwords, both in the commands that set them and in the query answers
 * that echo them back. Each rule names the command, the sub-setting (first parameter) where there is one, which
 * parameters are secret, and how many parameters the command can have at most.
 */
interface Rule {
  readonly name: string;
  readonly form: 'command' | 'answer';
  readonly setting?: string;
  /** Indexes of the secret parameters, ascending. */
  readonly secrets: readonly number[];
  /** More parameters than this means the line is not what the rule expects: it is masked wholesale. */
  readonly maxParams: number;
}

const rules: readonly Rule[] = [
  // AT+QMTCONN=<client_idx>,<clientid>[,<username>,<password>]
  { name: '+QMTCONN', form: 'command', secrets: [3], maxParams: 4 },
  // AT+QMTCFG="aliauth",<client_idx>[,<productkey>,<devicename>,<devicesecret>]
  { name: '+QMTCFG', form: 'command', setting: 'aliauth', secrets: [4], maxParams: 5 },
  // AT+QMTCFG="onenet",<client_idx>[,<product_id>,<access_key>]
  { name: '+QMTCFG', form: 'command', setting: 'onenet', secrets: [3], maxParams: 4 },
  { name: '+QMTCFG', form: 'answer', setting: 'aliauth', secrets: [3], maxParams: 4 },
  { name: '+QMTCFG', form: 'answer', setting: 'onenet', secrets: [2], maxParams: 3 },
  // AT+QICSGP=<contextID>[,<context_type>,<APN>[,<username>,<password>[,<authentication>[,<CDMA_pwd>]]]]
  { name: '+QICSGP', form: 'command', secrets: [4, 6], maxParams: 7 },
  // +QICSGP: <context_type>,<APN>,<username>,<password>,<authentication>
  { name: '+QICSGP', form: 'answer', secrets: [3, 5], maxParams: 6 },
  // AT+CPIN=<pin>[,<new_pin>] (the first is the PUK when the second is given)
  { name: '+CPIN', form: 'command', secrets: [0, 1], maxParams: 2 },
  // AT+CPWD=<fac>,<oldpwd>,<newpwd>
  { name: '+CPWD', form: 'command', secrets: [1, 2], maxParams: 3 },
  // AT+CLCK=<fac>,<mode>[,<passwd>[,<class>]]
  { name: '+CLCK', form: 'command', secrets: [2], maxParams: 4 },
];

const ruleNames = new Set(rules.map((r) => `${r.form} ${r.name}`));

/** `AT+NAME=...`, tolerating case and whitespace around the name and the `=` (as modules do). */
const commandShape = /^(\s*AT\s*)(\+[A-Z]+)(\s*=\s*)(.*)$/is;
/** A later command of a `;`-joined line: `+NAME=...` without the AT. */
const joinedShape = /^(\s*)(\+[A-Z]+)(\s*=\s*)(.*)$/is;
const answerShape = /^(\s*)(\+[A-Z]+)(\s*:\s*)(.*)$/is;

export const redactedMark = '***';

/**
 * Returns the line with every secret replaced by `***`; lines without secrets come back unchanged.
 *
 * Why in place rather than re-joining split parameters: the engine remembers what was hidden behind each `***`
 * by lining the redacted text up with the original, so everything else must keep its exact shape.
 */
export function redactLine(line: string): string {
  const segments = splitJoined(line);
  if (segments.length > 1) {
    return segments.map((segment, i) => redactSingle(segment, i === 0 ? commandShape : joinedShape)).join(';');
  }
  const command = redactSingle(line, commandShape);
  if (command !== line) return command;
  return redactSingle(line, answerShape);
}

function redactSingle(text: string, shape: RegExp): string {
  const match = shape.exec(text);
  if (match === null) return text;
  const [, lead = '', name = '', separator = '', rest = ''] = match;
  const form: Rule['form'] = shape === answerShape ? 'answer' : 'command';
  const redacted = redactParams(name.toUpperCase(), form, rest);
  return redacted === null ? text : `${lead}${name}${separator}${redacted}`;
}

/** Splits a `;`-joined command line on the semicolons outside quotes (one piece when there are none). */
function splitJoined(line: string): string[] {
  const pieces: string[] = [];
  let inQuotes = false;
  let start = 0;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === '"') inQuotes = !inQuotes;
    else if (ch === ';' && !inQuotes) {
      pieces.push(line.slice(start, i));
      start = i + 1;
    }
  }
  pieces.push(line.slice(start));
  return pieces;
}

/** One parameter as a span of the original text. */
interface Span {
  /** Where the parameter's text starts (after leading blanks) and ends (before trailing blanks). */
  readonly start: number;
  readonly end: number;
  /** The value without quotes and surrounding blanks. */
  readonly value: string;
  /** Exactly `"..."` with no quote inside, or no quote at all. */
  readonly wellFormed: boolean;
}

function spansOf(text: string): Span[] {
  const spans: Span[] = [];
  let inQuotes = false;
  let from = 0;
  const push = (to: number): void => {
    const raw = text.slice(from, to);
    const start = from + (raw.length - raw.trimStart().length);
    const end = to - (raw.length - raw.trimEnd().length);
    const body = text.slice(start, end);
    const quotes = body.split('"').length - 1;
    const quoted = quotes === 2 && body.startsWith('"') && body.endsWith('"');
    spans.push({
      start,
      end,
      value: quoted ? body.slice(1, -1) : body.replaceAll('"', ''),
      wellFormed: quotes === 0 || quoted,
    });
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') inQuotes = !inQuotes;
    else if (ch === ',' && !inQuotes) {
      push(i);
      from = i + 1;
    }
  }
  push(text.length);
  return spans;
}

/**
 * The parameter text with its secrets masked, or null when no rule applies. Fails closed: when the line of a
 * secret-bearing command is malformed (unbalanced or stray quotes, too many parameters), everything from the
 * first doubtful parameter on is masked, since where the secret sits can no longer be told.
 */
function redactParams(name: string, form: Rule['form'], rest: string): string | null {
  if (!ruleNames.has(`${form} ${name}`)) return null;
  const spans = spansOf(rest);
  const setting = spans[0]?.value.trim().toLowerCase();
  const rule = rules.find(
    (r) => r.form === form && r.name === name && (r.setting === undefined || r.setting === setting),
  );
  const firstBad = spans.findIndex((s) => !s.wellFormed);
  if (rule === undefined) {
    // A command whose setting could not be read because its first parameters are malformed: mask from there.
    return firstBad === -1 ? null : maskFrom(rest, spans, firstBad);
  }
  const firstSecret = rule.secrets[0] ?? 0;
  const doubtful = firstBad !== -1 || spans.length > rule.maxParams;
  if (doubtful) {
    const from = firstBad === -1 ? firstSecret : Math.min(firstBad, firstSecret);
    return from >= spans.length ? null : maskFrom(rest, spans, from);
  }
  let out = rest;
  // Right to left, so earlier offsets stay valid.
  for (const index of [...rule.secrets].reverse()) {
    const span = spans[index];
    if (span === undefined || span.start === span.end) continue;
    const quoted = rest[span.start] === '"';
    const start = quoted ? span.start + 1 : span.start;
    const end = quoted ? span.end - 1 : span.end;
    out = `${out.slice(0, start)}${redactedMark}${out.slice(end)}`;
  }
  return out;
}

function maskFrom(rest: string, spans: readonly Span[], index: number): string {
  const span = spans[index];
  return span === undefined ? rest : `${rest.slice(0, span.start)}${redactedMark}`;
}

/**
 * The answer with secrets masked in both its raw lines and its split parameters, so that everything decoded
 * from it (fields, summaries) is safe to show. Only lines a rule changes are rebuilt.
 */
export function redactOutcome(outcome: AtOutcome): AtOutcome {
  const responses = outcome.responses.map((event) => {
    if (event.kind !== 'response' || event.name === null) return event;
    const raw = redactLine(event.raw);
    if (raw === event.raw) return event;
    const rest = raw.slice(raw.indexOf(':') + 1).trimStart();
    return { ...event, raw, params: splitParams(rest).map((p) => p.value) };
  });
  return { ...outcome, responses };
}
