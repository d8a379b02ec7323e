/**
 * Byte-to-text helpers. The parser works on bytes (payload lengths are byte counts); lines become strings only
 * once they are complete, decoded as UTF-8 (topics may be UTF-8; invalid bytes become U+FFFD in `raw`, while
 * payloads stay bytes). Measured: one TextDecoder call per line beats building short ASCII strings by hand.
 */
const utf8 = new TextDecoder('utf-8');

export function decodeText(bytes: Uint8Array, start: number, end: number): string {
  return start === end ? '' : utf8.decode(bytes.subarray(start, end));
}

/**
 * What a line's bytes are, looked at once: `text`, or the noise it shows: `control` (a control character other than
 * TAB), `not-utf8` (invalid UTF-8: shortest forms only, no surrogates, nothing above U+10FFFF; a module's lines are
 * ASCII, topics UTF-8), `blank` (only spaces and TABs: no module sends such a line).
 */
export type LineBytes = 'text' | 'control' | 'not-utf8' | 'blank';

/** One pass over bytes[start, end): control bytes first, then UTF-8 validity, then blankness. */
export function lineBytes(bytes: Uint8Array, start: number, end: number): LineBytes {
  let blank = true;
  let valid = true;
  let i = start;
  while (i < end) {
    const c = bytes[i] ?? 0;
    if (c < 0x80) {
      if ((c < 0x20 && c !== 0x09) || c === 0x7f) return 'control';
      if (c !== 0x20 && c !== 0x09) blank = false;
      i++;
      continue;
    }
    blank = false;
    const more = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (valid && (more < 0 || i + more >= end || !continues(bytes, i, more, c))) valid = false;
    i += valid ? more + 1 : 1;
  }
  return !valid ? 'not-utf8' : blank && end > start ? 'blank' : 'text';
}

function continues(bytes: Uint8Array, i: number, more: number, c: number): boolean {
  const second = bytes[i + 1] ?? 0;
  if ((c === 0xe0 && second < 0xa0) || (c === 0xed && second > 0x9f)) return false;
  if ((c === 0xf0 && second < 0x90) || (c === 0xf4 && second > 0x8f)) return false;
  for (let k = 1; k <= more; k++) if (((bytes[i + k] ?? 0) & 0xc0) !== 0x80) return false;
  return true;
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
