import { spawn } from 'node:child_process';
import { realpath, stat } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { startPtyPair } from './pty-pair';

/** Resolves once `path` no longer exists; rejects after `limitMs` (a bounded wait for a condition, not a sleep). */
async function gone(path: string, limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    try {
      await stat(path);
    } catch {
      return;
    }
    if (Date.now() > deadline) throw new Error(`${path} still exists after ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('startPtyPair', () => {
  it('links two ptys and removes them on unplug', async () => {
    const pair = await startPtyPair();
    const device = await realpath(pair.a);
    expect(device).toMatch(/^\/dev\/pts\/\d+$/);
    await pair.unplug();
    await gone(device, 5000);
    await pair.stop();
    await expect(stat(pair.a)).rejects.toThrow();
  });

  it('leaves no socat behind when the process that started it is killed', async () => {
    const child = spawn(
      process.execPath,
      [
        new URL('../../bin/run-ts.mjs', import.meta.url).pathname,
        new URL('./fixtures/hold-pty.ts', import.meta.url).pathname,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const path = await new Promise<string>((resolve, reject) => {
        child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
        child.once('exit', () => reject(new Error('fixture exited early')));
      });
      const device = await realpath(path);
      child.kill('SIGKILL');
      await gone(device, 5000);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
