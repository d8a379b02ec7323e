import { X509Certificate } from 'node:crypto';
import type { DetailedPeerCertificate, TLSSocket } from 'node:tls';
import type { TlsSettings } from './types';

/** Verification failures that only concern the clock: AT+QSSLCFG="ignorelocaltime" tells the module to overlook them. */
const TIME_ERRORS = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);
const MAX_CHAIN = 10;

/** The certificates in an uploaded CA file (one PEM may hold several). Unparsable blocks are skipped. */
function caCertificates(pem: Uint8Array): X509Certificate[] {
  const blocks = Buffer.from(pem)
    .toString('latin1')
    .match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  const certificates: X509Certificate[] = [];
  for (const block of blocks ?? []) {
    try {
      certificates.push(new X509Certificate(block));
    } catch {
      // Not a certificate after all: it cannot anchor anything.
    }
  }
  return certificates;
}

function presentedChain(socket: TLSSocket): X509Certificate[] {
  const chain: X509Certificate[] = [];
  let current = socket.getPeerCertificate(true);
  const seen = new Set<string>();
  while (chain.length < MAX_CHAIN && Buffer.isBuffer(current.raw) && !seen.has(current.fingerprint256)) {
    seen.add(current.fingerprint256);
    chain.push(new X509Certificate(current.raw));
    // Typed as always present, but absent past the last certificate the server sent (a root points to itself).
    const issuer: unknown = current.issuerCertificate;
    if (typeof issuer !== 'object' || issuer === null) break;
    current = issuer as DetailedPeerCertificate;
  }
  return chain;
}

/** Signature-only chain check: each certificate signed by the next, the last one by an uploaded CA. Dates ignored. */
function chainsToCa(chain: readonly X509Certificate[], cas: readonly X509Certificate[]): boolean {
  const signedBy = (cert: X509Certificate, issuer: X509Certificate): boolean =>
    cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  for (const [index, cert] of chain.entries()) {
    if (cas.some((ca) => signedBy(cert, ca))) return true;
    const next = chain[index + 1];
    if (next === undefined || !signedBy(cert, next)) return false;
  }
  return false;
}

function errorCode(socket: TLSSocket): string {
  // Typed as Error, but Node sets the OpenSSL code as a string.
  const raw: unknown = socket.authorizationError;
  if (typeof raw === 'string') return raw;
  if (raw instanceof Error) return 'code' in raw && typeof raw.code === 'string' ? raw.code : raw.message;
  return '';
}

/**
 * Whether the module accepts the server after the handshake. seclevel 0: always. Otherwise OpenSSL's verdict
 * against the uploaded CA, except that with ignorelocaltime a verdict about dates alone is overruled when the
 * signatures chain to the uploaded CA (OpenSSL reports the date problem even when the chain is untrusted too, so
 * the chain is checked again here rather than trusting the error code).
 */
export function serverAccepted(socket: TLSSocket, settings: TlsSettings): boolean {
  if (settings.seclevel === 0 || socket.authorized) return true;
  if (!settings.ignoreLocalTime || !TIME_ERRORS.has(errorCode(socket)) || settings.ca === undefined) return false;
  return chainsToCa(presentedChain(socket), caCertificates(settings.ca));
}
