import { describe, expect, it } from 'vitest';
import { describePayload, Redactor, secretsOf } from './transcript';

describe('secretsOf', () => {
  it('finds the value behind each *** of the redacted line', () => {
    expect(secretsOf('AT+QMTCFG="aliauth",0,"pk","dn","s3cr3t"', 'AT+QMTCFG="aliauth",0,"pk","dn","***"')).toEqual([
      's3cr3t',
    ]);
    expect(secretsOf('AT+X="a","pw1",7,"pw2"', 'AT+X="a","***",7,"***"')).toEqual(['pw1', 'pw2']);
    expect(secretsOf('AT+QMTCONN=0,"c","u","pass"', 'AT+QMTCONN=0,"c","u","***"')).toEqual(['pass']);
  });

  it('returns nothing when the lines do not line up or nothing is redacted', () => {
    expect(secretsOf('AT+CSQ', 'AT+CSQ')).toEqual([]);
    expect(secretsOf('AT+A="x"', 'AT+B="***"')).toEqual([]);
  });
});

describe('Redactor', () => {
  it('shows a remembered secret line (e.g. its echo) in its redacted form', () => {
    const redactor = new Redactor();
    redactor.remember('AT+QMTCONN=0,"c","u","hunter22"', 'AT+QMTCONN=0,"c","u","***"');
    expect(redactor.mask('AT+QMTCONN=0,"c","u","hunter22"')).toBe('AT+QMTCONN=0,"c","u","***"');
    expect(redactor.mask('+QMTCFG: "x","hunter22"')).toBe('+QMTCFG: "x","***"');
    expect(redactor.mask('OK')).toBe('OK');
  });

  it('does not mask very short secrets inside other lines, but still the whole echoed line', () => {
    const redactor = new Redactor();
    redactor.remember('AT+QMTCONN=0,"c","u","1"', 'AT+QMTCONN=0,"c","u","***"');
    expect(redactor.mask('+CSQ: 1,99')).toBe('+CSQ: 1,99');
    expect(redactor.mask('AT+QMTCONN=0,"c","u","1"')).toBe('AT+QMTCONN=0,"c","u","***"');
  });

  it('hides the secret parameters of any line by the catalogue, whether the station wrote it or not', () => {
    const redactor = new Redactor();
    expect(redactor.mask('+QMTCFG: "aliauth","pk","dn","devSecret1"')).toBe('+QMTCFG: "aliauth","pk","dn","***"');
    expect(redactor.mask('AT+QICSGP=1,1,"apn","u","pw1234",1,"cdmaSecret"')).toBe(
      'AT+QICSGP=1,1,"apn","u","***",1,"***"',
    );
  });

  it('masks a remembered secret value (a secret payload) where it comes back', () => {
    const redactor = new Redactor();
    redactor.rememberValue('payloadSecret7');
    expect(redactor.mask('+QMTRECV: 0,1,"t",14,"payloadSecret7"')).toBe('+QMTRECV: 0,1,"t",14,"***"');
  });

  it('remembers a bounded number of secrets', () => {
    const redactor = new Redactor();
    for (let i = 0; i < 100; i++) redactor.remember(`AT+P="secret-${i}"`, 'AT+P="***"');
    expect(redactor.mask('secret-99')).toBe('***');
    expect(redactor.mask('secret-0')).toBe('secret-0');
  });
});

describe('describePayload', () => {
  it('shows printable payloads, counts binary ones and never shows secret ones', () => {
    const text = new TextEncoder().encode('hello, "MQTT"\r\n');
    expect(describePayload(text, false)).toBe('hello, "MQTT"\r\n');
    expect(describePayload(new Uint8Array([0x00, 0x1a, 0xff]), false)).toBe('<3 bytes>');
    expect(describePayload(text, true)).toBe('<15 bytes redacted>');
  });
});
