import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  expandEscapedLines,
  LineSplitter,
  marksArrow,
  parseLogLine,
  splitLogLines,
  stampFacts,
  usesArrowMarkers,
} from './log-line';

describe('log line decorations', () => {
  it('timestamp formats', () => {
    expect(parseLogLine('[2024-05-01 10:00:00.123] AT', 1, false)).toMatchObject({
      time: '2024-05-01 10:00:00.123',
      timeMs: Date.UTC(2024, 4, 1, 10, 0, 0, 123),
      body: 'AT',
      direction: null,
    });
    expect(parseLogLine('2024-05-01T10:00:00.5Z OK', 1, false)).toMatchObject({
      timeMs: Date.UTC(2024, 4, 1, 10, 0, 0, 500),
      body: 'OK',
    });
    expect(parseLogLine('2024-05-01T10:00:00+08:00 OK', 1, false)).toMatchObject({ body: 'OK' });
    expect(parseLogLine('10:00:01.250 +QMTSTAT: 0,1', 1, false)).toMatchObject({
      time: '10:00:01.250',
      timeMs: 36_001_250,
      body: '+QMTSTAT: 0,1',
    });
    expect(parseLogLine('[10:00:01,5] OK', 1, false)).toMatchObject({ timeMs: 36_001_500, body: 'OK' });
    expect(parseLogLine('OK', 1, false)).toMatchObject({ time: null, timeMs: null, body: 'OK' });
  });

  it('direction markers', () => {
    expect(parseLogLine('10:00:00.000 > AT', 1, true)).toMatchObject({ direction: 'tx', body: 'AT' });
    expect(parseLogLine('10:00:00.000 < OK', 1, true)).toMatchObject({ direction: 'rx', body: 'OK' });
    expect(parseLogLine('10:00:00.000 < > ', 1, true)).toMatchObject({ direction: 'rx', body: '> ' });
    expect(parseLogLine('TX: AT+CSQ', 1, false)).toMatchObject({ direction: 'tx', body: 'AT+CSQ' });
    expect(parseLogLine('[RX] +CSQ: 20,99', 1, false)).toMatchObject({ direction: 'rx', body: '+CSQ: 20,99' });
    expect(parseLogLine('10:00:00 SEND: ATI', 1, false)).toMatchObject({ direction: 'tx', body: 'ATI' });
    expect(parseLogLine('-> AT', 1, false)).toMatchObject({ direction: 'tx', body: 'AT' });
    expect(parseLogLine('<< OK', 1, false)).toMatchObject({ direction: 'rx', body: 'OK' });
    // Without `<` markers in the log, `>` after a timestamp is the module's prompt.
    expect(parseLogLine('10:00:00.000 > hello', 1, false)).toMatchObject({ direction: null, body: '> hello' });
    // A response that merely starts with a word is not a marker.
    expect(parseLogLine('SEND OK', 1, false)).toMatchObject({ direction: null, body: 'SEND OK' });
  });

  it('literal line-ending markers and trailing blanks are removed, a prompt keeps its space', () => {
    expect(parseLogLine('AT+CSQ\\r\\n', 1, false).body).toBe('AT+CSQ');
    expect(parseLogLine('OK<CR><LF>', 1, false).body).toBe('OK');
    expect(parseLogLine('OK   ', 1, false).body).toBe('OK');
    expect(parseLogLine('> ', 1, false).body).toBe('> ');
  });

  it('arrow markers are recognised per log; lines split on CRLF, LF and CR', () => {
    expect(usesArrowMarkers(['10:00:00 > AT', '10:00:01 < OK'])).toBe(true);
    expect(usesArrowMarkers(['10:00:00 AT', '10:00:01 > payload'])).toBe(false);
    expect(splitLogLines('a\r\nb\nc\rd\n')).toEqual(['a', 'b', 'c', 'd']);
  });
});

describe('escaped line endings inside a logged chunk', () => {
  it('splits on \\r, \\n, <CR>, <LF>; a plain body is one line', () => {
    expect(expandEscapedLines('\\r\\nOK\\r\\n')).toEqual(['OK']);
    expect(expandEscapedLines('\\r\\n+QMTOPEN: 0,0\\r\\n\\r\\n+QMTSTAT: 0,1')).toEqual([
      '+QMTOPEN: 0,0',
      '+QMTSTAT: 0,1',
    ]);
    expect(expandEscapedLines('<CR><LF>> ')).toEqual(['> ']);
    expect(expandEscapedLines('+CSQ: 20,99')).toEqual(['+CSQ: 20,99']);
  });
});

describe('leading whitespace and long arrows', () => {
  it('are decoration, not part of the body', () => {
    expect(parseLogLine('  AT+CSQ', 1, false)).toMatchObject({ body: 'AT+CSQ' });
    expect(parseLogLine('\tOK', 1, false)).toMatchObject({ body: 'OK' });
    expect(parseLogLine('12:00:00.123 --> AT', 1, false)).toMatchObject({ direction: 'tx', body: 'AT' });
    expect(parseLogLine('12:00:00.123 <-- OK', 1, false)).toMatchObject({ direction: 'rx', body: 'OK' });
  });
});

describe('dated timestamps, read fast', () => {
  it('give the time as written and its epoch milliseconds, with any fraction and bracket', () => {
    const two = (n: number): string => String(n).padStart(2, '0');
    fc.assert(
      fc.property(
        fc.record({
          y: fc.integer({ min: 2000, max: 2099 }),
          mo: fc.integer({ min: 1, max: 12 }),
          d: fc.integer({ min: 1, max: 28 }),
          h: fc.integer({ min: 0, max: 23 }),
          mi: fc.integer({ min: 0, max: 59 }),
          s: fc.integer({ min: 0, max: 59 }),
          fraction: fc.constantFrom('', '.5', ',25', '.123', '.123456'),
          t: fc.constantFrom(' ', 'T'),
          bracket: fc.boolean(),
        }),
        ({ y, mo, d, h, mi, s, fraction, t, bracket }) => {
          const time = `${y}-${two(mo)}-${two(d)}${t}${two(h)}:${two(mi)}:${two(s)}${fraction}`;
          const line = parseLogLine(`${bracket ? `[${time}]` : time} --> AT`, 1, false);
          const ms = fraction === '' ? 0 : Math.round(Number(`0.${fraction.slice(1)}`) * 1000);
          expect(line).toMatchObject({ time, direction: 'tx', body: 'AT' });
          expect(line.timeMs).toBe(Date.UTC(y, mo - 1, d, h, mi, s) + ms);
        },
      ),
    );
  });

  it('a first pass reading only the stamp learns what the whole line gives: its width and a bare < marker', () => {
    const stamp = fc.constantFrom(
      '',
      '[2024-05-01 10:00:00.123]',
      '2024-05-01T10:00:00,5',
      '2024-05-01 10:00:00+08:00',
      '[10:00:01.250]',
      '9:00:01',
      '2024-13-01 10:00:00',
    );
    const between = fc.constantFrom('', ' ', '  ', '\t', ' | ', '\u00a0', '|');
    const marker = fc.constantFrom(
      '',
      '<',
      '< ',
      '<-- ',
      '<--',
      '-->',
      '--> ',
      '->',
      '<<',
      '>',
      '[RX] ',
      'TX: ',
      '\u2003',
    );
    const body = fc.constantFrom('', 'OK', ' OK', 'AT+CSQ', '<CR>', '> ', '-- x', '\u2003OK');
    fc.assert(
      fc.property(fc.constantFrom('', ' ', '\t'), stamp, between, marker, body, (lead, s, b, m, t) => {
        const raw = `${lead}${s}${b}${m}${t}`;
        const line = parseLogLine(raw, 1, false);
        const facts = stampFacts(raw, true);
        expect(facts?.width ?? null).toBe(line.time?.length ?? null);
        expect(facts?.arrow ?? false).toBe(line.time !== null && line.body.startsWith('<') && marksArrow(raw));
        expect(stampFacts(raw, false)?.arrow ?? false).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('reads -->, <-- and the blanks after them as the marker expression does, whatever follows', () => {
    for (const arrows of [false, true]) {
      expect(parseLogLine('[10:00:00.000] -->  AT', 1, arrows)).toMatchObject({ direction: 'tx', body: 'AT' });
      expect(parseLogLine('[10:00:00.000] <--\t+CSQ: 1,2', 1, arrows)).toMatchObject({
        direction: 'rx',
        body: '+CSQ: 1,2',
      });
      expect(parseLogLine('<--\u00a0OK', 1, arrows)).toMatchObject({ direction: 'rx', body: 'OK' });
      expect(parseLogLine('--->x', 1, arrows)).toMatchObject({ direction: null, body: '--->x' });
      expect(parseLogLine('<---', 1, arrows)).toMatchObject({ direction: 'rx', body: '-' });
      expect(parseLogLine('10:00:00 \u00a0|<-- OK', 1, arrows)).toMatchObject({ direction: 'rx', body: 'OK' });
    }
  });
});

describe('the line splitter says how each line ended', () => {
  it('CR LF, LF, a lone CR and no ending, however the log is cut into pieces', () => {
    const log = 'a\r\nb\nc\rd\r\ne';
    const whole = (pieces: readonly string[]): [string, number][] => {
      const splitter = new LineSplitter();
      const lines = pieces.flatMap((piece) => splitter.push(piece));
      return [...lines, ...splitter.end()].map((line) => [line.text, line.ending]);
    };
    const expected: [string, number][] = [
      ['a', 2],
      ['b', 1],
      ['c', 1],
      ['d', 2],
      ['e', 0],
    ];
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: log.length - 1 }), { maxLength: 5 }), (cuts) => {
        const at = [0, ...[...cuts].sort((x, y) => x - y), log.length];
        expect(whole(at.slice(1).map((to, i) => log.slice(at[i], to)))).toEqual(expected);
      }),
    );
    expect(whole(['x\r'])).toEqual([['x', 1]]);
  });
});
