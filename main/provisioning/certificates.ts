import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { IssueList, type ProfileIssue } from './issues';
import type { PemBlock } from './pem';

/**
 * Certificate and key checks, run before anything is written to a module: every PEM parsed with Node's
 * `crypto.X509Certificate` (subject, issuer, validity, SHA-256 fingerprint, CA flag, extended key usage; it does
 * everything needed here, so no X.509 library is added), and each file refused with a reason when the module, or
 * the broker, would refuse it later.
 */

/** Where a file is named: its profile path (also the path of its issues). */
export type FileRole =
  | 'ssl.cacert'
  | 'ssl.clientcert'
  | 'ssl.clientkey'
  | 'verify.negative.cacert'
  | 'verify.observer.ca'
  | 'verify.observer.cert'
  | 'verify.observer.key';

export const KEY_ROLES: readonly FileRole[] = ['ssl.clientkey', 'verify.observer.key'];

/** A PEM file as loaded: its name as the profile (or manifest) gives it, its blocks and its canonical bytes. */
export interface PemFile {
  readonly role: FileRole;
  /** As named: the profile-relative path, or `manifest column "clientcert": <path>`. */
  readonly name: string;
  readonly blocks: readonly PemBlock[];
  /** The canonical PEM (pem.ts): exactly the bytes uploaded and hashed. */
  readonly bytes: Buffer;
}

export interface CertificateFacts {
  readonly role: FileRole;
  readonly file: string;
  /** Position in the file (a CA bundle or a client chain holds several). */
  readonly index: number;
  readonly subject: string;
  readonly issuer: string;
  /** ISO 8601. */
  readonly validFrom: string;
  readonly validTo: string;
  /** Colon-separated upper-case hex, as openssl prints it. */
  readonly fingerprint256: string;
  readonly serialNumber: string;
  readonly ca: boolean;
  readonly selfSigned: boolean;
  /** `EC P-256`, `RSA 2048`, ... */
  readonly publicKey: string;
  readonly subjectAltName?: string;
  /** Extended key usage OIDs, when the certificate restricts them. */
  readonly extendedKeyUsage?: readonly string[];
}

export interface KeyFacts {
  readonly role: FileRole;
  readonly file: string;
  /** `EC P-256`, `RSA 2048`, ... */
  readonly type: string;
}

export interface TlsCheckInput {
  readonly files: ReadonlyMap<FileRole, PemFile>;
  /** AT+QSSLCFG="ignorelocaltime" of the context: the module then ignores validity dates. */
  readonly ignoreLocalTime: boolean;
  readonly now: Date;
}

export interface TlsCheckResult {
  readonly certificates: readonly CertificateFacts[];
  readonly keys: readonly KeyFacts[];
  readonly errors: readonly ProfileIssue[];
  readonly warnings: readonly ProfileIssue[];
}

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const ANY_EKU = '2.5.29.37.0';
const CURVES: Readonly<Record<string, string>> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };
const KEY_LABELS = ['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY'];

/** A key's type in words, and why the module cannot use it (if it cannot). */
function keyType(key: KeyObject): { type: string; error?: string; warning?: string } {
  const kind = key.asymmetricKeyType ?? 'unknown';
  const details = key.asymmetricKeyDetails ?? {};
  if (kind === 'rsa') {
    const bits = details.modulusLength ?? 0;
    const type = `RSA ${bits}`;
    if (bits < 1024 || bits > 4096) return { type, error: `${type}: the module takes RSA keys of 2048-4096 bits` };
    if (bits < 2048)
      return { type, warning: `${type} is weak: brokers and clouds may refuse it; use 2048 bits or more` };
    return { type };
  }
  if (kind === 'ec') {
    const curve = details.namedCurve ?? 'unknown';
    const name = CURVES[curve];
    if (name === undefined) {
      return { type: `EC ${curve}`, error: `EC on curve ${curve}: the module's TLS takes P-256, P-384 or P-521` };
    }
    return { type: `EC ${name}` };
  }
  return {
    type: kind.toUpperCase(),
    error: `a ${kind} key: the module's TLS (up to TLS 1.2) takes RSA or ECDSA (P-256, P-384, P-521) keys only`,
  };
}

const iso = (date: Date): string => date.toISOString();
/** Node prints a distinguished name one attribute a line; facts show it on one line. */
const oneLine = (dn: string): string => dn.split('\n').join(', ');

/**
 * The extended key usage OIDs. Node names this `keyUsage` and types it as always present, but it is undefined for
 * a certificate without the extension (Node 24), so the type is widened to what it really is.
 */
function extendedKeyUsage(cert: X509Certificate): readonly string[] {
  const usages = cert.keyUsage as readonly string[] | undefined;
  return usages ?? [];
}

function signs(issuer: X509Certificate, subject: X509Certificate): boolean {
  return subject.checkIssued(issuer) && subject.verify(issuer.publicKey);
}

/** The first line of a distinguished name, for messages (`CN=Fleet CA`). */
function shortName(dn: string): string {
  const cn = dn.split('\n').find((part) => part.startsWith('CN='));
  return cn ?? dn.split('\n')[0] ?? dn;
}

interface Parsed {
  readonly certs: X509Certificate[];
  readonly key?: KeyObject;
}

/** Checks every file and the relations between them; facts for every certificate and key that parsed. */
export function checkTls(input: TlsCheckInput): TlsCheckResult {
  const issues = new IssueList();
  const certificates: CertificateFacts[] = [];
  const keys: KeyFacts[] = [];
  const parsed = new Map<FileRole, Parsed>();
  const moduleDates = (role: FileRole): 'error' | 'warning' | 'skip' =>
    role === 'verify.negative.cacert' ? 'skip' : role.startsWith('ssl.') && input.ignoreLocalTime ? 'warning' : 'error';

  for (const [role, file] of input.files) {
    if (KEY_ROLES.includes(role)) {
      const key = parseKey(file, issues);
      if (key !== undefined) {
        const type = keyType(key);
        keys.push({ role, file: file.name, type: type.type });
        if (type.error !== undefined) issues.error(role, type.error);
        if (type.warning !== undefined) issues.warn(role, type.warning);
        parsed.set(role, { certs: [], key });
      }
      continue;
    }
    const certs = parseCertificates(file, issues);
    if (certs === undefined) continue;
    parsed.set(role, { certs });
    certs.forEach((cert, index) => {
      const type = keyType(cert.publicKey);
      const selfSigned = cert.checkIssued(cert) && cert.verify(cert.publicKey);
      const eku = extendedKeyUsage(cert);
      certificates.push({
        role,
        file: file.name,
        index,
        subject: oneLine(cert.subject),
        issuer: oneLine(cert.issuer),
        validFrom: iso(cert.validFromDate),
        validTo: iso(cert.validToDate),
        fingerprint256: cert.fingerprint256,
        serialNumber: cert.serialNumber,
        ca: cert.ca,
        selfSigned,
        publicKey: type.type,
        ...(cert.subjectAltName !== undefined ? { subjectAltName: cert.subjectAltName } : {}),
        ...(eku.length > 0 ? { extendedKeyUsage: eku } : {}),
      });
      const which =
        certs.length > 1 ? `certificate ${index + 1} (${shortName(cert.subject)})` : shortName(cert.subject);
      if (type.error !== undefined) issues.error(role, `${which}: ${type.error}`);
      if (type.warning !== undefined) issues.warn(role, `${which}: ${type.warning}`);
      const dates = moduleDates(role);
      if (dates !== 'skip') {
        const problem =
          input.now < cert.validFromDate
            ? `${which} is not valid yet (valid from ${iso(cert.validFromDate)})`
            : input.now > cert.validToDate
              ? `${which} expired on ${iso(cert.validToDate)}`
              : undefined;
        if (problem !== undefined && dates === 'error') issues.error(role, problem);
        if (problem !== undefined && dates === 'warning') {
          issues.warn(role, `${problem}; the module ignores the dates (ssl.ignorelocaltime 1), the broker may not`);
        }
      }
      if ((role === 'ssl.cacert' || role === 'verify.observer.ca') && !cert.ca) {
        if (selfSigned) {
          issues.warn(role, `${which} is not a CA but self-signed: it is trusted only as the broker's own certificate`);
        } else {
          issues.error(
            role,
            `${which} is not a CA (no basicConstraints CA:TRUE): it cannot sign the broker's certificate`,
          );
        }
      }
    });
  }

  checkClient(parsed, 'ssl.clientcert', 'ssl.clientkey', 'ssl.cacert', issues);
  checkClient(parsed, 'verify.observer.cert', 'verify.observer.key', undefined, issues);
  const negative = parsed.get('verify.negative.cacert');
  const real = parsed.get('ssl.cacert');
  if (negative !== undefined && real !== undefined) {
    const trusted = new Set(real.certs.map((cert) => cert.fingerprint256));
    if (negative.certs.some((cert) => trusted.has(cert.fingerprint256))) {
      issues.error(
        'verify.negative.cacert',
        'holds a certificate of ssl.cacert: with it the module would accept the broker, and the negative check would fail',
      );
    }
  }
  return { certificates, keys, errors: issues.errors, warnings: issues.warnings };
}

function parseCertificates(file: PemFile, issues: IssueList): X509Certificate[] | undefined {
  const certs: X509Certificate[] = [];
  let failed = false;
  for (const [index, block] of file.blocks.entries()) {
    if (block.label.includes('PRIVATE KEY')) {
      issues.error(file.role, `holds a private key (block ${index + 1}): this file takes certificates only`);
      failed = true;
    } else if (block.label !== 'CERTIFICATE') {
      issues.error(file.role, `holds a ${block.label} block: this file takes CERTIFICATE blocks only`);
      failed = true;
    } else {
      try {
        certs.push(new X509Certificate(block.der));
      } catch {
        issues.error(file.role, `block ${index + 1} is not a valid X.509 certificate`);
        failed = true;
      }
    }
  }
  return failed ? undefined : certs;
}

function parseKey(file: PemFile, issues: IssueList): KeyObject | undefined {
  const keyBlocks = file.blocks.filter((block) => block.label !== 'EC PARAMETERS');
  for (const block of keyBlocks) {
    if (block.label === 'ENCRYPTED PRIVATE KEY' || (block.headers['Proc-Type'] ?? '').includes('ENCRYPTED')) {
      issues.error(
        file.role,
        'the key is encrypted (passphrase-protected): the module cannot use a passphrase; ' +
          'write it out without one (openssl pkey -in KEY -out KEY.plain) and keep that file safe',
      );
      return undefined;
    }
    if (!KEY_LABELS.includes(block.label)) {
      issues.error(file.role, `holds a ${block.label} block: this file takes the private key only`);
      return undefined;
    }
  }
  const [block, ...more] = keyBlocks;
  if (block === undefined || more.length > 0) {
    issues.error(file.role, `holds ${keyBlocks.length} private keys: this file takes exactly one`);
    return undefined;
  }
  try {
    return createPrivateKey({ key: file.bytes, format: 'pem' });
  } catch {
    issues.error(file.role, 'not a valid private key');
    return undefined;
  }
}

/** A client certificate (or chain): usable for client authentication, matching its key, signed by the CA. */
function checkClient(
  parsed: ReadonlyMap<FileRole, Parsed>,
  certRole: FileRole,
  keyRole: FileRole,
  caRole: FileRole | undefined,
  issues: IssueList,
): void {
  const certs = parsed.get(certRole)?.certs;
  const leaf = certs?.[0];
  if (certs === undefined || leaf === undefined) return;
  const eku = extendedKeyUsage(leaf);
  if (eku.length > 0 && !eku.includes(CLIENT_AUTH) && !eku.includes(ANY_EKU)) {
    issues.error(
      certRole,
      `its extended key usage (${eku.join(', ')}) does not allow TLS client authentication (${CLIENT_AUTH})`,
    );
  }
  for (let i = 1; i < certs.length; i++) {
    const child = certs[i - 1];
    const parent = certs[i];
    if (child !== undefined && parent !== undefined && !signs(parent, child)) {
      issues.error(
        certRole,
        `certificate ${i + 1} (${shortName(parent.subject)}) did not sign certificate ${i} (${shortName(child.subject)}): ` +
          "a chain file lists the client's certificate first, then each issuer in turn",
      );
      return;
    }
  }
  if (certs.length > 1) {
    issues.warn(certRole, `a chain of ${certs.length} certificates: the module sends them all in the TLS handshake`);
  }
  const key = parsed.get(keyRole)?.key;
  if (key !== undefined && !leaf.checkPrivateKey(key)) {
    issues.error(
      keyRole,
      `does not match ${certRole} (${shortName(leaf.subject)}): the key belongs to another certificate`,
    );
  }
  const cas = caRole === undefined ? undefined : parsed.get(caRole)?.certs;
  const top = certs.at(-1);
  if (caRole !== undefined && cas !== undefined && top !== undefined) {
    const trusted = cas.some((ca) => ca.fingerprint256 === top.fingerprint256 || signs(ca, top));
    if (!trusted) {
      const held = cas.map((ca) => shortName(ca.subject)).join(', ');
      issues.error(
        certRole,
        `is not signed by ${caRole}: its issuer is ${shortName(top.issuer)}, the CA file holds ${held || 'nothing'}`,
      );
    }
  }
}
