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
