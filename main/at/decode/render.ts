import type { DecodedEvent } from './decoder';

/**
 * Renders a decoded timeline for people (an annotated text view) or for scripts (one JSON object per line), one
 * event at a time so a long log streams. Characters that could rewrite the terminal or hide what a line says
 * are shown escaped: control characters, invisible and bidirectional formatting characters (U+202E and
 * friends), default-ignorable fillers (U+3164), line and paragraph separators.
 */

/**
 * Characters shown escaped: controls, format (bidi, zero-width), separators, lone surrogates, and every
 * default-ignorable code point (fillers such as U+034F, U+115F, U+3164 and variation selectors: invisible, or
 * drawn as blank space, wherever they are).
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Default_Ignorable_Code_Point}]/u;
const INVISIBLE_ALL = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Default_Ignorable_Code_Point}]/gu;

const hex = (code: number, digits: number): string => code.toString(16).padStart(digits, '0');

function escapeOne(char: string): string {
  if (char === '\r') return '\\r';
  if (char === '\n') return '\\n';
  if (char === '\t') return '\\t';
  const code = char.codePointAt(0) ?? 0;
  if (code < 0x100) return `\\x${hex(code, 2)}`;
  return code > 0xffff ? `\\u{${hex(code, 5)}}` : `\\u${hex(code, 4)}`;
}

/** A character other than printable ASCII (space to `~`): only text that has one can need escapes. */
const NOT_PRINTABLE_ASCII = /[^\x20-\x7e]/;

/** The text with control and invisible characters written as escapes (`\r`, `\x00`, `\u202e`). */
export function escapeInvisible(text: string): string {
  return NOT_PRINTABLE_ASCII.test(text) && INVISIBLE.test(text) ? text.replace(INVISIBLE_ALL, escapeOne) : text;
}

/** JSON text with its invisible characters as \uXXXX escapes (JSON.stringify leaves U+202E and friends as is). */
function escapeJson(json: string): string {
  if (!NOT_PRINTABLE_ASCII.test(json) || !INVISIBLE.test(json)) return json;
  return json.replace(INVISIBLE_ALL, (char) => {
    let out = '';
    for (let i = 0; i < char.length; i++) out += `\\u${hex(char.charCodeAt(i), 4)}`;
    return out;
  });
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

const MARK: Record<DecodedEvent['kind'], string> = {
  command: '>>',
  response: '  ',
  final: ' =',
  urc: ' !',
  prompt: ' >',
  data: ' #',
  unknown: ' ?',
};

function commandSummary(event: DecodedEvent): string {
  const outcome = event.outcome;
  if (!outcome) return '';
  const parts: string[] = [];
  if (outcome.final !== null) {
    parts.push(outcome.final + (outcome.durationMs !== undefined ? ` in ${formatMs(outcome.durationMs)}` : ''));
  }
  if (outcome.completion !== undefined) {
    parts.push(
      outcome.completion + (outcome.completionMs !== undefined ? ` after ${formatMs(outcome.completionMs)}` : ''),
    );
  }
  const status = outcome.ok === true ? 'ok' : outcome.ok === false ? 'FAILED' : 'pending';
  return `   [${status}${parts.length > 0 ? `: ${parts.join(', ')}` : ''}]`;
}

/** The annotated text timeline, event by event, then a summary line. */
export class TextRenderer {
  private commands = 0;
  private failed = 0;
  private urcs = 0;
  private unknown = 0;

  /** `timeWidth`: the widest timestamp of the log, so that the columns line up. */
  constructor(private readonly timeWidth: number) {}

  /** The lines of one event, each ending with a line feed. */
  event(event: DecodedEvent): string {
    this.count(event);
    const width = this.timeWidth;
    const time = (event.time ?? '').padEnd(width);
    const head = `${String(event.line).padStart(5)} ${time}${width > 0 ? ' ' : ''}${MARK[event.kind]} `;
    let text = head + escapeInvisible(event.raw);
    if (event.kind === 'command') text += escapeInvisible(commandSummary(event));
    else if (event.explanation) {
      text += `  -- ${escapeInvisible(event.explanation)}`;
      if (event.durationMs !== undefined && event.kind !== 'final')
        text += ` (${formatMs(event.durationMs)} after the command)`;
    }
    if (event.note !== undefined) text += `  // ${escapeInvisible(event.note)}`;
    text += '\n';
    // The advice lines, under the text (most events have none).
    const failure = event.kind === 'command' && event.outcome?.ok === false ? event.outcome.explanation : undefined;
    if (!event.howTo && !failure) return text;
    const indent = ' '.repeat(head.length);
    if (event.howTo) text += `${indent}   What to do: ${escapeInvisible(event.howTo)}\n`;
    if (failure) text += `${indent}   ${escapeInvisible(failure)}\n`;
    return text;
  }

  /** The closing summary. */
  summary(): string {
    return (
      `\n${this.commands} commands (${this.failed} failed), ${this.urcs} URCs, ` +
      `${this.unknown} unrecognised lines.\n`
    );
  }

  private count(event: DecodedEvent): void {
    if (event.kind === 'command') {
      this.commands++;
      if (event.outcome?.ok === false) this.failed++;
    } else if (event.kind === 'urc') this.urcs++;
    else if (event.kind === 'unknown' && event.decoded.reason !== 'comment') this.unknown++;
  }
}

/** The annotated text timeline of a whole (in-memory) list of events. */
export function renderText(events: readonly DecodedEvent[]): string {
  let width = 0;
  for (const event of events) width = Math.max(width, (event.time ?? '').length);
  const renderer = new TextRenderer(width);
  let text = '';
  for (const event of events) text += renderer.event(event);
  return text + renderer.summary();
}

/** One event as one line of JSON (JSON Lines), ending with a line feed. */
export function renderJsonLine(event: DecodedEvent): string {
  return `${escapeJson(JSON.stringify(event))}\n`;
}

/** One JSON object per event per line (JSON Lines). */
export function renderJsonLines(events: readonly DecodedEvent[]): string {
  let text = '';
  for (const event of events) text += renderJsonLine(event);
  return text;
}
