import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A PEM file the harness wrote: where it is (for mosquitto and the CLI clients) and what it holds (for sessions). */
export interface PemFile {
  readonly path: string;
  readonly pem: string;
}

/**
 * Everything a TLS test needs. `otherCa` and the `wrongClient*` pair belong to a second CA the broker does not
 * trust, so "wrong CA" and "wrong client certificate" are real handshake failures, not simulated ones.
 */
export interface TestCertificates {
  readonly caPem: PemFile;
  readonly serverCert: PemFile;
  readonly serverKey: PemFile;
  readonly clientCert: PemFile;
  readonly clientKey: PemFile;
  readonly otherCa: PemFile;
  readonly wrongClientCert: PemFile;
  readonly wrongClientKey: PemFile;
  /** Signed by the right CA for 127.0.0.1/localhost, but out of its validity period (AT+QSSLCFG="ignorelocaltime"). */
  readonly expiredServerCert: PemFile;
  readonly expiredServerKey: PemFile;
}

async function openssl(dir: string, args: readonly string[]): Promise<void> {
  try {
    await run('openssl', [...args], { cwd: dir });
  } catch (error) {
    const stderr = typeof error === 'object' && error !== null && 'stderr' in error ? String(error.stderr) : '';
    throw new Error(`openssl ${args[0] ?? ''} failed: ${stderr.trim()}`, { cause: error });
  }
}

/** P-256 keys: fast to generate (the tests make a fresh set per broker) and accepted by mosquitto and Node. */
const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'] as const;

async function makeCa(dir: string, name: string): Promise<void> {
  await openssl(dir, [
    'req',
    '-x509',
    ...EC_KEY,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.pem`,
    '-days',
    '2',
    '-subj',
    `/CN=Fleet Station test ${name}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
}

/**
 * A leaf certificate signed by `ca`, with the extensions from `<name>.ext`. `days` -1 puts notAfter a day before
 * notBefore (openssl cannot backdate here): a certificate no clock accepts, standing in for an expired one.
 */
async function makeLeaf(dir: string, name: string, ca: string, days = 2): Promise<void> {
  await openssl(dir, ['req', ...EC_KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
  await openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.pem`,
    '-CAkey',
    `${ca}.key`,
    '-set_serial',
    `0x${randomBytes(8).toString('hex')}`,
    '-days',
    String(days),
    '-out',
    `${name}.pem`,
    '-extfile',
    `${name}.ext`,
  ]);
}

/** Generates two unrelated CAs, a server certificate for 127.0.0.1/localhost and a client pair under each CA. */
export async function generateCertificates(dir: string): Promise<TestCertificates> {
  await writeFile(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  await writeFile(
    join(dir, 'expiredserver.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
  );
  await writeFile(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  await writeFile(join(dir, 'wrongclient.ext'), 'extendedKeyUsage=clientAuth\n');
  await Promise.all([makeCa(dir, 'ca'), makeCa(dir, 'otherca')]);
  await Promise.all([
    makeLeaf(dir, 'server', 'ca'),
    makeLeaf(dir, 'client', 'ca'),
    makeLeaf(dir, 'wrongclient', 'otherca'),
    makeLeaf(dir, 'expiredserver', 'ca', -1),
  ]);
  const file = async (name: string): Promise<PemFile> => {
    const path = join(dir, name);
    return { path, pem: await readFile(path, 'utf8') };
  };
  return {
    caPem: await file('ca.pem'),
    serverCert: await file('server.pem'),
    serverKey: await file('server.key'),
    clientCert: await file('client.pem'),
    clientKey: await file('client.key'),
    otherCa: await file('otherca.pem'),
    wrongClientCert: await file('wrongclient.pem'),
    wrongClientKey: await file('wrongclient.key'),
    expiredServerCert: await file('expiredserver.pem'),
    expiredServerKey: await file('expiredserver.key'),
  };
}
