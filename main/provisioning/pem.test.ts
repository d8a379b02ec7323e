import fc from 'fast-check';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { qfuplChecksum } from '../at/commands';
import { encodePem, parsePem, type PemParse } from './pem';

/**
 * The canonical PEM the station uploads and hashes: the same bytes whatever the line endings, wrapping or text
 * around the blocks of the file on disk.
 */

const fixture = (name: string) => readFile(new URL(`../at/commands/fixtures/${name}`, import.meta.url));

function blocksOf(result: PemParse) {
  if (!result.ok) throw new Error(result.message);
  return result;
}

describe('canonical PEM', () => {
  it("leaves a canonical file as it is: the field notes' check values hold for the bytes uploaded", async () => {
    const amazon = await fixture('AmazonRootCA1.pem');
    const canonical = blocksOf(parsePem(amazon)).canonical;
    expect(canonical).toEqual(amazon);
    expect(canonical.length).toBe(1188);
    expect(qfuplChecksum(canonical)).toBe('2d13');
    const isrg = blocksOf(parsePem(await fixture('ISRGRootX1.pem'))).canonical;
    expect(isrg.length).toBe(1939);
    expect(qfuplChecksum(isrg)).toBe('4f64');
  });

  it('gives the same bytes for any line endings, wrapping, indentation and surrounding text (property)', async () => {
    const amazon = await fixture('AmazonRootCA1.pem');
    const { blocks, canonical } = blocksOf(parsePem(amazon));
    const der = blocks[0]?.der ?? Buffer.alloc(0);
    const base64 = der.toString('base64');
    fc.assert(
      fc.property(
        fc.constantFrom('\n', '\r\n', '\r'),
        fc.integer({ min: 1, max: 40 }).map((n) => n * 4),
        fc.constantFrom('', ' ', '\t'),
        fc.constantFrom('', 'Bag Attributes\n    friendlyName: ca\n', 'subject=CN=x\n\n'),
        fc.boolean(),
        (eol, width, indent, before, trailing) => {
          const lines = ['-----BEGIN CERTIFICATE-----'];
          for (let i = 0; i < base64.length; i += width) lines.push(`${indent}${base64.slice(i, i + width)}${indent}`);
          lines.push('-----END CERTIFICATE-----');
          const text = before.replace(/\n/g, eol) + lines.join(eol) + (trailing ? eol : '');
          expect(blocksOf(parsePem(Buffer.from(text))).canonical).toEqual(canonical);
        },
      ),
    );
  });

  it('is idempotent and keeps every block in order (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            label: fc.constantFrom('CERTIFICATE', 'PRIVATE KEY', 'EC PARAMETERS'),
            der: fc.uint8Array({ minLength: 1, maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        (blocks) => {
          const canonical = encodePem(blocks.map((block) => ({ ...block, headers: {} })));
          const again = blocksOf(parsePem(canonical));
          expect(again.canonical).toEqual(canonical);
          expect(again.blocks.map((block) => [block.label, block.der])).toEqual(
            blocks.map((block) => [block.label, block.der]),
          );
        },
      ),
    );
  });

  it('refuses what is not PEM, with the reason', () => {
    const cases: [string | Uint8Array, string][] = [
      ['', 'the file is empty'],
      ['hello\n', 'not a PEM file (no -----BEGIN line)'],
      [new Uint8Array([0x30, 0x82, 0x01, 0x0a]), 'not PEM but binary DER: convert it'],
      [new Uint8Array([0xff, 0xfe, 0x00]), 'not a PEM file (binary content)'],
      [
        '-----BEGIN CERTIFICATE-----\nAAAA\n-----END PRIVATE KEY-----\n',
        'line 3: BEGIN CERTIFICATE (line 1) ends with END PRIVATE KEY',
      ],
      [
        '-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n',
        'the CERTIFICATE block at line 1 is not valid base64',
      ],
      [
        '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n',
        'the CERTIFICATE block at line 1 is not valid base64',
      ],
      [
        '-----BEGIN CERTIFICATE-----\nAA==AAAA\n-----END CERTIFICATE-----\n',
        'the CERTIFICATE block at line 1 is not valid base64',
      ],
      ['-----BEGIN CERTIFICATE-----\nAAAA\n', 'the CERTIFICATE block at line 1 has no END line'],
    ];
    for (const [input, message] of cases) {
      const result = parsePem(typeof input === 'string' ? Buffer.from(input) : input);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.message).toContain(message);
    }
  });

  it('never throws on any bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        const result = parsePem(bytes);
        if (!result.ok) expect(result.message.length).toBeGreaterThan(0);
      }),
    );
  });

  it('keeps the headers of a legacy encrypted key (so the key check can refuse it)', () => {
    const text =
      '-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,00\n\nAAAA\n-----END EC PRIVATE KEY-----\n';
    const result = blocksOf(parsePem(Buffer.from(text)));
    expect(result.blocks[0]?.headers).toEqual({ 'Proc-Type': '4,ENCRYPTED', 'DEK-Info': 'AES-256-CBC,00' });
    expect(result.canonical.toString()).toBe(text);
  });
});
