import { describe, expect, it } from 'vitest';
import * as at from '../commands';
import { KeyBlockRedactor, redactAtLine } from './redact';

describe('redactAtLine', () => {
  it('replaces exactly the secret parameter', () => {
    const cases: [string, string][] = [
      ['AT+QMTCONN=0,"id","user","p@ss,word"', 'AT+QMTCONN=0,"id","user","***"'],
      ['at+qmtconn=0,"id","user","pw"', 'at+qmtconn=0,"id","user","***"'],
      ['AT+QMTCONN=0,"id"', 'AT+QMTCONN=0,"id"'],
      ['AT+QMTCFG="aliauth",0,"pk","dn","secret"', 'AT+QMTCFG="aliauth",0,"pk","dn","***"'],
      ['AT+QMTCFG="aliauth",0', 'AT+QMTCFG="aliauth",0'],
      ['AT+QMTCFG="onenet",1,"pid","key=="', 'AT+QMTCFG="onenet",1,"pid","***"'],
      ['+QMTCFG: "aliauth","pk","dn","secret"', '+QMTCFG: "aliauth","pk","dn","***"'],
      ['+QMTCFG: "onenet","pid","key"', '+QMTCFG: "onenet","pid","***"'],
      ['AT+QMTCFG="version",0,4', 'AT+QMTCFG="version",0,4'],
      ['AT+QICSGP=1,1,"apn","u","pw",1', 'AT+QICSGP=1,1,"apn","u","***",1'],
      ['AT+QICSGP=1,1,"apn","u","pw"', 'AT+QICSGP=1,1,"apn","u","***"'],
      ['+QICSGP: 1,"apn","u","pw",1', '+QICSGP: 1,"apn","u","***",1'],
      ['+QMTSTAT: 0,1', '+QMTSTAT: 0,1'],
    ];
    for (const [line, expected] of cases) expect(redactAtLine(line)).toBe(expected);
  });

  it('a stray quote inside a secret cannot leak its tail', () => {
    expect(redactAtLine('AT+QMTCONN=0,"id","u","ab"cd,ef"gh"')).toBe('AT+QMTCONN=0,"id","u","***"');
    expect(redactAtLine('AT+QICSGP=1,1,"apn","u","a"b,c",1')).toBe('AT+QICSGP=1,1,"apn","u","***",1');
  });

  it('agrees with the redacted form of the command builders', () => {
    const requests = [
      at.qmtconn(0, 'c', { username: 'u', password: 'p' }),
      at.qmtcfg(0, { name: 'aliauth', productKey: 'k', deviceName: 'd', deviceSecret: 's' }),
      at.qmtcfg(0, { name: 'onenet', productId: 'p', accessKey: 'k' }),
      at.qicsgp({ contextId: 1, contextType: 1, apn: 'a', username: 'u', password: 'p', authentication: 2 }),
    ];
    for (const request of requests) expect(redactAtLine(request.line)).toBe(request.redacted);
  });
});

describe('KeyBlockRedactor', () => {
  it('hides every line of a private key block and nothing else', () => {
    const redactor = new KeyBlockRedactor();
    const lines = ['before', '-----BEGIN RSA PRIVATE KEY-----', 'MIIEsecret', '-----END RSA PRIVATE KEY-----', 'after'];
    expect(lines.map((line) => redactor.line(line))).toEqual([
      'before',
      '[private key redacted]',
      '[private key redacted]',
      '[private key redacted]',
      'after',
    ]);
  });
});
