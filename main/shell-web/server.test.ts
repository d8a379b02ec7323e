import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { lstat, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
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

/**
 * A raw HTTP request, so that Host and Origin can be set to anything (fetch forbids changing Host). It carries the
 * station's token as a bearer header unless `auth` is false (then only the headers given are sent).
 */
function send(
  method: string,
  path: string,
  options: { body?: string; headers?: Record<string, string>; auth?: boolean } = {},
): Promise<Reply> {
  const auth = options.auth === false ? {} : { authorization: `Bearer ${shell.token}` };
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: shell.port,
        method,
        path,
        headers: { host: `127.0.0.1:${shell.port}`, ...auth, ...options.headers },
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

const post = (name: string, body: unknown, headers: Record<string, string> = {}, auth = true): Promise<Reply> =>
  send('POST', `/api/${name}`, {
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...headers },
    auth,
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
    [
      'a media type that only starts like JSON',
      () => send('POST', '/api/listModules', { body: '{}', headers: { 'content-type': 'application/jsonfoo' } }),
      415,
      'invalid-input',
    ],
    [
      'a JSON-based media type that is not JSON itself',
      () =>
        send('POST', '/api/listModules', { body: '{}', headers: { 'content-type': 'application/json-patch+json' } }),
      415,
      'invalid-input',
    ],
    [
      'a malformed content type',
      () => send('POST', '/api/listModules', { body: '{}', headers: { 'content-type': 'application/' } }),
      415,
      'invalid-input',
    ],
  ])('refuses %s with a status and an error code', async (_what, call, status, code) => {
    const reply = await call();
    expect(reply.status).toBe(status);
    expect(JSON.parse(reply.body)).toMatchObject({ ok: false, error: { code } });
  });

  it.each(['application/json', 'Application/JSON; charset=UTF-8', 'application/json ; charset="utf-8"'])(
    'accepts the JSON media type spelled %j (case-insensitive, with parameters)',
    async (type) => {
      const reply = await send('POST', '/api/listModules', { body: '{}', headers: { 'content-type': type } });
      expect(reply.status).toBe(200);
    },
  );

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
  options: { origin?: string; headers?: Record<string, string>; auth?: boolean } = {},
): Promise<{ ws: WebSocket; next: (accept: (m: ServerMessage) => boolean) => Promise<ServerMessage> }> {
  return new Promise((resolve, reject) => {
    const headers = {
      ...(options.auth === false ? {} : { authorization: `Bearer ${shell.token}` }),
      ...options.headers,
    };
    const ws = new WebSocket(`ws://127.0.0.1:${shell.port}/ws`, {
      headers,
      ...(options.origin === undefined ? {} : { origin: options.origin }),
    });
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
    const { ws, next } = await openSocket({ origin: shell.url });
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
    const { ws } = await openSocket({ origin: shell.url });
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send('not json');
    expect(await closed).toBe(1007);
  });

  it('refuses a socket from a foreign origin', async () => {
    await expect(openSocket({ origin: 'http://evil.example' })).rejects.toThrow(/403/);
  });
});

describe('authentication (issue 8 item 3)', () => {
  const wrongToken = 'W'.repeat(43);

  it.each<[string, () => Record<string, string>]>([
    ['no token at all', () => ({})],
    ['a wrong bearer token', () => ({ authorization: `Bearer ${wrongToken}` })],
    ['an Authorization header that is not Bearer', () => ({ authorization: `Basic ${btoa(`x:${shell.token}`)}` })],
    ['the cookie of a station on another port', () => ({ cookie: `fleet-station-1=${shell.token}` })],
    ['a cookie from an earlier start', () => ({ cookie: `fleet-station-${shell.port}=${wrongToken}` })],
  ])('refuses an API request with %s: 401, forbidden, and says how to get in', async (_what, headers) => {
    const reply = await post('sendAt', { moduleId: 'virtual:0', line: 'AT+CGSN' }, headers(), false);
    expect(reply.status).toBe(401);
    expect(reply.headers['www-authenticate']).toMatch(/^Bearer/);
    const body = JSON.parse(reply.body) as { ok: boolean; error: { code: string; message: string } };
    expect(body).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(body.error.message).toMatch(/token/);
    expect(reply.body).not.toContain(shell.token);
  });

  it('refuses the page and its assets without the token, telling the user which URL to open', async () => {
    for (const path of ['/', '/assets/index.js', '/favicon.ico']) {
      const reply = await send('GET', path, { auth: false });
      expect(reply.status).toBe(401);
      expect(reply.body).toContain('fleet-station serve');
      expect(reply.headers['set-cookie']).toBeUndefined();
    }
  });

  it('swaps the token in the URL for an HttpOnly SameSite=Strict cookie and sends the browser on without it', async () => {
    const exchange = await send('GET', `/?view=modules&token=${shell.token}`, { auth: false });
    expect(exchange.status).toBe(303);
    expect(exchange.headers.location).toBe('/?view=modules');
    expect(exchange.headers['cache-control']).toBe('no-store');
    const setCookie = exchange.headers['set-cookie'];
    expect(setCookie).toHaveLength(1);
    const cookie = String(setCookie?.[0]);
    expect(cookie.split('; ')[0]).toBe(`fleet-station-${shell.port}=${shell.token}`);
    expect(cookie).toMatch(/; HttpOnly(;|$)/);
    expect(cookie).toMatch(/; SameSite=Strict(;|$)/);
    expect(cookie).toMatch(/; Path=\/(;|$)/);
    const jar = { cookie: cookie.split('; ')[0] ?? '' };
    const page = await send('GET', '/', { auth: false, headers: jar });
    expect(page.status).toBe(200);
    expect(page.body).toContain('Fleet Station');
    const api = await post('listModules', {}, jar, false);
    expect(api.status).toBe(200);
    const { ws } = await openSocket({ origin: shell.url, auth: false, headers: jar });
    ws.close();
  });

  it('refuses a wrong token in the URL and sets no cookie', async () => {
    const reply = await send('GET', `/?token=${wrongToken}`, { auth: false });
    expect(reply.status).toBe(401);
    expect(reply.headers['set-cookie']).toBeUndefined();
  });

  it.each(['//evil.example/x', '/\\evil.example/x', '/.//evil.example/x', '/%2F%2Fevil.example'])(
    'sends the browser back to the station itself after the exchange (%s)',
    async (path) => {
      const reply = await send('GET', `${path}?token=${shell.token}`, { auth: false });
      expect(reply.status).toBe(303);
      const location = String(reply.headers.location);
      expect(location).toMatch(/^\/(?![/\\])/);
      expect(location).not.toContain('token');
    },
  );

  it('refuses a WebSocket without the token, even one that sends no Origin header (the reported attack)', async () => {
    await expect(openSocket({ auth: false })).rejects.toThrow(/401/);
    await expect(openSocket({ auth: false, headers: { authorization: `Bearer ${wrongToken}` } })).rejects.toThrow(
      /401/,
    );
    await expect(
      openSocket({ auth: false, headers: { cookie: `fleet-station-${shell.port}=${wrongToken}` } }),
    ).rejects.toThrow(/401/);
  });

  it('takes the token from the Authorization header or the cookie only, never from the socket URL', async () => {
    const attempt = new WebSocket(`ws://127.0.0.1:${shell.port}/ws?token=${shell.token}`);
    const refused = await new Promise<string>((resolve) => attempt.once('error', (e) => resolve(e.message)));
    expect(refused).toMatch(/401/);
  });

  it('makes a fresh random token of 256 bits at every start', async () => {
    expect(shell.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const other = await startWebShell({ dispatch: runtime.dispatch, events: runtime.station, staticRoot, port: 0 });
    try {
      expect(other.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(other.token).not.toBe(shell.token);
      expect(other.openUrl).toBe(`${other.url}/?token=${other.token}`);
    } finally {
      await other.close();
    }
  });

  it('refuses a weak token handed in from outside', async () => {
    await expect(
      startWebShell({ dispatch: runtime.dispatch, events: runtime.station, staticRoot, port: 0, token: 'secret' }),
    ).rejects.toThrow(/at least 32/);
  });
});

describe('startWebShell on a Unix-domain socket', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fleet-uds-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function overSocket(socketPath: string, path: string, body: string): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        { socketPath, method: 'POST', path, headers: { 'content-type': 'application/json' } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  it('serves the API and the socket over a 0600 socket file without a token, and removes the file on close', async () => {
    const path = join(dir, 'station.sock');
    const local = await startWebShell({
      dispatch: runtime.dispatch,
      events: runtime.station,
      staticRoot,
      port: 0,
      unixSocket: path,
    });
    try {
      expect(local.unixSocket).toBe(path);
      const info = await lstat(path);
      expect(info.isSocket()).toBe(true);
      expect(info.mode & 0o777).toBe(0o600);
      const reply = await overSocket(path, '/api/listModules', '{}');
      expect(reply.status).toBe(200);
      expect((JSON.parse(reply.body) as { ok: boolean }).ok).toBe(true);
      const ws = new WebSocket(`ws+unix://${path}:/ws`);
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      const answer = new Promise<string>((resolve) => ws.once('message', (data: Buffer) => resolve(data.toString())));
      ws.send(JSON.stringify({ kind: 'request', id: 1, name: 'listModules', input: {} }));
      expect(JSON.parse(await answer)).toMatchObject({ kind: 'response', id: 1, result: { ok: true } });
      ws.close();
      // The TCP side still wants the token.
      const tcp = await fetch(`${local.url}/api/listModules`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      expect(tcp.status).toBe(401);
    } finally {
      await local.close();
    }
    await expect(lstat(path)).rejects.toThrow(/ENOENT/);
  });

  it('takes over a socket file left behind by a station that died', async () => {
    const path = join(dir, 'stale.sock');
    const dead = spawn(process.execPath, [
      '-e',
      "require('node:net').createServer().listen(process.argv[1], () => process.stdout.write('up'))",
      path,
    ]);
    await once(dead.stdout, 'data');
    dead.kill('SIGKILL');
    await once(dead, 'exit');
    expect((await lstat(path)).isSocket()).toBe(true);
    const local = await startWebShell({
      dispatch: runtime.dispatch,
      events: runtime.station,
      staticRoot,
      port: 0,
      unixSocket: path,
    });
    try {
      expect((await overSocket(path, '/api/listModules', '{}')).status).toBe(200);
    } finally {
      await local.close();
    }
  });

  it('refuses a path that holds something else, or a socket another station still serves', async () => {
    const file = join(dir, 'not-a-socket');
    await writeFile(file, 'keep me');
    await expect(
      startWebShell({ dispatch: runtime.dispatch, events: runtime.station, staticRoot, port: 0, unixSocket: file }),
    ).rejects.toThrow(/not a socket/);
    expect(await readFile(file, 'utf8')).toBe('keep me');
    const path = join(dir, 'busy.sock');
    const first = await startWebShell({
      dispatch: runtime.dispatch,
      events: runtime.station,
      staticRoot,
      port: 0,
      unixSocket: path,
    });
    try {
      await expect(
        startWebShell({ dispatch: runtime.dispatch, events: runtime.station, staticRoot, port: 0, unixSocket: path }),
      ).rejects.toThrow(/already listens/);
      expect((await overSocket(path, '/api/listModules', '{}')).status).toBe(200);
    } finally {
      await first.close();
    }
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
        headers: { 'content-type': 'application/json', origin: v6.url, authorization: `Bearer ${v6.token}` },
        body: '{}',
      });
      expect(response.status).toBe(200);
    } finally {
      await v6.close();
    }
  });
});
