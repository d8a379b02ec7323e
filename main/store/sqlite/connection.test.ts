import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Connection } from './connection';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function open(): { c: Connection; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'connection-'));
  dirs.push(dir);
  const file = join(dir, 'test.db');
  const c = new Connection(file);
  c.db.exec('CREATE TABLE t (x INTEGER NOT NULL UNIQUE)');
  return { c, file };
}

const rows = (c: Connection): number[] =>
  c.db
    .prepare<[], { x: number }>('SELECT x FROM t ORDER BY rowid')
    .all()
    .map((row) => row.x);

describe('group commit', () => {
  it('commits the writes asked for together, in order, each failing alone', async () => {
    const { c, file } = open();
    const insert = c.prepare<[number]>('INSERT INTO t (x) VALUES (?)');
    const results = await Promise.allSettled([
      c.commit(() => insert.run(1).changes, 'crash-safe'),
      c.commit(() => {
        insert.run(2);
        insert.run(1); // breaks UNIQUE: this write's row 2 goes too
      }, 'crash-safe'),
      c.commit(() => {
        insert.run(3);
        return rows(c);
      }, 'durable'),
    ]);
    expect(results[0]).toEqual({ status: 'fulfilled', value: 1 });
    expect(results[1].status).toBe('rejected');
    expect(results[1].status === 'rejected' ? String(results[1].reason) : '').toMatch(/UNIQUE/);
    // Each write sees the ones asked for before it.
    expect(results[2]).toEqual({ status: 'fulfilled', value: [1, 3] });
    c.close();
    const again = new Connection(file);
    expect(rows(again)).toEqual([1, 3]);
    again.close();
  });

  it('resolves only once the write is committed: another connection sees it then', async () => {
    const { c, file } = open();
    const other = new Connection(file);
    const insert = c.prepare<[number]>('INSERT INTO t (x) VALUES (?)');
    const pending = c.commit(() => insert.run(7), 'durable');
    expect(rows(other)).toEqual([]);
    await pending;
    expect(rows(other)).toEqual([7]);
    other.close();
    c.close();
  });

  it('runs the writes still pending when the connection closes, and refuses new ones after', async () => {
    const { c, file } = open();
    const insert = c.prepare<[number]>('INSERT INTO t (x) VALUES (?)');
    const pending = c.commit(() => insert.run(5), 'crash-safe');
    c.close();
    await pending;
    await expect(c.commit(() => insert.run(6), 'crash-safe')).rejects.toThrow(/closed/);
    const again = new Connection(file);
    expect(rows(again)).toEqual([5]);
    again.close();
  });
});

describe('opening a fresh database', () => {
  it('waits for another process that holds the write lock instead of failing with "database is locked"', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'connection-'));
    dirs.push(dir);
    const file = join(dir, 'fresh.db');
    // Another station process in the middle of a write on the still rollback-journal file: switching to WAL needs
    // the exclusive lock, and SQLite refuses it at once (its busy handler does not wait on this path).
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const db = new (require('better-sqlite3'))(${JSON.stringify(file)});
         db.exec('BEGIN IMMEDIATE'); process.stdout.write('held\\n');
         setTimeout(() => { db.exec('COMMIT'); db.close(); }, 300);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise<number | null>((resolve) => holder.once('exit', resolve));
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    const c = new Connection(file);
    expect(c.db.pragma('journal_mode', { simple: true })).toBe('wal');
    c.close();
    expect(await exited).toBe(0);
  });
});
