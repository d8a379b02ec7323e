import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

// `fleet-station serve` as production lines run it: a child process, scripted through --json and signals.
const cli = fileURLToPath(new URL('../../bin/fleet-station.mjs', import.meta.url));
const children: ChildProcessWithoutNullStreams[] = [];

function start(args: string[]): ChildProcessWithoutNullStreams {
  const child = spawn(process.execPath, [cli, 'serve', ...args], { stdio: 'pipe' });
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
  it('prints one JSON object when ready, serves the API, and stops cleanly on SIGTERM', async () => {
    const child = start(['--port', '0', '--virtual', '2', '--json']);
    const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
    const ready = JSON.parse(line) as { url: string; port: number; broker: string; modules: string[] };
    expect(ready.url).toBe(`http://127.0.0.1:${ready.port}`);
    expect(ready.broker).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
    expect(ready.modules).toEqual(['virtual:0', 'virtual:1']);
    const response = await fetch(`${ready.url}/api/listModules`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    const result = (await response.json()) as { ok: boolean; value: { id: string }[] };
    expect(result.ok && result.value.map((m) => m.id)).toEqual(['virtual:0', 'virtual:1']);
    const exited = exitOf(child);
    child.kill('SIGTERM');
    expect((await exited).code).toBe(0);
  });

  it('reports a --port-path that cannot be opened and serves the others (issue 8 item 8)', async () => {
    const child = start(['--port', '0', '--virtual', '1', '--port-path', '/dev/does-not-exist', '--json']);
    const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
    const ready = JSON.parse(line) as { url: string; modules: string[]; problems: { port: string; problem: string }[] };
    expect(ready.modules).toEqual(['virtual:0', '/dev/does-not-exist']);
    expect(ready.problems.map((p) => p.port)).toEqual(['/dev/does-not-exist']);
    expect(ready.problems[0]?.problem).toMatch(/cannot open serial port \/dev\/does-not-exist/);
    const response = await fetch(`${ready.url}/api/sendAt`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ moduleId: 'virtual:0', line: 'AT' }),
    });
    expect(((await response.json()) as { ok: boolean }).ok).toBe(true);
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
