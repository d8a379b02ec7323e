import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { aliauthCredentials, CredentialError, onenetCredentials, onenetToken } from './index';

/**
 * Expected values come from the `openssl` CLI over content strings written out here from the field notes,
 * so the tests check the code against an independent implementation, not against itself.
 */
function opensslHmac(
  digest: string,
  key: { text: string } | { hex: string },
  content: string,
  output: 'hex' | 'base64',
): string {
  const keyOpt = 'text' in key ? `key:${key.text}` : `hexkey:${key.hex}`;
  const raw = execFileSync('openssl', ['dgst', `-${digest}`, '-mac', 'HMAC', '-macopt', keyOpt, '-binary'], {
    input: content,
  });
  return output === 'hex'
    ? raw.toString('hex')
    : execFileSync('openssl', ['base64', '-A'], { input: raw }).toString().trim();
}

/** URL-encoding as OneNET expects it, spelled out for the characters a token can contain. */
function urlEncode(text: string): string {
  return text.replace(/\//g, '%2F').replace(/\+/g, '%2B').replace(/=/g, '%3D');
}

// The example triple from the application note (section 5.1).
const triple = { productKey: 'oyjtmPI5a5j', deviceName: 'MQTT_TEST', deviceSecret: 'wN9Y6pZSIly7Exa5qVzcmigEGO4kAazZ' };

describe('aliauthCredentials', () => {
  for (const [signMethod, digest] of [
    ['hmacsha1', 'sha1'],
    ['hmacsha256', 'sha256'],
  ] as const) {
    for (const secureMode of [2, 3] as const) {
      it(`signs ${signMethod} with securemode ${secureMode} as openssl does`, () => {
        const timestamp = 1_732_406_400_123;
        const credentials = aliauthCredentials({ ...triple, timestamp, signMethod, secureMode });
        expect(credentials.clientId).toBe(
          `oyjtmPI5a5j.MQTT_TEST|securemode=${secureMode},signmethod=${signMethod},timestamp=1732406400123|`,
        );
        expect(credentials.username).toBe('MQTT_TEST&oyjtmPI5a5j');
        const content = 'clientIdoyjtmPI5a5j.MQTT_TESTdeviceNameMQTT_TESTproductKeyoyjtmPI5a5jtimestamp1732406400123';
        expect(credentials.password).toBe(opensslHmac(digest, { text: triple.deviceSecret }, content, 'hex'));
        expect(credentials.password).toMatch(digest === 'sha1' ? /^[0-9a-f]{40}$/ : /^[0-9a-f]{64}$/);
      });
    }
  }

  it('refuses bad input with the field named and the secret never shown', () => {
    const good = { ...triple, timestamp: 1, signMethod: 'hmacsha1', secureMode: 3 } as const;
    expect(() => aliauthCredentials({ ...good, productKey: '' })).toThrow(/productKey/);
    expect(() => aliauthCredentials({ ...good, timestamp: -5 })).toThrow(/timestamp/);
    expect(() => aliauthCredentials({ ...good, timestamp: 1.5 })).toThrow(CredentialError);
    const badSecret = 'secret\r\nAT+CFUN=0';
    try {
      aliauthCredentials({ ...good, deviceSecret: badSecret });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(CredentialError);
      expect(String(error)).toMatch(/deviceSecret/);
      expect(String(error)).not.toContain('secret\r');
    }
    for (const signMethod of ['md5', 'constructor', 'toString', '__proto__']) {
      const unchecked: unknown = { ...good, signMethod };
      expect(() => aliauthCredentials(unchecked as Parameters<typeof aliauthCredentials>[0])).toThrow(CredentialError);
    }
  });
});

describe('onenetToken / onenetCredentials', () => {
  // A 32-byte key as the OneNET console shows it (base64 with '+', '/' and '=' so the URL-encoding is exercised).
  const keyBytes = Buffer.from('fb3fbf00ff2a7e9c11d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6a7b8c9d0', 'hex');
  const accessKey = keyBytes.toString('base64');

  for (const method of ['md5', 'sha1', 'sha256'] as const) {
    it(`builds a ${method} device token as openssl does`, () => {
      const et = 1_893_456_000;
      const res = 'products/Q8sy2Lc7Pn/devices/dev-001';
      const sign = opensslHmac(
        method,
        { hex: keyBytes.toString('hex') },
        `${et}\n${method}\n${res}\n2018-10-31`,
        'base64',
      );
      const expected = `version=2018-10-31&res=${urlEncode(res)}&et=${et}&method=${method}&sign=${urlEncode(sign)}`;
      expect(onenetToken({ res, et, method, accessKey })).toBe(expected);
      expect(onenetCredentials({ productId: 'Q8sy2Lc7Pn', deviceName: 'dev-001', accessKey, et, method })).toEqual({
        clientId: 'dev-001',
        username: 'Q8sy2Lc7Pn',
        password: expected,
      });
    });
  }

  it('signs over products/<pid> for a product key', () => {
    const et = 1_900_000_000;
    const sign = opensslHmac(
      'sha1',
      { hex: keyBytes.toString('hex') },
      `${et}\nsha1\nproducts/P1\n2018-10-31`,
      'base64',
    );
    const credentials = onenetCredentials({
      productId: 'P1',
      deviceName: 'd',
      accessKey,
      et,
      method: 'sha1',
      keyScope: 'product',
    });
    expect(credentials.password).toBe(
      `version=2018-10-31&res=products%2FP1&et=${et}&method=sha1&sign=${urlEncode(sign)}`,
    );
  });

  it('refuses a key that is not base64 without echoing it', () => {
    const key = 'not base64!!';
    try {
      onenetToken({ res: 'products/p', et: 1, method: 'sha1', accessKey: key });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(CredentialError);
      expect(String(error)).toMatch(/accessKey: must be base64/);
      expect(String(error)).not.toContain(key);
    }
    expect(() => onenetToken({ res: 'products/p', et: 0, method: 'sha1', accessKey })).toThrow(/et/);
    expect(() => onenetCredentials({ productId: '', deviceName: 'd', accessKey, et: 1, method: 'md5' })).toThrow(
      /productId/,
    );
  });
});
