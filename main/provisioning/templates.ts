/**
 * Profile templates: text with `{placeholder}`s filled per unit. `{imei}`, `{iccid}` and `{imsi}` are the unit's
 * identity (read from the module), `{run_id}` and `{nonce}` belong to one run of one unit (the verify message only),
 * and any other name is a manifest column. `{{` and `}}` stand for literal braces.
 */

export type TemplatePart =
  { readonly kind: 'text'; readonly text: string } | { readonly kind: 'placeholder'; readonly name: string };

export interface Template {
  readonly source: string;
  readonly parts: readonly TemplatePart[];
}

/** The unit's identity, known once the `identify` step has read the module. */
export const UNIT_PLACEHOLDERS = ['imei', 'iccid', 'imsi'] as const;
/** Values of one run of one unit: usable in the verify topic and payload only. */
export const RUN_PLACEHOLDERS = ['run_id', 'nonce'] as const;

const BUILT_IN: ReadonlySet<string> = new Set<string>([...UNIT_PLACEHOLDERS, ...RUN_PLACEHOLDERS]);

/** True for a placeholder the station fills itself (identity or run); anything else names a manifest column. */
export function isBuiltInPlaceholder(name: string): boolean {
  return BUILT_IN.has(name);
}

/** True for a run placeholder (`{run_id}`, `{nonce}`). */
export function isRunPlaceholder(name: string): boolean {
  return (RUN_PLACEHOLDERS as readonly string[]).includes(name);
}

/**
 * Manifest columns that hold secrets (issue 9): `password`, `device_secret`, `access_key`, `secret`, and any name
 * ending in `_secret`, `_password` or `_key`. Their values are encrypted at rest and never printed.
 */
export function isSecretColumn(name: string): boolean {
  const lower = name.toLowerCase();
  return (
    ['password', 'device_secret', 'access_key', 'secret'].includes(lower) ||
    lower.endsWith('_secret') ||
    lower.endsWith('_password') ||
    lower.endsWith('_key')
  );
}

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

export type TemplateParse =
  { readonly ok: true; readonly template: Template } | { readonly ok: false; readonly message: string };

/** Splits a template into text and placeholders; a stray brace or a bad name is refused with the reason. */
export function parseTemplate(source: string): TemplateParse {
  const parts: TemplatePart[] = [];
  let text = '';
  let i = 0;
  while (i < source.length) {
    const char = source.charAt(i);
    if (char === '{' && source.charAt(i + 1) === '{') {
      text += '{';
      i += 2;
    } else if (char === '}' && source.charAt(i + 1) === '}') {
      text += '}';
      i += 2;
    } else if (char === '}') {
      return { ok: false, message: `a "}" without its "{" at character ${i + 1} (write "}}" for a literal brace)` };
    } else if (char === '{') {
      const end = source.indexOf('}', i + 1);
      if (end < 0) {
        return { ok: false, message: `a "{" without its "}" at character ${i + 1} (write "{{" for a literal brace)` };
      }
      const name = source.slice(i + 1, end);
      if (!NAME.test(name)) {
        return {
          ok: false,
          message: `{${name.slice(0, 40)}} is not a placeholder name (letters, digits, "_", "." or "-", starting with a letter)`,
        };
      }
      if (text !== '') parts.push({ kind: 'text', text });
      text = '';
      parts.push({ kind: 'placeholder', name });
      i = end + 1;
    } else {
      text += char;
      i += 1;
    }
  }
  if (text !== '') parts.push({ kind: 'text', text });
  return { ok: true, template: { source, parts } };
}

/** The placeholder names a template uses, in order of first use. */
export function placeholdersOf(template: Template): string[] {
  const names: string[] = [];
  for (const part of template.parts) {
    if (part.kind === 'placeholder' && !names.includes(part.name)) names.push(part.name);
  }
  return names;
}

/** Everything a template may draw on for one unit (and, for the verify message, one run). */
export interface TemplateValues {
  readonly imei?: string;
  readonly iccid?: string;
  readonly imsi?: string;
  readonly run_id?: string;
  readonly nonce?: string;
  /** The unit's manifest row: column name → cell. */
  readonly row?: Readonly<Record<string, string>>;
}

export type TemplateRender =
  { readonly ok: true; readonly value: string } | { readonly ok: false; readonly message: string };

function lookup(name: string, values: TemplateValues): string | undefined {
  switch (name) {
    case 'imei':
      return values.imei;
    case 'iccid':
      return values.iccid;
    case 'imsi':
      return values.imsi;
    case 'run_id':
      return values.run_id;
    case 'nonce':
      return values.nonce;
    default:
      return values.row !== undefined && Object.hasOwn(values.row, name) ? values.row[name] : undefined;
  }
}

/**
 * Fills a template. A placeholder without a value (no such column, an empty cell, an identity the module did not
 * report) is refused, naming the placeholder but never another value.
 */
export function renderTemplate(template: Template, values: TemplateValues): TemplateRender {
  let out = '';
  for (const part of template.parts) {
    if (part.kind === 'text') {
      out += part.text;
      continue;
    }
    const value = lookup(part.name, values);
    if (value === undefined || value === '') {
      const what = isBuiltInPlaceholder(part.name)
        ? `{${part.name}} has no value for this unit`
        : values.row !== undefined && Object.hasOwn(values.row, part.name)
          ? `{${part.name}}: the manifest column "${part.name}" is empty for this unit`
          : `{${part.name}}: the unit's manifest row has no column "${part.name}"`;
      return { ok: false, message: what };
    }
    out += value;
  }
  return { ok: true, value: out };
}
