import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AtValidationError } from '../vocab/errors';
import * as at from './index';

/** Nothing is built from a refused value: injection attempts in every string parameter, out-of-range numbers. */

function refusal(build: () => unknown): AtValidationError {
  try {
    build();
  } catch (error) {
    if (error instanceof AtValidationError) return error;
    throw error;
  }
  throw new Error('expected an AtValidationError, the builder accepted the value');
}

/** Every string parameter of the library, with the field name its refusal must carry. */
const stringParameters: readonly (readonly [string, (value: string) => unknown])[] = [
  ['apn', (v) => at.qicsgp({ contextId: 1, contextType: 1, apn: v })],
  ['username', (v) => at.qicsgp({ contextId: 1, contextType: 1, apn: 'a', username: v })],
  ['password', (v) => at.qicsgp({ contextId: 1, contextType: 1, apn: 'a', username: 'u', password: v })],
  ['name', (v) => at.qfupl(v, new Uint8Array([1]))],
  ['name', (v) => at.qfdel(v)],
  ['pattern', (v) => at.qflst(v)],
  ['cacert', (v) => at.qsslcfg(0, { param: 'cacert', value: v })],
  ['clientcert', (v) => at.qsslcfg(0, { param: 'clientcert', value: v })],
  ['clientkey', (v) => at.qsslcfg(0, { param: 'clientkey', value: v })],
  ['willTopic', (v) => at.qmtcfg(0, { name: 'will', enabled: true, qos: 0, retain: false, topic: v, message: 'm' })],
  ['willMessage', (v) => at.qmtcfg(0, { name: 'will', enabled: true, qos: 0, retain: false, topic: 't', message: v })],
  ['willTopic', (v) => at.qmtcfg(0, { name: 'willex', enabled: true, qos: 0, retain: false, topic: v, message: 'm' })],
  ['productKey', (v) => at.qmtcfg(0, { name: 'aliauth', productKey: v, deviceName: 'd', deviceSecret: 's' })],
  ['deviceName', (v) => at.qmtcfg(0, { name: 'aliauth', productKey: 'p', deviceName: v, deviceSecret: 's' })],
  ['deviceSecret', (v) => at.qmtcfg(0, { name: 'aliauth', productKey: 'p', deviceName: 'd', deviceSecret: v })],
  ['productId', (v) => at.qmtcfg(0, { name: 'onenet', productId: v, accessKey: 'k' })],
  ['accessKey', (v) => at.qmtcfg(0, { name: 'onenet', productId: 'p', accessKey: v })],
  ['host', (v) => at.qmtopen(0, v, 1883)],
  ['clientId', (v) => at.qmtconn(0, v)],
  ['username', (v) => at.qmtconn(0, 'c', { username: v, password: 'p' })],
  ['password', (v) => at.qmtconn(0, 'c', { username: 'u', password: v })],
  ['topic[0]', (v) => at.qmtsub(0, 1, [{ topic: v, qos: 0 }])],
  [
    'topic[1]',
    (v) =>
      at.qmtsub(0, 1, [
        { topic: 'ok', qos: 0 },
        { topic: v, qos: 1 },
      ]),
  ],
  ['topic[0]', (v) => at.qmtuns(0, 1, [v])],
  ['topic[2]', (v) => at.qmtuns(0, 1, ['a', 'b', v])],
  ['topic', (v) => at.qmtpubex(0, 1, 1, v, 'payload')],
];

const injections = [
  'a"b',
  'a\rb',
  'a\nb',
  'x"\r\nAT+CFUN=0\r\n',
  'a\u0000b',
  'a\u001ab',
  'a\u001bb',
  'a\u007fb',
  'a\tb',
];

describe('injection attempts are refused in every string parameter', () => {
  for (const [field, build] of stringParameters) {
    it(`${field} of ${build.toString().slice(0, 60)}`, () => {
      for (const attempt of injections) {
        const error = refusal(() => build(`SECRET${attempt}`));
        expect(error.field).toBe(field);
        expect(error.code).toBe('invalid-parameter');
        // The refusal names the field but never repeats the value (it may be a secret).
        expect(error.message).not.toContain('SECRET');
      }
    });
  }

  it('required strings refuse empty values, and length limits hold in bytes', () => {
    expect(refusal(() => at.qmtconn(0, '')).field).toBe('clientId');
    expect(refusal(() => at.qmtopen(0, '', 1)).field).toBe('host');
    expect(refusal(() => at.qmtopen(0, 'h'.repeat(101), 1)).field).toBe('host');
    expect(at.qmtopen(0, 'h'.repeat(100), 1).line).toContain('h'.repeat(100));
    const willTopic = (topic: string) =>
      at.qmtcfg(0, { name: 'will', enabled: true, qos: 0, retain: false, topic, message: '' });
    expect(willTopic('t'.repeat(256)).line).toContain('t'.repeat(256));
    expect(refusal(() => willTopic('t'.repeat(257))).field).toBe('willTopic');
    // 129 two-byte characters are 258 bytes.
    expect(refusal(() => willTopic('é'.repeat(129))).field).toBe('willTopic');
    expect(refusal(() => willTopic('')).field).toBe('willTopic');
  });

  it('shapes: host names, file names, publish topics without wildcards', () => {
    expect(refusal(() => at.qmtopen(0, 'evil host', 1)).field).toBe('host');
    expect(refusal(() => at.qmtopen(0, 'a,b', 1)).field).toBe('host');
    expect(refusal(() => at.qfdel('../etc/passwd')).field).toBe('name');
    expect(refusal(() => at.qfupl('a b.pem', new Uint8Array([1]))).field).toBe('name');
    expect(refusal(() => at.qmtpubex(0, 0, 0, 'a/+/b', 'x')).field).toBe('topic');
    expect(refusal(() => at.qmtpubex(0, 0, 0, 'a/#', 'x')).field).toBe('topic');
  });

  it('property: any topic is either refused or yields one line with exactly its two quotes', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300, unit: 'binary' }), (topic) => {
        let line: string;
        try {
          line = at.qmtpubex(0, 1, 1, topic, 'x').line;
        } catch (error) {
          return error instanceof AtValidationError && error.field === 'topic';
        }
        return Array.from(line).every((c) => c >= ' ' && c !== '\u007f') && line.split('"').length === 3;
      }),
    );
  });
});

describe('numbers outside the spec ranges are refused', () => {
  const cases: readonly (readonly [string, () => unknown])[] = [
    ['clientIdx', () => at.qmtopen(6, 'h', 1)],
    ['clientIdx', () => at.qmtopen(-1, 'h', 1)],
    ['clientIdx', () => at.qmtclose(1.5)],
    ['clientIdx', () => at.qmtdisc(Number.NaN)],
    ['clientIdx', () => at.qmtcfgQuery(6, 'version')],
    ['clientIdx', () => at.qmtrecv(9)],
    ['port', () => at.qmtopen(0, 'h', 0)],
    ['port', () => at.qmtopen(0, 'h', 65536)],
    ['keepAliveS', () => at.qmtcfg(0, { name: 'keepalive', seconds: 3601 })],
    ['keepAliveS', () => at.qmtcfg(0, { name: 'keepalive', seconds: -1 })],
    ['pktTimeoutS', () => at.qmtcfg(0, { name: 'timeout', pktTimeoutS: 0, retryTimes: 3, notice: false })],
    ['pktTimeoutS', () => at.qmtcfg(0, { name: 'timeout', pktTimeoutS: 61, retryTimes: 3, notice: false })],
    ['retryTimes', () => at.qmtcfg(0, { name: 'timeout', pktTimeoutS: 5, retryTimes: 11, notice: false })],
    ['pktTimeoutS', () => at.qmtconn(0, 'c', { pktTimeoutS: 61 })],
    ['retryTimes', () => at.qmtsub(0, 1, [{ topic: 't', qos: 0 }], { retryTimes: 11 })],
    ['pktTimeoutS', () => at.qmtpubex(0, 1, 1, 't', 'x', { pktTimeoutS: 0 })],
    ['msgid', () => at.qmtsub(0, 65536, [{ topic: 't', qos: 0 }])],
    ['msgid', () => at.qmtuns(0, -1, ['t'])],
    ['msgid', () => at.qmtpubex(0, 65536, 1, 't', 'x')],
    ['msgid', () => at.qmtpubex(0, 0, 1, 't', 'x')],
    ['msgid', () => at.qmtpubex(0, 0, 2, 't', 'x')],
    ['qos', () => at.qmtpubex(0, 1, 3 as 0, 't', 'x')],
    ['qos[0]', () => at.qmtsub(0, 1, [{ topic: 't', qos: 3 as 0 }])],
    ['subscriptions', () => at.qmtsub(0, 1, [])],
    [
      'topics',
      () =>
        at.qmtuns(
          0,
          1,
          Array.from({ length: 11 }, () => 't'),
        ),
    ],
    ['payload', () => at.qmtpubex(0, 1, 1, 't', 'x'.repeat(1501))],
    ['payload', () => at.qmtpubex(0, 1, 1, 't', '')],
    [
      'willMessage',
      () => at.qmtcfg(0, { name: 'willex', enabled: true, qos: 0, retain: false, topic: 't', message: '' }),
    ],
    [
      'willMessage',
      () =>
        at.qmtcfg(0, { name: 'willex', enabled: true, qos: 0, retain: false, topic: 't', message: 'm'.repeat(257) }),
    ],
    [
      'willMessage',
      () => at.qmtcfg(0, { name: 'will', enabled: true, qos: 0, retain: false, topic: 't', message: 'm'.repeat(257) }),
    ],
    [
      'willQos',
      () => at.qmtcfg(0, { name: 'will', enabled: true, qos: 5 as 0, retain: false, topic: 't', message: '' }),
    ],
    ['vsn', () => at.qmtcfg(0, { name: 'version', vsn: 5 as 4 })],
    ['cid', () => at.qmtcfg(0, { name: 'pdpcid', cid: 8 })],
    ['cid', () => at.qmtcfg(0, { name: 'pdpcid', cid: 0 })],
    ['sslContextId', () => at.qmtcfg(0, { name: 'ssl', enable: true, contextId: 6 })],
    ['sslContextId', () => at.qsslcfg(6, { param: 'seclevel', value: 1 })],
    ['sslContextId', () => at.qsslcfgQuery(-1, 'seclevel')],
    ['seclevel', () => at.qsslcfg(0, { param: 'seclevel', value: 3 as 2 })],
    ['sslversion', () => at.qsslcfg(0, { param: 'sslversion', value: 5 as 4 })],
    ['ciphersuite', () => at.qsslcfg(0, { param: 'ciphersuite', value: 0x10000 })],
    ['negotiatetime', () => at.qsslcfg(0, { param: 'negotiatetime', value: 9 })],
    ['intervalS', () => at.qmtcfg(0, { name: 'qmtping', intervalS: 4 })],
    ['intervalS', () => at.qmtcfg(0, { name: 'qmtping', intervalS: 61 })],
    ['editTimeoutS', () => at.qmtcfg(0, { name: 'edit/timeout', enable: true, editTimeoutS: 181 })],
    ['msgRecvMode', () => at.qmtcfg(0, { name: 'recv/mode', msgRecvMode: 2 as 0, msgLenEnable: true })],
    ['sendMode', () => at.qmtcfg(0, { name: 'send/mode', sendMode: 2 as 0 })],
    ['recvMode', () => at.qmtcfg(0, { name: 'dataformat', sendMode: 0, recvMode: 2 as 0 })],
    ['viewMode', () => at.qmtcfg(0, { name: 'view/mode', viewMode: 2 as 0 })],
    ['recvId', () => at.qmtrecv(0, 5)],
    ['contextId', () => at.qiact(8)],
    ['contextId', () => at.qideact(0)],
    ['contextType', () => at.qicsgp({ contextId: 1, contextType: 4 as 1, apn: 'a' })],
    ['authentication', () => at.qicsgp({ contextId: 1, contextType: 1, apn: 'a', authentication: 4 as 0 })],
    ['fun', () => at.cfun(2 as 1)],
    ['mode', () => at.cmee(3 as 2)],
    ['inputTimeoutS', () => at.qfupl('a.pem', new Uint8Array([1]), { inputTimeoutS: 0 })],
    ['data', () => at.qfupl('a.pem', new Uint8Array(0))],
    ['username', () => at.qmtconn(0, 'c', { password: 'p' })],
    ['name', () => at.qmtcfgQuery(0, 'bogus' as 'version')],
  ];
  for (const [field, build] of cases) {
    it(`${field}: ${build.toString().slice(6, 90)}`, () => {
      expect(refusal(build).field).toBe(field);
    });
  }

  it('accepts the range ends', () => {
    expect(at.qmtopen(5, 'h', 65535).line).toBe('AT+QMTOPEN=5,"h",65535');
    expect(at.qmtpubex(0, 65535, 2, 't', 'x'.repeat(1500)).line).toBe('AT+QMTPUBEX=0,65535,2,0,"t",1500');
    expect(at.qmtcfg(0, { name: 'keepalive', seconds: 0 }).line).toBe('AT+QMTCFG="keepalive",0,0');
    expect(at.qmtcfg(0, { name: 'timeout', pktTimeoutS: 60, retryTimes: 0, notice: true }).line).toBe(
      'AT+QMTCFG="timeout",0,60,0,1',
    );
  });
});

describe('names outside the lists are refused with the list', () => {
  it('QSSLCFG parameter, QMTCFG sub-command, test-form command', () => {
    expect(refusal(() => at.qsslcfg(0, { param: 'secllevel' as 'seclevel', value: 1 })).message).toBe(
      `param: must be one of ${at.SSL_PARAMS.join(', ')}`,
    );
    expect(refusal(() => at.qsslcfgQuery(0, 'nope' as 'sni')).field).toBe('param');
    expect(refusal(() => at.qmtcfgQuery(0, 'SSL' as 'ssl')).message).toContain('must be one of version, pdpcid, ssl');
    expect(refusal(() => at.testForm('QMTPUB' as 'QMTPUBEX')).message).toContain('QMTPUBEX');
  });
});
