/**
 * Byte-to-text helpers. The parser works on bytes (payload lengths are byte counts); lines become strings only
 * once they are complete, decoded as UTF-8 (topics may be UTF-8; invalid bytes become U+FFFD in `raw`, while
 * payloads stay bytes). Measured: one TextDecoder call per line beats building short ASCII strings by hand.
 */
const utf8 = new TextDecoder('utf-8');

export function decodeText(bytes: Uint8Array, start: number, end: number): string {
  return start === end ? '' : utf8.decode(bytes.subarray(start, end));
}

/** True when the bytes hold a control character other than TAB: such a line is reported as `binary`. */
export function hasControlBytes(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = bytes[i] ?? 0;
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return true;
  }
  return false;
}

/** A printable rendering of arbitrary bytes for `unknown` events: control bytes become `\xNN`. */
export function escapeBytes(bytes: Uint8Array, start: number, end: number): string {
  let text = '';
  let run = start;
  for (let i = start; i < end; i++) {
    const c = bytes[i] ?? 0;
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) {
      if (i > run) text += decodeText(bytes, run, i);
      text += `\\x${c.toString(16).padStart(2, '0')}`;
      run = i + 1;
    }
  }
  if (end > run) text += decodeText(bytes, run, end);
  return text;
}
