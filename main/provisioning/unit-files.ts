import { resolve } from 'node:path';
import { checkTls, type CertificateFacts, type FileRole, type KeyFacts, type PemFile } from './certificates';
import type { ProfileIssue } from './issues';
import { loadPemFile, unitFileColumns, type LoadedProfile } from './load';

/**
 * Per-unit certificate files: a manifest row's `cacert`, `clientcert` and `clientkey` cells name files (relative
 * to the manifest's folder) that replace the profile's for that unit. They are read and checked together with the
 * profile's other files, before anything is written to the unit, exactly as the profile's own are.
 */

export type UnitFiles =
  | {
      readonly ok: true;
      /** The profile's files with this unit's overrides in place: pass to compilePlan. */
      readonly files: ReadonlyMap<FileRole, PemFile>;
      readonly certificates: readonly CertificateFacts[];
      readonly keys: readonly KeyFacts[];
      readonly warnings: readonly ProfileIssue[];
    }
  | { readonly ok: false; readonly errors: readonly ProfileIssue[]; readonly warnings: readonly ProfileIssue[] };

export interface UnitFileOptions {
  /** The folder the manifest's file names are relative to. */
  readonly baseDir: string;
  readonly now?: Date;
}

export async function loadUnitFiles(
  loaded: LoadedProfile,
  row: Readonly<Record<string, string>>,
  options: UnitFileOptions,
): Promise<UnitFiles> {
  const files = new Map(loaded.files);
  const errors: ProfileIssue[] = [];
  let overridden = false;
  for (const column of unitFileColumns(loaded.profile)) {
    const role: FileRole = `ssl.${column}`;
    const cell = Object.hasOwn(row, column) ? (row[column] ?? '').trim() : '';
    if (cell !== '') {
      const file = await loadPemFile(role, `manifest column "${column}": ${cell}`, resolve(options.baseDir, cell));
      if ('blocks' in file) files.set(role, file);
      else errors.push(file);
      overridden = true;
    } else if (!files.has(role)) {
      errors.push({
        path: role,
        message: `neither the profile nor this unit's manifest row (column "${column}") names the file`,
      });
    }
  }
  if (errors.length > 0) return { ok: false, errors, warnings: [] };
  if (!overridden) return { ok: true, files, certificates: [], keys: [], warnings: [] };
  const checked = checkTls({
    files: new Map([...files].filter(([role]) => role.startsWith('ssl.') || role === 'verify.negative.cacert')),
    ignoreLocalTime: loaded.profile.ssl?.ignorelocaltime === 1,
    now: options.now ?? new Date(),
  });
  if (checked.errors.length > 0) return { ok: false, errors: checked.errors, warnings: checked.warnings };
  return { ok: true, files, certificates: checked.certificates, keys: checked.keys, warnings: checked.warnings };
}
