/** JSON columns read back with their shape checked (the database is data from disk, not a typed value). */

export function stringRecord(json: string): Record<string, string> {
  const value: unknown = JSON.parse(json);
  const out: Record<string, string> = {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('expected a JSON object');
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') throw new Error(`expected a string at ${key}`);
    out[key] = item;
  }
  return out;
}

export function stringArray(json: string): string[] {
  const value: unknown = JSON.parse(json);
  if (!Array.isArray(value)) throw new Error('expected a JSON array');
  return value.map((item: unknown) => {
    if (typeof item !== 'string') throw new Error('expected strings');
    return item;
  });
}

/** Stable JSON of a string record: keys sorted, so equal records give equal text. */
export function canonicalRecord(record: Readonly<Record<string, string>>): string {
  const sorted: Record<string, string> = {};
  for (const key of Object.keys(record).sort()) sorted[key] = record[key] ?? '';
  return JSON.stringify(sorted);
}
