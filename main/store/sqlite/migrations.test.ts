import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryKey, testImei } from '../fixtures/rows';
import { SecretBox } from '../secret-box';
import { DATABASE_FILE_NAME, openSqliteStore } from './index';
import { migrate, SCHEMA_VERSION, userVersion } from './schema';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'store-migrate-'));
  dirs.push(dir);
  return dir;
}

const stationKey = new Uint8Array(32).fill(7);

/**
 * Data as each schema version held it, written with that version's SQL: what a station updated from that version
 * finds in its data directory. Seeds are cumulative (version N's data includes the earlier versions').
 */
const SEEDS: readonly ((db: Database.Database) => void)[] = [
  () => undefined,
  // 1: a credential with a sealed secret, assigned to a unit, and its history.
  (db) => {
    const box = SecretBox.fromStationKey(stationKey);
    db.prepare("INSERT INTO meta (key, value) VALUES ('key_id', ?)").run(box.keyId);
    db.prepare(
      `INSERT INTO credentials (id, seq, reserved_imei, fields, secret_columns, secrets, imported_at, updated_at)
       VALUES ('old-1', 1, NULL, '{"device_name":"d1"}', '["password"]', ?, 5, 5),
              ('old-2', 2, NULL, '{"device_name":"d2"}', '[]', NULL, 5, 5)`,
    ).run(box.seal('{"password":"kept-secret"}', 'credential:old-1'));
    db.prepare(`INSERT INTO assignments (credential_id, imei, assigned_at) VALUES ('old-1', ?, 6)`).run(testImei(1));
    db.prepare(`INSERT INTO ledger_events (at, kind, credential_id) VALUES (5, 'imported', 'old-1')`).run();
  },
];

describe('schema migrations', () => {
  it('has a seed for every version before the latest', () => {
    expect(SEEDS.length).toBe(SCHEMA_VERSION);
  });

  it('creates the latest schema in an empty directory', async () => {
    const dir = dataDir();
    const store = await openSqliteStore({ dataDir: dir, keyProvider: memoryKey(stationKey) });
    await store.close();
    const db = new Database(join(dir, DATABASE_FILE_NAME));
    expect(userVersion(db)).toBe(SCHEMA_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  for (let from = 0; from < SCHEMA_VERSION; from++) {
    it(`brings a version ${from} database to version ${SCHEMA_VERSION} with its data intact`, async () => {
      const dir = dataDir();
      const db = new Database(join(dir, DATABASE_FILE_NAME));
      migrate(db, from);
      for (const seed of SEEDS.slice(0, from + 1)) seed(db);
      expect(userVersion(db)).toBe(from);
      db.close();

      const store = await openSqliteStore({ dataDir: dir, keyProvider: memoryKey(stationKey) });
      try {
        if (from >= 1) {
          expect(await store.ledger.claim(testImei(1))).toMatchObject({
            kind: 'existing',
            credential: { credentialId: 'old-1' },
          });
          expect(await store.ledger.secretsFor('old-1')).toEqual({ password: 'kept-secret' });
          expect(await store.ledger.claim(testImei(2))).toMatchObject({
            kind: 'assigned',
            credential: { credentialId: 'old-2' },
          });
        }
        // Everything of the latest schema works on the migrated data.
        const runId = await store.history.beginRun({
          station: 's',
          profile: { hash: 'h', name: 'n', content: '{}' },
          startedAt: 1,
        });
        const unit = await store.history.beginUnit(runId, { port: 'p', startedAt: 1 });
        await store.history.finishUnit(unit, { result: 'pass', durationMs: 1, finishedAt: 2 });
        expect(await store.history.units({ runId })).toHaveLength(1);
        await store.ledger.importCredentials([{ id: 'new', fields: {}, secrets: { password: 'x' } }]);
      } finally {
        await store.close();
      }
    });
  }

  it('refuses a database written by a newer station and leaves it untouched', async () => {
    const dir = dataDir();
    const file = join(dir, DATABASE_FILE_NAME);
    const db = new Database(file);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    const before = readFileSync(file);
    await expect(openSqliteStore({ dataDir: dir })).rejects.toMatchObject({
      code: 'schema-too-new',
      message: expect.stringMatching(/newer Fleet Station \(schema version \d+; this one knows up to \d+\)/) as unknown,
    });
    expect(readFileSync(file).equals(before)).toBe(true);
  });
});
