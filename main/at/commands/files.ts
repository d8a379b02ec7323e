import { AtResponseError } from '../vocab/errors';
import type { AtRequest } from '../vocab/request';
import { defineRequest, TIMEOUTS } from './define';
import { intAt, requireOk, responsesNamed, stringAt } from './outcome';
import { bytes, int, record, text } from './validate';

/** The module's user file system (UFS): upload certificates and keys, list and delete them. */

const NAME_RULE = {
  maxBytes: 80,
  pattern: {
    regex: /^(?!.*\.\.)[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/,
    expected: 'a file name of letters, digits, ".", "_", "-" (folders separated by "/")',
  },
} as const;

/** A file name as the module wants it: `UFS:<name>`. The `UFS:` prefix is optional on input. */
export function ufsPath(field: string, name: unknown): string {
  const bare = typeof name === 'string' ? name.replace(/^UFS:/i, '') : name;
  return `UFS:${text(field, bare, NAME_RULE)}`;
}

/**
 * The checksum +QFUPL reports: XOR of the bytes taken as big-endian 16-bit words (an odd last byte is the high
 * byte of a final word), in lower-case hex without padding (field notes).
 */
export function qfuplChecksum(data: Uint8Array): string {
  let sum = 0;
  for (let i = 0; i < data.length; i += 2) {
    sum ^= ((data[i] ?? 0) << 8) | (data[i + 1] ?? 0);
  }
  return sum.toString(16);
}

const PRIVATE_KEY_MARK = 'PRIVATE KEY';

/** True when the bytes hold a PEM private key: such contents must never reach a transcript. */
export function looksLikePrivateKey(data: Uint8Array): boolean {
  return new TextDecoder('latin1').decode(data).includes(PRIVATE_KEY_MARK);
}

export interface UploadResult {
  readonly size: number;
  readonly checksum: string;
}

export interface UploadOptions {
  /** Seconds the module waits for the data after CONNECT (1-3600, default 60). */
  readonly inputTimeoutS?: number;
  /** Mark the contents secret; PEM private keys are always secret. */
  readonly secret?: boolean;
}

/** Largest file the station uploads (certificates and keys are a few KB; the spec gives no limit). */
export const MAX_UPLOAD_BYTES = 1_048_576;

/** Time to push `size` bytes through a 115200 8N1 port (10 bits a byte), in ms. */
function transferMs(size: number): number {
  return Math.ceil((size * 10 * 1000) / 115_200);
}

/**
 * `AT+QFUPL="UFS:<name>",<size>,<timeout>` then, after CONNECT, exactly `<size>` bytes. The parse checks the
 * module's checksum against the bytes sent, so a corrupted upload is caught here and not at the TLS handshake.
 */
export function qfupl(name: string, data: Uint8Array, options: UploadOptions = {}): AtRequest<UploadResult> {
  const path = ufsPath('name', name);
  const content = bytes('data', data, 1, MAX_UPLOAD_BYTES);
  const inputTimeoutS = int('inputTimeoutS', record('options', options).inputTimeoutS ?? 60, 1, 3600);
  const expected = qfuplChecksum(content);
  const secret = options.secret === true || looksLikePrivateKey(content);
  return defineRequest({
    line: `AT+QFUPL="${path}",${content.length},${inputTimeoutS}`,
    payload: { after: 'connect', bytes: content, secret },
    timeoutMs: inputTimeoutS * 1000 + transferMs(content.length) + TIMEOUTS.file,
    parse: (outcome) => {
      requireOk(outcome, 'AT+QFUPL');
      const reply = responsesNamed(outcome, '+QFUPL')[0];
      if (!reply) throw new AtResponseError('AT+QFUPL: expected +QFUPL: <size>,<checksum>');
      const size = intAt(reply.params, 0, 'AT+QFUPL');
      const checksum = stringAt(reply.params, 1, 'AT+QFUPL').trim().toLowerCase();
      if (size !== content.length)
        throw new AtResponseError(`AT+QFUPL: module stored ${size} of ${content.length} bytes`);
      if (checksum !== expected) {
        throw new AtResponseError(`AT+QFUPL: checksum ${checksum} does not match the data sent (${expected})`);
      }
      return { size, checksum };
    },
  });
}

export interface FileEntry {
  /** Full name as listed, e.g. `UFS:cacert.pem`. */
  readonly name: string;
  readonly size: number;
}

/** `AT+QFLST="<pattern>"` (default `*`): list files. */
export function qflst(pattern = '*'): AtRequest<FileEntry[]> {
  const value = text('pattern', pattern, {
    maxBytes: 84,
    pattern: { regex: /^(UFS:)?[A-Za-z0-9_.*/-]+$/, expected: 'a file pattern such as * or UFS:*.pem' },
  });
  return defineRequest({
    line: `AT+QFLST="${value}"`,
    timeoutMs: TIMEOUTS.file,
    parse: (outcome) => {
      requireOk(outcome, 'AT+QFLST');
      return responsesNamed(outcome, '+QFLST').map(({ params }) => ({
        name: stringAt(params, 0, 'AT+QFLST'),
        size: intAt(params, 1, 'AT+QFLST'),
      }));
    },
  });
}

/** `AT+QFDEL="UFS:<name>"`, or `AT+QFDEL="*"` for every file. */
export function qfdel(name: string): AtRequest<void> {
  const target = name === '*' ? '*' : ufsPath('name', name);
  return defineRequest({
    line: `AT+QFDEL="${target}"`,
    timeoutMs: TIMEOUTS.file,
    parse: (outcome) => requireOk(outcome, 'AT+QFDEL'),
  });
}
