import { redact, REDACTED, redactLine, redactText, SecretMask } from '../../catalogue';
import type { AtEventKind } from '../vocab/types';

/** One line (or payload) that crossed the port, as safe to show: secrets are never in `text`. */
export interface TranscriptEntry {
  /** Milliseconds since the epoch. */
  readonly at: number;
  readonly direction: 'out' | 'in';
  /** `command` / `payload` for what the station wrote; the parser's event kind for what it read. */
  readonly kind: 'command' | 'payload' | AtEventKind;
  readonly text: string;
  /**
   * Why a read line did not belong to any transaction: `stale` (an answer arriving when nothing waits for it,
   * e.g. after a timeout), `resync` (consumed while resynchronising), `unexpected` (a prompt nobody asked for).
   */
  readonly note?: 'stale' | 'resync' | 'unexpected';
}

/** Secrets shorter than this are not masked inside other lines (masking `1` everywhere would wreck the log). */
const MIN_MASKED = 4;
/** How many secrets written recently are remembered for masking where they come back. */
const REMEMBERED = 32;

/**
 * What the transcript shows of a line: the catalogue's redactor hides the secret parameters of every command and
 * answer it carries (the station's own lines, their echo, a module's answer to a secret read, a line nobody asked
 * for), and the secret values the station wrote recently are masked wherever else they come back (a payload
 * repeating a password). `remember` learns those values from a line before it is written.
 */
export class Redactor {
  private readonly secrets = new SecretMask(MIN_MASKED);

  /** Learns the secrets of a line about to be written: what the catalogue hides in it, and what `redacted` hides. */
  remember(line: string, redacted = redactLine(line)): void {
    const learnt = [...redact(line).secrets, ...secretsOf(line, redacted)];
    for (const secret of learnt) {
      if (secret.length < MIN_MASKED) continue;
      // Oldest out first: re-adding moves a secret to the end.
      this.secrets.delete(secret);
      this.secrets.add(secret);
    }
    this.trim();
  }

  private trim(): void {
    while (this.secrets.size > REMEMBERED) {
      const oldest = this.secrets.values().next();
      if (oldest.done === true) break;
      this.secrets.delete(oldest.value);
    }
  }

  /**
   * Learns one secret value to mask wherever it comes back, e.g. a payload sent with `secret: true` that the
   * broker delivers back in a +QMTRECV (the catalogue cannot see payloads; the engine knows which were secret).
   */
  rememberValue(secret: string): void {
    if (secret.length < MIN_MASKED) return;
    this.secrets.delete(secret);
    this.secrets.add(secret);
    this.trim();
  }

  /** The text with every secret parameter and every remembered secret masked. */
  mask(text: string): string {
    return this.secrets.mask(redactText(text));
  }
}

/** The substrings of `line` hidden behind each `***` of `redacted` (empty when they do not line up). */
export function secretsOf(line: string, redacted: string): string[] {
  const pieces = redacted.split(REDACTED);
  const first = pieces[0] ?? '';
  if (pieces.length < 2 || !line.startsWith(first)) return [];
  const secrets: string[] = [];
  let at = first.length;
  for (let i = 1; i < pieces.length; i++) {
    const piece = pieces[i] ?? '';
    const last = i === pieces.length - 1;
    const end = last ? line.length - piece.length : piece === '' ? -1 : line.indexOf(piece, at);
    if (end < at || (last && !line.endsWith(piece))) return secrets;
    secrets.push(line.slice(at, end));
    at = end + piece.length;
  }
  return secrets;
}

/** How a payload appears in the transcript: as text when it is printable, never when it is secret. */
export function describePayload(bytes: Uint8Array, secret: boolean): string {
  if (secret) return `<${bytes.byteLength} bytes redacted>`;
  for (const byte of bytes) {
    const printable = byte === 0x09 || byte === 0x0a || byte === 0x0d || (byte >= 0x20 && byte < 0x7f);
    if (!printable) return `<${bytes.byteLength} bytes>`;
  }
  return new TextDecoder().decode(bytes);
}
