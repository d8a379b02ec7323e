import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { StoreError } from './errors';

/** Blob layout: version (1 byte) | nonce (12) | ciphertext | GCM tag (16). */
const VERSION = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
export const STATION_KEY_BYTES = 32;

/**
 * AES-256-GCM with a key derived (HKDF-SHA256) from the station key. Every blob is bound to what it belongs to
 * through the additional authenticated data (a credential's id), so a blob copied onto another row does not open.
 * `keyId` identifies the station key without revealing it, so a data directory can tell a wrong key from a damaged
 * blob.
 */
export class SecretBox {
  private constructor(
    private readonly key: Buffer,
    readonly keyId: string,
  ) {}

  static fromStationKey(stationKey: Uint8Array): SecretBox {
    if (stationKey.length !== STATION_KEY_BYTES) {
      throw new StoreError(
        'key-invalid',
        `the station key must be ${STATION_KEY_BYTES} bytes, got ${stationKey.length}`,
      );
    }
    const salt = Buffer.from('fleet-station station key', 'utf8');
    const key = Buffer.from(hkdfSync('sha256', stationKey, salt, 'credential secrets v1', 32));
    const check = Buffer.from(hkdfSync('sha256', stationKey, salt, 'key id v1', 32));
    const keyId = createHmac('sha256', check).update('fleet-station key id').digest('hex').slice(0, 32);
    return new SecretBox(key, keyId);
  }

  seal(plain: string, aad: string): Buffer {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.of(VERSION), nonce, body, cipher.getAuthTag()]);
  }

  open(blob: Uint8Array, aad: string): string {
    const bytes = Buffer.from(blob);
    if (bytes.length < 1 + NONCE_BYTES + TAG_BYTES || bytes[0] !== VERSION) {
      throw new StoreError('key-invalid', 'an encrypted value is damaged (unknown format)');
    }
    const nonce = bytes.subarray(1, 1 + NONCE_BYTES);
    const tag = bytes.subarray(bytes.length - TAG_BYTES);
    const body = bytes.subarray(1 + NONCE_BYTES, bytes.length - TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.key, nonce);
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    } catch {
      throw new StoreError('key-invalid', 'an encrypted value does not open with the station key (damaged or moved)');
    }
  }
}
