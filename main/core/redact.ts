import { redact, redactLine as redactCatalogueLine, redactText } from '../catalogue';
import { splitParams } from '../at/parser';
import type { AtOutcome } from '../at/vocab/request';

/**
 * The station's redaction: the catalogue's redactor (main/catalogue/redact.ts), applied to what the station shows
 * of a typed session (the command, the answer's lines and their split parameters, error messages).
 */

/** The line (or multi-line text, such as an error message) with every secret parameter replaced by `***`. */
export function redactLine(line: string): string {
  return line.includes('\n') || line.includes('\r') ? redactText(line) : redactCatalogueLine(line);
}

/**
 * The answer with secrets masked in both its raw lines and its split parameters, so that everything decoded
 * from it (fields, summaries) is safe to show. Only lines the redactor changes are rebuilt.
 */
export function redactOutcome(outcome: AtOutcome): AtOutcome {
  const responses = outcome.responses.map((event) => {
    if (event.kind !== 'response' || event.name === null) return event;
    const { text } = redact(event.raw);
    if (text === event.raw) return event;
    return { ...event, raw: text, params: splitParams(text.slice(text.indexOf(':') + 1)) };
  });
  return { ...outcome, responses };
}
