import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { setUnexpectedErrorHandler } from '../../base';
import { exited, track } from '../../testing/processes';
import { DATABASE_FILE_NAME, openSqliteStore } from './index';

const scratch = mkdtempSync(join(tmpdir(), 'store-owners-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A process that stays alive until the test ends it. */
function liveProcess(): { pid: number; end(): Promise<void> } {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  track(child);
  return {
    pid: child.pid ?? 0,
    end: async () => {
      child.kill('SIGKILL');
      await exited(child);
    },
  };
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await exited(child);
  return child.pid ?? 0;
}

describe('owners of runs', () => {
  it('interrupts the runs of dead processes only: gone pid, reused pid, silent past the lease, no owner', async () => {
    const dir = join(scratch, 'sweep');
    const now = 1_000_000;
    const first = await openSqliteStore({ dataDir: dir, now: () => now });
    await first.close();
    const live = liveProcess();
    const owners: [string, string, number, number][] = [
      ['gone-pid', hostname(), await deadPid(), now],
      ['live-pid', hostname(), live.pid, now],
      ['this-pid-not-ours', hostname(), process.pid, now],
      ['remote-fresh', 'another-host', 1, now - 30_000],
      ['remote-silent', 'another-host', 1, now - 61_000],
      ['live-pid-but-silent', hostname(), live.pid, now - 61_000],
    ];
    const db = new Database(join(dir, DATABASE_FILE_NAME));
    db.prepare("INSERT INTO profiles (hash, name, content, first_used) VALUES ('h', 'p', '{}', 0)").run();
    for (const [id, host, pid, heartbeat] of [...owners, ['no-owner', '', 0, 0] as const]) {
      if (id !== 'no-owner') {
        db.prepare('INSERT INTO owners (id, host, pid, started_at, heartbeat_at) VALUES (?, ?, ?, 0, ?)').run(
          id,
          host,
          pid,
          heartbeat,
        );
      }
      db.prepare(
        "INSERT INTO runs (id, station, profile_hash, started_at, state, owner) VALUES (?, 's', 'h', 0, 'running', ?)",
      ).run(`run-${id}`, id === 'no-owner' ? null : id);
      db.prepare("INSERT INTO unit_runs (id, run_id, seq, port, started_at) VALUES (?, ?, 1, 'p', 0)").run(
        `unit-${id}`,
        `run-${id}`,
      );
      db.prepare(
        "INSERT INTO steps (id, unit_run_id, seq, name, status, started_at) VALUES (?, ?, 1, 'upload', 'running', 0)",
      ).run(`step-${id}`, `unit-${id}`);
    }
    db.close();

    const store = await openSqliteStore({ dataDir: dir, now: () => now });
    try {
      const states: Record<string, string | undefined> = {};
      for (const id of [...owners.map(([owner]) => owner), 'no-owner']) {
        states[id] = (await store.history.run(`run-${id}`))?.state;
      }
      expect(states).toEqual({
        'gone-pid': 'interrupted',
        'live-pid': 'running',
        'this-pid-not-ours': 'interrupted',
        'remote-fresh': 'running',
        'remote-silent': 'interrupted',
        'live-pid-but-silent': 'interrupted',
        'no-owner': 'interrupted',
      });
      expect((await store.history.units({ runId: 'run-gone-pid' }))[0]).toMatchObject({
        result: 'fail',
        failedStep: 'upload',
        errorCode: 'interrupted',
        finishedAt: now,
        steps: [{ name: 'upload', status: 'interrupted' }],
      });
      expect((await store.history.units({ runId: 'run-live-pid' }))[0]?.steps[0]?.status).toBe('running');
      expect(await store.history.recoverInterrupted()).toEqual([]);
    } finally {
      await store.close();
      await live.end();
    }
    // Once its process is gone, the live one's run is interrupted by the next store that opens.
    const after = await openSqliteStore({ dataDir: dir, now: () => now });
    expect((await after.history.run('run-live-pid'))?.state).toBe('interrupted');
    await after.close();
  });

  it('beats while open, and comes back (and says so) when another process declared it dead', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const reported: string[] = [];
    const restore = setUnexpectedErrorHandler((error, origin) => {
      reported.push(`${origin}: ${error instanceof Error ? error.message : ''}`);
    });
    let now = 5_000;
    const dir = join(scratch, 'beat');
    const store = await openSqliteStore({ dataDir: dir, now: () => now, lease: { heartbeatMs: 1_000 } });
    const db = new Database(join(dir, DATABASE_FILE_NAME));
    try {
      const runId = await store.history.beginRun({
        station: 's',
        profile: { hash: 'h', name: 'p', content: '{}' },
        startedAt: now,
      });
      const unit = await store.history.beginUnit(runId, { port: 'p', startedAt: now });
      const step = await store.history.beginStep(unit, { name: 'upload', startedAt: now });
      const heartbeat = (): number | undefined =>
        db.prepare<[], { heartbeat_at: number }>('SELECT heartbeat_at FROM owners').get()?.heartbeat_at;
      expect(heartbeat()).toBe(5_000);
      now = 6_000;
      vi.advanceTimersByTime(1_000);
      expect(heartbeat()).toBe(6_000);
      // Its row gone but nothing lost: it comes back quietly.
      db.prepare('DELETE FROM owners').run();
      now = 7_000;
      vi.advanceTimersByTime(1_000);
      expect(heartbeat()).toBe(7_000);
      expect(reported).toEqual([]);
      // Another process judged it dead (a stall past the lease) and interrupted its run: it comes back and says so,
      // and what it still records is kept.
      db.prepare('DELETE FROM owners').run();
      db.prepare("UPDATE runs SET state = 'interrupted'").run();
      db.prepare("UPDATE steps SET status = 'interrupted'").run();
      now = 8_000;
      vi.advanceTimersByTime(1_000);
      expect(heartbeat()).toBe(8_000);
      expect(reported).toEqual([
        'store heartbeat: this station was silent longer than its lease and its runs were marked interrupted',
      ]);
      await store.history.endStep(step, { status: 'passed', durationMs: 3 });
      await store.history.finishUnit(unit, { result: 'pass', durationMs: 4, finishedAt: now });
      await store.history.finishRun(runId, { state: 'finished', finishedAt: now });
      expect((await store.history.units({ runId }))[0]).toMatchObject({
        result: 'pass',
        steps: [{ status: 'passed' }],
        run: { state: 'finished' },
      });
    } finally {
      db.close();
      await store.close();
      restore();
      vi.useRealTimers();
    }
  });
});
