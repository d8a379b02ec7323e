import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AtEvent, AtEventKind } from '../vocab/types';
import { feed } from './fixtures/events';
import { chunkSizes, randomStream } from './fixtures/random-stream';
import { AtStreamParser, MAX_LINE, MAX_RETAINED } from './stream-parser';

const kinds: ReadonlySet<AtEventKind> = new Set([
  'echo',
  'response',
  'final',
  'urc',
  'recv',
  'prompt',
  'connect',
  'data',
  'unknown',
]);

describe('chunking invariant', () => {
  it('any split of the same bytes gives the same events (random streams, random split points)', () => {
    fc.assert(
      fc.property(randomStream, chunkSizes, (segments, sizes) => {
        expect(feed(segments, sizes)).toEqual(feed(segments));
      }),
      { numRuns: 400 },
    );
  });

  it('1-byte chunks give the same events as one chunk', () => {
    fc.assert(
      fc.property(randomStream, (segments) => {
        expect(feed(segments, [1])).toEqual(feed(segments));
      }),
      { numRuns: 150 },
    );
  });
});

describe('line entry point', () => {
  /** Lines as a log decoder sees them: realistic module and host lines, and arbitrary text. */
  const line = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.constantFrom(
        'OK',
        'ERROR',
        '',
        '\t',
        '+CME ERROR: 407',
        'RDY',
        '+QMTSTAT: 0,1',
        '+QMTRECV: 0,2',
        '+QMTRECV: 0,0,"a/b",5,"x',
        '+QMTRECV: 0,0,"a/b","q"uo,te',
        'd"',
        '+QMTOPEN: 0,0',
        '> ',
        '>',
        'CONNECT',
        'AT+QMTPUBEX=0,0,0,0,"t",5',
        'AT+QFUPL="UFS:x",3,10',
        'AT+QMTCONN?',
        'AT+QMTCFG="recv/mode",0,0,1',
        'ATE0',
        'ATE1',
        'Quectel',
        'x'.repeat(MAX_LINE),
        'x'.repeat(MAX_LINE + 1),
        '+QMTCONN: 0,3',
      ),
    },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  );
  const encoder = new TextEncoder();

  it('pushLine(line) gives the events of push(the line as UTF-8, then CR LF), in any sequence', () => {
    fc.assert(
      fc.property(fc.array(line, { maxLength: 30 }), (lines) => {
        const byLine = new AtStreamParser();
        const byBytes = new AtStreamParser();
        for (const text of lines) {
          expect(byLine.pushLine(text)).toEqual(byBytes.push(encoder.encode(`${text}\r\n`)));
        }
      }),
      { numRuns: 400 },
    );
  });
});

describe('garbage', () => {
  it('random bytes never throw, give well-formed events, and keep memory bounded', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 8192 }), { maxLength: 8 }), (chunks) => {
        const parser = new AtStreamParser();
        for (const chunk of chunks) {
          for (const event of parser.push(chunk)) expectWellFormed(event);
          expect(parser.retainedBytes).toBeLessThanOrEqual(MAX_RETAINED);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('a fuzz loop of random bytes for a fixed budget (2 s) never throws and stays bounded', () => {
    const parser = new AtStreamParser();
    const tokens = ['\r', '\n', '"', ',', '> ', 'AT+QMTPUBEX=0,0,0,0,"t",9\r', '+QMTRECV: 0,0,"t",', 'CONNECT\r\n'];
    const encoder = new TextEncoder();
    let seed = 0x2545f491;
    const rand = (): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) / 0x100000000;
    };
    const deadline = Date.now() + 2000;
    let bytes = 0;
    let events = 0;
    while (Date.now() < deadline) {
      const chunk = new Uint8Array(1 + Math.floor(rand() * 512));
      for (let i = 0; i < chunk.length; i++) chunk[i] = Math.floor(rand() * 256);
      if (rand() < 0.5) {
        const token = encoder.encode(tokens[Math.floor(rand() * tokens.length)] ?? '');
        chunk.set(token.subarray(0, chunk.length), Math.floor(rand() * Math.max(1, chunk.length - token.length)));
      }
      const out = parser.push(chunk);
      for (const event of out) expectWellFormed(event);
      events += out.length;
      bytes += chunk.length;
      expect(parser.retainedBytes).toBeLessThanOrEqual(MAX_RETAINED);
    }
    expect(bytes).toBeGreaterThan(100_000);
    expect(events).toBeGreaterThan(0);
  });

  it('a stream that never ends a line stays within MAX_LINE of buffered line', () => {
    const parser = new AtStreamParser();
    const chunk = new Uint8Array(4096).fill(0x41);
    let overlong = 0;
    for (let i = 0; i < 1000; i++) {
      overlong += parser.push(chunk).filter((e) => e.kind === 'unknown' && e.reason === 'overlong').length;
      expect(parser.retainedBytes).toBeLessThanOrEqual(2 * MAX_LINE);
    }
    expect(overlong).toBe(1);
  });
});

function expectWellFormed(event: AtEvent): void {
  expect(kinds.has(event.kind)).toBe(true);
  if (event.kind === 'data') expect(event.bytes.length).toBe(event.length);
  if (event.kind === 'recv' && event.payloadLength !== null) expect(event.payload.length).toBe(event.payloadLength);
  if (event.kind === 'unknown' && event.reason === 'overlong') expect(event.raw.length).toBeGreaterThan(0);
}
