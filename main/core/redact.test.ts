import { describe, expect, it } from 'vitest';
import { redactLine } from './redact';

describe('redactLine', () => {
  it.each([
    ['AT+QMTCONN=0,"client","user","p@ss,word"', 'AT+QMTCONN=0,"client","user","***"'],
    ['at+qmtconn=1,"c","u","pw"', 'at+qmtconn=1,"c","u","***"'],
    ['AT+QMTCFG="aliauth",0,"pk","dn","secret"', 'AT+QMTCFG="aliauth",0,"pk","dn","***"'],
    ['AT+QMTCFG="ALIAUTH",2,"pk","dn","secret"', 'AT+QMTCFG="ALIAUTH",2,"pk","dn","***"'],
    ['AT+QMTCFG="onenet",0,"pid","a2V5"', 'AT+QMTCFG="onenet",0,"pid","***"'],
    ['+QMTCFG: "aliauth","pk","dn","secret"', '+QMTCFG: "aliauth","pk","dn","***"'],
    ['+QMTCFG: "aliauth",pk,dn,secret', '+QMTCFG: "aliauth",pk,dn,***'],
    ['+QMTCFG: "onenet","pid","a2V5"', '+QMTCFG: "onenet","pid","***"'],
  ])('masks the secret in %s', (line, expected) => {
    expect(redactLine(line)).toBe(expected);
  });

  it.each([
    'AT+QMTCONN=0,"client"',
    'AT+QMTCONN?',
    '+QMTCONN: 0,0,0',
    'AT+QMTCFG="aliauth",0',
    'AT+QMTCFG="keepalive",0,120',
    '+QMTCFG:"keepalive",120',
    'ATI',
    'OK',
    '+CME ERROR: 407',
  ])('leaves %s unchanged', (line) => {
    expect(redactLine(line)).toBe(line);
  });
});

describe('redactLine: APN password (QICSGP)', () => {
  it.each([
    ['AT+QICSGP=1,1,"apn","user","apnSecret9",1', 'AT+QICSGP=1,1,"apn","user","***",1'],
    ['at+qicsgp=1,1,"apn","user","apnSecret9"', 'at+qicsgp=1,1,"apn","user","***"'],
    ['+QICSGP: 1,"apn","user","apnSecret9",1', '+QICSGP: 1,"apn","user","***",1'],
  ])('masks the password in %s and keeps <auth>', (line, expected) => {
    expect(redactLine(line)).toBe(expected);
  });

  it.each(['AT+QICSGP=1', 'AT+QICSGP=1,1,"apn"', 'AT+QICSGP?'])('leaves %s unchanged', (line) => {
    expect(redactLine(line)).toBe(line);
  });
});

describe('redactLine: SIM PIN, PUK and facility passwords', () => {
  it.each([
    ['AT+CPIN="1234"', 'AT+CPIN="***"'],
    ['AT+CPIN=1234', 'AT+CPIN=***'],
    ['AT+CPIN="12345678","4321"', 'AT+CPIN="***","***"'],
    ['AT+CPWD="SC","1234","5678"', 'AT+CPWD="SC","***","***"'],
    ['AT+CLCK="SC",1,"1234"', 'AT+CLCK="SC",1,"***"'],
    ['AT+CLCK="SC",0,"1234",7', 'AT+CLCK="SC",0,"***",7'],
  ])('masks %s', (line, expected) => {
    expect(redactLine(line)).toBe(expected);
  });

  it.each(['AT+CPIN?', '+CPIN: READY', 'AT+CLCK="SC",2', '+CLCK: 0'])('leaves %s unchanged', (line) => {
    expect(redactLine(line)).toBe(line);
  });
});

describe('redactLine: variant syntax fails closed', () => {
  it.each([
    ['AT+QMTCFG= "aliauth",0,"pk","dn","aliSecret8"', 'AT+QMTCFG= "aliauth",0,"pk","dn","***"'],
    ['AT+QMTCFG=" aliauth ",0,"pk","dn","aliSecret8"', 'AT+QMTCFG=" aliauth ",0,"pk","dn","***"'],
    ['AT+QMTCONN =0,"cid","user","connSecret9"', 'AT+QMTCONN =0,"cid","user","***"'],
    ['AT +QMTCONN = 0, "cid", "user", "connSecret9"', 'AT +QMTCONN = 0, "cid", "user", "***"'],
    ['AT+QMTCONN=0,"cid","us"er","connSecret9"', 'AT+QMTCONN=0,"cid",***'],
    ['AT+QMTCONN=0,"cid","user","conn"Secret9"', 'AT+QMTCONN=0,"cid","user",***'],
    ['AT+QMTCONN=0,"cid","user","connSecret9","extra"', 'AT+QMTCONN=0,"cid","user",***'],
    ['AT+QMTCFG="aliauth,0,"pk","dn","aliSecret8"', 'AT+QMTCFG=***'],
    ['+QMTCFG: "aliauth","pk","dn","ali"Secret8"', '+QMTCFG: "aliauth","pk","dn",***'],
    ['AT+CSQ;+QMTCONN=0,"cid","user","connSecret9"', 'AT+CSQ;+QMTCONN=0,"cid","user","***"'],
  ])('masks %s', (line, expected) => {
    const redacted = redactLine(line);
    expect(redacted).toBe(expected);
    expect(redacted).not.toMatch(/Secret/);
  });

  it('keeps the original shape so the engine can line the redacted text up with the original', () => {
    const line = 'AT+QMTCONN=0, "cid" ,  "user",  "connSecret9"';
    const redacted = redactLine(line);
    expect(redacted).toBe('AT+QMTCONN=0, "cid" ,  "user",  "***"');
    const [before = '', after = ''] = redacted.split('***');
    expect(line.startsWith(before) && line.endsWith(after)).toBe(true);
    expect(line.slice(before.length, line.length - after.length)).toBe('connSecret9');
  });
});
