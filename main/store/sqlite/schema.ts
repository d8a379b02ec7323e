import type { Database } from 'better-sqlite3';
import { StoreError } from '../errors';

/**
 * The schema, as ordered migrations: migration N takes a database from `user_version` N-1 to N. A migration is
 * never edited once released; a change is a new migration at the end. `migrate` applies the missing ones in one
 * immediate transaction (so two processes opening one fresh directory at once do not both apply them) and refuses
 * a database written by a newer station.
 *
 * Times are INTEGER epoch milliseconds; ids are TEXT. Uniqueness that exactly-once rests on is declared here, as
 * the last line of defence behind the ledger's transactions: a credential has at most one assignment (primary
 * key), a unit holds at most one credential (UNIQUE imei), a reserved credential goes to its unit only, and
 * assignments are never deleted or moved (triggers). `credentials.assigned` mirrors the assignments table (kept by a
 * trigger) so that the next free pool credential is one index lookup, however many are already handed out.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: the credential ledger.
  `
  CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  CREATE TABLE credentials (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL UNIQUE,
    reserved_imei TEXT UNIQUE,
    fields TEXT NOT NULL,
    secret_columns TEXT NOT NULL,
    secrets BLOB,
    assigned INTEGER NOT NULL DEFAULT 0 CHECK (assigned IN (0, 1)),
    imported_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX credentials_free ON credentials (seq) WHERE reserved_imei IS NULL AND assigned = 0;
  CREATE TABLE assignments (
    credential_id TEXT PRIMARY KEY REFERENCES credentials (id),
    imei TEXT NOT NULL UNIQUE,
    assigned_at INTEGER NOT NULL,
    run_id TEXT,
    station TEXT
  );
  CREATE TRIGGER assignment_respects_reservation BEFORE INSERT ON assignments
    WHEN (SELECT reserved_imei FROM credentials WHERE id = NEW.credential_id) <> NEW.imei
    BEGIN SELECT RAISE(ABORT, 'credential is reserved for another unit'); END;
  CREATE TRIGGER assignment_marks_credential AFTER INSERT ON assignments
    BEGIN UPDATE credentials SET assigned = 1 WHERE id = NEW.credential_id; END;
  CREATE TRIGGER credential_mirrors_assignment BEFORE UPDATE OF assigned ON credentials
    WHEN NEW.assigned <> EXISTS (SELECT 1 FROM assignments WHERE credential_id = NEW.id)
    BEGIN SELECT RAISE(ABORT, 'credentials.assigned must mirror the assignments table'); END;
  CREATE TRIGGER assignment_is_permanent BEFORE DELETE ON assignments
    BEGIN SELECT RAISE(ABORT, 'assignments are permanent'); END;
  CREATE TRIGGER assignment_is_fixed BEFORE UPDATE OF credential_id, imei ON assignments
    BEGIN SELECT RAISE(ABORT, 'assignments are permanent'); END;
  CREATE TABLE ledger_events (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('imported', 'updated', 'replaced', 'assigned')),
    credential_id TEXT NOT NULL,
    imei TEXT,
    columns TEXT,
    source TEXT,
    run_id TEXT,
    station TEXT
  );
  CREATE INDEX ledger_events_credential ON ledger_events (credential_id, id);
  `,
  // 2: the run history, and the owners (live processes) that runs belong to.
  `
  CREATE TABLE units (
    imei TEXT PRIMARY KEY,
    iccid TEXT,
    imsi TEXT,
    model TEXT,
    firmware TEXT,
    first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL
  );
  CREATE TABLE profiles (
    hash TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    content TEXT NOT NULL,
    first_used INTEGER NOT NULL
  );
  CREATE TABLE owners (
    id TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL
  );
  CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    station TEXT NOT NULL,
    operator TEXT,
    work_order TEXT,
    profile_hash TEXT NOT NULL REFERENCES profiles (hash),
    started_at INTEGER NOT NULL,
    finished_at INTEGER,
    state TEXT NOT NULL CHECK (state IN ('running', 'finished', 'cancelled', 'interrupted')),
    retry_of TEXT,
    owner TEXT
  );
  CREATE INDEX runs_started ON runs (started_at);
  CREATE INDEX runs_running ON runs (owner) WHERE state = 'running';
  CREATE TABLE unit_runs (
    id TEXT PRIMARY KEY,
    run_id TEXT NOT NULL REFERENCES runs (id),
    seq INTEGER NOT NULL,
    port TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    finished_at INTEGER,
    imei TEXT,
    iccid TEXT,
    imsi TEXT,
    model TEXT,
    firmware TEXT,
    credential_id TEXT,
    result TEXT CHECK (result IN ('pass', 'fail', 'cancelled')),
    failed_step TEXT,
    error_code TEXT,
    error TEXT,
    round_trip_ms INTEGER,
    duration_ms INTEGER,
    transcript_chunks INTEGER NOT NULL DEFAULT 0,
    UNIQUE (run_id, seq)
  );
  CREATE INDEX unit_runs_imei ON unit_runs (imei);
  CREATE TABLE steps (
    id TEXT PRIMARY KEY,
    unit_run_id TEXT NOT NULL REFERENCES unit_runs (id),
    seq INTEGER NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL
      CHECK (status IN ('running', 'passed', 'failed', 'cancelled', 'skipped', 'interrupted')),
    started_at INTEGER NOT NULL,
    duration_ms INTEGER,
    result_code TEXT,
    explanation TEXT,
    UNIQUE (unit_run_id, seq)
  );
  CREATE TABLE transcripts (
    unit_run_id TEXT NOT NULL REFERENCES unit_runs (id),
    seq INTEGER NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (unit_run_id, seq)
  );
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Brings the database to SCHEMA_VERSION, or to `target` (tests build each earlier version this way). */
export function migrate(db: Database, target: number = SCHEMA_VERSION): void {
  const apply = db.transaction(() => {
    const current = refuseNewer(db);
    for (let version = current + 1; version <= target; version++) {
      db.exec(MIGRATIONS[version - 1] ?? '');
      db.pragma(`user_version = ${version}`);
    }
  });
  apply.immediate();
}

/** The database's schema version; a StoreError when a newer station wrote it (nothing is changed then). */
export function refuseNewer(db: Database): number {
  const current = userVersion(db);
  if (current > SCHEMA_VERSION) {
    throw new StoreError(
      'schema-too-new',
      `this data was written by a newer Fleet Station (schema version ${current}; this one knows up to ` +
        `${SCHEMA_VERSION}): update the station, or use another data directory`,
    );
  }
  return current;
}

export function userVersion(db: Database): number {
  const version: unknown = db.pragma('user_version', { simple: true });
  return typeof version === 'number' ? version : 0;
}
