/**
 * Splits an AT parameter list on top-level commas (commas inside double quotes belong to the value) and
 * reports for each value whether it was quoted. Used by redaction and decoding of typed command lines.
 */
export interface AtParam {
  readonly value: string;
  readonly quoted: boolean;
}

export function splitParams(text: string): AtParam[] {
  const out: AtParam[] = [];
  let current = '';
  let quoted = false;
  let inQuotes = false;
  for (const ch of text) {
    if (ch === '"') {
      inQuotes = !inQuotes;
      quoted = true;
      continue;
    }
    if (ch === ',' && !inQuotes) {
      out.push({ value: quoted ? current : current.trim(), quoted });
      current = '';
      quoted = false;
      continue;
    }
    current += ch;
  }
  out.push({ value: quoted ? current : current.trim(), quoted });
  return out;
}

export function joinParams(params: readonly AtParam[]): string {
  return params.map((p) => (p.quoted ? `"${p.value}"` : p.value)).join(',');
}
