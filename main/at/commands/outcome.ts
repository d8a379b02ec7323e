import { AtCommandError, AtResponseError } from '../vocab/errors';
import type { AtOutcome, ResponseEvent, UrcEvent } from '../vocab/request';
import { CME_ERRORS, lookup } from '../decode/texts';

/**
 * Shared pieces of the `parse` functions: every parse first insists on OK (turning ERROR / +CME ERROR into an
 * AtCommandError with the spec's words), then reads typed values out of response or completion parameters,
 * refusing malformed answers with AtResponseError instead of guessing.
 */

export function requireOk(outcome: AtOutcome, command: string): void {
  const final = outcome.final;
  if (final.result === 'OK') return;
  const reason =
    final.code !== undefined ? `${final.code} (${lookup(CME_ERRORS, final.code, 'error')})` : (final.text ?? '');
  const message = `${command} failed: ${final.result}${reason ? ` ${reason}` : ''}`;
  throw new AtCommandError(message, {
    final: final.result,
    ...(final.code !== undefined ? { cmeCode: final.code } : {}),
  });
}

/** Information responses named `name` (e.g. `+QMTCFG`). */
export function responsesNamed(outcome: AtOutcome, name: string): ResponseEvent[] {
  const upper = name.toUpperCase();
  return outcome.responses.filter(
    (event): event is ResponseEvent => event.kind === 'response' && event.name?.toUpperCase() === upper,
  );
}

/** The only response named `name`; a missing one is a malformed answer. */
export function oneResponse(outcome: AtOutcome, name: string): ResponseEvent {
  const found = responsesNamed(outcome, name)[0];
  if (!found) throw new AtResponseError(`expected a ${name} response`);
  return found;
}

/** Bare information lines (no `+NAME:`), e.g. the IMEI of AT+GSN. */
export function bareLines(outcome: AtOutcome): string[] {
  return outcome.responses.flatMap((event) => (event.kind === 'response' && event.name === null ? [event.raw] : []));
}

export function requireCompletion(outcome: AtOutcome, urc: string): UrcEvent {
  const completion = outcome.completion;
  if (!completion) throw new AtResponseError(`expected a ${urc} URC after OK`);
  return completion;
}

/** Parameter `index` as an integer (decimal, optionally negative). */
export function intAt(params: readonly string[], index: number, what: string): number {
  const raw = params[index];
  if (raw === undefined || !/^-?\d+$/.test(raw.trim())) {
    throw new AtResponseError(`${what}: expected an integer at position ${index + 1}`);
  }
  return Number.parseInt(raw.trim(), 10);
}

/** Parameter `index` as an integer, or undefined when absent. */
export function optionalIntAt(params: readonly string[], index: number, what: string): number | undefined {
  return params[index] === undefined ? undefined : intAt(params, index, what);
}

export function stringAt(params: readonly string[], index: number, what: string): string {
  const raw = params[index];
  if (raw === undefined) throw new AtResponseError(`${what}: missing parameter ${index + 1}`);
  return raw;
}
