import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { serverMessageSchema, type ServerMessage } from '../../shared/contract';
import { startStationRuntime, type StationRuntime } from '../app/station-app';
import { startVirtualFleet } from '../app/virtual-fleet';
import { waitForIdentified } from '../core/wait-for';
import { startWebShell, type WebShell } from './server';

// The web shell over a real loopback socket, on top of a real station with virtual modules.
let runtime: StationRuntime;
let shell: WebShell;
let staticRoot: string;

beforeAll(async () => {
  staticRoot = await mkdtemp(join(tmpdir(), 'fleet-shell-'));
  await writeFile(join(staticRoot, 'index.html'), '<!doctype html><title>Fleet Station</title>');
  runtime = await startStationRuntime({ virtual: 2, portPaths: [], startVirtualFleet });
  await waitForIdentified(runtime.station);
  shell = await startWebShell({ dispatch: runtime.dispatch, events: runtime.station, staticRoot, port: 0 });
});

afterAll(async () => {
  await shell.close();
  await runtime.close();
  await rm(staticRoot, { recursive: true, force: true });
});

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** A raw HTTP request, so that Host and Origin can be set to anything (fetch forbids changing Host). */
function send(
  method: string,
  path: string,
  options: { body?: string; headers?: Record<string, string> } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: shell.port,
        method,
        path,
        headers: { host: `127.0.0.1:${shell.port}`, ...options.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const post = (name: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply> =>
  send('POST', `/api/${name}`, {
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...headers },
  });

describe('HTTP routes', () => {
  it('serves POST /api/listModules with the identified modules', async () => {
    const reply = await post('listModules', {});
    expect(reply.status).toBe(200);
    const result = JSON.parse(reply.body) as { ok: boolean; value: { id: string; state: string }[] };
    expect(result.ok).toBe(true);
    expect(result.value.map((m) => [m.id, m.state])).toEqual([
      ['virtual:0', 'ready'],
      ['virtual:1', 'ready'],
    ]);
  });

  it('runs an AT command and returns the decoded answer', async () => {
    const reply = await post('sendAt', { moduleId: 'virtual:1', line: 'AT+QMTCFG="version",0' });
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toMatchObject({
      ok: true,
      value: { verdict: 'ok', final: 'OK', fields: [{ label: 'MQTT version', value: '3 (MQTT 3.1)' }] },
    });
  });

  it.each([
    [
      'invalid JSON',
      () => send('POST', '/api/listModules', { body: '{', headers: { 'content-type': 'application/json' } }),
      400,
      'invalid-input',
    ],
    [
      'a non-JSON content type',
      () => send('POST', '/api/listModules', { body: '{}', headers: { 'content-type': 'text/plain' } }),
      415,
      'invalid-input',
    ],
    ['GET on the API', () => send('GET', '/api/listModules'), 405, 'invalid-input'],
    ['an unknown request', () => post('shutdown', {}), 404, 'unknown-request'],
    ['bad input', () => post('sendAt', { moduleId: 'virtual:0', line: 'AT\r\nAT+CFUN=0' }), 400, 'invalid-input'],
    ['a foreign Host (DNS rebinding)', () => post('listModules', {}, { host: 'evil.example:80' }), 403, 'forbidden'],
    ['a cross-site Origin', () => post('listModules', {}, { origin: 'http://evil.example' }), 403, 'forbidden'],
    ['an oversized body', () => post('sendAt', { moduleId: 'x', line: 'A'.repeat(70_000) }), 413, 'invalid-input'],
  ])('refuses %s with a status and an error code', async (_what, call, status, code) => {
    const reply = await call();
    expect(reply.status).toBe(status);
    expect(JSON.parse(reply.body)).toMatchObject({ ok: false, error: { code } });
  });

  it('serves the renderer with a strict CSP and refuses paths outside it', async () => {
    const page = await send('GET', '/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('Fleet Station');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.headers['x-frame-options']).toBe('DENY');
    // A path climbing out of the root never reaches the file system outside it: it gets the page (or 404).
    const escape = await send('GET', '/..%2f..%2f..%2fetc%2fpasswd');
    expect(escape.body).not.toContain('root:');
    expect(escape.body).toBe(page.body);
    const missingAsset = await send('GET', '/..%2f..%2fetc%2fmissing.js');
    expect(missingAsset.status).toBe(404);
  });
});

/** Opens the socket and collects every message until the test reads what it waits for. */
function openSocket(
  origin?: string,
): Promise<{ ws: WebSocket; next: (accept: (m: ServerMessage) => boolean) => Promise<ServerMessage> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${shell.port}/ws`, origin === undefined ? {} : { origin });
    const seen: ServerMessage[] = [];
    const waiters: { accept: (m: ServerMessage) => boolean; resolve: (m: ServerMessage) => void }[] = [];
    ws.on('message', (data: Buffer) => {
      const message = serverMessageSchema.parse(JSON.parse(data.toString()));
      const waiter = waiters.find((w) => w.accept(message));
      if (waiter === undefined) seen.push(message);
      else {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(message);
      }
    });
    ws.once('open', () =>
      resolve({
        ws,
        next: (accept) => {
          const found = seen.find(accept);
          if (found !== undefined) return Promise.resolve(found);
          return new Promise((res) => waiters.push({ accept, resolve: res }));
        },
      }),
    );
    ws.once('error', reject);
  });
}

describe('WebSocket', () => {
  it('answers requests by id and pushes transcript events', async () => {
    const { ws, next } = await openSocket(shell.url);
    try {
      ws.send(
        JSON.stringify({ kind: 'request', id: 7, name: 'sendAt', input: { moduleId: 'virtual:0', line: 'AT+CGSN' } }),
      );
      const response = await next((m) => m.kind === 'response' && m.id === 7);
      const imei = runtime.station.list()[0]?.imei;
      expect(response).toMatchObject({ result: { ok: true, value: { fields: [{ label: 'IMEI', value: imei }] } } });
      const event = await next(
        (m) => m.kind === 'event' && m.name === 'transcriptLines' && JSON.stringify(m.payload).includes('AT+CGSN'),
      );
      expect(event.kind).toBe('event');
      ws.send(JSON.stringify({ kind: 'request', id: 8, name: 'sendAt', input: { moduleId: 'virtual:0' } }));
      expect(await next((m) => m.kind === 'response' && m.id === 8)).toMatchObject({
        result: { ok: false, error: { code: 'invalid-input', field: 'line' } },
      });
    } finally {
      ws.close();
    }
  });

  it('closes the socket on a message that is not a contract request', async () => {
    const { ws } = await openSocket(shell.url);
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send('not json');
    expect(await closed).toBe(1007);
  });

  it('refuses a socket from a foreign origin', async () => {
    await expect(openSocket('http://evil.example')).rejects.toThrow(/403/);
  });
});

describe('startWebShell', () => {
  it('refuses to listen anywhere but on the loopback interface', async () => {
    await expect(
      startWebShell({ dispatch: runtime.dispatch, events: runtime.station, staticRoot, host: '0.0.0.0' }),
    ).rejects.toThrow(/loopback/);
  });
});

describe('startWebShell on the IPv6 loopback', () => {
  it('serves its own origin at [::1]', async () => {
    const v6 = await startWebShell({
      dispatch: runtime.dispatch,
      events: runtime.station,
      staticRoot,
      host: '::1',
      port: 0,
    });
    try {
      expect(v6.url).toBe(`http://[::1]:${v6.port}`);
      const response = await fetch(`${v6.url}/api/listModules`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: v6.url },
        body: '{}',
      });
      expect(response.status).toBe(200);
    } finally {
      await v6.close();
    }
  });
});
