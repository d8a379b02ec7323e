import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Where known secret values appear: in a text, or in every file under a folder (an SQLite database, its WAL, a
 * report), as UTF-8, UTF-16LE or base64 bytes. Synchronous, so it can look at a data directory at an exact moment
 * (a line of a running process's output) before anything else happens.
 */

/** The byte forms a secret could take in a file. */
function forms(secret: string): { readonly form: string; readonly bytes: Buffer }[] {
  return [
    { form: 'utf8', bytes: Buffer.from(secret, 'utf8') },
    { form: 'utf16le', bytes: Buffer.from(secret, 'utf16le') },
    { form: 'base64', bytes: Buffer.from(Buffer.from(secret, 'utf8').toString('base64').replace(/=+$/, '')) },
  ];
}

/** `where: form` for every secret found in `bytes` (never the secret itself: it names its index). */
export function secretsIn(where: string, bytes: Buffer, secrets: readonly string[]): string[] {
  const found: string[] = [];
  secrets.forEach((secret, index) => {
    if (secret === '') return;
    for (const { form, bytes: needle } of forms(secret)) {
      if (bytes.includes(needle)) found.push(`${where}: secret #${index} as ${form}`);
    }
  });
  return found;
}

/** The files under `dir`, recursively (none when it does not exist). */
export function filesUnder(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(path);
    return entry.isFile() ? [path] : [];
  });
}

/** Every secret found in the files under `dir` (a file that vanished while it was read is passed over). */
export function secretsUnder(dir: string, secrets: readonly string[]): string[] {
  return filesUnder(dir).flatMap((file) => {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch {
      return [];
    }
    return secretsIn(file, bytes, secrets);
  });
}
