import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { paramSpans, readCommandLine, splitParams } from './syntax';

describe('readCommandLine reads a line as a module does (V.250)', () => {
  it.each([
    ['AT', [{ name: null, kind: 'exec' }]],
    ['ATE0', [{ name: null, kind: 'exec' }]],
    ['AT+CSQ', [{ name: '+CSQ', kind: 'exec' }]],
    ['at+qmtopen?', [{ name: '+QMTOPEN', kind: 'read' }]],
    ['AT+QMTOPEN=?', [{ name: '+QMTOPEN', kind: 'test' }]],
    ['AT + QMTOPEN = ?', [{ name: '+QMTOPEN', kind: 'test' }]],
    ['AT +QMTCONN =0,"c"', [{ name: '+QMTCONN', kind: 'write' }]],
    ['AT+QMT\0CONN=0', [{ name: '+QMTCONN', kind: 'write' }]],
    [
      'AT+CSQ;+QMTPUBEX=0,0,0,0,"a;b",5',
      [
        { name: '+CSQ', kind: 'exec' },
        { name: '+QMTPUBEX', kind: 'write' },
      ],
    ],
  ] as const)('%j', (line, expected) => {
    expect(readCommandLine(line)).toMatchObject(expected);
  });

  it('gives the parameter text of each command, a ; inside quotes included', () => {
    const line = 'AT+QMTCFG="will",0,1,0,0,"a;b","m";+CSQ';
    const [first] = readCommandLine(line) ?? [];
    expect(first && line.slice(first.paramsFrom, first.end)).toBe('"will",0,1,0,0,"a;b","m"');
  });

  it('is null for what is not a command line', () => {
    expect(readCommandLine('OK')).toBeNull();
    expect(readCommandLine('+QMTCONN: 0,0,0')).toBeNull();
  });
});

describe('splitParams', () => {
  it.each([
    ['', []],
    [' ', []],
    ['0,0', ['0', '0']],
    [' 0, 1 ', ['0', '1']],
    ['0,"a,b",3', ['0', 'a,b', '3']],
    ['"version",(0-5),(3,4)', ['version', '(0-5)', '(3,4)']],
    ['(0-5), <msgid>,list of ["topic",qos]', ['(0-5)', '<msgid>', 'list of [topic,qos]']],
    ['"  spaced  ",x', ['  spaced  ', 'x']],
    ['"",', ['', '']],
    ['1,,3', ['1', '', '3']],
    ['"unterminated, still one', ['unterminated, still one']],
    ['0xFFFF', ['0xFFFF']],
  ] as const)('%j', (text, expected) => {
    expect(splitParams(text)).toEqual(expected);
  });

  it('gives back any list of quoted values it is given', () => {
    const value = fc.string({ unit: fc.constantFrom(...Array.from('ab ,;()[]\u00e9')), maxLength: 12 });
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 6 }), (values) => {
        expect(splitParams(values.map((v) => `"${v}"`).join(','))).toEqual(values);
      }),
    );
  });

  it('spans mark the exact text of each parameter, and which are one quoted string', () => {
    const text = ' 1 ,"a,b" , x"y"';
    const spans = paramSpans(text, false);
    expect(spans.map((s) => text.slice(s.start, s.end))).toEqual(['1', '"a,b"', 'x"y"']);
    expect(spans.map((s) => s.quoted)).toEqual([false, true, false]);
  });
});
