import { safeStorage } from 'electron';

/**
 * The station key wrapped by the operating system through Electron's safeStorage (Keychain on macOS, DPAPI on
 * Windows, libsecret/KWallet on Linux): the file in `userData` holds only the wrapped key, useless without the
 * user's login. It has the shape of the store's `KeyCodec`; the composition root passes it to the store's
 * `fileKeyProvider(join(userData, 'station-key.safestorage'), safeStorageKeyCodec)`, and falls back to the plain
 * key file when `safeStorageProtects()` is false.
 */
export const safeStorageKeyCodec = {
  kind: 'safeStorage-wrapped key',
  encode: (key: Uint8Array): Promise<Uint8Array> => safeStorage.encryptStringAsync(Buffer.from(key).toString('base64')),
  decode: async (bytes: Uint8Array): Promise<Uint8Array> => {
    const { result } = await safeStorage.decryptStringAsync(Buffer.from(bytes));
    return Buffer.from(result, 'base64');
  },
};

/**
 * Whether safeStorage really protects the key: encryption is available, and on Linux a keyring backs it (the
 * `basic_text` backend obfuscates with a constant and is no better than the mode-0600 key file).
 */
export async function safeStorageProtects(): Promise<boolean> {
  if (!(await safeStorage.isAsyncEncryptionAvailable())) return false;
  return process.platform !== 'linux' || !['basic_text', 'unknown'].includes(safeStorage.getSelectedStorageBackend());
}
