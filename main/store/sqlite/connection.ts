import Database from 'better-sqlite3';
import { migrate, refuseNewer } from './schema';

/** The database file's name in the data directory (SQLite adds `-wal` and `-shm` next to it). */
export const DATABASE_FILE_NAME = 'fleet-station.db';

/**
 * How long a writer waits for another process's transaction before giving up. Transactions here last
 * milliseconds; the margin covers a slow disk and a checkpoint.
 */
export const BUSY_TIMEOUT_MS = 15_000;

/**
 * How far a commit must be on disk before the call returns. `durable` (synchronous = FULL: the WAL is fsynced) for
 * the ledger: a claimed credential survives a power cut, not only a crash. `crash-safe` (synchronous = NORMAL) for
 * the history: a commit survives the process being killed at any instant, and an operating-system crash or power
 * cut may lose the last few steps (never an assignment: a durable commit syncs everything before it), while a
 * station recording 64 units does not stall its event loop on an fsync per step.
 */
export type Durability = 'durable' | 'crash-safe';

/**
 * One connection, configured for several processes on one data directory: WAL (readers never block the writer),
 * a busy timeout (a writer waits for another process's write instead of failing), foreign keys on, and each
 * write's durability chosen by the caller. Every write is an immediate transaction (`BEGIN IMMEDIATE`): it takes
 * the write lock before it reads, so two processes never decide on the same snapshot.
 */
export class Connection {
  readonly db: Database.Database;
  private synchronous: Durability = 'durable';
  /** Writes asked for with `commit` and not yet run, in the order asked. */
  private pending: PendingWrite[] = [];
  private flushScheduled = false;
  /** Runs a function in a savepoint when called inside a transaction (better-sqlite3 nests transactions so). */
  private readonly savepoint: (body: () => void) => void;

  constructor(readonly file: string) {
    this.db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
    try {
      this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      whileBusy(() => {
        // Before anything changes the file (switching to WAL does): a newer station's data is left as it is.
        refuseNewer(this.db);
        this.db.pragma('journal_mode = WAL');
        this.db.pragma('synchronous = FULL');
        this.db.pragma('foreign_keys = ON');
        migrate(this.db);
      });
    } catch (error) {
      this.db.close();
      throw error;
    }
    this.savepoint = this.db.transaction((body: () => void) => {
      body();
    });
  }

  /** Compiles a statement; callers keep it (one per query, prepared when their store opens). */
  prepare<Params extends unknown[] = [], Row = unknown>(sql: string): Database.Statement<Params, Row> {
    return this.db.prepare<Params, Row>(sql);
  }

  /** Runs `fn` in an immediate (write-locking) transaction; rolls back if it throws. */
  write<T>(fn: () => T, durability: Durability): T {
    // The setting cannot change inside a transaction; a nested write runs under its outer one's anyway.
    if (durability !== this.synchronous && !this.db.inTransaction) {
      this.db.pragma(`synchronous = ${durability === 'durable' ? 'FULL' : 'NORMAL'}`);
      this.synchronous = durability;
    }
    return this.db.transaction(fn).immediate();
  }

  /**
   * Group commit: runs `fn` in a write transaction shared with every other `commit` asked for in the same turn of
   * the event loop (a batch of 64 units asks for many at once), each in its own savepoint, so one that throws
   * changes nothing and fails alone. Resolves with what `fn` returned once the transaction is committed, as
   * durable as the most durable write of the group (a `durable` one fsyncs the WAL for all of them); rejects with
   * what `fn` threw, or with the commit's error (then nothing of the group was written).
   */
  commit<T>(fn: () => T, durability: Durability): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let outcome: { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown } = {
        ok: false,
        error: new Error('the write did not run'),
      };
      this.pending.push({
        durability,
        run: (transaction) => {
          try {
            transaction(() => {
              outcome = { ok: true, value: fn() };
            });
          } catch (error) {
            outcome = { ok: false, error };
          }
        },
        settle: () => {
          if (outcome.ok) resolve(outcome.value);
          else reject(asError(outcome.error));
        },
        fail: (error) => reject(asError(error)),
      });
      if (this.flushScheduled) return;
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    });
  }

  /** Runs the pending `commit`s now, in one transaction. */
  flush(): void {
    this.flushScheduled = false;
    const group = this.pending;
    this.pending = [];
    if (group.length === 0) return;
    if (!this.db.open) {
      for (const write of group) write.fail(new Error('the store is closed'));
      return;
    }
    const durability = group.some((write) => write.durability === 'durable') ? 'durable' : 'crash-safe';
    const [only] = group;
    if (group.length === 1 && only !== undefined) {
      only.run((body) => this.write(body, durability));
      only.settle();
      return;
    }
    try {
      this.write(() => {
        for (const write of group) write.run((body) => this.savepoint(body));
      }, durability);
    } catch (error) {
      for (const write of group) write.fail(error);
      return;
    }
    for (const write of group) write.settle();
  }

  /** Runs `fn` in a deferred transaction: one consistent snapshot for several reads. */
  read<T>(fn: () => T): T {
    return this.db.transaction(fn).deferred();
  }

  /** Closes the database, after the writes still pending. */
  close(): void {
    this.flush();
    if (this.db.open) this.db.close();
  }
}

interface PendingWrite {
  readonly durability: Durability;
  /** Runs the write inside `transaction` (its own, or a savepoint of the group's), keeping its outcome. */
  run(transaction: (body: () => void) => void): void;
  /** Resolves or rejects the caller with the outcome, once the group is committed. */
  settle(): void;
  /** The group could not be committed: nothing of it was written. */
  fail(error: unknown): void;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * Runs the opening sequence again while another process holds a lock it needs, up to the busy timeout. SQLite's busy
 * handler does not wait everywhere: switching a fresh file to WAL while another station process writes to it (two
 * stations started at once on one data directory) is refused at once with SQLITE_BUSY. Every statement of the
 * sequence is idempotent, and the migration is one transaction, so a retry starts from a consistent file.
 */
function whileBusy(open: () => void): void {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let attempt = 0; ; attempt++) {
    try {
      open();
      return;
    } catch (error) {
      if (!isBusy(error) || Date.now() >= deadline) throw error;
      // The constructor is synchronous (the store opens before anything else runs): a short blocking pause.
      Atomics.wait(pause, 0, 0, Math.min(5 * 2 ** Math.min(attempt, 4), 80));
    }
  }
}

function isBusy(error: unknown): boolean {
  return error instanceof Database.SqliteError && error.code.startsWith('SQLITE_BUSY');
}
