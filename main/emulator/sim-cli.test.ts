import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { SerialTransport } from '../transport/serial';
import { faultsFor, parseBaud, parseCount, parseHostMap, SimOptionError } from './sim-options';
import { TestHost } from '../testing/test-host';

describe('sim flag parsing', () => {
  it('parses faults per module', () => {
    const specs = ['error=+QMTOPEN', '1:late=+CSQ:250', 'connack=5', '1:open=dns-failure', 'unplug=100', 'garbage=50'];
    expect(faultsFor(specs, 0)).toEqual({
      plan: { errorOn: ['+QMTOPEN'], forceConnackCode: 5 },
      timed: { unplugAfterMs: 100, garbageEveryMs: 50 },
    });
    expect(faultsFor(specs, 1).plan).toEqual({
      errorOn: ['+QMTOPEN'],
      lateResponse: { '+CSQ': 250 },
      forceConnackCode: 5,
      openFault: 'dns-failure',
    });
  });

  it('rejects bad flags with a clear message', () => {
    expect(() => faultsFor(['connack=9'], 0)).toThrow(/CONNACK code must be 1-5/);
    expect(() => faultsFor(['error=rm -rf'], 0)).toThrow(SimOptionError);
    expect(() => faultsFor(['open=mars'], 0)).toThrow(/open= takes/);
    expect(() => faultsFor(['late=+CSQ'], 0)).toThrow(/late=CMD:MS/);
    expect(() => parseCount('0')).toThrow(/1 to 256/);
    expect(() => parseBaud('1234')).toThrow(/expected one of/);
    expect(() => parseHostMap(['nohost'])).toThrow(/HOST=IP:PORT/);
    expect(parseHostMap(['a.example=127.0.0.1:1884', 'b=127.0.0.2'])).toEqual(
      new Map([
        ['a.example', { host: '127.0.0.1', port: 1884 }],
        ['b', { host: '127.0.0.2' }],
      ]),
    );
  });
});

describe('fleet-station sim', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('prints one JSON line per module, serves AT on each port, cleans up on SIGTERM', async () => {
    const child = spawn('node', ['bin/fleet-station.mjs', 'sim', '--count', '2', '--json', '--fault', '1:error=+CSQ'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    cleanups.push(async () => {
      // SIGTERM lets the command remove its ptys; SIGKILL only if it does not exit by itself.
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    });
    const lines = createInterface({ input: child.stdout });
    const records: { port: string; imei: string; iccid: string; model: string }[] = [];
    for await (const line of lines) {
      records.push(JSON.parse(line) as { port: string; imei: string; iccid: string; model: string });
      if (records.length === 2) break;
    }
    expect(records.map((r) => r.model)).toEqual(['EC200U', 'EC600U']);
    const csq: string[] = [];
    for (const record of records) {
      const port = await SerialTransport.open({ path: record.port });
      const host = new TestHost(port);
      // Whatever the module said before the port was opened (if the pty kept it) is not part of this check.
      await host.command('AT');
      expect(await host.command('AT+GSN')).toBe(`AT+GSN\r\r\n${record.imei}\r\n\r\nOK\r\n`);
      csq.push(await host.command('AT+CSQ'));
      await port.close();
    }
    expect(csq[0]).toMatch(/\+CSQ: \d+,99/);
    expect(csq[1]).toBe('AT+CSQ\r\r\nERROR\r\n');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    for (const record of records) expect(existsSync(record.port)).toBe(false);
  });

  it('exits with code 2 and a message on bad flags', async () => {
    const child = spawn('node', ['bin/fleet-station.mjs', 'sim', '--count', 'many'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toMatch(/--count "many"/);
  });
});
