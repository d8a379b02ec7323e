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

  constructor(readonly file: string) {
    this.db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
    try {
      this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      // Before anything changes the file (switching to WAL does): a newer station's data is left as it is.
      refuseNewer(this.db);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.db.pragma('foreign_keys = ON');
      migrate(this.db);
    } catch (error) {
      this.db.close();
      throw error;
    }
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

  /** Runs `fn` in a deferred transaction: one consistent snapshot for several reads. */
  read<T>(fn: () => T): T {
    return this.db.transaction(fn).deferred();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
