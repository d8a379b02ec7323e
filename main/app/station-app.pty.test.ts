import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { serverMessageSchema, type ModuleInfo, type ServerMessage } from '../../shared/contract';
import { waitForIdentified, waitForModule } from '../core/wait-for';
import { startVirtualFleet as startPtyFleet, type VirtualFleet } from '../emulator/pty-module';
import { startStationApp, type StationApp } from './station-app';

// The whole station on real parts: virtual modules behind socat pseudo-terminals, opened with serialport on this
// thread, AT engines with their parsers in worker threads, and the web shell on a real loopback socket.
let fleet: VirtualFleet;
let app: StationApp;
let staticRoot: string;

beforeAll(async () => {
  staticRoot = await mkdtemp(join(tmpdir(), 'fleet-pty-'));
  await writeFile(join(staticRoot, 'index.html'), '<!doctype html><title>Fleet Station</title>');
  fleet = await startPtyFleet({ count: 2, bootDelayMs: 50 });
  app = await startStationApp({
    host: '127.0.0.1',
    port: 0,
    staticRoot,
    virtual: 0,
    portPaths: fleet.modules.map((m) => m.path),
  });
  await waitForIdentified(app.station);
});

afterAll(async () => {
  await app.close();
  await fleet.close();
  await rm(staticRoot, { recursive: true, force: true });
});

async function post(name: string, body: unknown): Promise<unknown> {
  const response = await fetch(`${app.shell.url}/api/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${app.shell.token}` },
    body: JSON.stringify(body),
  });
  return response.json();
}

describe('station over pseudo-terminals', () => {
  it('identifies each module on its port with the identity the module has', async () => {
    const result = (await post('listModules', {})) as { ok: true; value: ModuleInfo[] };
    expect(result.value.map((m) => m.port)).toEqual(fleet.modules.map((m) => m.path));
    result.value.forEach((listed, i) => {
      const identity = fleet.modules[i]?.module.identity;
      expect(listed.state).toBe('ready');
      expect(listed.imei).toBe(identity?.imei);
      expect(listed.iccid).toBe(identity?.iccid);
      expect(listed.model).toBe(identity?.model);
    });
  });

  it('runs a guided command and reports an unplugged module over the socket', async () => {
    const path = fleet.modules[1]?.path ?? '';
    const ws = new WebSocket(`ws://127.0.0.1:${app.shell.port}/ws`, {
      headers: { authorization: `Bearer ${app.shell.token}` },
    });
    const messages: ServerMessage[] = [];
    const arrived = (accept: (m: ServerMessage) => boolean): Promise<ServerMessage> =>
      new Promise((resolve) => {
        const check = (): void => {
          const found = messages.find(accept);
          if (found === undefined) ws.once('message', check);
          else resolve(found);
        };
        check();
      });
    ws.on('message', (data: Buffer) => messages.push(serverMessageSchema.parse(JSON.parse(data.toString()))));
    await new Promise((resolve) => ws.once('open', resolve));
    try {
      ws.send(
        JSON.stringify({
          kind: 'request',
          id: 1,
          name: 'sendAt',
          input: { moduleId: path, line: 'AT+QMTCFG="session",0' },
        }),
      );
      const answer = await arrived((m) => m.kind === 'response' && m.id === 1);
      expect(answer).toMatchObject({
        result: { ok: true, value: { verdict: 'ok', fields: [{ label: 'Clean session', value: '0' }] } },
      });

      await fleet.modules[1]?.unplug();
      await waitForModule(app.station, path, (m) => m.connection === 'gone');
      const pushed = await arrived(
        (m) => m.kind === 'event' && m.name === 'moduleChanged' && JSON.stringify(m.payload).includes('"gone"'),
      );
      expect(pushed).toMatchObject({ payload: { id: path, state: 'disconnected', connection: 'gone' } });
      const after = (await post('sendAt', { moduleId: path, line: 'AT' })) as { ok: false; error: { code: string } };
      expect(after.error.code).toBe('module-unavailable');
      // The other module is unaffected.
      const other = (await post('sendAt', { moduleId: fleet.modules[0]?.path, line: 'AT' })) as { ok: boolean };
      expect(other.ok).toBe(true);
    } finally {
      ws.close();
    }
  });
});
