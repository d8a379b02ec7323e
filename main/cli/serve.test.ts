import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { lstat, mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tokenEnvironmentVariable } from '../shell-web/auth';
import { cliScript } from '../testing/station-cli';

// `fleet-station serve` as production lines run it: a child process, scripted through --json and signals.
const cli = cliScript();
const children: ChildProcessWithoutNullStreams[] = [];

function start(args: string[], env: Record<string, string> = {}): ChildProcessWithoutNullStreams {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => name !== tokenEnvironmentVariable),
  );
  const child = spawn(process.execPath, [cli, 'serve', ...args], { stdio: 'pipe', env: { ...inherited, ...env } });
  children.push(child);
  return child;
}

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  }
});

async function exitOf(child: ChildProcessWithoutNullStreams): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stderr };
}

describe('fleet-station serve', () => {
  it('prints one JSON object when ready, with the token; serves the API to its holders; stops cleanly on SIGTERM', async () => {
    const child = start(['--port', '0', '--virtual', '2', '--json']);
    const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
    const ready = JSON.parse(line) as {
      url: string;
      port: number;
      token: string;
      openUrl: string;
      socket: string | null;
      broker: string;
      modules: string[];
    };
    expect(ready.url).toBe(`http://127.0.0.1:${ready.port}`);
    expect(ready.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(ready.openUrl).toBe(`${ready.url}/?token=${ready.token}`);
    expect(ready.socket).toBeNull();
    expect(ready.broker).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
    expect(ready.modules).toEqual(['virtual:0', 'virtual:1']);
    const list = (headers: Record<string, string>): Promise<Response> =>
      fetch(`${ready.url}/api/listModules`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: '{}',
      });
    expect((await list({})).status).toBe(401);
    const response = await list({ authorization: `Bearer ${ready.token}` });
    const result = (await response.json()) as { ok: boolean; value: { id: string }[] };
    expect(result.ok && result.value.map((m) => m.id)).toEqual(['virtual:0', 'virtual:1']);
    const exited = exitOf(child);
    child.kill('SIGTERM');
    expect((await exited).code).toBe(0);
  });

  it(`takes a fixed token from ${tokenEnvironmentVariable} and serves a 0600 socket with --socket`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fleet-serve-'));
    try {
      const socket = join(dir, 'station.sock');
      const token = 'automation-token-0123456789abcdef-XYZ';
      const child = start(['--port', '0', '--virtual', '1', '--socket', socket], { [tokenEnvironmentVariable]: token });
      const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
      // The text form prints the address to open, token included.
      expect(line).toMatch(new RegExp(`^Fleet Station listening on http://127\\.0\\.0\\.1:\\d+/\\?token=${token}$`));
      expect(((await lstat(socket)).mode & 0o777).toString(8)).toBe('600');
      const reply = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest(
          {
            socketPath: socket,
            method: 'POST',
            path: '/api/listModules',
            headers: { 'content-type': 'application/json' },
          },
          (res) => {
            let body = '';
            res.on('data', (c: Buffer) => (body += c.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          },
        );
        req.on('error', reject);
        req.end('{}');
      });
      expect(reply.status).toBe(200);
      expect(reply.body).toContain('virtual:0');
      const exited = exitOf(child);
      child.kill('SIGTERM');
      expect((await exited).code).toBe(0);
      await expect(lstat(socket)).rejects.toThrow(/ENOENT/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it(`refuses a weak ${tokenEnvironmentVariable} without printing it`, async () => {
    const { code, stderr } = await exitOf(start(['--port', '0', '--json'], { [tokenEnvironmentVariable]: 'hunter2' }));
    expect(code).toBe(1);
    expect(stderr).toMatch(new RegExp(`${tokenEnvironmentVariable}.*at least 32`));
    expect(stderr).not.toContain('hunter2');
  });

  it('reports a --port-path that cannot be opened and serves the others (issue 8 item 8)', async () => {
    const child = start(['--port', '0', '--virtual', '1', '--port-path', '/dev/does-not-exist', '--json']);
    const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
    const ready = JSON.parse(line) as {
      url: string;
      token: string;
      modules: string[];
      problems: { port: string; problem: string }[];
    };
    expect(ready.modules).toEqual(['virtual:0', '/dev/does-not-exist']);
    expect(ready.problems.map((p) => p.port)).toEqual(['/dev/does-not-exist']);
    expect(ready.problems[0]?.problem).toMatch(/cannot open serial port \/dev\/does-not-exist/);
    const response = await fetch(`${ready.url}/api/sendAt`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ready.token}` },
      body: JSON.stringify({ moduleId: 'virtual:0', line: 'AT' }),
    });
    expect(((await response.json()) as { ok: boolean }).ok).toBe(true);
    // The unopenable port is listed in error, its health closed (no engine was ever started for it).
    const listed = await fetch(`${ready.url}/api/listModules`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ready.token}` },
      body: '{}',
    });
    const modules = ((await listed.json()) as { value: { port: string; state: string; health: { state: string } }[] })
      .value;
    const missing = modules.find((m) => m.port === '/dev/does-not-exist');
    expect(missing?.state).toBe('error');
    expect(missing?.health.state).toBe('closed');
    const exited = exitOf(child);
    child.kill('SIGTERM');
    expect((await exited).code).toBe(0);
  });

  it.each([
    [['--port', '70000'], /--port.*expected an integer 0-65535/],
    [['--virtual', 'many'], /--virtual.*expected an integer/],
    [['--host', '0.0.0.0'], /Allowed choices are 127\.0\.0\.1/],
  ])('refuses %j with a clear message and exit code 1', async (args, message) => {
    const { code, stderr } = await exitOf(start([...args, '--json']));
    expect(code).toBe(1);
    expect(stderr).toMatch(message);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
