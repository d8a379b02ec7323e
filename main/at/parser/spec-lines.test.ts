import { describe, expect, it } from 'vitest';
import type { AtEvent } from '../vocab/types';
import {
  error,
  feed,
  modes,
  ok,
  prompt,
  recv,
  render,
  response,
  sessionSegments,
  urc,
  type Step,
} from './fixtures/events';
import { session51, session52 } from './fixtures/spec-sessions';

/** A query answered by one information line and OK (the common shape of chapter 3). */
function query(cmd: string, line: string, params: string[]): Step {
  return { cmd, rx: `\r\n${line}\r\n\r\nOK\r\n`, expect: [response(line, params), ok] };
}

/** A write whose real answer is a URC after OK. */
function async(cmd: string, line: string, params: string[]): Step {
  return { cmd, rx: `\r\nOK\r\n\r\n${line}\r\n`, expect: [ok, urc(line, params)] };
}

const chapter3: Record<string, Step> = {
  'QMTCFG test': {
    cmd: 'AT+QMTCFG=?',
    rx:
      '\r\n+QMTCFG: "version",(0-5),(3,4)\r\n+QMTCFG: "pdpcid",(0-5),(1-7)\r\n' +
      '+QMTCFG: "ssl",(0-5),(0,1),(0-5)\r\n+QMTCFG: "aliauth",(0-5),"product key","device name","device secret"\r\n' +
      '\r\nOK\r\n',
    expect: [
      response('+QMTCFG: "version",(0-5),(3,4)', ['version', '(0-5)', '(3,4)']),
      response('+QMTCFG: "pdpcid",(0-5),(1-7)', ['pdpcid', '(0-5)', '(1-7)']),
      response('+QMTCFG: "ssl",(0-5),(0,1),(0-5)', ['ssl', '(0-5)', '(0,1)', '(0-5)']),
      response('+QMTCFG: "aliauth",(0-5),"product key","device name","device secret"', [
        'aliauth',
        '(0-5)',
        'product key',
        'device name',
        'device secret',
      ]),
      ok,
    ],
  },
  'QMTCFG version': query('AT+QMTCFG="version",0', '+QMTCFG: "version",4', ['version', '4']),
  'QMTCFG pdpcid': query('AT+QMTCFG="pdpcid",0', '+QMTCFG: "pdpcid",1', ['pdpcid', '1']),
  'QMTCFG ssl': query('AT+QMTCFG="ssl",0', '+QMTCFG: "ssl",1,2', ['ssl', '1', '2']),
  'QMTCFG keepalive': query('AT+QMTCFG="keepalive",0', '+QMTCFG: "keepalive",120', ['keepalive', '120']),
  'QMTCFG session': query('AT+QMTCFG="session",0', '+QMTCFG: "session",1', ['session', '1']),
  'QMTCFG timeout': query('AT+QMTCFG="timeout",0', '+QMTCFG: "timeout",5,3,0', ['timeout', '5', '3', '0']),
  'QMTCFG will (commas in the message)': query(
    'AT+QMTCFG="will",0',
    '+QMTCFG: "will",1,1,0,"dev/status","offline, bye"',
    ['will', '1', '1', '0', 'dev/status', 'offline, bye'],
  ),
  'QMTCFG willex query': query('AT+QMTCFG="willex",0', '+QMTCFG: "willex",1,0,0,"dev/lwt",7', [
    'willex',
    '1',
    '0',
    '0',
    'dev/lwt',
    '7',
  ]),
  'QMTCFG willex write (prompt, will_len bytes)': {
    cmd: 'AT+QMTCFG="willex",0,1,0,0,"dev/lwt",7',
    rx: '\r\n> {P}\r\nOK\r\n',
    payload: 'OK\r\n"x,',
    expect: [prompt, 'DATA', ok],
  },
  'QMTCFG recv/mode': query('AT+QMTCFG="recv/mode",0', '+QMTCFG: "recv/mode",0,1', ['recv/mode', '0', '1']),
  'QMTCFG qmtping': query('AT+QMTCFG="qmtping",0', '+QMTCFG: "qmtping",5', ['qmtping', '5']),
  'QMTCFG send/mode': query('AT+QMTCFG="send/mode",0', '+QMTCFG: "send/mode",0', ['send/mode', '0']),
  'QMTCFG aliauth': query('AT+QMTCFG="aliauth",0', '+QMTCFG: "aliauth","pk1","dev1","s3cr3t"', [
    'aliauth',
    'pk1',
    'dev1',
    's3cr3t',
  ]),
  'QMTCFG onenet': query('AT+QMTCFG="onenet",0', '+QMTCFG: "onenet","p1","a2V5"', ['onenet', 'p1', 'a2V5']),
  'QMTCFG dataformat': query('AT+QMTCFG="dataformat",0', '+QMTCFG: "dataformat",0,0', ['dataformat', '0', '0']),
  'QMTCFG view/mode': query('AT+QMTCFG="view/mode",0', '+QMTCFG: "view/mode",0', ['view/mode', '0']),
  'QMTCFG edit/timeout': query('AT+QMTCFG="edit/timeout",0', '+QMTCFG: "edit/timeout",1,30', [
    'edit/timeout',
    '1',
    '30',
  ]),
  'QMTCFG write': { cmd: 'AT+QMTCFG="keepalive",0,60', rx: '\r\nOK\r\n', expect: [ok] },
  'QMTCFG error': { cmd: 'AT+QMTCFG="keepalive",0,9999', rx: '\r\nERROR\r\n', expect: [error] },
  'QMTOPEN test': query('AT+QMTOPEN=?', '+QMTOPEN: (0-5),"hostname",(1-65535)', ['(0-5)', 'hostname', '(1-65535)']),
  'QMTOPEN read': query('AT+QMTOPEN?', '+QMTOPEN: 0,"broker.example",1883', ['0', 'broker.example', '1883']),
  'QMTOPEN read, nothing open': { cmd: 'AT+QMTOPEN?', rx: '\r\nOK\r\n', expect: [ok] },
  'QMTOPEN write': async('AT+QMTOPEN=0,"broker.example",1883', '+QMTOPEN: 0,0', ['0', '0']),
  'QMTOPEN write, TLS failure': async('AT+QMTOPEN=1,"broker.example",8883', '+QMTOPEN: 1,-1', ['1', '-1']),
  'QMTCLOSE test': query('AT+QMTCLOSE=?', '+QMTCLOSE: (0-5)', ['(0-5)']),
  'QMTCLOSE write': async('AT+QMTCLOSE=0', '+QMTCLOSE: 0,0', ['0', '0']),
  'QMTCONN test': query('AT+QMTCONN=?', '+QMTCONN: (0-5),"clientid","username","password"', [
    '(0-5)',
    'clientid',
    'username',
    'password',
  ]),
  'QMTCONN read': query('AT+QMTCONN?', '+QMTCONN: 0,3', ['0', '3']),
  'QMTCONN write': async('AT+QMTCONN=0,"c1","user","pw"', '+QMTCONN: 0,0,0', ['0', '0', '0']),
  'QMTCONN refused': async('AT+QMTCONN=0,"c1","user","bad"', '+QMTCONN: 0,0,4', ['0', '0', '4']),
  'QMTDISC test': query('AT+QMTDISC=?', '+QMTDISC: (0-5)', ['(0-5)']),
  'QMTDISC write': async('AT+QMTDISC=0', '+QMTDISC: 0,0', ['0', '0']),
  'QMTSUB write, two topics': async('AT+QMTSUB=0,2,"a/b",1,"c/#",2', '+QMTSUB: 0,2,0,1,2', ['0', '2', '0', '1', '2']),
  'QMTSUB retransmission': async('AT+QMTSUB=0,3,"a/b",1', '+QMTSUB: 0,3,1,2', ['0', '3', '1', '2']),
  'QMTUNS test': query('AT+QMTUNS=?', '+QMTUNS: (0-5),<msgid>,list of ["topic"]', [
    '(0-5)',
    '<msgid>',
    'list of [topic]',
  ]),
  'QMTUNS write': async('AT+QMTUNS=0,2,"topic/example"', '+QMTUNS: 0,2,0', ['0', '2', '0']),
  'QMTPUBEX write, qos 1, retransmitted': {
    cmd: 'AT+QMTPUBEX=0,5,1,0,"t/x",12',
    rx: '\r\n> {P}\r\nOK\r\n\r\n+QMTPUBEX: 0,5,1,2\r\n',
    payload: 'a,"b"\r\nOK\r\n\t',
    expect: [prompt, 'DATA', ok, urc('+QMTPUBEX: 0,5,1,2', ['0', '5', '1', '2'])],
  },
  'QMTPUBEX over the inflight window': {
    cmd: 'AT+QMTPUBEX=0,9,1,0,"t/x",4',
    rx: '\r\nERROR\r\n',
    expect: [error],
  },
  'QMTRECV test': { cmd: 'AT+QMTRECV=?', rx: '\r\nOK\r\n', expect: [ok] },
  'QMTRECV read': query('AT+QMTRECV?', '+QMTRECV: 0,1,0,0,0,0', ['0', '1', '0', '0', '0', '0']),
  'QMTRECV write (with length)': {
    cmd: 'AT+QMTRECV=0',
    rx: '\r\n+QMTRECV: 0,0,"topic/example",36,"This is the payload related to topic"\r\n\r\nOK\r\n',
    expect: [
      recv('+QMTRECV: 0,0,"topic/example",36,"This is the payload related to topic"', {
        idx: 0,
        msgid: 0,
        topic: 'topic/example',
        len: 36,
        payload: 'This is the payload related to topic',
        solicited: true,
      }),
      ok,
    ],
  },
  'QMTRECV write, one buffer, no length': {
    cmd: 'AT+QMTRECV=0,1',
    rx: '\r\n+QMTRECV: 0,7,"a/b","x"\r\n\r\nOK\r\n',
    expect: [
      recv('+QMTRECV: 0,7,"a/b","x"', { idx: 0, msgid: 7, topic: 'a/b', len: null, payload: 'x', solicited: true }),
      ok,
    ],
  },
  'QMTRECV write, no connection': { cmd: 'AT+QMTRECV=3', rx: '\r\nERROR\r\n', expect: [error] },
};

const chapter4: Record<string, Step> = Object.fromEntries(
  (
    [
      ...[1, 2, 3, 4, 5, 6, 7, 8].map((code) => [`+QMTSTAT: 0,${code}`, ['0', String(code)]] as const),
      ['+QMTPING: 0,1', ['0', '1']],
      ['+QMTRECV: 0,2', ['0', '2']],
      ['RDY', []],
      ['APP RDY', []],
      ['POWERED DOWN', []],
      ['+CFUN: 1', ['1']],
      ['+CPIN: READY', ['READY']],
      ['+QUSIM: 1', ['1']],
      ['+QIND: SMS DONE', ['SMS DONE']],
      ['+QIND: PB DONE', ['PB DONE']],
      ['+QIURC: "pdpdeact",1', ['pdpdeact', '1']],
      ['+QMTPUB: 0,1,0', ['0', '1', '0']],
    ] as const
  ).map(([line, params]) => [line, { rx: `\r\n${line}\r\n`, expect: [urc(line, [...params])] }]),
);

const recvUrcs: Record<string, Step> = {
  'with length': {
    rx: '\r\n+QMTRECV: 0,0,"topic/example",36,"This is the payload related to topic"\r\n',
    expect: [
      recv('+QMTRECV: 0,0,"topic/example",36,"This is the payload related to topic"', {
        idx: 0,
        msgid: 0,
        topic: 'topic/example',
        len: 36,
        payload: 'This is the payload related to topic',
      }),
    ],
  },
  'without length': {
    rx: '\r\n+QMTRECV: 0,0,"topic/example","This is the payload related to topic"\r\n',
    expect: [
      recv('+QMTRECV: 0,0,"topic/example","This is the payload related to topic"', {
        idx: 0,
        msgid: 0,
        topic: 'topic/example',
        len: null,
        payload: 'This is the payload related to topic',
      }),
    ],
  },
  'length, quotes commas TAB and CR LF inside': {
    rx: '\r\n+QMTRECV: 1,42,"$sys/p1/d1/dp/post/json/accepted",19,"{"a":"b,c"}\r\n\t"\r\nOK"\r\n',
    expect: [
      recv('+QMTRECV: 1,42,"$sys/p1/d1/dp/post/json/accepted",19,"{"a":"b,c"}\r\n\t"\r\nOK"', {
        idx: 1,
        msgid: 42,
        topic: '$sys/p1/d1/dp/post/json/accepted',
        len: 19,
        payload: '{"a":"b,c"}\r\n\t"\r\nOK',
      }),
    ],
  },
  'no length, quotes and CR LF inside (not followed by a quote)': {
    rx: '\r\n+QMTRECV: 0,3,"t","say "hi", ok\r\nline2"\r\n',
    expect: [
      recv('+QMTRECV: 0,3,"t","say "hi", ok\r\nline2"', {
        idx: 0,
        msgid: 3,
        topic: 't',
        len: null,
        payload: 'say "hi", ok\r\nline2',
      }),
    ],
  },
  'empty payload': {
    rx: '\r\n+QMTRECV: 0,0,"t",0,""\r\n',
    expect: [recv('+QMTRECV: 0,0,"t",0,""', { idx: 0, msgid: 0, topic: 't', len: 0, payload: '' })],
  },
  'unknown +X line': {
    rx: '\r\n+QFOO: 1,"x"\r\n',
    expect: [urc('+QFOO: 1,"x"', ['1', 'x'], false)],
  },
};

function check(step: Step): void {
  for (const mode of modes) {
    if (!mode.note && !mode.echo && step.cmd !== undefined) continue;
    const r = render(step, mode);
    const segments = [mode.note && step.cmd !== undefined ? { note: step.cmd, bytes: r.bytes } : { bytes: r.bytes }];
    expect(feed(segments), `echo ${String(mode.echo)}, note ${String(mode.note)}`).toEqual(r.expect);
  }
}

describe('spec chapter 3: command responses (echo on, echo on from a log, echo off)', () => {
  it.each(Object.entries(chapter3))('%s', (_name, step) => check(step));
});

describe('spec chapter 4 and field notes: URCs', () => {
  it.each(Object.entries(chapter4))('%s', (_name, step) => check(step));
  it.each(Object.entries(recvUrcs))('+QMTRECV %s', (_name, step) => check(step));
});

describe('spec chapter 5 sessions as byte streams', () => {
  const sessions = { '5.1 without SSL': session51, '5.2 with SSL': session52 };
  for (const [name, steps] of Object.entries(sessions)) {
    for (const mode of modes) {
      it(`${name}: echo ${String(mode.echo)}, note ${String(mode.note)}`, () => {
        const { segments, expect: expected } = sessionSegments(steps, mode);
        const events: AtEvent[] = feed(segments);
        expect(events).toEqual(expected);
        // In 8-byte pieces too (the modem_chat way); any split is covered by the property tests.
        expect(feed(segments, [8])).toEqual(expected);
      });
    }
  }
});
