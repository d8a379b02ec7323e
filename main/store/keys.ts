import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fstatSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { errorCode } from './data-dir';
import { StoreError } from './errors';
import { STATION_KEY_BYTES } from './secret-box';
import type { KeyProvider } from './types';

/** The station key file's name in the data directory. */
export const KEY_FILE_NAME = 'station.key';

/** How a key is kept in its file: as it is (a key file), or wrapped by the OS (Electron's safeStorage). */
export interface KeyCodec {
  /** For messages: `key file`, `safeStorage-wrapped key`. */
  readonly kind: string;
  encode(key: Uint8Array): Promise<Uint8Array>;
  /** The key; rejects when the bytes are not one (a StoreError 'key-invalid' saying why, where it can). */
  decode(bytes: Uint8Array): Promise<Uint8Array>;
}

/** The plain key file: one line, the 32 key bytes in base64. */
export const plainKeyCodec: KeyCodec = {
  kind: 'key file',
  encode: (key) => Promise.resolve(Buffer.from(`${Buffer.from(key).toString('base64')}\n`, 'utf8')),
  decode: (bytes) =>
    new Promise((resolve) => {
      const text = Buffer.from(bytes).toString('utf8').trim();
      const key = Buffer.from(text, 'base64');
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || key.length !== STATION_KEY_BYTES) {
        throw new StoreError('key-invalid', `not a station key (expected ${STATION_KEY_BYTES} bytes in base64)`);
      }
      resolve(key);
    }),
};

/**
 * A key kept in a file that only the station's user may read (mode 0600): created on first use, atomically (a
 * temporary file linked into place, so two processes starting at once agree on one key), and refused with a clear
 * error when group or others may read it or another user owns it. On Windows the file inherits the ACL of the
 * user's profile folder, and the mode check does not apply.
 */
export function fileKeyProvider(path: string, codec: KeyCodec = plainKeyCodec): KeyProvider {
  let key: Promise<Uint8Array> | undefined;
  const description = `${codec.kind} ${path}`;
  return {
    description,
    getKey: () => {
      key ??= readOrCreate(path, codec, description);
      // A failure is not remembered: the next call (after the operator fixed the file) tries again.
      key.catch(() => {
        key = undefined;
      });
      return key;
    },
  };
}

/** The default provider: `station.key` in the data directory. */
export function keyFileProvider(dataDir: string): KeyProvider {
  return fileKeyProvider(join(dataDir, KEY_FILE_NAME));
}

async function readOrCreate(path: string, codec: KeyCodec, description: string): Promise<Uint8Array> {
  const existing = await readChecked(path, codec, description);
  if (existing !== undefined) return existing;
  const fresh = randomBytes(STATION_KEY_BYTES);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}`);
  const encoded = await codec.encode(fresh);
  const fd = openSync(temporary, 'wx', 0o600);
  try {
    writeSync(fd, encoded);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    // link() fails if the name exists: exactly one of several processes creating the key at once wins.
    linkSync(temporary, path);
    syncDirectory(dirname(path));
  } catch (error) {
    if (errorCode(error) !== 'EEXIST') throw keyFileError(path, error);
  } finally {
    unlinkSync(temporary);
  }
  const stored = await readChecked(path, codec, description);
  if (stored === undefined) throw new StoreError('key-invalid', `${description} vanished while it was being created`);
  return stored;
}

async function readChecked(path: string, codec: KeyCodec, description: string): Promise<Uint8Array | undefined> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw keyFileError(path, error);
  }
  let bytes: Buffer;
  try {
    const stat = fstatSync(fd);
    if (process.platform !== 'win32') {
      const uid = process.getuid?.();
      if (uid !== undefined && stat.uid !== uid) {
        throw new StoreError(
          'key-unsafe',
          `${description} belongs to another user (uid ${stat.uid}); the station key must belong to the station's user (uid ${uid})`,
        );
      }
      const mode = stat.mode & 0o777;
      if ((mode & 0o077) !== 0) {
        throw new StoreError(
          'key-unsafe',
          `${description} can be read or changed by other users (mode ${mode.toString(8).padStart(4, '0')}); ` +
            `refusing to use it: run \`chmod 600 ${path}\`, and if others may have read it, treat the stored ` +
            `secrets as exposed`,
        );
      }
    }
    bytes = readFileSync(fd);
  } finally {
    closeSync(fd);
  }
  let key: Uint8Array;
  try {
    key = await codec.decode(bytes);
  } catch (error) {
    const reason = error instanceof Error ? error.message : 'unreadable';
    throw new StoreError('key-invalid', `${description} cannot be used: ${reason}`);
  }
  if (key.length !== STATION_KEY_BYTES) {
    throw new StoreError('key-invalid', `${description} holds a ${key.length}-byte key, not ${STATION_KEY_BYTES}`);
  }
  return key;
}

function syncDirectory(dir: string): void {
  if (process.platform === 'win32') return;
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function keyFileError(path: string, error: unknown): StoreError {
  return new StoreError('key-invalid', `cannot use the station key file ${path}: ${errorCode(error)}`);
}
