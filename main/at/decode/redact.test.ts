import { describe, expect, it } from 'vitest';
import * as at from '../commands';
import { KeyBlockRedactor, LogRedactor, redactAtLine, redactWithSecrets } from './redact';

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
    // Unbalanced quotes: everything from the password on is hidden (fail closed), the trailing <auth> with it.
    expect(redactAtLine('AT+QICSGP=1,1,"apn","u","a"b,c",1')).toBe('AT+QICSGP=1,1,"apn","u","***"');
  });

  it('fails closed on stray quotes before the secret (defect 6)', () => {
    const cases: [string, string][] = [
      ['AT+QMTCONN=0,"cid","us"er","quotePw9"', 'quotePw9'],
      ['AT+QMTCFG="aliauth",0,"pk","d"n","aliSe,cret9"', 'aliSe'],
      ['AT+QICSGP=1,1,"apn","user","pa",ssTAIL"', 'ssTAIL'],
      ['AT+QMTCONN=0,"cid","user""missingComma1"', 'missingComma1'],
    ];
    for (const [line, secret] of cases) {
      const redacted = redactAtLine(line);
      expect(redacted).not.toContain(secret);
      expect(redacted).toContain('***');
    }
    expect(redactAtLine('AT+QMTCONN=0,"cid","us"er","quotePw9"')).toBe('AT+QMTCONN=0,"cid","***"');
    expect(redactAtLine('AT+QICSGP=1,1,"apn","user","pa",ssTAIL"')).toBe('AT+QICSGP=1,1,"apn","user","***"');
  });

  it('finds secret-bearing commands anywhere in a line, in any case (defect 4)', () => {
    expect(redactAtLine('  AT+QMTCONN=0,"c","u","pwA1234"')).toBe('  AT+QMTCONN=0,"c","u","***"');
    expect(redactAtLine('[COM3] > at+qmtconn=0,"c","u","pwA1234"')).toBe('[COM3] > at+qmtconn=0,"c","u","***"');
    expect(redactAtLine('--> AT+QICSGP=1,1,"a","u","pwB5678",1 AT+CPIN="4321"')).toBe(
      '--> AT+QICSGP=1,1,"a","u","***",1 AT+CPIN="***"',
    );
  });

  it('redacts SIM PINs, PUKs and facility passwords (defect 7)', () => {
    const cases: [string, string][] = [
      ['AT+CPIN="1234"', 'AT+CPIN="***"'],
      ['AT+CPIN="12345678","4321"', 'AT+CPIN="***"'],
      ['AT+CPWD="SC","1234","5678"', 'AT+CPWD="SC","***"'],
      ['AT+CLCK="SC",1,"1234"', 'AT+CLCK="SC",1,"***"'],
      ['AT+CLCK="SC",2', 'AT+CLCK="SC",2'],
      ['AT+CPIN?', 'AT+CPIN?'],
      ['+CPIN: READY', '+CPIN: READY'],
    ];
    for (const [line, expected] of cases) expect(redactAtLine(line)).toBe(expected);
    expect(redactWithSecrets('AT+CPIN="12345678","4321"').secrets).toEqual(
      expect.arrayContaining(['12345678', '4321']),
    );
  });

  it('LogRedactor masks a secret it has seen wherever it appears later', () => {
    const redactor = new LogRedactor();
    expect(redactor.line('AT+QMTCONN=0,"c","u","pwA1234"')).toBe('AT+QMTCONN=0,"c","u","***"');
    expect(redactor.line('garbage pwA1234 here')).toBe('garbage *** here');
    expect(redactor.mask('x pwA1234')).toBe('x ***');
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
