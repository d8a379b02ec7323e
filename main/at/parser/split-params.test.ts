import { describe, expect, it } from 'vitest';
import { parseCommandLine } from './command-info';
import { splitParams } from './split-params';

describe('splitParams', () => {
  it.each([
    ['', []],
    ['0,0', ['0', '0']],
    [' 0, 1 ', ['0', '1']],
    ['0,"a,b",3', ['0', 'a,b', '3']],
    ['"version",(0-5),(3,4)', ['version', '(0-5)', '(3,4)']],
    ['(0-5), <msgid>,list of ["topic",qos]', ['(0-5)', '<msgid>', 'list of [topic,qos]']],
    ['"pdpdeact",1', ['pdpdeact', '1']],
    ['SMS DONE', ['SMS DONE']],
    ['"  spaced  ",x', ['  spaced  ', 'x']],
    ['"",', ['', '']],
    ['1,,3', ['1', '', '3']],
    ['"unterminated, still one', ['unterminated, still one']],
    ['0xFFFF', ['0xFFFF']],
  ] as const)('%j', (text, expected) => {
    expect(splitParams(text)).toEqual(expected);
  });
});

describe('parseCommandLine', () => {
  it.each([
    ['AT', { name: null, kind: 'exec', payload: null, setsEcho: null }],
    ['ATE0', { name: null, kind: 'exec', payload: null, setsEcho: false }],
    ['ATE1', { name: null, kind: 'exec', payload: null, setsEcho: true }],
    ['AT&F', { name: null, kind: 'exec', payload: null, setsEcho: true }],
    ['ATE1V1Q0', { name: null, kind: 'exec', payload: null, setsEcho: true }],
    ['atq0v1e0', { setsEcho: false }],
    ['ATE0E1', { setsEcho: true }],
    ['ATV1Q0', { setsEcho: null }],
    ['ATE2', { setsEcho: null }],
    ['AT+QMTOPEN=?', { name: '+QMTOPEN', kind: 'test', payload: null }],
    ['at+qmtopen?', { name: '+QMTOPEN', kind: 'read', payload: null }],
    ['AT+QMTPUBEX=0,1,1,0,"a,b",32', { name: '+QMTPUBEX', kind: 'write', payload: { after: 'prompt', length: 32 } }],
    ['AT+QMTCFG="willex",0,1,0,0,"lwt",7', { name: '+QMTCFG', payload: { after: 'prompt', length: 7 } }],
    ['AT+QMTCFG="willex",0,0', { name: '+QMTCFG', payload: null }],
    ['AT+QMTCFG="willex",0', { name: '+QMTCFG', payload: null }],
    ['AT+QFUPL="UFS:ca.pem",1758,100', { name: '+QFUPL', payload: { after: 'connect', length: 1758 } }],
    ['AT+QFUPL="UFS:ca.pem",99999999999,100', { payload: null }],
    ['AT+QMTPUBEX=0,1,1,0,"t",-3', { payload: null }],
    ['garbage', { name: null, kind: 'exec', payload: null }],
  ] as const)('%s', (line, expected) => {
    expect(parseCommandLine(line)).toMatchObject(expected);
  });
});
