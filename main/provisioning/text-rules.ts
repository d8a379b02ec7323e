import { byteLength, text, type TextRule } from '../at/commands/validate';
import { AtValidationError } from '../at/vocab/errors';

/**
 * What each text a profile sends to the module must satisfy, in the command builders' own terms: a value that
 * goes between double quotes on a command line (`quoted`) may hold no quote, CR, LF or other control byte, and
 * has the spec's byte length; a value sent after the `>` prompt (`prompt`) may hold any byte but still has a length.
 */
export interface FieldRule {
  readonly kind: 'quoted' | 'prompt';
  readonly minBytes: number;
  readonly maxBytes: number;
  /** A shape the whole value must have, in words (checked once the value is known). */
  readonly pattern?: { readonly regex: RegExp; readonly expected: string };
  /** Characters the value must not contain (checked in a template's literal text too). */
  readonly forbidden?: { readonly chars: string; readonly expected: string };
}

export const quotedRule = (minBytes: number, maxBytes: number, pattern?: FieldRule['pattern']): FieldRule => ({
  kind: 'quoted',
  minBytes,
  maxBytes,
  ...(pattern ? { pattern } : {}),
});

export const promptRule = (minBytes: number, maxBytes: number): FieldRule => ({ kind: 'prompt', minBytes, maxBytes });

function checkForbidden(value: string, rule: FieldRule): string | undefined {
  if (rule.forbidden === undefined) return undefined;
  const { chars, expected } = rule.forbidden;
  for (const char of chars) if (value.includes(char)) return `must be ${expected}`;
  return undefined;
}

/**
 * Checks a value against its rule; the reason if it is refused (never the value). For quoted values this is the
 * builders' own `text` check (main/at/commands/validate.ts), so the profile refuses exactly what a builder would.
 */
export function checkText(value: string, rule: FieldRule): string | undefined {
  if (rule.kind === 'prompt') {
    const bytes = byteLength(value);
    if (bytes < rule.minBytes)
      return rule.minBytes === 1 ? 'must not be empty' : `must be at least ${rule.minBytes} bytes`;
    if (bytes > rule.maxBytes) return `must be at most ${rule.maxBytes} bytes, got ${bytes}`;
    return checkForbidden(value, rule);
  }
  const textRule: TextRule = {
    minBytes: rule.minBytes,
    maxBytes: rule.maxBytes,
    ...(rule.pattern ? { pattern: rule.pattern } : {}),
  };
  try {
    text('value', value, textRule);
  } catch (error) {
    if (error instanceof AtValidationError) return error.message.replace(/^value: /, '');
    throw error;
  }
  return checkForbidden(value, rule);
}

/**
 * The part of a rule that a template's literal text can already break: a quote or a control byte in a quoted
 * value, a forbidden character anywhere. Lengths and patterns wait until the unit's values are known.
 */
export function checkLiteral(value: string, rule: FieldRule): string | undefined {
  if (rule.kind === 'quoted' && value !== '') {
    const reason = checkText(value, { kind: 'quoted', minBytes: 0, maxBytes: Number.MAX_SAFE_INTEGER });
    if (reason !== undefined) return reason;
  }
  return checkForbidden(value, rule);
}
