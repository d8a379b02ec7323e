import { spawn } from 'node:child_process';
import { lstat, mkdtemp, realpath, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

  it('takes its links away on unplug: a path never leads to a pty number the system hands to the next pair', async () => {
    // Unplugged, a path that still led somewhere would let a station scanning it open whatever pseudo-terminal
    // reuses the number (another test's, its lock held), as a real ttyUSB node vanishes with its device.
    const pair = await startPtyPair();
    await pair.unplug();
    await expect(lstat(pair.a)).rejects.toThrow(/ENOENT/);
    await expect(lstat(pair.b)).rejects.toThrow(/ENOENT/);
    await pair.stop();

    const dir = await mkdtemp(join(tmpdir(), 'pty-pair-test-'));
    try {
      const paths = { a: join(dir, 'ttyUSB0'), b: join(dir, 'ttyUSB0.module') };
      const first = await startPtyPair(paths);
      await first.unplug();
      await expect(lstat(paths.a)).rejects.toThrow(/ENOENT/);
      await expect(lstat(paths.b)).rejects.toThrow(/ENOENT/);
      // Plugged in again at the same paths, the links lead to the new pair.
      const again = await startPtyPair(paths);
      expect(await realpath(paths.a)).toMatch(/^\/dev\/pts\/\d+$/);
      await again.stop();
      await first.stop();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
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
