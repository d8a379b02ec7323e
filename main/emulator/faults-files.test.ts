import { afterEach, describe, expect, it } from 'vitest';
import { formatQfuplChecksum } from './checksum';
import type { FaultPlan } from './faults';
import type { MqttClientSessionFactory } from './net/types';
import { bootInProcess, ERR, info, OK, urc } from '../testing/test-module';
import type { VirtualModule } from './virtual-module';

const modules: VirtualModule[] = [];
afterEach(() => {
  for (const m of modules.splice(0)) m.dispose();
});
async function boot(faults?: FaultPlan) {
  const booted = await bootInProcess(faults ? { faults } : {});
  modules.push(booted.module);
  return booted;
}

describe('UFS files', () => {
  it('uploads after CONNECT, lists, refuses a duplicate with 407, deletes, 405 when missing', async () => {
    const { host } = await boot();
    const data = Buffer.from('-----BEGIN CERTIFICATE-----\nabc\n');
    expect(await host.command(`AT+QFUPL="UFS:ca.pem",${data.length},5`)).toBe('\r\nCONNECT\r\n');
    await host.send(data);
    expect(await host.until(OK)).toBe(info(`+QFUPL: ${data.length},${formatQfuplChecksum(data)}`));
    expect(await host.command('AT+QFUPL="UFS:ca.pem",10,5')).toBe('\r\n+CME ERROR: 407\r\n');
    expect(await host.command('AT+QFLST="*"')).toBe(info(`+QFLST: "UFS:ca.pem",${data.length}`));
    expect(await host.command('AT+QFLST="UFS:ca.pem"')).toBe(info(`+QFLST: "UFS:ca.pem",${data.length}`));
    expect(await host.command('AT+QFLST="UFS:nope.pem"')).toBe('\r\n+CME ERROR: 405\r\n');
    expect(await host.command('AT+QFDEL="UFS:ca.pem"')).toBe(OK);
    expect(await host.command('AT+QFDEL="UFS:ca.pem"')).toBe('\r\n+CME ERROR: 405\r\n');
    expect(await host.command('AT+QFLST="*"')).toBe(OK);
  });

  it('an upload that times out prints what arrived, then +CME ERROR: 421, and keeps nothing', async () => {
    const { host, module } = await boot();
    expect(await host.command('AT+QFUPL="UFS:slow.pem",100,1')).toBe('\r\nCONNECT\r\n');
    await host.send('abc');
    expect(await host.until('421\r\n', 5000)).toBe(
      `\r\n+QFUPL: 3,${formatQfuplChecksum(Buffer.from('abc'))}\r\n\r\n+CME ERROR: 421\r\n`,
    );
    expect(module.state.files.has('slow.pem')).toBe(false);
    expect(await host.command('AT')).toBe(OK);
  });

  it('file errors follow AT+CMEE: numeric, text, or plain ERROR', async () => {
    const { host } = await boot();
    expect(await host.command('AT+QFDEL="UFS:x"')).toBe('\r\n+CME ERROR: 405\r\n');
    expect(await host.command('AT+CMEE=2')).toBe(OK);
    expect(await host.command('AT+QFDEL="UFS:x"')).toBe('\r\n+CME ERROR: file not found\r\n');
    expect(await host.command('AT+QFUPL="UFS:bad*name",10')).toBe('\r\n+CME ERROR: invalid file name\r\n');
    expect(await host.command('AT+QFUPL="UFS:huge",600000')).toBe('\r\n+CME ERROR: file too large\r\n');
    expect(await host.command('AT+CMEE=0')).toBe(OK);
    expect(await host.command('AT+QFDEL="UFS:x"')).toBe(ERR);
  });
});

describe('injected faults', () => {
  it('errorOn: the chosen command answers ERROR, others are untouched', async () => {
    const { host } = await boot({ errorOn: ['+CSQ'] });
    expect(await host.command('AT+CSQ')).toBe(ERR);
    expect(await host.command('AT+CPIN?')).toBe(info('+CPIN: READY'));
  });

  it('dropResponseOn: the command runs but its reply never comes; the next command is answered', async () => {
    const { host, module } = await boot({ dropResponseOn: ['+QMTCFG'] });
    await host.send('AT+QMTCFG="keepalive",0,30\r');
    expect(await host.command('AT')).toBe(OK);
    expect(module.state.mqtt[0]?.config.keepalive).toBe(30);
  });

  it('lateResponse: the reply comes only after the delay', async () => {
    const { host } = await boot({ lateResponse: { '+CSQ': 300 } });
    const started = performance.now();
    expect(await host.command('AT+CSQ')).toMatch(/^\r\n\+CSQ: \d+,99\r\n\r\nOK\r\n$/);
    expect(performance.now() - started).toBeGreaterThanOrEqual(300);
  });

  it('garbage: noise bytes appear on the line between replies', async () => {
    const { host, module } = await boot();
    module.injectGarbage(Buffer.from([0xff, 0xfe, 0x00]));
    expect(await host.command('AT')).toBe('\xff\xfe\x00' + OK);
  });

  it('reboot: RDY again, MQTT/SSL/echo settings lost, files kept, links dropped silently', async () => {
    const { host, module } = await boot();
    expect(await host.command('AT+QMTCFG="keepalive",0,30')).toBe(OK);
    expect(await host.command('AT+QSSLCFG="seclevel",1,2')).toBe(OK);
    expect(await host.command('AT+QFUPL="UFS:keep.pem",2,5')).toBe('\r\nCONNECT\r\n');
    await host.send('ok');
    await host.until(OK);
    expect(await host.command('AT+QMTOPEN=0,"b",1883')).toBe(OK);
    await host.until(urc('+QMTOPEN: 0,0'));
    module.reboot();
    expect(await host.until('+QIND: SMS DONE\r\n')).toBe(
      '\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n\r\n+QUSIM: 1\r\n\r\n+QIND: SMS DONE\r\n',
    );
    expect(await host.command('AT')).toBe('AT\r' + OK);
    await host.command('ATE0');
    expect(await host.command('AT+QMTCFG="keepalive",0')).toBe(info('+QMTCFG: "keepalive",120'));
    expect(await host.command('AT+QSSLCFG="seclevel",1')).toBe(info('+QSSLCFG: "seclevel",1,0'));
    expect(await host.command('AT+QFLST')).toBe(info('+QFLST: "UFS:keep.pem",2'));
    expect(await host.command('AT+QMTOPEN?')).toBe(OK);
  });

  it('AT+CFUN=1,1 reboots the module after OK', async () => {
    const { host } = await boot();
    expect(await host.command('AT+CFUN=1,1')).toBe(OK);
    expect(await host.until('\r\nRDY\r\n')).toBe('\r\nRDY\r\n');
  });

  it('unplug: the in-process transport closes with an error and writes fail', async () => {
    const { host, module, transport } = await boot();
    module.unplug();
    const error = await host.closedWith();
    expect(error?.message).toMatch(/unplugged/);
    expect(transport.isOpen).toBe(false);
    await expect(transport.write(Buffer.from('AT\r'))).rejects.toThrow(/closed/);
  });

  it('unplug in the middle of a "> " input drops it and stops answering', async () => {
    const { host, module, broker } = await boot();
    expect(await host.command('AT+QMTOPEN=0,"b",1883')).toBe(OK);
    await host.until(urc('+QMTOPEN: 0,0'));
    expect(await host.command('AT+QMTCONN=0,"x"')).toBe(OK);
    await host.until(urc('+QMTCONN: 0,0,0'));
    expect(await host.command('AT+QMTPUBEX=0,0,0,0,"t",10')).toBe('\r\n> ');
    await host.send('12345');
    module.unplug();
    expect(await host.closedWith()).toBeInstanceOf(Error);
    expect(broker.published).toEqual([]);
  });

  it('setFaults changes faults while the module runs', async () => {
    const { host, module } = await boot();
    expect(await host.command('AT+CSQ')).not.toBe(ERR);
    module.setFaults({ errorOn: ['+csq'] });
    expect(await host.command('AT+CSQ')).toBe(ERR);
  });

  it('bad input never crashes the module: random bytes, overlong lines, unterminated quotes', async () => {
    const { host, module } = await boot();
    let seed = 7;
    const noise = Buffer.alloc(4000);
    for (let i = 0; i < noise.length; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      noise[i] = seed >>> 24;
    }
    await host.send(noise);
    await host.send(`AT+QMTCFG="${'x'.repeat(5000)}\r`);
    await host.send('\rAT+QMTOPEN=0,"unterminated,1883\r');
    await host.send('\rAT\r');
    await host.until(/OK\r\n$/);
    expect(module.internalErrors).toBe(0);
    expect(await host.command('AT')).toBe(OK);
  });

  it('a network side that throws does not stop the module', async () => {
    const broken: MqttClientSessionFactory = () => {
      throw new Error('session factory exploded');
    };
    const booted = await bootInProcess({ sessionFactory: broken });
    modules.push(booted.module);
    expect(await booted.host.command('AT+QMTOPEN=0,"h",1883')).toBe(OK);
    expect(await booted.host.command('AT')).toBe(OK);
    expect(booted.module.internalErrors).toBe(1);
  });
});
