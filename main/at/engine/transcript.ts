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

/** The marker the command library uses for a redacted value. */
const MARK = '***';
/** Secrets shorter than this are not masked inside other lines (masking `1` everywhere would wreck the log). */
const MIN_MASKED = 4;
/** How many recently written secret lines are remembered for masking their late echoes. */
const REMEMBERED = 32;

/**
 * Keeps what the station wrote that was secret, so the transcript can mask it wherever it comes back: the echo
 * of a secret command line (shown as its redacted form), or a secret value reappearing in a later line. The
 * secrets are the parts of `line` that `redacted` replaces with `***`.
 */
export class Redactor {
  private readonly lines = new Map<string, string>();
  private readonly secrets = new Set<string>();

  remember(line: string, redacted: string): void {
    if (line === redacted) return;
    this.lines.delete(line);
    this.lines.set(line, redacted);
    for (const secret of secretsOf(line, redacted)) {
      if (secret.length < MIN_MASKED) continue;
      this.secrets.delete(secret);
      this.secrets.add(secret);
    }
    trim(this.lines);
    trim(this.secrets);
  }

  /** The text with every remembered secret masked. */
  mask(text: string): string {
    const whole = this.lines.get(text);
    if (whole !== undefined) return whole;
    let out = text;
    for (const secret of this.secrets) if (out.includes(secret)) out = out.split(secret).join(MARK);
    return out;
  }
}

/** The substrings of `line` hidden behind each `***` of `redacted` (empty when they do not line up). */
export function secretsOf(line: string, redacted: string): string[] {
  const pieces = redacted.split(MARK);
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

function trim(collection: Map<string, string> | Set<string>): void {
  while (collection.size > REMEMBERED) {
    const oldest = collection.keys().next();
    if (oldest.done === true) return;
    collection.delete(oldest.value);
  }
}
