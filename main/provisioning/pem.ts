/**
 * PEM files (RFC 7468), and the one decision on their bytes: what the station uploads and hashes is the file's
 * canonical form, never the bytes as they lie on disk. Each PEM block is re-encoded from its DER content (base64
 * in 64-character lines, LF line endings, one LF after each END line) and text outside the blocks is dropped. A
 * file checked out with CRLF on one station and LF on another therefore uploads the same bytes, with the same
 * AT+QFUPL size and checksum, and gives the profile the same hash.
 */

export interface PemBlock {
  /** The type label: CERTIFICATE, PRIVATE KEY, EC PRIVATE KEY, ... */
  readonly label: string;
  /** RFC 1421 headers (Proc-Type, DEK-Info): only legacy encrypted keys have them. */
  readonly headers: Readonly<Record<string, string>>;
  readonly der: Buffer;
}

export type PemParse =
  | { readonly ok: true; readonly blocks: readonly PemBlock[]; readonly canonical: Buffer }
  | { readonly ok: false; readonly message: string };

const BEGIN = /^-----BEGIN ([A-Z0-9]+(?: [A-Z0-9]+)*)-----$/;
const END = /^-----END ([A-Z0-9]+(?: [A-Z0-9]+)*)-----$/;
const HEADER = /^([A-Za-z0-9-]+):\s*(.*)$/;
const BASE64_LINE = /^[A-Za-z0-9+/=]+$/;

function textOf(bytes: Uint8Array): string | undefined {
  for (const byte of bytes) {
    if (byte > 0x7e || (byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d)) return undefined;
  }
  return Buffer.from(bytes).toString('latin1');
}

/** Parses every block; refuses binary files, unterminated blocks, mismatched labels and broken base64. */
export function parsePem(bytes: Uint8Array): PemParse {
  if (bytes.length === 0) return { ok: false, message: 'the file is empty' };
  const content = textOf(bytes);
  if (content === undefined) {
    return {
      ok: false,
      message:
        bytes[0] === 0x30
          ? 'not PEM but binary DER: convert it (openssl x509 -inform der -in FILE -out FILE.pem, or openssl pkey for a key)'
          : 'not a PEM file (binary content)',
    };
  }
  const lines = content.split(/\r\n|\r|\n/);
  const blocks: PemBlock[] = [];
  let open:
    { label: string; line: number; headers: Record<string, string>; body: string; inHeaders: boolean } | undefined;
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (open === undefined) {
      const begin = BEGIN.exec(line);
      if (begin?.[1] !== undefined) open = { label: begin[1], line: index + 1, headers: {}, body: '', inHeaders: true };
      continue;
    }
    const end = END.exec(line);
    if (end?.[1] !== undefined) {
      if (end[1] !== open.label) {
        return {
          ok: false,
          message: `line ${index + 1}: BEGIN ${open.label} (line ${open.line}) ends with END ${end[1]}`,
        };
      }
      if (open.body.length === 0 || open.body.length % 4 !== 0 || /=[^=]/.test(open.body)) {
        return { ok: false, message: `the ${open.label} block at line ${open.line} is not valid base64` };
      }
      const der = Buffer.from(open.body, 'base64');
      if (der.toString('base64') !== open.body) {
        return { ok: false, message: `the ${open.label} block at line ${open.line} is not valid base64` };
      }
      blocks.push({ label: open.label, headers: open.headers, der });
      open = undefined;
      continue;
    }
    if (line === '') {
      open.inHeaders = false;
      continue;
    }
    const header = open.inHeaders && open.body === '' ? HEADER.exec(line) : null;
    if (header?.[1] !== undefined && header[2] !== undefined) {
      open.headers[header[1]] = header[2];
      continue;
    }
    open.inHeaders = false;
    if (!BASE64_LINE.test(line)) {
      return { ok: false, message: `line ${index + 1}: not base64 inside the ${open.label} block (line ${open.line})` };
    }
    open.body += line;
  }
  if (open !== undefined) {
    return { ok: false, message: `the ${open.label} block at line ${open.line} has no END line` };
  }
  if (blocks.length === 0) return { ok: false, message: 'not a PEM file (no -----BEGIN line)' };
  return { ok: true, blocks, canonical: encodePem(blocks) };
}

/** The canonical bytes of PEM blocks: base64 in 64-character lines, LF endings. */
export function encodePem(blocks: readonly PemBlock[]): Buffer {
  let out = '';
  for (const block of blocks) {
    out += `-----BEGIN ${block.label}-----\n`;
    const headers = Object.entries(block.headers);
    if (headers.length > 0) out += `${headers.map(([key, value]) => `${key}: ${value}`).join('\n')}\n\n`;
    const base64 = block.der.toString('base64');
    for (let i = 0; i < base64.length; i += 64) out += `${base64.slice(i, i + 64)}\n`;
    out += `-----END ${block.label}-----\n`;
  }
  return Buffer.from(out, 'latin1');
}
