import type { DecodedEvent } from './decoder';

/**
 * Renders a decoded timeline for people (an annotated text view) or for scripts (one JSON object per line).
 * Control characters in logged text are shown escaped, so a payload cannot rewrite the terminal.
 */

function visible(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '\r') out += '\\r';
    else if (char === '\n') out += '\\n';
    else if (char === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f || (code >= 0x80 && code < 0xa0)) {
      out += `\\x${code.toString(16).padStart(2, '0')}`;
    } else out += char;
  }
  return out;
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

/** The annotated text timeline. */
export function renderText(events: readonly DecodedEvent[]): string {
  const width = Math.max(0, ...events.map((event) => (event.time ?? '').length));
  const lines: string[] = [];
  for (const event of events) {
    const time = (event.time ?? '').padEnd(width);
    const head = `${String(event.line).padStart(5)} ${time}${width > 0 ? ' ' : ''}${MARK[event.kind]} `;
    let text = head + visible(event.raw);
    if (event.kind === 'command') text += commandSummary(event);
    else if (event.explanation) {
      text += `  -- ${event.explanation}`;
      if (event.durationMs !== undefined && event.kind !== 'final')
        text += ` (${formatMs(event.durationMs)} after the command)`;
    }
    if (event.note !== undefined) text += `  // ${visible(event.note)}`;
    lines.push(text);
    if (event.howTo) lines.push(`${' '.repeat(head.length)}   What to do: ${event.howTo}`);
    if (event.kind === 'command' && event.outcome?.ok === false && event.outcome.explanation) {
      lines.push(`${' '.repeat(head.length)}   ${event.outcome.explanation}`);
    }
  }
  const isComment = (event: DecodedEvent) => event.kind === 'unknown' && event.decoded.reason === 'comment';
  const count = (kind: DecodedEvent['kind']) =>
    events.filter((event) => event.kind === kind && !isComment(event)).length;
  const failed = events.filter((event) => event.kind === 'command' && event.outcome?.ok === false).length;
  lines.push('');
  lines.push(
    `${count('command')} commands (${failed} failed), ${count('urc')} URCs, ${count('unknown')} unrecognised lines.`,
  );
  return `${lines.join('\n')}\n`;
}

/** One JSON object per event per line (JSON Lines). */
export function renderJsonLines(events: readonly DecodedEvent[]): string {
  return events.map((event) => JSON.stringify(event)).join('\n') + (events.length > 0 ? '\n' : '');
}
