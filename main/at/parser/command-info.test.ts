import { describe, expect, it } from 'vitest';
import { parseCommandLine } from './command-info';

/** The splitting itself is the catalogue's (main/catalogue/syntax.test.ts); here, what the parser makes of a line. */
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
    // Read as the module reads it (V.250): blanks and case do not matter.
    ['AT +QMTPUBEX = 0,1,1,0,"t",5', { name: '+QMTPUBEX', kind: 'write', payload: { after: 'prompt', length: 5 } }],
    // A data phase whose size the line does not give: no count, but the phase is expected.
    ['AT+QISEND=0', { payload: null, dataPhase: { after: 'prompt', end: 'ctrl-z', length: null } }],
    ['AT+QFDWL="UFS:a.pem"', { payload: null, dataPhase: { after: 'connect', direction: 'from-module' } }],
    ['AT+QMTCFG="willex",0,0', { dataPhase: null }],
  ] as const)('%s', (line, expected) => {
    expect(parseCommandLine(line)).toMatchObject(expected);
  });
});
