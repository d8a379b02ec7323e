import { afterEach, describe, expect, it } from 'vitest';
import { bootInProcess, ERR, info, OK, urc } from '../testing/test-module';
import type { VirtualModule } from './virtual-module';

const modules: VirtualModule[] = [];
afterEach(() => {
  for (const m of modules.splice(0)) m.dispose();
});
async function boot() {
  const booted = await bootInProcess();
  modules.push(booted.module);
  return booted;
}

describe('AT+QMTCFG', () => {
  it('test form lists all sixteen sub-commands with their ranges', async () => {
    const { host } = await boot();
    const reply = await host.command('AT+QMTCFG=?');
    const lines = reply.split('\r\n').filter((l) => l.length > 0);
    expect(lines.at(-1)).toBe('OK');
    expect(lines.slice(0, -1)).toEqual([
      '+QMTCFG: "version",(0-5),(3,4)',
      '+QMTCFG: "pdpcid",(0-5),(1-7)',
      '+QMTCFG: "ssl",(0-5),(0,1),(0-5)',
      '+QMTCFG: "keepalive",(0-5),(0-3600)',
      '+QMTCFG: "session",(0-5),(0,1)',
      '+QMTCFG: "timeout",(0-5),(1-60),(0-10),(0,1)',
      '+QMTCFG: "will",(0-5),(0,1),(0-2),(0,1),"willtopic","willmessage"',
      '+QMTCFG: "willex",(0-5),(0,1),(0-2),(0,1),"willtopic",(1-256)',
      '+QMTCFG: "recv/mode",(0-5),(0,1),(0,1)',
      '+QMTCFG: "qmtping",(0-5),(5-60)',
      '+QMTCFG: "send/mode",(0-5),(0,1)',
      '+QMTCFG: "aliauth",(0-5),"product key","device name","device secret"',
      '+QMTCFG: "onenet",(0-5),"product id","access key"',
      '+QMTCFG: "dataformat",(0-5),(0,1),(0,1)',
      '+QMTCFG: "view/mode",(0-5),(0,1)',
      '+QMTCFG: "edit/timeout",(0-5),(0,1),(1-180)',
    ]);
  });

  it('omitted optional parameters query the defaults of the spec', async () => {
    const { host } = await boot();
    const defaults: [string, string][] = [
      ['version', '"version",3'],
      ['pdpcid', '"pdpcid",1'],
      ['ssl', '"ssl",0'],
      ['keepalive', '"keepalive",120'],
      ['session', '"session",0'],
      ['timeout', '"timeout",5,3,0'],
      ['will', '"will",0'],
      ['willex', '"willex",0'],
      ['recv/mode', '"recv/mode",0,0'],
      ['qmtping', '"qmtping",5'],
      ['send/mode', '"send/mode",0'],
      ['dataformat', '"dataformat",0,0'],
      ['view/mode', '"view/mode",0'],
      ['edit/timeout', '"edit/timeout",0'],
    ];
    for (const [name, line] of defaults) {
      expect(await host.command(`AT+QMTCFG="${name}",0`)).toBe(info(`+QMTCFG: ${line}`));
    }
  });

  it('writes then reads back every sub-command, per client', async () => {
    const { host } = await boot();
    const cases: [string, string][] = [
      ['"version",2,4', '"version",4'],
      ['"pdpcid",2,3', '"pdpcid",3'],
      ['"SSL",2,1,4', '"ssl",1,4'],
      ['"keepalive",2,0', '"keepalive",0'],
      ['"session",2,1', '"session",1'],
      ['"timeout",2,10,2,1', '"timeout",10,2,1'],
      ['"will",2,1,1,1,"dev/will","gone, offline"', '"will",1,1,1,"dev/will","gone, offline"'],
      ['"recv/mode",2,1,1', '"recv/mode",1,1'],
      ['"qmtping",2,60', '"qmtping",60'],
      ['"send/mode",2,1', '"send/mode",1'],
      ['"aliauth",2,"pk","dn","ds"', '"aliauth","pk","dn","ds"'],
      ['"onenet",2,"123456","a2V5"', '"onenet","123456","a2V5"'],
      ['"dataformat",2,0,1', '"dataformat",0,1'],
      ['"view/mode",2,1', '"view/mode",1'],
      ['"edit/timeout",2,1,30', '"edit/timeout",1,30'],
    ];
    for (const [write, read] of cases) {
      expect(await host.command(`AT+QMTCFG=${write}`)).toBe(OK);
      const name = /^"([^"]+)"/.exec(write)?.[1]?.toLowerCase() ?? '';
      expect(await host.command(`AT+QMTCFG="${name}",2`)).toBe(info(`+QMTCFG: ${read}`));
    }
    // Client 0 kept its defaults.
    expect(await host.command('AT+QMTCFG="version",0')).toBe(info('+QMTCFG: "version",3'));
  });

  it('rejects out-of-range values and wrong forms with ERROR', async () => {
    const { host } = await boot();
    for (const bad of [
      '"version",0,5',
      '"version",6,4',
      '"pdpcid",0,8',
      '"ssl",0,1',
      '"keepalive",0,3601',
      '"timeout",0,61,3,0',
      '"timeout",0,5,11,0',
      '"timeout",0,5',
      '"will",0,1,3,0,"t","m"',
      '"will",0,1,1,0',
      '"willex",0,1,0,0,"t",257',
      '"qmtping",0,4',
      '"edit/timeout",0,1,181',
      '"nosuch",0,1',
      '"aliauth",0,"pk","dn"',
    ]) {
      expect(await host.command(`AT+QMTCFG=${bad}`), bad).toBe(ERR);
    }
  });

  it('willex takes exactly <will_len> bytes after "> "', async () => {
    const { host } = await boot();
    expect(await host.command('AT+QMTCFG="willex",0,1,2,1,"dev/lwt",5')).toBe('\r\n> ');
    // Exactly five bytes are the message; what follows is the next command line.
    await host.send('bye!!AT\r');
    expect(await host.until(OK + OK)).toBe(OK + OK);
    expect(await host.command('AT+QMTCFG="willex",0')).toBe(info('+QMTCFG: "willex",1,2,1,"dev/lwt",5'));
    expect(await host.command('AT+QMTCFG="will",0')).toBe(info('+QMTCFG: "will",1,2,1,"dev/lwt","bye!!"'));
  });

  it('refuses settings while the client network is open, but answers queries', async () => {
    const { host } = await boot();
    expect(await host.command('AT+QMTOPEN=0,"broker.local",1883')).toBe(OK);
    expect(await host.until(urc('+QMTOPEN: 0,0'))).toBe(urc('+QMTOPEN: 0,0'));
    expect(await host.command('AT+QMTCFG="keepalive",0,60')).toBe(ERR);
    expect(await host.command('AT+QMTCFG="keepalive",0')).toBe(info('+QMTCFG: "keepalive",120'));
    // Other clients are not affected.
    expect(await host.command('AT+QMTCFG="keepalive",1,60')).toBe(OK);
    expect(await host.command('AT+QMTCLOSE=0')).toBe(OK);
    expect(await host.until(urc('+QMTCLOSE: 0,0'))).toBe(urc('+QMTCLOSE: 0,0'));
    expect(await host.command('AT+QMTCFG="keepalive",0,60')).toBe(OK);
  });
});

describe('AT+QSSLCFG', () => {
  it('writes and reads every setting; cipher suite must be unquoted hex', async () => {
    const { host } = await boot();
    expect(await host.command('AT+QSSLCFG="ciphersuite",1,"0xFFFF"')).toBe(ERR);
    expect(await host.command('AT+QSSLCFG="ciphersuite",1,0x0035')).toBe(OK);
    expect(await host.command('AT+QSSLCFG="ciphersuite",1')).toBe(info('+QSSLCFG: "ciphersuite",1,0x0035'));
    expect(await host.command('AT+QSSLCFG="ignorelocaltime",2')).toBe(info('+QSSLCFG: "ignorelocaltime",2,1'));
    expect(await host.command('AT+QSSLCFG="seclevel",3,2')).toBe(OK);
    expect(await host.command('AT+QSSLCFG="seclevel",3')).toBe(info('+QSSLCFG: "seclevel",3,2'));
    expect(await host.command('AT+QSSLCFG="seclevel",3,3')).toBe(ERR);
    expect(await host.command('AT+QSSLCFG="sslversion",0,5')).toBe(ERR);
    expect(await host.command('AT+QSSLCFG="sslversion",0,3')).toBe(OK);
    expect(await host.command('AT+QSSLCFG="sslversion",0')).toBe(info('+QSSLCFG: "sslversion",0,3'));
    expect(await host.command('AT+QSSLCFG="sni",0,1')).toBe(OK);
    expect(await host.command('AT+QSSLCFG="sni",0')).toBe(info('+QSSLCFG: "sni",0,1'));
    expect(await host.command('AT+QSSLCFG="cacert",0,"UFS:ca.pem"')).toBe(OK);
    expect(await host.command('AT+QSSLCFG="cacert",0')).toBe(info('+QSSLCFG: "cacert",0,"UFS:ca.pem"'));
    expect(await host.command('AT+QSSLCFG="cacert",6,"UFS:ca.pem"')).toBe(ERR);
    expect((await host.command('AT+QSSLCFG=?')).startsWith('\r\n+QSSLCFG: "sslversion",(0-5),(0-4)\r\n')).toBe(true);
  });
});
