import { describe, expect, it } from 'vitest';
import type { AtRequest } from '../vocab/request';
import * as at from './index';

/** Exact line bytes, redacted form and time limits of every builder. */

const enc = (text: string): Uint8Array => new TextEncoder().encode(text);

interface Row {
  readonly request: AtRequest<unknown>;
  readonly line: string;
  readonly timeoutMs: number;
  readonly redacted?: string;
}

const rows: Record<string, Row> = {
  AT: { request: at.at(), line: 'AT', timeoutMs: 300 },
  ATE1: { request: at.echo(true), line: 'ATE1', timeoutMs: 300 },
  ATE0: { request: at.echo(false), line: 'ATE0', timeoutMs: 300 },
  ATI: { request: at.ati(), line: 'ATI', timeoutMs: 300 },
  GSN: { request: at.gsn(), line: 'AT+GSN', timeoutMs: 300 },
  CGSN: { request: at.cgsn(), line: 'AT+CGSN', timeoutMs: 300 },
  QCCID: { request: at.qccid(), line: 'AT+QCCID', timeoutMs: 300 },
  CIMI: { request: at.cimi(), line: 'AT+CIMI', timeoutMs: 300 },
  QGMR: { request: at.qgmr(), line: 'AT+QGMR', timeoutMs: 300 },
  CSQ: { request: at.csq(), line: 'AT+CSQ', timeoutMs: 300 },
  CPIN: { request: at.cpinQuery(), line: 'AT+CPIN?', timeoutMs: 5000 },
  CEREG: { request: at.ceregQuery(), line: 'AT+CEREG?', timeoutMs: 300 },
  CGREG: { request: at.cgregQuery(), line: 'AT+CGREG?', timeoutMs: 300 },
  COPS: { request: at.copsQuery(), line: 'AT+COPS?', timeoutMs: 180_000 },
  QICSGP: {
    request: at.qicsgp({
      contextId: 1,
      contextType: 1,
      apn: 'cmnet',
      username: 'u',
      password: 'pw',
      authentication: 1,
    }),
    line: 'AT+QICSGP=1,1,"cmnet","u","pw",1',
    redacted: 'AT+QICSGP=1,1,"cmnet","u","***",1',
    timeoutMs: 300,
  },
  QICSGPdefaults: {
    request: at.qicsgp({ contextId: 2, contextType: 3, apn: '' }),
    line: 'AT+QICSGP=2,3,"","","",0',
    // An empty password stays visibly empty: "" is not a password.
    redacted: 'AT+QICSGP=2,3,"","","",0',
    timeoutMs: 300,
  },
  QIACT: { request: at.qiact(1), line: 'AT+QIACT=1', timeoutMs: 150_000 },
  QIACTq: { request: at.qiactQuery(), line: 'AT+QIACT?', timeoutMs: 150_000 },
  QIDEACT: { request: at.qideact(1), line: 'AT+QIDEACT=1', timeoutMs: 40_000 },
  CFUN: { request: at.cfun(1), line: 'AT+CFUN=1', timeoutMs: 15_000 },
  CFUNreset: { request: at.cfun(1, true), line: 'AT+CFUN=1,1', timeoutMs: 15_000 },
  CFUNq: { request: at.cfunQuery(), line: 'AT+CFUN?', timeoutMs: 15_000 },
  CMEE: { request: at.cmee(2), line: 'AT+CMEE=2', timeoutMs: 300 },
  QFLST: { request: at.qflst(), line: 'AT+QFLST="*"', timeoutMs: 5000 },
  QFDEL: { request: at.qfdel('cacert.pem'), line: 'AT+QFDEL="UFS:cacert.pem"', timeoutMs: 5000 },
  QFDELall: { request: at.qfdel('*'), line: 'AT+QFDEL="*"', timeoutMs: 5000 },
  SSLcacert: {
    request: at.qsslcfg(2, { param: 'cacert', value: 'UFS:cacert.pem' }),
    line: 'AT+QSSLCFG="cacert",2,"UFS:cacert.pem"',
    timeoutMs: 300,
  },
  SSLclientcert: {
    request: at.qsslcfg(2, { param: 'clientcert', value: 'client.pem' }),
    line: 'AT+QSSLCFG="clientcert",2,"UFS:client.pem"',
    timeoutMs: 300,
  },
  SSLclientkey: {
    request: at.qsslcfg(2, { param: 'clientkey', value: 'user_key.pem' }),
    line: 'AT+QSSLCFG="clientkey",2,"UFS:user_key.pem"',
    timeoutMs: 300,
  },
  SSLseclevel: {
    request: at.qsslcfg(2, { param: 'seclevel', value: 2 }),
    line: 'AT+QSSLCFG="seclevel",2,2',
    timeoutMs: 300,
  },
  SSLversion: {
    request: at.qsslcfg(2, { param: 'sslversion', value: 4 }),
    line: 'AT+QSSLCFG="sslversion",2,4',
    timeoutMs: 300,
  },
  SSLcipher: {
    request: at.qsslcfg(2, { param: 'ciphersuite', value: 0xffff }),
    line: 'AT+QSSLCFG="ciphersuite",2,0xFFFF',
    timeoutMs: 300,
  },
  SSLcipherPadded: {
    request: at.qsslcfg(0, { param: 'ciphersuite', value: 0x35 }),
    line: 'AT+QSSLCFG="ciphersuite",0,0x0035',
    timeoutMs: 300,
  },
  SSLignorelocaltime: {
    request: at.qsslcfg(2, { param: 'ignorelocaltime', value: true }),
    line: 'AT+QSSLCFG="ignorelocaltime",2,1',
    timeoutMs: 300,
  },
  SSLnegotiatetime: {
    request: at.qsslcfg(1, { param: 'negotiatetime', value: 300 }),
    line: 'AT+QSSLCFG="negotiatetime",1,300',
    timeoutMs: 300,
  },
  SSLsni: { request: at.qsslcfg(1, { param: 'sni', value: false }), line: 'AT+QSSLCFG="sni",1,0', timeoutMs: 300 },
  SSLinvalidsign: {
    request: at.qsslcfg(1, { param: 'ignoreinvalidcertsign', value: true }),
    line: 'AT+QSSLCFG="ignoreinvalidcertsign",1,1',
    timeoutMs: 300,
  },
  SSLmultichain: {
    request: at.qsslcfg(1, { param: 'ignoremulticertchainverify', value: false }),
    line: 'AT+QSSLCFG="ignoremulticertchainverify",1,0',
    timeoutMs: 300,
  },
  SSLread: {
    request: at.qsslcfgQuery(2, 'ignorelocaltime'),
    line: 'AT+QSSLCFG="ignorelocaltime",2',
    timeoutMs: 300,
  },
  CFGversion: { request: at.qmtcfg(0, { name: 'version', vsn: 4 }), line: 'AT+QMTCFG="version",0,4', timeoutMs: 300 },
  CFGpdpcid: { request: at.qmtcfg(1, { name: 'pdpcid', cid: 7 }), line: 'AT+QMTCFG="pdpcid",1,7', timeoutMs: 300 },
  CFGssl: {
    request: at.qmtcfg(0, { name: 'ssl', enable: true, contextId: 2 }),
    line: 'AT+QMTCFG="ssl",0,1,2',
    timeoutMs: 300,
  },
  CFGsslOff: { request: at.qmtcfg(0, { name: 'ssl', enable: false }), line: 'AT+QMTCFG="ssl",0,0', timeoutMs: 300 },
  CFGkeepalive: {
    request: at.qmtcfg(5, { name: 'keepalive', seconds: 3600 }),
    line: 'AT+QMTCFG="keepalive",5,3600',
    timeoutMs: 300,
  },
  CFGsession: {
    request: at.qmtcfg(0, { name: 'session', clean: true }),
    line: 'AT+QMTCFG="session",0,1',
    timeoutMs: 300,
  },
  CFGtimeout: {
    request: at.qmtcfg(0, { name: 'timeout', pktTimeoutS: 5, retryTimes: 3, notice: false }),
    line: 'AT+QMTCFG="timeout",0,5,3,0',
    timeoutMs: 300,
  },
  CFGwill: {
    request: at.qmtcfg(0, {
      name: 'will',
      enabled: true,
      qos: 1,
      retain: true,
      topic: 'dev/lwt',
      message: 'gone, bye',
    }),
    line: 'AT+QMTCFG="will",0,1,1,1,"dev/lwt","gone, bye"',
    timeoutMs: 300,
  },
  CFGwillOff: { request: at.qmtcfg(0, { name: 'will', enabled: false }), line: 'AT+QMTCFG="will",0,0', timeoutMs: 300 },
  CFGwillexOff: {
    request: at.qmtcfg(0, { name: 'willex', enabled: false }),
    line: 'AT+QMTCFG="willex",0,0',
    timeoutMs: 300,
  },
  CFGrecvmode: {
    request: at.qmtcfg(0, { name: 'recv/mode', msgRecvMode: 0, msgLenEnable: true }),
    line: 'AT+QMTCFG="recv/mode",0,0,1',
    timeoutMs: 300,
  },
  CFGqmtping: {
    request: at.qmtcfg(0, { name: 'qmtping', intervalS: 60 }),
    line: 'AT+QMTCFG="qmtping",0,60',
    timeoutMs: 300,
  },
  CFGsendmode: {
    request: at.qmtcfg(0, { name: 'send/mode', sendMode: 1 }),
    line: 'AT+QMTCFG="send/mode",0,1',
    timeoutMs: 300,
  },
  CFGaliauth: {
    request: at.qmtcfg(0, {
      name: 'aliauth',
      productKey: 'oyjtmPI5a5j',
      deviceName: 'MQTT_TEST',
      deviceSecret: 'wN9Y6pZSIly7Exa5qVzcmigEGO4kAazZ',
    }),
    line: 'AT+QMTCFG="aliauth",0,"oyjtmPI5a5j","MQTT_TEST","wN9Y6pZSIly7Exa5qVzcmigEGO4kAazZ"',
    redacted: 'AT+QMTCFG="aliauth",0,"oyjtmPI5a5j","MQTT_TEST","***"',
    timeoutMs: 300,
  },
  CFGonenet: {
    request: at.qmtcfg(0, { name: 'onenet', productId: '123456', accessKey: 'a2V5/+==' }),
    line: 'AT+QMTCFG="onenet",0,"123456","a2V5/+=="',
    redacted: 'AT+QMTCFG="onenet",0,"123456","***"',
    timeoutMs: 300,
  },
  CFGdataformat: {
    request: at.qmtcfg(0, { name: 'dataformat', sendMode: 0, recvMode: 1 }),
    line: 'AT+QMTCFG="dataformat",0,0,1',
    timeoutMs: 300,
  },
  CFGviewmode: {
    request: at.qmtcfg(0, { name: 'view/mode', viewMode: 1 }),
    line: 'AT+QMTCFG="view/mode",0,1',
    timeoutMs: 300,
  },
  CFGedit: {
    request: at.qmtcfg(0, { name: 'edit/timeout', enable: true, editTimeoutS: 180 }),
    line: 'AT+QMTCFG="edit/timeout",0,1,180',
    timeoutMs: 300,
  },
  CFGeditOff: {
    request: at.qmtcfg(0, { name: 'edit/timeout', enable: false }),
    line: 'AT+QMTCFG="edit/timeout",0,0',
    timeoutMs: 300,
  },
  OPEN: {
    request: at.qmtopen(0, 'iot-as-mqtt.cn-shanghai.aliyuncs.com', 1883),
    line: 'AT+QMTOPEN=0,"iot-as-mqtt.cn-shanghai.aliyuncs.com",1883',
    timeoutMs: at.MQTT_FINAL_MS,
  },
  OPENq: { request: at.qmtopenQuery(), line: 'AT+QMTOPEN?', timeoutMs: 300 },
  CLOSE: { request: at.qmtclose(3), line: 'AT+QMTCLOSE=3', timeoutMs: at.MQTT_FINAL_MS },
  CONN: { request: at.qmtconn(0, 'clientExample'), line: 'AT+QMTCONN=0,"clientExample"', timeoutMs: at.MQTT_FINAL_MS },
  CONNauth: {
    request: at.qmtconn(1, 'dev1', { username: 'user', password: 's3cret', pktTimeoutS: 10 }),
    line: 'AT+QMTCONN=1,"dev1","user","s3cret"',
    redacted: 'AT+QMTCONN=1,"dev1","user","***"',
    timeoutMs: at.MQTT_FINAL_MS,
  },
  CONNq: { request: at.qmtconnQuery(), line: 'AT+QMTCONN?', timeoutMs: 300 },
  DISC: { request: at.qmtdisc(0), line: 'AT+QMTDISC=0', timeoutMs: at.MQTT_FINAL_MS },
  SUB: {
    request: at.qmtsub(0, 1, [{ topic: 'topic/example', qos: 2 }]),
    line: 'AT+QMTSUB=0,1,"topic/example",2',
    timeoutMs: at.MQTT_FINAL_MS,
  },
  SUBmany: {
    request: at.qmtsub(0, 7, [
      { topic: '$aws/things/M26_0206/shadow/update/accepted', qos: 1 },
      { topic: 'a/+/c', qos: 0 },
      { topic: 'x/#', qos: 2 },
    ]),
    line: 'AT+QMTSUB=0,7,"$aws/things/M26_0206/shadow/update/accepted",1,"a/+/c",0,"x/#",2',
    timeoutMs: at.MQTT_FINAL_MS,
  },
  SUBtiming: {
    request: at.qmtsub(0, 1, [{ topic: 't', qos: 0 }], { pktTimeoutS: 10, retryTimes: 2 }),
    line: 'AT+QMTSUB=0,1,"t",0',
    timeoutMs: at.MQTT_FINAL_MS,
  },
  UNS: {
    request: at.qmtuns(0, 2, ['topic/example']),
    line: 'AT+QMTUNS=0,2,"topic/example"',
    timeoutMs: at.MQTT_FINAL_MS,
  },
  UNSmany: {
    request: at.qmtuns(0, 3, ['a', 'b/c'], { pktTimeoutS: 1, retryTimes: 0 }),
    line: 'AT+QMTUNS=0,3,"a","b/c"',
    timeoutMs: at.MQTT_FINAL_MS,
  },
  PUBEX: {
    request: at.qmtpubex(0, 0, 0, 'topic/pub', 'This is test data, hello MQTT.'),
    line: 'AT+QMTPUBEX=0,0,0,0,"topic/pub",30',
    timeoutMs: at.MQTT_FINAL_MS,
  },
  PUBEXretain: {
    request: at.qmtpubex(0, 1, 1, '$aws/things/M26_0206/shadow/update/accepted', 'This is publish data from client', {
      retain: true,
    }),
    line: 'AT+QMTPUBEX=0,1,1,1,"$aws/things/M26_0206/shadow/update/accepted",32',
    timeoutMs: at.MQTT_FINAL_MS,
  },
  RECVq: { request: at.qmtrecvQuery(), line: 'AT+QMTRECV?', timeoutMs: 2000 },
  RECV: { request: at.qmtrecv(0), line: 'AT+QMTRECV=0', timeoutMs: 2000 },
  RECVslot: { request: at.qmtrecv(1, 4), line: 'AT+QMTRECV=1,4', timeoutMs: 2000 },
};

describe('every builder writes the exact line with the spec time limit', () => {
  for (const [name, row] of Object.entries(rows)) {
    it(name, () => {
      expect(row.request.line).toBe(row.line);
      expect(row.request.redacted).toBe(row.redacted ?? row.line);
      expect(row.request.timeoutMs).toBe(row.timeoutMs);
      expect(row.request.line).not.toMatch(/[\r\n]/);
    });
  }

  it('redacted lines never contain the secret they hide', () => {
    expect(rows.CFGaliauth?.request.redacted).not.toContain('wN9Y6pZS');
    expect(rows.CONNauth?.request.redacted).not.toContain('s3cret');
    expect(rows.CFGonenet?.request.redacted).not.toContain('a2V5');
    expect(rows.QICSGP?.request.redacted).not.toContain('pw"');
  });

  it('every QMTCFG sub-command has a query form; the credential reads keep their answers out of transcripts', () => {
    for (const name of Object.keys(at.QMTCFG_FIELDS) as at.QmtcfgName[]) {
      const request = at.qmtcfgQuery(2, name);
      expect(request.line).toBe(`AT+QMTCFG="${name}",2`);
      expect(request.timeoutMs).toBe(300);
      expect(request.secretResponses === true).toBe(name === 'aliauth' || name === 'onenet');
    }
  });

  it('every MQTT command of the spec has its test form', () => {
    for (const command of at.TESTABLE_COMMANDS) {
      expect(at.testForm(command).line).toBe(`AT+${command}=?`);
      expect(at.testForm(command).timeoutMs).toBe(300);
    }
    expect(() => at.testForm('QMTFOO' as 'QMTCFG')).toThrow(/command/);
  });

  it('every QSSLCFG parameter has a read form', () => {
    for (const param of at.SSL_PARAMS) expect(at.qsslcfgQuery(5, param).line).toBe(`AT+QSSLCFG="${param}",5`);
  });
});

describe('payload phases', () => {
  it('QMTPUBEX sends the payload after the prompt, length counted in bytes', () => {
    const request = at.qmtpubex(0, 5, 1, 't/ü', 'héllo "quoted",, commas\r\n');
    const bytes = enc('héllo "quoted",, commas\r\n');
    expect(request.line).toBe(`AT+QMTPUBEX=0,5,1,0,"t/ü",${bytes.length}`);
    expect(request.payload).toEqual({ after: 'prompt', bytes });
    expect(request.payload?.secret).toBeUndefined();
  });

  it('binary payloads (0x1A included) pass with the length form; secret payloads are marked', () => {
    const data = Uint8Array.from([0x1a, 0x00, 0x22, 0x0d, 0x0a]);
    const request = at.qmtpubex(2, 9, 2, 'bin', data, { secret: true });
    expect(request.line).toBe('AT+QMTPUBEX=2,9,2,0,"bin",5');
    expect(request.payload).toEqual({ after: 'prompt', bytes: data, secret: true });
  });

  it('QMTCFG willex puts the will message after the prompt', () => {
    const request = at.qmtcfg(0, {
      name: 'willex',
      enabled: true,
      qos: 2,
      retain: false,
      topic: 'dev/lwt',
      message: 'off"line',
    });
    expect(request.line).toBe('AT+QMTCFG="willex",0,1,2,0,"dev/lwt",8');
    expect(request.payload).toEqual({ after: 'prompt', bytes: enc('off"line') });
  });

  it('QFUPL announces the size and sends the bytes after CONNECT; private keys are secret', () => {
    const cert = enc('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const upload = at.qfupl('cacert.pem', cert, { inputTimeoutS: 100 });
    expect(upload.line).toBe(`AT+QFUPL="UFS:cacert.pem",${cert.length},100`);
    expect(upload.payload).toEqual({ after: 'connect', bytes: cert, secret: false });
    // 100 s input window + transfer time at 115200 baud + 5 s file-system margin.
    expect(upload.timeoutMs).toBe(100_000 + Math.ceil((cert.length * 10 * 1000) / 115_200) + 5000);

    const key = enc('-----BEGIN EC PRIVATE KEY-----\nMHcC\n-----END EC PRIVATE KEY-----\n');
    expect(at.qfupl('UFS:user_key.pem', key).payload?.secret).toBe(true);
    expect(at.qfupl('x.bin', enc('opaque'), { secret: true }).payload?.secret).toBe(true);
  });
});

describe('completion URCs', () => {
  const urc = (name: string, params: string[]) => ({
    kind: 'urc' as const,
    name,
    params,
    known: true,
    raw: `${name}: ${params.join(',')}`,
  });

  it('QMTOPEN / QMTCLOSE / QMTDISC complete on their URC for the same client only', () => {
    for (const [request, name] of [
      [at.qmtopen(2, 'h', 1), '+QMTOPEN'],
      [at.qmtclose(2), '+QMTCLOSE'],
      [at.qmtdisc(2), '+QMTDISC'],
    ] as const) {
      expect(request.completion?.urc).toBe(name);
      expect(request.completion?.match(urc(name, ['2', '0']))).toBe(true);
      expect(request.completion?.match(urc(name, ['1', '0']))).toBe(false);
    }
    expect(at.qmtopen(0, 'h', 1).completion?.timeoutMs).toBe(120_000);
  });

  it('QMTCONN completes on its client; a retransmission report (result 1) does not complete it', () => {
    const request = at.qmtconn(1, 'c');
    expect(request.completion?.match(urc('+QMTCONN', ['1', '0', '0']))).toBe(true);
    expect(request.completion?.match(urc('+QMTCONN', ['0', '0', '0']))).toBe(false);
    expect(request.completion?.match(urc('+QMTCONN', ['1', '1', '2']))).toBe(false);
    expect(request.abortOn?.[0]?.match(urc('+QMTSTAT', ['1', '3']))).toBe(true);
    expect(request.abortOn?.[0]?.match(urc('+QMTSTAT', ['0', '3']))).toBe(false);
  });

  it('QMTSUB / QMTUNS / QMTPUBEX match client index and msgid; PUBEX result 1 is intermediate', () => {
    const pub = at.qmtpubex(0, 7, 1, 't', 'x');
    expect(pub.completion?.urc).toBe('+QMTPUBEX');
    expect(pub.completion?.match(urc('+QMTPUBEX', ['0', '7', '0']))).toBe(true);
    expect(pub.completion?.match(urc('+QMTPUBEX', ['0', '7', '2']))).toBe(true);
    expect(pub.completion?.match(urc('+QMTPUBEX', ['0', '7', '1', '1']))).toBe(false);
    expect(pub.completion?.match(urc('+QMTPUBEX', ['0', '8', '0']))).toBe(false);
    expect(pub.completion?.match(urc('+QMTPUBEX', ['1', '7', '0']))).toBe(false);
    const sub = at.qmtsub(3, 65535, [{ topic: 't', qos: 1 }]);
    expect(sub.completion?.match(urc('+QMTSUB', ['3', '65535', '0', '1']))).toBe(true);
    expect(sub.completion?.match(urc('+QMTSUB', ['3', '1', '0', '1']))).toBe(false);
    const uns = at.qmtuns(4, 12, ['t']);
    expect(uns.completion?.match(urc('+QMTUNS', ['4', '12', '0']))).toBe(true);
    expect(uns.completion?.match(urc('+QMTUNS', ['4', '13', '0']))).toBe(false);
  });

  it("a retransmission notice of the same packet is progress (it restarts the budget), another packet's is not", () => {
    const sub = at.qmtsub(3, 9, [{ topic: 't', qos: 1 }]);
    expect(sub.completion?.progress?.(urc('+QMTSUB', ['3', '9', '1', '2']))).toBe(true);
    expect(sub.completion?.progress?.(urc('+QMTSUB', ['3', '8', '1', '2']))).toBe(false);
    expect(sub.completion?.progress?.(urc('+QMTSUB', ['3', '9', '0', '1']))).toBe(false);
    const conn = at.qmtconn(1, 'c');
    expect(conn.completion?.progress?.(urc('+QMTCONN', ['1', '1', '1']))).toBe(true);
    expect(conn.completion?.progress?.(urc('+QMTCONN', ['0', '1', '1']))).toBe(false);
  });

  it('configuration and queries have no completion URC', () => {
    expect(at.qmtcfg(0, { name: 'version', vsn: 3 }).completion).toBeUndefined();
    expect(at.qmtconnQuery().completion).toBeUndefined();
    expect(at.qmtopenQuery().completion).toBeUndefined();
  });
});
