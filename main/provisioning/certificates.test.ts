import { X509Certificate } from 'node:crypto';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueExample, writeIn, type Json } from './fixtures/profiles';
import { pki, type Pki } from './fixtures/pki';
import { loadProfile, type ProfileLoad } from './load';

/**
 * The certificate checks, on files the openssl CLI makes here: each broken file is refused with a reason naming
 * the profile field, before anything could be written to a module.
 */

let dir: string;
let ca: Pki;
let counter = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleet-certs-'));
  ca = pki(dir);
  await Promise.all([ca.ca('ca'), ca.ca('otherca'), ca.ca('selfsigned', { ca: false })]);
  await Promise.all([
    ca.issue('client', 'ca'),
    ca.issue('expired', 'ca', { start: '20200101000000Z', end: '20210101000000Z' }),
    ca.issue('future', 'ca', { start: '20990101000000Z', end: '20991231000000Z' }),
    ca.issue('wrongclient', 'otherca'),
    ca.issue('serveronly', 'ca', { extensions: 'server' }),
    ca.issue('leafonly', 'ca', { extensions: 'leaf' }),
    ca.issue('inter', 'ca', { extensions: 'intermediate' }),
    ca.issue('edclient', 'ca', { keyArgs: ['-newkey', 'ed25519', '-nodes'] }),
    ca.issue('rsaclient', 'ca', { keyArgs: ['-newkey', 'rsa:2048', '-nodes'] }),
  ]);
  await ca.issue('chainleaf', 'inter');
  await ca.openssl(['pkey', '-in', 'client.key', '-aes256', '-passout', 'pass:x', '-out', 'encrypted.key']);
  await ca.openssl([
    'pkey',
    '-in',
    'client.key',
    '-traditional',
    '-aes256',
    '-passout',
    'pass:x',
    '-out',
    'legacy.key',
  ]);
  await ca.openssl(['x509', '-in', 'client.pem', '-outform', 'der', '-out', 'client.der']);
  await ca.write('chain.pem', (await ca.read('chainleaf.pem')) + (await ca.read('inter.pem')));
  await ca.write('badchain.pem', (await ca.read('inter.pem')) + (await ca.read('chainleaf.pem')));
  await ca.write('bundle.pem', (await ca.read('otherca.pem')) + (await ca.read('ca.pem')));
  await ca.write('keyandcert.key', (await ca.read('client.key')) + (await ca.read('client.pem')));
  await ca.write('certandkey.pem', (await ca.read('client.pem')) + (await ca.read('client.key')));
  await ca.write('notpem.pem', 'this is a certificate, honestly\n');
  await ca.write('garbage.pem', '-----BEGIN CERTIFICATE-----\nnot*base64*at*all\n-----END CERTIFICATE-----\n');
  await ca.write('junk.pem', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
  await ca.write('unterminated.pem', (await ca.read('ca.pem')).replace(/-----END CERTIFICATE-----\n?$/, ''));
  await ca.write('crlf-ca.pem', (await ca.read('ca.pem')).replace(/\n/g, '\r\n'));
  await ca.write('annotated-ca.pem', `Bag Attributes\n  friendlyName: test\n${await ca.read('ca.pem')}`);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Loads the issue's example profile with its ssl section changed; file names are relative to `dir`. */
async function check(ssl: { [key: string]: Json }, verify?: { [key: string]: Json }): Promise<ProfileLoad> {
  const profile = issueExample();
  const base = profile.ssl;
  if (typeof base !== 'object' || base === null || Array.isArray(base)) throw new TypeError('ssl');
  // null removes a key of the example.
  profile.ssl = Object.fromEntries(Object.entries({ ...base, ...ssl }).filter(([, value]) => value !== null));
  if (verify !== undefined) {
    const given = profile.verify;
    if (typeof given !== 'object' || given === null || Array.isArray(given)) throw new TypeError('verify');
    profile.verify = { ...given, ...verify };
  }
  counter += 1;
  return loadProfile(await writeIn(dir, `profile-${counter}.json`, profile));
}

const good = { cacert: 'ca.pem', clientcert: 'client.pem', clientkey: 'client.key' };

function errorsOf(load: ProfileLoad): { path: string; message: string }[] {
  expect(load.ok).toBe(false);
  return load.ok ? [] : load.errors.map(({ path, message }) => ({ path, message }));
}

describe('certificate checks (openssl-made files)', () => {
  it('accepts a CA, a client certificate it signed and the matching key, with every fact', async () => {
    const load = await check(good);
    expect(load.ok).toBe(true);
    expect(load.warnings).toEqual([]);
    const caFacts = load.certificates.find((cert) => cert.role === 'ssl.cacert');
    const x509 = new X509Certificate(await readFile(join(dir, 'ca.pem')));
    expect(caFacts).toEqual({
      role: 'ssl.cacert',
      file: 'ca.pem',
      index: 0,
      subject: 'CN=ca',
      issuer: 'CN=ca',
      validFrom: x509.validFromDate.toISOString(),
      validTo: x509.validToDate.toISOString(),
      fingerprint256: x509.fingerprint256,
      serialNumber: x509.serialNumber,
      ca: true,
      selfSigned: true,
      publicKey: 'EC P-256',
    });
    expect(load.certificates.find((cert) => cert.role === 'ssl.clientcert')).toMatchObject({
      subject: 'CN=client',
      issuer: 'CN=ca',
      ca: false,
      selfSigned: false,
      extendedKeyUsage: ['1.3.6.1.5.5.7.3.2'],
    });
    expect(load.keys).toEqual([{ role: 'ssl.clientkey', file: 'client.key', type: 'EC P-256' }]);
  });

  it('refuses an expired client certificate when the module checks dates, and warns when it ignores them', async () => {
    const strict = errorsOf(
      await check({ ...good, clientcert: 'expired.pem', clientkey: 'expired.key', ignorelocaltime: 0 }),
    );
    expect(strict).toEqual([{ path: 'ssl.clientcert', message: 'CN=expired expired on 2021-01-01T00:00:00.000Z' }]);
    const lenient = await check({ ...good, clientcert: 'expired.pem', clientkey: 'expired.key', ignorelocaltime: 1 });
    expect(lenient.ok).toBe(true);
    expect(lenient.warnings).toEqual([
      expect.objectContaining({
        path: 'ssl.clientcert',
        message: expect.stringMatching(
          /expired on 2021-01-01.*the module ignores the dates \(ssl.ignorelocaltime 1\)/,
        ) as unknown,
      }),
    ]);
  });

  it('refuses a certificate that is not valid yet when the module checks dates', async () => {
    expect(
      errorsOf(await check({ ...good, clientcert: 'future.pem', clientkey: 'future.key', ignorelocaltime: 0 })),
    ).toEqual([
      { path: 'ssl.clientcert', message: 'CN=future is not valid yet (valid from 2099-01-01T00:00:00.000Z)' },
    ]);
  });

  it('refuses a client certificate the CA did not sign', async () => {
    expect(errorsOf(await check({ ...good, clientcert: 'wrongclient.pem', clientkey: 'wrongclient.key' }))).toEqual([
      {
        path: 'ssl.clientcert',
        message: 'is not signed by ssl.cacert: its issuer is CN=otherca, the CA file holds CN=ca',
      },
    ]);
  });

  it('refuses a key that does not match the certificate', async () => {
    expect(errorsOf(await check({ ...good, clientkey: 'wrongclient.key' }))).toEqual([
      {
        path: 'ssl.clientkey',
        message: 'does not match ssl.clientcert (CN=client): the key belongs to another certificate',
      },
    ]);
  });

  it.each([
    ['PKCS#8', 'encrypted.key'],
    ['legacy Proc-Type', 'legacy.key'],
  ])('refuses an encrypted key (%s)', async (_kind, key) => {
    const errors = errorsOf(await check({ ...good, clientkey: key }));
    expect(errors).toEqual([
      {
        path: 'ssl.clientkey',
        message: expect.stringMatching(/^the key is encrypted \(passphrase-protected\)/) as unknown,
      },
    ]);
  });

  it.each([
    ['ssl.cacert', { cacert: 'notpem.pem' }, 'notpem.pem: not a PEM file (no -----BEGIN line)'],
    ['ssl.clientcert', { clientcert: 'client.der' }, 'client.der: not PEM but binary DER'],
    ['ssl.cacert', { cacert: 'garbage.pem' }, 'garbage.pem: line 2: not base64 inside the CERTIFICATE block (line 1)'],
    ['ssl.cacert', { cacert: 'junk.pem' }, 'block 1 is not a valid X.509 certificate'],
    ['ssl.cacert', { cacert: 'unterminated.pem' }, 'unterminated.pem: the CERTIFICATE block at line 1 has no END line'],
    ['ssl.cacert', { cacert: 'missing.pem' }, 'cannot read missing.pem (no such file)'],
    ['ssl.cacert', { cacert: 'leafonly.pem' }, 'CN=leafonly is not a CA (no basicConstraints CA:TRUE)'],
    [
      'ssl.clientcert',
      { clientcert: 'serveronly.pem', clientkey: 'serveronly.key' },
      'does not allow TLS client authentication',
    ],
    [
      'ssl.clientkey',
      { clientkey: 'keyandcert.key' },
      'holds a CERTIFICATE block: this file takes the private key only',
    ],
    [
      'ssl.clientcert',
      { clientcert: 'certandkey.pem' },
      'holds a private key (block 2): this file takes certificates only',
    ],
    ['ssl.clientkey', { clientcert: 'edclient.pem', clientkey: 'edclient.key' }, 'a ed25519 key: the module'],
    [
      'ssl.clientcert',
      { clientcert: 'badchain.pem', clientkey: 'chainleaf.key' },
      'certificate 2 (CN=chainleaf) did not sign certificate 1 (CN=inter)',
    ],
  ])('refuses %s: %j', async (path, ssl, message) => {
    const errors = errorsOf(await check({ ...good, ...ssl }));
    expect(errors).toContainEqual({ path, message: expect.stringContaining(message) as unknown });
  });

  it('accepts a chain (client first, then its issuer) with a warning, and an RSA client', async () => {
    const chain = await check({ ...good, clientcert: 'chain.pem', clientkey: 'chainleaf.key' });
    expect(chain.ok).toBe(true);
    expect(chain.warnings).toEqual([
      expect.objectContaining({ path: 'ssl.clientcert', message: expect.stringMatching(/a chain of 2/) as unknown }),
    ]);
    const rsa = await check({ ...good, clientcert: 'rsaclient.pem', clientkey: 'rsaclient.key' });
    expect(rsa.ok).toBe(true);
    expect(rsa.keys).toEqual([{ role: 'ssl.clientkey', file: 'rsaclient.key', type: 'RSA 2048' }]);
  });

  it('accepts a CA bundle and a self-signed server certificate (with a warning) as the CA', async () => {
    expect((await check({ ...good, cacert: 'bundle.pem' })).ok).toBe(true);
    const pinned = await check({ cacert: 'selfsigned.pem', seclevel: 1, clientcert: null, clientkey: null });
    expect(pinned.ok).toBe(true);
    expect(pinned.warnings).toEqual([
      expect.objectContaining({
        path: 'ssl.cacert',
        message: expect.stringMatching(/not a CA but self-signed/) as unknown,
      }),
    ]);
  });

  it('uploads and hashes the canonical PEM: CRLF, LF and annotated copies give the same bytes and hash', async () => {
    const copies = { lf: 'ca.pem', crlf: 'crlf-ca.pem', annotated: 'annotated-ca.pem', other: 'bundle.pem' };
    const hashes: Record<string, string> = {};
    for (const [folder, source] of Object.entries(copies)) {
      await writeIn(dir, `${folder}/certs/ca.pem`, await readFile(join(dir, source)));
      await copyFile(join(dir, 'client.pem'), join(dir, folder, 'certs/client.pem'));
      await copyFile(join(dir, 'client.key'), join(dir, folder, 'certs/client.key'));
      const load = await loadProfile(await writeIn(dir, `${folder}/profile.json`, issueExample()));
      if (!load.ok) throw new Error(`${folder}: ${JSON.stringify(load.errors)}`);
      hashes[folder] = load.profile.hash;
      if (folder !== 'other') {
        expect(load.profile.files.get('ssl.cacert')?.bytes.toString('latin1')).toBe(await ca.read('ca.pem'));
      }
    }
    expect(hashes.crlf).toBe(hashes.lf);
    expect(hashes.annotated).toBe(hashes.lf);
    expect(hashes.other).not.toBe(hashes.lf);
    expect(hashes.lf).toMatch(/^[0-9a-f]{64}$/);
  });

  it("refuses a negative-check CA that is the profile's own CA, and accepts another", async () => {
    expect(errorsOf(await check(good, { negative: { cacert: 'ca.pem' } }))).toEqual([
      {
        path: 'verify.negative.cacert',
        message: expect.stringMatching(/holds a certificate of ssl.cacert/) as unknown,
      },
    ]);
    const other = await check(good, { negative: { cacert: 'otherca.pem' } });
    expect(other.ok).toBe(true);
  });
});
