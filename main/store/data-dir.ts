import { mkdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { StoreError } from './errors';

/** The folder name under the platform's user data folder. */
export const DATA_DIR_NAME = 'fleet-station';
/** The environment variable that names the data directory (below `--data-dir`, above everything else). */
export const DATA_DIR_ENV = 'FLEET_STATION_DATA';

export interface DataDirSources {
  /** `--data-dir DIR`. */
  readonly flag?: string;
  /** Electron's `app.getPath('userData')`, injected by the Electron shell. */
  readonly electronUserData?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly platform?: NodeJS.Platform;
  readonly home?: string;
}

/**
 * Where the station keeps its data, in this order: `--data-dir DIR`, `FLEET_STATION_DATA`, Electron's `userData`
 * (when the desktop app runs), otherwise the platform's user data folder with `fleet-station/` under it:
 * `$XDG_DATA_HOME` or `~/.local/share` on Linux (and other Unixes), `~/Library/Application Support` on macOS,
 * `%APPDATA%` on Windows. Relative paths are taken from the current directory.
 */
export function resolveDataDir(sources: DataDirSources = {}): string {
  const env = sources.env ?? process.env;
  const chosen = nonEmpty(sources.flag) ?? nonEmpty(env[DATA_DIR_ENV]) ?? nonEmpty(sources.electronUserData);
  if (chosen !== undefined) return resolve(chosen);
  const platform = sources.platform ?? process.platform;
  const home = sources.home ?? homedir();
  switch (platform) {
    case 'win32':
      return join(nonEmpty(env.APPDATA) ?? join(home, 'AppData', 'Roaming'), DATA_DIR_NAME);
    case 'darwin':
      return join(home, 'Library', 'Application Support', DATA_DIR_NAME);
    default: {
      // The XDG base directory spec: a relative XDG_DATA_HOME is invalid and must be ignored.
      const xdg = nonEmpty(env.XDG_DATA_HOME);
      return join(xdg !== undefined && isAbsolute(xdg) ? xdg : join(home, '.local', 'share'), DATA_DIR_NAME);
    }
  }
}

/** Creates the data directory (readable only by this user) if needed; refuses a path that is not a directory. */
export function ensureDataDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new StoreError('data-dir', `cannot create the data directory ${dir}: ${errorCode(error)}`);
  }
  if (!statSync(dir).isDirectory()) throw new StoreError('data-dir', `the data directory ${dir} is not a directory`);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

export function errorCode(error: unknown): string {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') return error.code;
  return error instanceof Error ? error.message : 'unknown error';
}
