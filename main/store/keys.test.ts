import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, expectTypeOf, it } from 'vitest';
import type { safeStorageKeyCodec } from '../shell-electron/key-codec';
import { fileKeyProvider, keyFileProvider, type KeyCodec } from './keys';
import { SecretBox } from './secret-box';

const scratch = mkdtempSync(join(tmpdir(), 'store-keys-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => join(scratch, `d${++n}`);

describe('station key file', () => {
  it('is created once, readable only by its user, and read back as the same key', async () => {
    const dir = fresh();
    const key = await keyFileProvider(dir).getKey();
    expect(key).toHaveLength(32);
    expect(statSync(join(dir, 'station.key')).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(Buffer.from(await keyFileProvider(dir).getKey()).equals(Buffer.from(key))).toBe(true);
  });

  it('is refused when group or others may read it, with what to do', async () => {
    for (const mode of [0o644, 0o640, 0o604, 0o620]) {
      const dir = fresh();
      await keyFileProvider(dir).getKey();
      chmodSync(join(dir, 'station.key'), mode);
      await expect(keyFileProvider(dir).getKey()).rejects.toMatchObject({
        code: 'key-unsafe',
        message: expect.stringMatching(
          new RegExp(`can be read or changed by other users \\(mode 0${mode.toString(8)}\\).*chmod 600`),
        ) as unknown,
      });
    }
    // Once fixed, the same provider (a long-running station) uses it.
    const dir = fresh();
    const provider = keyFileProvider(dir);
    const key = await provider.getKey();
    chmodSync(join(dir, 'station.key'), 0o644);
    const again = keyFileProvider(dir);
    await expect(again.getKey()).rejects.toMatchObject({ code: 'key-unsafe' });
    chmodSync(join(dir, 'station.key'), 0o600);
    expect(Buffer.from(await again.getKey()).equals(Buffer.from(key))).toBe(true);
  });

  it('is refused when it is not a key, without printing its content', async () => {
    const dir = fresh();
    await keyFileProvider(dir).getKey();
    writeFileSync(join(dir, 'station.key'), 'not-a-key-Zq9\n', { mode: 0o600 });
    const error: unknown = await keyFileProvider(dir)
      .getKey()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'key-invalid' });
    expect(String(error)).not.toContain('Zq9');
  });

  it("takes the Electron shell's safeStorage codec", () => {
    expectTypeOf<typeof safeStorageKeyCodec>().toExtend<KeyCodec>();
  });

  it('can be wrapped by the OS (safeStorage): the file then holds no usable key bytes', async () => {
    const wrapping = randomBytes(32);
    // A stand-in for Electron's safeStorage: AES-GCM under a key only "the OS" holds.
    const codec: KeyCodec = {
      kind: 'wrapped key',
      encode: (key) => {
        const iv = randomBytes(12);
        const cipher = createCipheriv('aes-256-gcm', wrapping, iv);
        return Promise.resolve(Buffer.concat([iv, cipher.update(key), cipher.final(), cipher.getAuthTag()]));
      },
      decode: (bytes) => {
        const data = Buffer.from(bytes);
        const decipher = createDecipheriv('aes-256-gcm', wrapping, data.subarray(0, 12));
        decipher.setAuthTag(data.subarray(data.length - 16));
        return Promise.resolve(Buffer.concat([decipher.update(data.subarray(12, data.length - 16)), decipher.final()]));
      },
    };
    const file = join(fresh(), 'station-key.wrapped');
    const key = await fileKeyProvider(file, codec).getKey();
    const stored = readFileSync(file);
    expect(stored.includes(Buffer.from(key))).toBe(false);
    expect(stored.includes(Buffer.from(Buffer.from(key).toString('base64')))).toBe(false);
    expect(Buffer.from(await fileKeyProvider(file, codec).getKey()).equals(Buffer.from(key))).toBe(true);
  });
});

describe('SecretBox', () => {
  const box = SecretBox.fromStationKey(randomBytes(32));

  it('opens what it sealed, for the same owner only', () => {
    const sealed = box.seal('{"password":"p"}', 'credential:a');
    expect(box.open(sealed, 'credential:a')).toBe('{"password":"p"}');
    expect(() => box.open(sealed, 'credential:b')).toThrow(/does not open/);
    expect(sealed.includes(Buffer.from('"p"'))).toBe(false);
  });

  it('detects tampering and a wrong key', () => {
    const sealed = box.seal('secret', 'x');
    const flipped = Buffer.from(sealed);
    flipped[20] = (flipped[20] ?? 0) ^ 1;
    expect(() => box.open(flipped, 'x')).toThrow(/does not open/);
    expect(() => SecretBox.fromStationKey(randomBytes(32)).open(sealed, 'x')).toThrow(/does not open/);
    expect(() => box.open(Buffer.from([2, 1, 2]), 'x')).toThrow(/damaged/);
  });

  it('seals the same text differently each time, and names its key without revealing it', () => {
    expect(box.seal('same', 'x').equals(box.seal('same', 'x'))).toBe(false);
    const key = randomBytes(32);
    expect(SecretBox.fromStationKey(key).keyId).toBe(SecretBox.fromStationKey(key).keyId);
    expect(SecretBox.fromStationKey(key).keyId).not.toContain(key.toString('hex').slice(0, 8));
    expect(() => SecretBox.fromStationKey(randomBytes(16))).toThrow(/32 bytes/);
  });
});
