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
 * One connection, configured for several processes on one data directory: WAL (readers never block the writer),
 * a busy timeout (a writer waits for another process's write instead of failing), `synchronous = FULL` (a commit
 * is on disk before the call returns: a claimed credential survives a power cut, not only a crash), foreign keys on.
 * Every write is an immediate transaction (`BEGIN IMMEDIATE`): it takes the write lock before it reads, so two
 * processes never decide on the same snapshot.
 */
export class Connection {
  readonly db: Database.Database;

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
  write<T>(fn: () => T): T {
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
