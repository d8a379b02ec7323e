import { afterEach, describe, expect, it } from 'vitest';
import { isValidLuhn, moduleIdentity, MODELS } from './identity';
import { InProcessTransport } from './in-process-transport';
import { MemoryBroker } from './memory-broker';
import { TestHost } from '../testing/test-host';
import { VirtualModule, type VirtualModuleOptions } from './virtual-module';

const modules: VirtualModule[] = [];

async function boot(options: Partial<VirtualModuleOptions> = {}) {
  const broker = new MemoryBroker();
  const module = new VirtualModule({ sessionFactory: broker.createSession, bootDelayMs: 5, ...options });
  modules.push(module);
  const host = new TestHost(new InProcessTransport(module));
  module.powerOn();
  await host.until('+QIND: SMS DONE\r\n');
  return { module, host, broker };
}

afterEach(() => {
  for (const m of modules.splice(0)) m.dispose();
});

describe('identity', () => {
  it('is deterministic, unique per index, with a valid IMEI Luhn digit', () => {
    const a = moduleIdentity(3, 42);
    expect(moduleIdentity(3, 42)).toEqual(a);
    const imeis = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const id = moduleIdentity(i, 42);
      expect(id.imei).toMatch(/^\d{15}$/);
      expect(isValidLuhn(id.imei)).toBe(true);
      expect(id.iccid).toMatch(/^8986\d{16}$/);
      expect(id.imsi).toMatch(/^46000\d{10}$/);
      expect(MODELS).toContain(id.model);
      expect(id.revision.startsWith(id.model)).toBe(true);
      imeis.add(id.imei);
    }
    expect(imeis.size).toBe(200);
  });

  it('computes the Luhn digit of a known IMEI', () => {
    expect(isValidLuhn('490154203237518')).toBe(true);
    expect(isValidLuhn('490154203237517')).toBe(false);
  });
});

describe('power-up and framing', () => {
  it('sends the power-up URCs in order and ignores commands before RDY', async () => {
    const module = new VirtualModule({ sessionFactory: new MemoryBroker().createSession, bootDelayMs: 30 });
    modules.push(module);
    const host = new TestHost(new InProcessTransport(module));
    module.powerOn();
    await host.send('AT\r');
    const boot = await host.until('+QIND: SMS DONE\r\n');
    expect(boot).toBe('\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n\r\n+QUSIM: 1\r\n\r\n+QIND: SMS DONE\r\n');
    expect(await host.command('AT')).toBe('AT\r\r\nOK\r\n');
  });

  it('echoes while ATE1, ATE0 still echoes itself, then no echo', async () => {
    const { host } = await boot();
    expect(await host.command('AT')).toBe('AT\r\r\nOK\r\n');
    expect(await host.command('ATE0')).toBe('ATE0\r\r\nOK\r\n');
    expect(await host.command('AT')).toBe('\r\nOK\r\n');
    expect(await host.command('ATE1')).toBe('\r\nOK\r\n');
    expect(await host.command('at')).toBe('at\r\r\nOK\r\n');
  });

  it('answers identity commands', async () => {
    const { host, module } = await boot({ index: 5, seed: 1 });
    const id = module.identity;
    await host.command('ATE0');
    expect(await host.command('ATI')).toBe(`\r\nQuectel\r\n${id.model}\r\nRevision: ${id.revision}\r\n\r\nOK\r\n`);
    expect(await host.command('AT+GSN')).toBe(`\r\n${id.imei}\r\n\r\nOK\r\n`);
    expect(await host.command('AT+CGSN')).toBe(`\r\n${id.imei}\r\n\r\nOK\r\n`);
    expect(await host.command('AT+QCCID')).toBe(`\r\n+QCCID: ${id.iccid}\r\n\r\nOK\r\n`);
    expect(await host.command('AT+CIMI')).toBe(`\r\n${id.imsi}\r\n\r\nOK\r\n`);
    expect(await host.command('AT+QGMR')).toMatch(new RegExp(`^\\r\\n${id.revision}_[\\d.]+\\r\\n\\r\\nOK\\r\\n$`));
    expect(await host.command('AT+CSQ')).toBe(`\r\n+CSQ: ${id.rssi},99\r\n\r\nOK\r\n`);
    expect(await host.command('AT+CPIN?')).toBe('\r\n+CPIN: READY\r\n\r\nOK\r\n');
    expect(await host.command('AT+CEREG?')).toBe('\r\n+CEREG: 0,1\r\n\r\nOK\r\n');
    expect(await host.command('AT+CGREG?')).toBe('\r\n+CGREG: 0,1\r\n\r\nOK\r\n');
    expect(await host.command('AT+COPS?')).toBe('\r\n+COPS: 0,0,"CHINA MOBILE",7\r\n\r\nOK\r\n');
  });

  it('handles PDP context, CFUN and CMEE forms', async () => {
    const { host } = await boot();
    await host.command('ATE0');
    expect(await host.command('AT+QICSGP=1,1,"CMNET","","",1')).toBe('\r\nOK\r\n');
    expect(await host.command('AT+QICSGP=1')).toBe('\r\n+QICSGP: 1,"CMNET","","",1\r\n\r\nOK\r\n');
    expect(await host.command('AT+QIACT=1')).toBe('\r\nOK\r\n');
    expect(await host.command('AT+QIACT?')).toMatch(/^\r\n\+QIACT: 1,1,1,"10\.\d+\.\d+\.\d+"\r\n\r\nOK\r\n$/);
    expect(await host.command('AT+QIDEACT=1')).toBe('\r\nOK\r\n');
    expect(await host.command('AT+QIACT?')).toBe('\r\nOK\r\n');
    expect(await host.command('AT+CFUN?')).toBe('\r\n+CFUN: 1\r\n\r\nOK\r\n');
    expect(await host.command('AT+CFUN=4')).toBe('\r\nOK\r\n');
    expect(await host.command('AT+CEREG?')).toBe('\r\n+CEREG: 0,0\r\n\r\nOK\r\n');
    expect(await host.command('AT+CSQ')).toBe('\r\n+CSQ: 99,99\r\n\r\nOK\r\n');
    expect(await host.command('AT+QIACT=1')).toBe('\r\n+CME ERROR: 561\r\n');
    expect(await host.command('AT+CMEE=2')).toBe('\r\nOK\r\n');
    expect(await host.command('AT+QIACT=1')).toBe('\r\n+CME ERROR: open PDP context failed\r\n');
    expect(await host.command('AT+CMEE=0')).toBe('\r\nOK\r\n');
    expect(await host.command('AT+QIACT=1')).toBe('\r\nERROR\r\n');
    expect(await host.command('AT+CMEE?')).toBe('\r\n+CMEE: 0\r\n\r\nOK\r\n');
    expect(await host.command('AT+CFUN=1')).toBe('\r\nOK\r\n');
    expect(await host.command('AT+QIACT=1')).toBe('\r\nOK\r\n');
  });

  it('answers ERROR to unknown commands and bad parameters, ignores non-AT lines', async () => {
    const { host, module } = await boot();
    await host.command('ATE0');
    expect(await host.command('AT+NOPE')).toBe('\r\nERROR\r\n');
    expect(await host.command('AT+CMEE=7')).toBe('\r\nERROR\r\n');
    expect(await host.command('AT+QMTCFG="version",0,"4"')).toBe('\r\nERROR\r\n');
    expect(await host.command('AT+QMTCFG="version",0,4,')).toBe('\r\nERROR\r\n');
    expect(await host.command('AT+QMTCFG="version')).toBe('\r\nERROR\r\n');
    await host.send('hello\r');
    expect(await host.command('AT')).toBe('\r\nOK\r\n');
    expect(module.internalErrors).toBe(0);
  });
});

describe('restart by command', () => {
  it('answers AT+CFUN=1,1 with OK first, then restarts: RDY and the boot URCs follow, settings are lost', async () => {
    const { host } = await boot();
    expect(await host.command('ATE0')).toBe('ATE0\r\r\nOK\r\n');
    expect(await host.command('AT+CMEE=2')).toBe('\r\nOK\r\n');
    await host.send('AT+CFUN=1,1\r');
    const restart = await host.until('+QIND: SMS DONE\r\n');
    expect(restart).toBe(
      '\r\nOK\r\n\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n\r\n+QUSIM: 1\r\n\r\n+QIND: SMS DONE\r\n',
    );
    // After the restart echo is on again and AT+CMEE is back to its default.
    expect(await host.command('AT+CMEE?')).toBe('AT+CMEE?\r\r\n+CMEE: 1\r\n\r\nOK\r\n');
  });
});

describe('several basic commands on one line (V.250)', () => {
  it('runs ATE1V1Q0 in any order and case, one OK for the line; echo comes back on', async () => {
    const { host } = await boot();
    expect(await host.command('ATE0')).toBe('ATE0\r\r\nOK\r\n');
    expect(await host.command('ATE1V1Q0')).toBe('\r\nOK\r\n');
    expect(await host.command('atq0e1v1')).toBe('atq0e1v1\r\r\nOK\r\n');
    expect(await host.command('ATV1Q0E1')).toBe('ATV1Q0E1\r\r\nOK\r\n');
    expect(await host.command('ATE1I')).toMatch(/^ATE1I\r\r\nQuectel\r\n/);
  });

  it('ends the line at the first failing command: modes the emulator does not model are refused', async () => {
    const { host } = await boot();
    expect(await host.command('ATQ1')).toBe('ATQ1\r\r\nERROR\r\n');
    expect(await host.command('ATV0')).toBe('ATV0\r\r\nERROR\r\n');
    expect(await host.command('ATE1X')).toBe('ATE1X\r\r\nERROR\r\n');
  });
});
