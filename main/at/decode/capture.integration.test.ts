import { afterEach, describe, expect, it } from 'vitest';
import { bootInProcess } from '../../testing/test-module';
import type { VirtualModule } from '../../emulator/virtual-module';
import { decodeLog } from './decoder';
import { renderJsonLines } from './render';

/**
 * A capture as a customer's serial sniffer makes it: every byte the (virtual) module sent, echo on, CRLF, no
 * timestamps. The decoder must rebuild the session from the echoes alone.
 */

let module: VirtualModule | null = null;
afterEach(() => {
  module?.dispose();
  module = null;
});

describe('decoding a raw module-side capture with echo on', () => {
  it('rebuilds commands, prompts, payload echo, completions and messages', async () => {
    const booted = await bootInProcess({ echo: true });
    module = booted.module;
    const { host, broker } = booted;
    const run = async (line: string, until: string | RegExp) => {
      await host.send(`${line}\r`);
      await host.until(until);
    };
    await run('AT+QMTCFG="recv/mode",0,0,1', '\r\nOK\r\n');
    await run('AT+QMTCFG="aliauth",0,"pk1","dev1","TopSecretDeviceKey"', '\r\nOK\r\n');
    await run('AT+QMTOPEN=0,"broker.local",1883', '+QMTOPEN: 0,0\r\n');
    await run('AT+QMTCONN=0,"dev1"', '+QMTCONN: 0,0,0\r\n');
    await run('AT+QMTSUB=0,1,"cmd/#",1', '+QMTSUB: 0,1,0,1\r\n');
    await run('AT+QMTPUBEX=0,2,1,0,"tele/1",11', '> ');
    await run('hello,"you"', '+QMTPUBEX: 0,2,0\r\n');
    broker.publish('cmd/reboot', 'now, "please"', 1);
    await host.until('"now, "please""\r\n');
    await run('AT+QMTDISC=0', '+QMTDISC: 0,0\r\n');

    const events = decodeLog(Buffer.from(host.all, 'latin1'));
    const commands = events.filter((e) => e.kind === 'command');
    expect(commands.map((e) => e.name)).toEqual([
      'AT+QMTCFG',
      'AT+QMTCFG',
      'AT+QMTOPEN',
      'AT+QMTCONN',
      'AT+QMTSUB',
      'AT+QMTPUBEX',
      'AT+QMTDISC',
    ]);
    // Boot URCs before the first command are explained, not lost.
    expect(events.filter((e) => e.kind === 'urc').map((e) => e.name)).toEqual(
      expect.arrayContaining(['RDY', '+QMTOPEN', '+QMTRECV']),
    );
    for (const command of commands) {
      expect(command.outcome?.ok, command.raw).toBe(true);
    }
    expect(commands.find((e) => e.name === 'AT+QMTPUBEX')?.outcome?.completion).toBe('+QMTPUBEX: 0,2,0');
    expect(events.find((e) => e.kind === 'data')).toMatchObject({ raw: 'hello,"you"', decoded: { loggedBytes: 11 } });
    expect(events.find((e) => e.name === '+QMTRECV')?.decoded).toMatchObject({
      topic: 'cmd/reboot',
      payload: 'now, "please"',
      payloadLength: 13,
    });
    expect(events.filter((e) => e.kind === 'unknown')).toEqual([]);
    expect(renderJsonLines(events)).not.toContain('TopSecretDeviceKey');
  });
});
