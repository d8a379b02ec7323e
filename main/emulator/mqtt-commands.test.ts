import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { FaultPlan } from './faults';
import type { MqttClientSession, MqttClientSessionFactory, PacketReport } from './net/types';
import { MemoryBroker } from './memory-broker';
import { bootInProcess, ERR, info, OK, urc } from '../testing/test-module';
import type { TestHost } from '../testing/test-host';
import type { VirtualModule } from './virtual-module';

const modules: VirtualModule[] = [];
afterEach(() => {
  for (const m of modules.splice(0)) m.dispose();
});
async function boot(options: { faults?: FaultPlan; broker?: MemoryBroker; now?: () => number } = {}) {
  const booted = await bootInProcess(options);
  modules.push(booted.module);
  return booted;
}

/** Sends a command, expects OK, then exactly the URC. */
async function okThen(host: TestHost, command: string, line: string): Promise<void> {
  expect(await host.command(command)).toBe(OK);
  expect(await host.until(urc(line))).toBe(urc(line));
}

async function connect(host: TestHost, idx = 0, clientId = 'dev1'): Promise<void> {
  await okThen(host, `AT+QMTOPEN=${idx},"broker.local",1883`, `+QMTOPEN: ${idx},0`);
  await okThen(host, `AT+QMTCONN=${idx},"${clientId}"`, `+QMTCONN: ${idx},0,0`);
}

describe('AT+QMTOPEN results', () => {
  it('0: opened; read form lists it; 2: identifier occupied', async () => {
    const { host } = await boot();
    expect(await host.command('AT+QMTOPEN?')).toBe(OK);
    await okThen(host, 'AT+QMTOPEN=3,"broker.local",1883', '+QMTOPEN: 3,0');
    expect(await host.command('AT+QMTOPEN?')).toBe(info('+QMTOPEN: 3,"broker.local",1883'));
    await okThen(host, 'AT+QMTOPEN=3,"broker.local",1883', '+QMTOPEN: 3,2');
  });

  it('1: wrong parameter (a host name no resolver takes)', async () => {
    const { host } = await boot();
    await okThen(host, 'AT+QMTOPEN=0,"bad host",1883', '+QMTOPEN: 0,1');
  });

  it.each([
    ['tls-failure', -1],
    ['pdp-failure', 3],
    ['dns-failure', 4],
    ['network-loss', 5],
  ] as const)('%s gives result %i', async (openFault, result) => {
    const { host } = await boot({ faults: { openFault } });
    await okThen(host, 'AT+QMTOPEN=0,"broker.local",1883', `+QMTOPEN: 0,${result}`);
    expect(await host.command('AT+QMTOPEN?')).toBe(OK);
  });

  it('3: PDP cannot be activated with the radio off', async () => {
    const { host } = await boot();
    expect(await host.command('AT+CFUN=0')).toBe(OK);
    await okThen(host, 'AT+QMTOPEN=0,"broker.local",1883', '+QMTOPEN: 0,3');
  });

  it('rejects bad parameters with ERROR', async () => {
    const { host } = await boot();
    for (const bad of ['6,"h",1883', '0,"h",0', '0,"h",65536', '0,h,1883', '0,"h"']) {
      expect(await host.command(`AT+QMTOPEN=${bad}`), bad).toBe(ERR);
    }
    expect(await host.command(`AT+QMTOPEN=0,"${'h'.repeat(101)}",1883`)).toBe(ERR);
  });
});

describe('AT+QMTCONN', () => {
  it('connects; read form gives state 1 before and 3 after', async () => {
    const { host } = await boot();
    expect(await host.command('AT+QMTCONN=0,"dev"')).toBe(ERR);
    await okThen(host, 'AT+QMTOPEN=0,"broker.local",1883', '+QMTOPEN: 0,0');
    expect(await host.command('AT+QMTCONN?')).toBe(info('+QMTCONN: 0,1'));
    await okThen(host, 'AT+QMTCONN=0,"dev","user","pass"', '+QMTCONN: 0,0,0');
    expect(await host.command('AT+QMTCONN?')).toBe(info('+QMTCONN: 0,3'));
  });

  it.each([1, 2, 3, 4, 5] as const)('reports CONNACK refusal with ret_code %i', async (code) => {
    const { host } = await boot({ faults: { forceConnackCode: code } });
    await okThen(host, 'AT+QMTOPEN=0,"broker.local",1883', '+QMTOPEN: 0,0');
    await okThen(host, 'AT+QMTCONN=0,"dev"', `+QMTCONN: 0,0,${code}`);
  });

  it('reports a bad password as the broker refuses it (ret_code 4)', async () => {
    const broker = new MemoryBroker();
    broker.passwords = new Map([['user', 'right']]);
    const { host } = await boot({ broker });
    await okThen(host, 'AT+QMTOPEN=0,"broker.local",1883', '+QMTOPEN: 0,0');
    await okThen(host, 'AT+QMTCONN=0,"dev","user","wrong"', '+QMTCONN: 0,0,4');
  });

  it('derives Alibaba credentials from "aliauth" (securemode 3 on TCP)', async () => {
    const broker = new MemoryBroker();
    const { host } = await boot({ broker, now: () => 1_700_000_000_000 });
    expect(await host.command('AT+QMTCFG="aliauth",0,"pk1","dev9","s3cr3t"')).toBe(OK);
    await connect(host, 0, 'ignored');
    const connectPacket = broker.connects[0];
    const content = 'clientIdpk1.dev9deviceNamedev9productKeypk1timestamp1700000000000';
    expect(connectPacket).toMatchObject({
      clientId: 'pk1.dev9|securemode=3,signmethod=hmacsha256,timestamp=1700000000000|',
      username: 'dev9&pk1',
      password: createHmac('sha256', 's3cr3t').update(content).digest('hex'),
    });
  });

  it('derives OneNET credentials from "onenet": client id = device name, user = product id, token password', async () => {
    const broker = new MemoryBroker();
    const { host } = await boot({ broker, now: () => 1_700_000_000_000 });
    const key = Buffer.from('0123456789abcdef').toString('base64');
    expect(await host.command(`AT+QMTCFG="onenet",0,"pid42","${key}"`)).toBe(OK);
    await connect(host, 0, 'meter-7');
    const c = broker.connects[0];
    expect(c?.clientId).toBe('meter-7');
    expect(c?.username).toBe('pid42');
    expect(c?.password).toMatch(
      /^version=2018-10-31&res=products%2Fpid42%2Fdevices%2Fmeter-7&et=1731536000&method=sha256&sign=/,
    );
  });
});

describe('cloud credentials, more cases', () => {
  it('aliauth over SSL signs with securemode 2', async () => {
    const broker = new MemoryBroker();
    const { host } = await boot({ broker, now: () => 1_000 });
    expect(await host.command('AT+QMTCFG="SSL",0,1,0')).toBe(OK);
    expect(await host.command('AT+QMTCFG="aliauth",0,"pk","dn","ds"')).toBe(OK);
    await connect(host, 0, 'x');
    expect(broker.connects[0]?.clientId).toBe('pk.dn|securemode=2,signmethod=hmacsha256,timestamp=1000|');
  });

  it('an OneNET access key that is not base64 makes AT+QMTCONN answer ERROR', async () => {
    const { host, module } = await boot();
    expect(await host.command('AT+QMTCFG="onenet",0,"pid","not base64!"')).toBe(OK);
    await okThen(host, 'AT+QMTOPEN=0,"broker.local",1883', '+QMTOPEN: 0,0');
    expect(await host.command('AT+QMTCONN=0,"dev"')).toBe(ERR);
    expect(module.internalErrors).toBe(0);
  });
});

describe('AT+QMTSUB / AT+QMTUNS / AT+QMTDISC / AT+QMTCLOSE', () => {
  it('subscribes to several topics (granted QoS vector), unsubscribes several', async () => {
    const { host } = await boot();
    await connect(host);
    await okThen(host, 'at+qmtsub=0,7,"a/b",1,"c/+",2,"$sys/x/#",0', '+QMTSUB: 0,7,0,1,2,0');
    await okThen(host, 'AT+QMTUNS=0,8,"a/b","c/+"', '+QMTUNS: 0,8,0');
    expect(await host.command('AT+QMTSUB=0,9,"a/b",3')).toBe(ERR);
    expect(await host.command('AT+QMTSUB=0,9,"a/b"')).toBe(ERR);
    expect(await host.command('AT+QMTSUB=0,0,"a/b",1')).toBe(ERR);
  });

  it('disconnects, then CLOSE is refused because the link is gone', async () => {
    const { host } = await boot();
    await connect(host);
    await okThen(host, 'AT+QMTDISC=0', '+QMTDISC: 0,0');
    expect(await host.command('AT+QMTCONN?')).toBe(OK);
    expect(await host.command('AT+QMTCLOSE=0')).toBe(ERR);
    expect(await host.command('AT+QMTDISC=0')).toBe(ERR);
    expect(await host.command('AT+QMTCLOSE=?')).toBe(info('+QMTCLOSE: (0-5)'));
    expect(await host.command('AT+QMTDISC=?')).toBe(info('+QMTDISC: (0-5)'));
  });

  it('quirk: QMTCLOSE after QMTDISC answers OK without a +QMTCLOSE URC', async () => {
    const { host } = await boot({ faults: { silentCloseAfterDisc: true } });
    await connect(host);
    await okThen(host, 'AT+QMTDISC=0', '+QMTDISC: 0,0');
    expect(await host.command('AT+QMTCLOSE=0')).toBe(OK);
    expect(await host.command('AT')).toBe(OK);
    expect(host.all).not.toContain('+QMTCLOSE:');
  });
});

describe('AT+QMTPUBEX', () => {
  it('takes exactly <length> bytes after "> " (binary included), the rest is the next command', async () => {
    const { host, broker } = await boot();
    await connect(host);
    expect(await host.command('AT+QMTPUBEX=0,0,0,1,"bin/t",6')).toBe('\r\n> ');
    await host.send(Buffer.from([0x00, 0x1a, 0x22, 0x2c, 0x0d, 0x0a, 0x41, 0x54, 0x0d]));
    expect(await host.until(OK + urc('+QMTPUBEX: 0,0,0') + OK)).toBeTruthy();
    expect(Buffer.from(broker.published[0]?.payload ?? []).toString('hex')).toBe('001a222c0d0a');
    expect(broker.published[0]?.retain).toBe(true);
  });

  it('enforces msgid/QoS pairing, the 1500-byte limit and parameter ranges', async () => {
    const { host } = await boot();
    await connect(host);
    for (const bad of [
      '0,0,1,0,"t",5',
      '0,5,0,0,"t",5',
      '0,1,3,0,"t",5',
      '0,1,1,2,"t",5',
      '0,1,1,0,"t",1501',
      '0,1,1,0,"t",0',
    ]) {
      expect(await host.command(`AT+QMTPUBEX=${bad}`), bad).toBe(ERR);
    }
    expect(await host.command('AT+QMTPUBEX=0,1,1,0,"t",1500')).toBe('\r\n> ');
    await host.send(Buffer.alloc(1500, 0x61));
    expect(await host.until(urc('+QMTPUBEX: 0,1,0'))).toBe(OK + urc('+QMTPUBEX: 0,1,0'));
  });

  it('answers ERROR when five QoS>0 packets are inflight', async () => {
    const broker = new MemoryBroker();
    broker.ackDelayMs = 2000;
    const { host } = await boot({ broker });
    await connect(host);
    for (let id = 1; id <= 5; id++) {
      expect(await host.command(`AT+QMTPUBEX=0,${id},1,0,"t",2`)).toBe('\r\n> ');
      await host.send('hi');
      await host.until(OK);
    }
    expect(await host.command('AT+QMTPUBEX=0,6,1,0,"t",2')).toBe(ERR);
    // QoS 0 does not count against the window.
    expect(await host.command('AT+QMTPUBEX=0,0,0,0,"t",2')).toBe('\r\n> ');
  });

  it('reports retransmissions as +QMTPUBEX: idx,msgid,1,<n> when "timeout" notice is on, then fails', async () => {
    const broker = new MemoryBroker();
    const { host } = await boot({ broker });
    expect(await host.command('AT+QMTCFG="timeout",0,1,2,1')).toBe(OK);
    await connect(host);
    broker.stallAcks = true;
    expect(await host.command('AT+QMTPUBEX=0,9,1,0,"t",1')).toBe('\r\n> ');
    await host.send('x');
    const want = OK + urc('+QMTPUBEX: 0,9,1,1') + urc('+QMTPUBEX: 0,9,1,2') + urc('+QMTPUBEX: 0,9,2');
    expect(await host.until(urc('+QMTPUBEX: 0,9,2'))).toBe(want);
  });

  it('reports only the failure when "timeout" notice is off', async () => {
    const broker = new MemoryBroker();
    const { host } = await boot({ broker });
    expect(await host.command('AT+QMTCFG="timeout",0,1,1,0')).toBe(OK);
    await connect(host);
    broker.stallAcks = true;
    await okThen(host, 'AT+QMTSUB=0,3,"t",1', '+QMTSUB: 0,3,2');
  });
});

describe('leaving a `> ` input with ESC', () => {
  it('ESC ends the input without publishing: ERROR, then the module takes commands again', async () => {
    const { host, broker } = await boot();
    await connect(host);
    expect(await host.command('AT+QMTPUBEX=0,0,0,0,"t",10')).toBe('\r\n> ');
    await host.send('abc\x1b');
    expect(await host.until(ERR)).toBe(ERR);
    expect(await host.command('AT')).toBe(OK);
    expect(broker.published).toEqual([]);
  });

  it('an upload after CONNECT takes ESC as file data', async () => {
    const { host } = await boot();
    expect(await host.command('AT+QFUPL="UFS:esc.bin",2,5')).toBe('\r\nCONNECT\r\n');
    await host.send('\x1b!');
    expect(await host.until(OK)).toMatch(/^\r\n\+QFUPL: 2,[0-9a-f]+\r\n\r\nOK\r\n$/);
  });
});

describe('incoming messages', () => {
  it('+QMTRECV without length: payload with quotes, commas and CR LF is not escaped', async () => {
    const { host, broker } = await boot();
    await connect(host);
    await okThen(host, 'AT+QMTSUB=0,1,"cmd/#",0', '+QMTSUB: 0,1,0,0');
    broker.publish('cmd/x', 'say "hi", then\r\nstop');
    expect(await host.until('stop"\r\n')).toBe(urc('+QMTRECV: 0,0,"cmd/x","say "hi", then\r\nstop"'));
  });

  it('buffer mode: +QMTRECV: idx,recv_id, read form store status, write form reads and frees', async () => {
    const { host, broker } = await boot();
    expect(await host.command('AT+QMTCFG="recv/mode",0,1,1')).toBe(OK);
    await connect(host);
    await okThen(host, 'AT+QMTSUB=0,1,"s/#",1', '+QMTSUB: 0,1,0,1');
    broker.publish('s/a', 'one', 1);
    expect(await host.until(urc('+QMTRECV: 0,0'))).toBe(urc('+QMTRECV: 0,0'));
    broker.publish('s/b', 'two', 0);
    expect(await host.until(urc('+QMTRECV: 0,1'))).toBe(urc('+QMTRECV: 0,1'));
    expect(await host.command('AT+QMTRECV?')).toBe(info('+QMTRECV: 0,1,1,0,0,0'));
    expect(await host.command('AT+QMTRECV=0,1')).toBe(info('+QMTRECV: 0,0,"s/b",3,"two"'));
    expect(await host.command('AT+QMTRECV=0')).toBe(info('+QMTRECV: 0,1,"s/a",3,"one"'));
    expect(await host.command('AT+QMTRECV?')).toBe(info('+QMTRECV: 0,0,0,0,0,0'));
    expect(await host.command('AT+QMTRECV=1')).toBe(ERR);
    expect(await host.command('AT+QMTRECV=0,5')).toBe(ERR);
    expect(await host.command('AT+QMTRECV=?')).toBe(OK);
  });

  it('buffer mode keeps at most five messages', async () => {
    const { host, broker } = await boot();
    expect(await host.command('AT+QMTCFG="recv/mode",0,1,0')).toBe(OK);
    await connect(host);
    await okThen(host, 'AT+QMTSUB=0,1,"s",0', '+QMTSUB: 0,1,0,0');
    for (let i = 0; i < 6; i++) broker.publish('s', `m${i}`);
    await host.until(urc('+QMTRECV: 0,4'));
    expect(await host.command('AT+QMTRECV?')).toBe(info('+QMTRECV: 0,1,1,1,1,1'));
    const all = await host.command('AT+QMTRECV=0');
    expect(all).toBe(info(...[0, 1, 2, 3, 4].map((i) => `+QMTRECV: 0,0,"s","m${i}"`)));
  });
});

describe('link state URCs', () => {
  it('+QMTSTAT: idx,7 when the network drops', async () => {
    const { host, module } = await boot();
    await connect(host, 2);
    module.dropLink(2);
    expect(await host.until(urc('+QMTSTAT: 2,7'))).toBe(urc('+QMTSTAT: 2,7'));
    expect(await host.command('AT+QMTCONN?')).toBe(OK);
  });

  it('+QMTPING: idx,1 then +QMTSTAT: idx,2 when keep-alive fails', async () => {
    const { host, broker } = await boot();
    await connect(host, 1, 'pinger');
    broker.failPing('pinger');
    expect(await host.until(urc('+QMTSTAT: 1,2'))).toBe(urc('+QMTPING: 1,1') + urc('+QMTSTAT: 1,2'));
  });

  it('+QMTSTAT: idx,1 when another client takes over the client id', async () => {
    const broker = new MemoryBroker();
    const a = await boot({ broker });
    const b = await boot({ broker });
    await connect(a.host, 0, 'same');
    await connect(b.host, 0, 'same');
    expect(await a.host.until(urc('+QMTSTAT: 0,1'))).toBe(urc('+QMTSTAT: 0,1'));
  });
});

describe('input modes and stale outcomes', () => {
  it('"edit/timeout" ends an unfinished "> " input with ERROR', async () => {
    const { host, broker } = await boot();
    expect(await host.command('AT+QMTCFG="edit/timeout",0,1,1')).toBe(OK);
    await connect(host);
    expect(await host.command('AT+QMTPUBEX=0,0,0,0,"t",10')).toBe('\r\n> ');
    await host.send('abc');
    expect(await host.until(ERR, 5000)).toBe(ERR);
    expect(broker.published).toEqual([]);
    expect(await host.command('AT')).toBe(OK);
  });

  it('"send/mode" 1 takes the payload as hex text', async () => {
    const { host, broker } = await boot();
    expect(await host.command('AT+QMTCFG="send/mode",0,1')).toBe(OK);
    await connect(host);
    expect(await host.command('AT+QMTPUBEX=0,0,0,0,"t",6')).toBe('\r\n> ');
    await host.send('41420a');
    await host.until(urc('+QMTPUBEX: 0,0,0'));
    expect(Buffer.from(broker.published[0]?.payload ?? []).toString()).toBe('AB\n');
    expect(await host.command('AT+QMTPUBEX=0,0,0,0,"t",2')).toBe('\r\n> ');
    await host.send('zz');
    expect(await host.until(ERR)).toBe(ERR);
  });

  it('"dataformat" receive 1 shows incoming payloads as hex', async () => {
    const { host, broker } = await boot();
    expect(await host.command('AT+QMTCFG="dataformat",0,0,1')).toBe(OK);
    expect(await host.command('AT+QMTCFG="recv/mode",0,0,1')).toBe(OK);
    await connect(host);
    await okThen(host, 'AT+QMTSUB=0,1,"h",0', '+QMTSUB: 0,1,0,0');
    broker.publish('h', Buffer.from([0x00, 0xff, 0x22]));
    expect(await host.until('"\r\n')).toBe(urc('+QMTRECV: 0,0,"h",6,"00FF22"'));
  });

  it('an outcome that arrives after a reboot is not reported in the new life', async () => {
    // A session whose SUBACK the test releases by hand, after the module has rebooted.
    const broker = new MemoryBroker();
    let release: (r: PacketReport) => void = () => undefined;
    const factory: MqttClientSessionFactory = (idx, events) => {
      const inner = broker.createSession(idx, events);
      return Object.assign(Object.create(inner) as MqttClientSession, {
        subscribe: () => new Promise<PacketReport>((resolve) => (release = resolve)),
      });
    };
    const { host, module } = await bootInProcess({ sessionFactory: factory });
    modules.push(module);
    await connect(host);
    expect(await host.command('AT+QMTSUB=0,1,"t",1')).toBe(OK);
    module.reboot();
    await host.until('+QIND: SMS DONE\r\n');
    release({ result: 0, value: [1] });
    await host.command('ATE0');
    expect(await host.command('AT')).toBe(OK);
    expect(host.all).not.toContain('+QMTSUB: 0,1');
  });
});
