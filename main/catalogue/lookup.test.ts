import { describe, expect, it } from 'vitest';
import { QMTCFG_FIELDS } from '../at/commands';
import {
  answerHasSecrets,
  completionByUrc,
  completionOf,
  dataPhaseCommands,
  dataPhaseOf,
  maxResponseMs,
  secretRule,
  commandSpec,
  settingSpec,
} from './lookup';
import { qmtcfgSettings } from './qmtcfg';
import { qsslcfgSettings } from './qsslcfg';

describe('data phases, read as the module reads the line', () => {
  it.each([
    ['AT+QMTPUBEX=0,1,1,0,"t",32', { after: 'prompt', length: 32, end: 'length' }],
    ['AT+QMTPUBEX =0,1,1,0,"t", 32', { after: 'prompt', length: 32 }],
    ['AT+QMTPUBEX=0,1,1,0,"t",-3', { after: 'prompt', length: null }],
    ['AT+QMTPUB=0,1,1,0,"t",5', { after: 'prompt', length: 5, end: 'ctrl-z' }],
    ['at+qmtpub=0,0,0,0,"t"', { after: 'prompt', length: null, end: 'ctrl-z' }],
    ['AT+QMTCFG="willex",0,1,0,0,"lwt",7', { after: 'prompt', length: 7 }],
    ['AT+QMTCFG = "WILLEX",0,1,0,0,"t",60', { after: 'prompt', length: 60 }],
    ['AT+QMTCFG="willex",0,1,0,0,"t"', { after: 'prompt', length: null }],
    ['AT+QFUPL="UFS:ca.pem",1758,100', { after: 'connect', length: 1758, direction: 'to-module' }],
    ['AT+QFUPL="UFS:ca.pem"', { after: 'connect', length: null }],
    ['AT+QFWRITE=1,10', { after: 'connect', length: 10 }],
    ['AT+QFDWL="UFS:key.pem"', { after: 'connect', direction: 'from-module', end: 'module' }],
    ['AT+QISEND=0', { after: 'prompt', length: null, end: 'ctrl-z' }],
    ['AT+QISEND=0,12', { after: 'prompt', length: 12 }],
    ['AT+QSSLSEND=1,5', { after: 'prompt', length: 5 }],
    ['AT+QHTTPURL=24,80', { after: 'connect', length: 24 }],
    ['AT+QHTTPPOST=10,60,60', { after: 'connect', length: 10 }],
    ['AT+QHTTPPUT=10', { after: 'connect', length: 10 }],
    ['AT+CMGS="+8613800000000"', { after: 'prompt', end: 'ctrl-z' }],
    ['AT+CMGS=23', { after: 'prompt', end: 'ctrl-z' }],
    ['AT+QCMGS="+8613800000000",120,1,2', { after: 'prompt', end: 'ctrl-z' }],
    ['AT+CMGW', { after: 'prompt', end: 'ctrl-z' }],
    ['AT+CMGW="+8613800000000"', { after: 'prompt', end: 'ctrl-z' }],
    ['AT+CMGC=2,16,0,3', { after: 'prompt', end: 'ctrl-z' }],
    ['AT+QFTPPUT="r.bin","COM:",0,100', { after: 'connect', length: 100, end: 'escape' }],
    ['AT+CSQ;+QMTPUBEX=0,0,0,0,"t",5', { after: 'prompt', length: 5 }],
  ])('%s', (line, expected) => {
    expect(dataPhaseOf(line)).toMatchObject(expected);
  });

  it.each([
    'AT+QMTPUBEX=?',
    'AT+QMTPUB?',
    'AT+QMTCFG="willex",0',
    'AT+QMTCFG="willex",0,0',
    'AT+QMTCFG="will",0,1,0,0,"t","m"',
    'AT+QISEND=0,0',
    'AT+QSSLSEND=1,0',
    'AT+QFTPPUT="r.bin","UFS:r.bin"',
    'AT+QHTTPURL?',
    'AT+CSQ',
    'ATI',
  ])('%s opens none', (line) => {
    expect(dataPhaseOf(line)).toBeNull();
  });

  it('lists the commands that can open one', () => {
    expect(dataPhaseCommands()).toEqual(
      expect.arrayContaining([
        '+QMTPUBEX',
        '+QMTPUB',
        '+QMTCFG',
        '+QFUPL',
        '+QISEND',
        '+QHTTPURL',
        '+CMGS',
        '+QFTPPUT',
      ]),
    );
  });
});

describe('completions', () => {
  it('say where the client index, message id and result are, and which result is a retransmission', () => {
    expect(completionOf('AT+QMTSUB')).toMatchObject({
      urc: '+QMTSUB',
      client: { at: 0, from: 0 },
      msgId: { at: 1, from: 1 },
      resultAt: 2,
      retransmission: 1,
    });
    expect(completionOf('+QMTCONN')).toMatchObject({ urc: '+QMTCONN', resultAt: 1, retransmission: 1 });
    expect(completionOf('+QMTOPEN')?.retransmission).toBeUndefined();
    expect(completionOf('+QMTCFG')).toBeUndefined();
  });

  it('know the +QMTPUB an old firmware answers AT+QMTPUBEX with', () => {
    expect(completionByUrc('+QMTPUB')).toMatchObject({ resultAt: 2, msgId: { at: 1 } });
  });
});

describe('maximum response times follow the configured delivery timing', () => {
  it('<pkt_timeout> for QMTCONN, <pkt_timeout> x <retry_times> for SUB/UNS/PUBEX, none for QMTRECV', () => {
    expect(maxResponseMs('+QMTCONN', { pktTimeoutS: 2 })).toBe(2000);
    expect(maxResponseMs('+QMTSUB', { pktTimeoutS: 2, retryTimes: 4 })).toBe(8000);
    expect(maxResponseMs('+QMTPUBEX')).toBe(15_000);
    expect(maxResponseMs('+QMTRECV')).toBeNull();
  });
});

describe('secrets', () => {
  it('per sub-setting, in the write form and the read answer', () => {
    const qmtcfg = commandSpec('+QMTCFG');
    if (qmtcfg === undefined) throw new Error('no +QMTCFG');
    const aliauth = settingSpec(qmtcfg, 'ALIAUTH');
    expect(secretRule(qmtcfg, 'write', aliauth)?.secrets.map((s) => s.index)).toEqual([4]);
    expect(secretRule(qmtcfg, 'answer', aliauth)?.secrets.map((s) => s.index)).toEqual([3]);
    expect(secretRule(qmtcfg, 'write', settingSpec(qmtcfg, 'keepalive'))).toBeNull();
  });

  it('reads whose answers carry them', () => {
    expect(answerHasSecrets('AT+QMTCFG="aliauth",0')).toBe(true);
    expect(answerHasSecrets('AT+QMTCFG="onenet",1')).toBe(true);
    expect(answerHasSecrets('AT+QICSGP=1')).toBe(true);
    expect(answerHasSecrets('AT+QMTCFG="keepalive",0')).toBe(false);
    expect(answerHasSecrets('AT+CSQ')).toBe(false);
  });
});

describe('setting facts for the provisioning schema', () => {
  it('every AT+QMTCFG setting of the spec, with its parameters named as the spec names them', () => {
    expect(Object.keys(qmtcfgSettings)).toEqual([
      'version',
      'pdpcid',
      'ssl',
      'keepalive',
      'session',
      'timeout',
      'will',
      'willex',
      'recv/mode',
      'qmtping',
      'send/mode',
      'aliauth',
      'onenet',
      'dataformat',
      'view/mode',
      'edit/timeout',
    ]);
    expect(qmtcfgSettings.timeout?.values.map((p) => p.name)).toEqual(['pkt_timeout', 'retry_times', 'timeout_notice']);
    expect(qmtcfgSettings['recv/mode']?.values.map((p) => p.name)).toEqual(['msg_recv_mode', 'msg_len_enable']);
  });

  it('parameters have labels, integers a range, and the secrets are marked', () => {
    for (const settings of [qmtcfgSettings, qsslcfgSettings]) {
      for (const setting of Object.values(settings)) {
        for (const param of setting.values) {
          expect(param.label, `${setting.name}.${param.name}`).not.toBe('');
          if (param.type === 'int') expect(param.range, `${setting.name}.${param.name}`).toBeDefined();
        }
      }
    }
    const secrets = Object.values(qmtcfgSettings).flatMap((s) => s.values.filter((p) => p.secret).map((p) => p.name));
    expect(secrets).toEqual(['device_secret', 'access_key']);
  });
});

describe('the command library reads AT+QMTCFG answers in the catalogue order', () => {
  it('one reading field per catalogue value, for every setting', () => {
    for (const [name, fields] of Object.entries(QMTCFG_FIELDS)) {
      expect(fields.length, name).toBe(qmtcfgSettings[name]?.values.length);
    }
  });
});
