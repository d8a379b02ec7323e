import { createHash } from 'node:crypto';
import type { Profile } from './profile';

/**
 * A profile's content hash: SHA-256 over a versioned header, the canonical JSON of the normalised profile
 * (defaults applied, keys sorted at every level, no spaces), then every file it names in the order of their
 * profile paths, each as its path, its name as written, its length and its canonical bytes (pem.ts). YAML and
 * JSON spellings of one profile, CRLF and LF copies of its files, and its place on disk all hash the same; any
 * change to what a unit is given changes it. Lower-case hex, 64 characters.
 */

const HEADER = 'fleet-station profile hash 1\n';

/** JSON with object keys sorted at every level (arrays keep their order). */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    // JSON.stringify returns undefined for undefined, functions and symbols (its type does not say so).
    const json = JSON.stringify(value) as string | undefined;
    if (json === undefined) throw new TypeError(`canonicalJson: ${typeof value} has no JSON form`);
    return json;
  }
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
}

export interface HashedFile {
  /** The profile path that names it (`ssl.cacert`). */
  readonly path: string;
  /** Its name as the profile writes it. */
  readonly name: string;
  readonly bytes: Uint8Array;
}

export function profileHash(profile: Profile, files: readonly HashedFile[]): string {
  const hash = createHash('sha256');
  hash.update(HEADER);
  hash.update(canonicalJson(profile));
  const ordered = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const file of ordered) {
    hash.update(`\nfile ${JSON.stringify(file.path)} ${JSON.stringify(file.name)} ${file.bytes.length}\n`);
    hash.update(file.bytes);
  }
  return hash.digest('hex');
}
