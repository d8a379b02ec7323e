import { describe, expect, it } from 'vitest';
import { lineBytes } from './text';

const of = (...bytes: number[]): Uint8Array => new Uint8Array(bytes);
const kind = (bytes: Uint8Array): string => lineBytes(bytes, 0, bytes.length);

describe('lineBytes', () => {
  it('takes ASCII, TABs and well-formed UTF-8 for text', () => {
    expect(kind(new TextEncoder().encode('+QMTRECV: 0,1,"传感器/t","é\tü"'))).toBe('text');
    expect(kind(of(0xf0, 0x9f, 0x98, 0x80))).toBe('text');
    expect(kind(of())).toBe('text');
  });

  it('finds control bytes, malformed UTF-8 and blank lines', () => {
    expect(kind(of(0x41, 0x00))).toBe('control');
    expect(kind(of(0x7f))).toBe('control');
    expect(kind(of(0xff))).toBe('not-utf8');
    expect(kind(of(0xc3))).toBe('not-utf8'); // cut short
    expect(kind(of(0xc0, 0x80))).toBe('not-utf8'); // overlong
    expect(kind(of(0xe0, 0x80, 0x80))).toBe('not-utf8'); // overlong
    expect(kind(of(0xed, 0xa0, 0x80))).toBe('not-utf8'); // surrogate
    expect(kind(of(0xf4, 0x90, 0x80, 0x80))).toBe('not-utf8'); // above U+10FFFF
    expect(kind(of(0xe2, 0x28, 0xa1))).toBe('not-utf8'); // bad continuation
    expect(kind(of(0x20, 0x09, 0x20))).toBe('blank');
    // A control byte anywhere wins, even after malformed UTF-8.
    expect(kind(of(0xff, 0x01))).toBe('control');
  });
});
