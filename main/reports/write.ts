import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { ReportError } from './errors';

const REASONS: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EEXIST: 'a part of the path is a file, not a folder',
  ENAMETOOLONG: 'the name is too long',
  EISDIR: 'it is a folder',
};

function codeOf(error: unknown): string {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : 'unknown';
}

function reason(error: unknown): string {
  const code = codeOf(error);
  const known = REASONS[code];
  if (known !== undefined) return `${known} (${code})`;
  return error instanceof Error ? error.message : String(error);
}

/** The path's folder chain runs through a file: the caller named an impossible place, not a failing disk. */
const NOT_A_FOLDER = new Set(['ENOTDIR', 'EEXIST']);

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Writes `data` to `file` atomically: into a new temporary file next to it, flushed to disk, then renamed over
 * the target, so a reader (or a crash) sees the old file or the whole new one, never a part. `data` may come in
 * pieces (an iterable of strings, each written as UTF-8 when it is produced). Creates missing parent folders. Refuses a target that is a folder. Returns the absolute path written.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array | Iterable<string>): Promise<string> {
  const target = resolve(file);
  if (await isDirectory(target)) {
    throw new ReportError('bad-output', `${target} is a folder: give the report a file name`);
  }
  const folder = dirname(target);
  try {
    await mkdir(folder, { recursive: true });
  } catch (error) {
    throw new ReportError(
      NOT_A_FOLDER.has(codeOf(error)) ? 'bad-output' : 'write-failed',
      `cannot create the folder ${folder} for the report: ${reason(error)}`,
    );
  }
  const temp = resolve(folder, `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx');
    try {
      if (typeof data === 'string' || data instanceof Uint8Array) await handle.writeFile(data);
      else for (const piece of data) await handle.writeFile(piece);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw new ReportError(
      NOT_A_FOLDER.has(codeOf(error)) || codeOf(error) === 'EISDIR' ? 'bad-output' : 'write-failed',
      `cannot write the report ${target}: ${reason(error)}`,
    );
  }
  await syncFolder(folder);
  return target;
}

/** Flushes the folder entry of the rename where the platform allows it (not on Windows): best effort. */
async function syncFolder(folder: string): Promise<void> {
  try {
    const handle = await open(folder, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // The file is in place; only its durability across a power cut is less certain.
  }
}
