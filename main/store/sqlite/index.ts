import { join } from 'node:path';
import { ensureDataDir } from '../data-dir';
import { keyFileProvider } from '../keys';
import type { History, KeyProvider, Ledger, Store } from '../types';
import { Connection, DATABASE_FILE_NAME } from './connection';
import { SqliteHistory } from './history';
import { SqliteLedger } from './ledger';
import { DEFAULT_LEASE, type LeaseOptions, Owners } from './owners';
import { settle } from './settle';

export { DATABASE_FILE_NAME } from './connection';
export { INTERRUPTED_ERROR, INTERRUPTED_ERROR_CODE, type LeaseOptions } from './owners';

export interface SqliteStoreOptions {
  /** The data directory (see `resolveDataDir`); created, readable only by this user, if missing. */
  readonly dataDir: string;
  /** Where the station key comes from; by default `station.key` in the data directory. */
  readonly keyProvider?: KeyProvider;
  /** The clock (epoch ms); tests inject one. */
  readonly now?: () => number;
  readonly lease?: Partial<LeaseOptions>;
}

class SqliteStore implements Store {
  private closed = false;

  constructor(
    private readonly connection: Connection,
    private readonly owners: Owners,
    readonly ledger: Ledger,
    readonly history: History,
    readonly location: string,
  ) {}

  close(): Promise<void> {
    return settle(() => {
      if (this.closed) return;
      this.closed = true;
      try {
        this.owners.release();
      } finally {
        this.connection.close();
      }
    });
  }
}

/**
 * Opens (creating and migrating as needed) the SQLite store in `dataDir`, then marks the runs of dead processes
 * `interrupted`. Several processes may hold the same data directory open at once.
 */
export function openSqliteStore(options: SqliteStoreOptions): Promise<Store> {
  return settle(() => {
    ensureDataDir(options.dataDir);
    const now = options.now ?? Date.now;
    const connection = new Connection(join(options.dataDir, DATABASE_FILE_NAME));
    try {
      const owners = new Owners(connection, now, { ...DEFAULT_LEASE, ...options.lease });
      if (owners.needsRecovery()) owners.recover();
      const keys = options.keyProvider ?? keyFileProvider(options.dataDir);
      return new SqliteStore(
        connection,
        owners,
        new SqliteLedger(connection, keys, now),
        new SqliteHistory(connection, owners),
        options.dataDir,
      );
    } catch (error) {
      connection.close();
      throw error;
    }
  });
}
