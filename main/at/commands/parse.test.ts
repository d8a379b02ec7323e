import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AtCommandError, AtResponseError } from '../vocab/errors';
import * as at from './index';
import { outcomeOf, recv } from '../../testing/outcome-fixture';

/** Parse functions on the spec's and field notes' example lines. */

const enc = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('MQTT link results', () => {
  it('+QMTOPEN: 0,0 opened; -1 and 1-5 carry the spec words', () => {
    const open = at.qmtopen(0, 'iot-as-mqtt.cn-shanghai.aliyuncs.com', 1883);
    expect(open.parse(outcomeOf({ completion: '+QMTOPEN: 0,0' }))).toEqual({
      clientIdx: 0,
      result: 0,
      resultText: 'Network opened successfully',
      ok: true,
    });
    expect(open.parse(outcomeOf({ completion: '+QMTOPEN: 0,-1' }))).toMatchObject({
      result: -1,
      resultText: 'Failed to open network',
      ok: false,
    });
    expect(open.parse(outcomeOf({ completion: '+QMTOPEN: 0,3' })).resultText).toBe('Failed to activate PDP');
    expect(open.parse(outcomeOf({ completion: '+QMTOPEN: 0,4' })).resultText).toBe('Failed to parse domain name');
  });

  it('AT+QMTOPEN? lists open clients', () => {
    expect(
      at.qmtopenQuery().parse(outcomeOf({ responses: ['+QMTOPEN: 0,"iot-as-mqtt.cn-shanghai.aliyuncs.com",1883'] })),
    ).toEqual([{ clientIdx: 0, host: 'iot-as-mqtt.cn-shanghai.aliyuncs.com', port: 1883 }]);
    expect(at.qmtopenQuery().parse(outcomeOf({}))).toEqual([]);
  });

  it('+QMTCONN: 0,0,0 is accepted with the CONNACK text; ret_code 4 is a bad password', () => {
    const conn = at.qmtconn(0, 'clientExample');
    expect(conn.parse(outcomeOf({ completion: '+QMTCONN: 0,0,0' }))).toEqual({
      clientIdx: 0,
      result: 0,
      resultText: 'Packet sent successfully and ACK received from server',
      retCode: 0,
      retCodeText: 'Connection Accepted',
      ok: true,
    });
    expect(conn.parse(outcomeOf({ completion: '+QMTCONN: 0,0,4' }))).toMatchObject({
      retCode: 4,
      retCodeText: 'Connection Refused: Bad User Name or Password',
      ok: false,
    });
    expect(conn.parse(outcomeOf({ completion: '+QMTCONN: 0,2' }))).toMatchObject({
      result: 2,
      resultText: 'Failed to send packet',
      ok: false,
    });
  });

  it('AT+QMTCONN? gives the state words', () => {
    expect(at.qmtconnQuery().parse(outcomeOf({ responses: ['+QMTCONN: 0,3', '+QMTCONN: 1,1'] }))).toEqual([
      { clientIdx: 0, state: 3, stateText: 'MQTT is connected' },
      { clientIdx: 1, state: 1, stateText: 'MQTT is initializing' },
    ]);
  });

  it('+QMTDISC: 0,0 and +QMTCLOSE: 0,-1', () => {
    expect(at.qmtdisc(0).parse(outcomeOf({ completion: '+QMTDISC: 0,0' }))).toMatchObject({ ok: true, result: 0 });
    expect(at.qmtclose(0).parse(outcomeOf({ completion: '+QMTCLOSE: 0,-1' }))).toMatchObject({
      ok: false,
      resultText: 'Failed to close',
    });
  });

  it('a missing completion URC or a malformed one is a bad response', () => {
    expect(() => at.qmtopen(0, 'h', 1).parse(outcomeOf({}))).toThrow(AtResponseError);
    expect(() => at.qmtopen(0, 'h', 1).parse(outcomeOf({ completion: '+QMTOPEN: 0,x' }))).toThrow(AtResponseError);
  });
});

describe('MQTT message results', () => {
  it('+QMTSUB: 0,1,0,2 grants QoS 2; several topics give several QoS values', () => {
    expect(
      at.qmtsub(0, 1, [{ topic: 'topic/example', qos: 2 }]).parse(outcomeOf({ completion: '+QMTSUB: 0,1,0,2' })),
    ).toEqual({
      clientIdx: 0,
      msgid: 1,
      result: 0,
      resultText: 'Packet sent successfully and ACK received from server',
      grantedQos: [2],
      ok: true,
    });
    const two = at.qmtsub(0, 4, [
      { topic: 'a', qos: 1 },
      { topic: 'b', qos: 2 },
    ]);
    expect(two.parse(outcomeOf({ completion: '+QMTSUB: 0,4,0,1,128' }))).toMatchObject({
      grantedQos: [1, 128],
      ok: false,
    });
  });

  it('+QMTUNS: 0,2,0', () => {
    expect(at.qmtuns(0, 2, ['topic/example']).parse(outcomeOf({ completion: '+QMTUNS: 0,2,0' }))).toEqual({
      clientIdx: 0,
      msgid: 2,
      result: 0,
      resultText: 'Packet sent successfully and ACK received from server',
      ok: true,
    });
  });

  it('+QMTPUBEX: 0,0,0 and a failure', () => {
    const pub = at.qmtpubex(0, 0, 0, 'topic/pub', 'This is test data, hello MQTT.');
    expect(pub.parse(outcomeOf({ completion: '+QMTPUBEX: 0,0,0' }))).toMatchObject({ result: 0, ok: true });
    expect(pub.parse(outcomeOf({ completion: '+QMTPUBEX: 0,0,2' }))).toMatchObject({
      result: 2,
      resultText: 'Failed to send packet',
      ok: false,
    });
  });

  it('AT+QMTRECV? reports buffer slots; AT+QMTRECV=0 returns the stored messages', () => {
    expect(at.qmtrecvQuery().parse(outcomeOf({ responses: ['+QMTRECV: 0,1,0,0,0,1'] }))).toEqual([
      { clientIdx: 0, stored: [true, false, false, false, true] },
    ]);
    const message = recv(0, 0, 'topic/example', 'This is the payload related to topic', true);
    expect(at.qmtrecv(0).parse(outcomeOf({ responses: [message] }))).toEqual([
      { clientIdx: 0, msgid: 0, topic: 'topic/example', payload: enc('This is the payload related to topic') },
    ]);
  });
});

describe('test forms', () => {
  it('returns the answer lines as the firmware wrote them', () => {
    expect(at.testForm('QMTOPEN').parse(outcomeOf({ responses: ['+QMTOPEN: (0-5),"hostname",(1-65535)'] }))).toEqual([
      '+QMTOPEN: (0-5),"hostname",(1-65535)',
    ]);
  });
});

describe('configuration reads', () => {
  it('reads numbers by field name', () => {
    expect(at.qmtcfgQuery(0, 'timeout').parse(outcomeOf({ responses: ['+QMTCFG: "timeout",5,3,0'] }))).toEqual({
      name: 'timeout',
      values: { pktTimeoutS: 5, retryTimes: 3, notice: 0 },
    });
    expect(at.qmtcfgQuery(0, 'ssl').parse(outcomeOf({ responses: ['+QMTCFG: "ssl",1,2'] })).values).toEqual({
      enable: 1,
      contextId: 2,
    });
    expect(at.qmtcfgQuery(0, 'version').parse(outcomeOf({ responses: ['+QMTCFG: "version",4'] })).values).toEqual({
      vsn: 4,
    });
  });

  it('never returns a secret read back from the module', () => {
    const reading = at
      .qmtcfgQuery(0, 'aliauth')
      .parse(
        outcomeOf({ responses: ['+QMTCFG: "aliauth","oyjtmPI5a5j","MQTT_TEST","wN9Y6pZSIly7Exa5qVzcmigEGO4kAazZ"'] }),
      );
    expect(reading).toEqual({
      name: 'aliauth',
      values: { productKey: 'oyjtmPI5a5j', deviceName: 'MQTT_TEST', deviceSecret: '***' },
      secretSet: true,
    });
    expect(JSON.stringify(reading)).not.toContain('wN9Y6pZS');
  });

  it('QSSLCFG reads: numbers, hex cipher suite, file names', () => {
    const read = (param: at.SslParam, line: string) =>
      at.qsslcfgQuery(2, param).parse(outcomeOf({ responses: [line] })).value;
    expect(read('ignorelocaltime', '+QSSLCFG: "ignorelocaltime",2,1')).toBe(1);
    expect(read('ciphersuite', '+QSSLCFG: "ciphersuite",2,0xFFFF')).toBe(0xffff);
    expect(read('cacert', '+QSSLCFG: "cacert",2,"UFS:cacert.pem"')).toBe('UFS:cacert.pem');
  });
});

describe('files', () => {
  it('checksum: XOR of big-endian 16-bit words, odd byte high, lower-case hex unpadded', () => {
    expect(at.qfuplChecksum(Uint8Array.from([0x12, 0x34, 0x56, 0x78]))).toBe((0x1234 ^ 0x5678).toString(16));
    expect(at.qfuplChecksum(Uint8Array.from([0x12, 0x34, 0x56]))).toBe((0x1234 ^ 0x5600).toString(16));
    expect(at.qfuplChecksum(Uint8Array.from([0x00, 0x0f]))).toBe('f');
  });

  it('checksum check values of the field notes: AmazonRootCA1.pem 2d13, ISRG Root X1 4f64', () => {
    const amazon = readFileSync(new URL('./fixtures/AmazonRootCA1.pem', import.meta.url));
    const isrg = readFileSync(new URL('./fixtures/ISRGRootX1.pem', import.meta.url));
    expect([amazon.length, at.qfuplChecksum(amazon)]).toEqual([1188, '2d13']);
    expect([isrg.length, at.qfuplChecksum(isrg)]).toEqual([1939, '4f64']);
  });

  it('+QFUPL: <size>,<checksum> must match the bytes sent', () => {
    const data = enc('hello world!');
    const sum = at.qfuplChecksum(data);
    const upload = at.qfupl('a.pem', data);
    expect(upload.parse(outcomeOf({ responses: [`+QFUPL: ${data.length},${sum}`] }))).toEqual({
      size: data.length,
      checksum: sum,
    });
    expect(() => upload.parse(outcomeOf({ responses: [`+QFUPL: ${data.length},ffff`] }))).toThrow(/checksum/);
    expect(() => upload.parse(outcomeOf({ responses: [`+QFUPL: 3,${sum}`] }))).toThrow(/3 of 12/);
  });

  it('a duplicate upload is +CME ERROR: 407 with the field-notes words', () => {
    const upload = at.qfupl('a.pem', enc('x'));
    expect(() => upload.parse(outcomeOf({ final: '+CME ERROR: 407' }))).toThrow(
      'AT+QFUPL failed: CME ERROR 407 (file already exists)',
    );
    try {
      upload.parse(outcomeOf({ final: '+CME ERROR: 407' }));
    } catch (error) {
      expect(error).toBeInstanceOf(AtCommandError);
      expect((error as AtCommandError).detail).toEqual({ final: 'CME ERROR', cmeCode: 407 });
    }
  });

  it('AT+QFLST lists names and sizes', () => {
    expect(
      at.qflst().parse(outcomeOf({ responses: ['+QFLST: "UFS:cacert.pem",1758', '+QFLST: "UFS:client.pem",1220'] })),
    ).toEqual([
      { name: 'UFS:cacert.pem', size: 1758 },
      { name: 'UFS:client.pem', size: 1220 },
    ]);
  });
});

describe('basics', () => {
  it('ATI, AT+GSN, AT+CGSN, AT+QCCID, AT+CIMI, AT+QGMR', () => {
    expect(at.ati().parse(outcomeOf({ responses: ['Quectel', 'EC200U', 'Revision: EC200UCNAAR03A03M08'] }))).toEqual({
      manufacturer: 'Quectel',
      model: 'EC200U',
      revision: 'EC200UCNAAR03A03M08',
    });
    expect(at.gsn().parse(outcomeOf({ responses: ['866123456789015'] }))).toBe('866123456789015');
    expect(at.cgsn().parse(outcomeOf({ responses: ['+CGSN: 866123456789015'] }))).toBe('866123456789015');
    expect(at.cgsn().parse(outcomeOf({ responses: ['866123456789015'] }))).toBe('866123456789015');
    expect(at.qccid().parse(outcomeOf({ responses: ['+QCCID: 89860012345678901234'] }))).toBe('89860012345678901234');
    expect(at.qccid().parse(outcomeOf({ responses: ['+QCCID: 8986001234567890123F'] }))).toBe('8986001234567890123F');
    expect(at.cimi().parse(outcomeOf({ responses: ['460001234567890'] }))).toBe('460001234567890');
    expect(at.qgmr().parse(outcomeOf({ responses: ['EC200UCNAAR03A03M08'] }))).toBe('EC200UCNAAR03A03M08');
    expect(() => at.gsn().parse(outcomeOf({ responses: ['not-an-imei'] }))).toThrow(AtResponseError);
  });

  it('AT+CSQ, AT+CPIN?, AT+CEREG?, AT+CGREG?, AT+COPS?, AT+QIACT?, AT+CFUN?', () => {
    expect(at.csq().parse(outcomeOf({ responses: ['+CSQ: 20,99'] }))).toEqual({ rssi: 20, ber: 99, dbm: -73 });
    expect(at.csq().parse(outcomeOf({ responses: ['+CSQ: 99,99'] }))).toEqual({ rssi: 99, ber: 99, dbm: null });
    expect(at.cpinQuery().parse(outcomeOf({ responses: ['+CPIN: READY'] }))).toEqual({ state: 'READY', ready: true });
    expect(at.cpinQuery().parse(outcomeOf({ responses: ['+CPIN: SIM PIN'] }))).toEqual({
      state: 'SIM PIN',
      ready: false,
    });
    expect(at.ceregQuery().parse(outcomeOf({ responses: ['+CEREG: 2,1,"1A2B","0C3D4E5F",7'] }))).toEqual({
      n: 2,
      stat: 1,
      statText: 'registered, home network',
      registered: true,
      tac: '1A2B',
      ci: '0C3D4E5F',
      act: 7,
    });
    expect(at.cgregQuery().parse(outcomeOf({ responses: ['+CGREG: 0,2'] }))).toMatchObject({
      registered: false,
      statText: 'not registered, searching',
    });
    expect(at.copsQuery().parse(outcomeOf({ responses: ['+COPS: 0,0,"CHINA MOBILE",7'] }))).toEqual({
      mode: 0,
      format: 0,
      operator: 'CHINA MOBILE',
      act: 7,
    });
    expect(at.qiactQuery().parse(outcomeOf({ responses: ['+QIACT: 1,1,1,"10.7.2.3"'] }))).toEqual([
      { contextId: 1, state: 1, type: 1, address: '10.7.2.3' },
    ]);
    expect(at.cfunQuery().parse(outcomeOf({ responses: ['+CFUN: 1'] }))).toBe(1);
  });

  it('ERROR and text +CME ERROR become AtCommandError', () => {
    expect(() => at.at().parse(outcomeOf({ final: 'ERROR' }))).toThrow(AtCommandError);
    expect(() => at.cpinQuery().parse(outcomeOf({ final: '+CME ERROR: SIM not inserted' }))).toThrow(
      'AT+CPIN? failed: CME ERROR SIM not inserted',
    );
  });
});
