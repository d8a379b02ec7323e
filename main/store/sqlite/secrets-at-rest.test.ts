import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { testImei } from '../fixtures/rows';
import { findSecrets } from '../fixtures/scan';
import { DATABASE_FILE_NAME, openSqliteStore } from './index';

const scratch = mkdtempSync(join(tmpdir(), 'store-at-rest-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const SECRETS = [
  'Pool-Password-0001',
  'Pool-Password-0002',
  'Reserved-DeviceSecret-77',
  'Access-Key-BASE64ish==',
  'Corrected-Password-0001',
];

describe('secrets at rest', () => {
  it('never lie in clear in the data directory: database, WAL and shared memory, open or closed', async () => {
    const dataDir = join(scratch, 'station');
    const store = await openSqliteStore({ dataDir });
    const imported = await store.ledger.importCredentials([
      { id: 'p1', fields: { device_name: 'd1' }, secrets: { password: SECRETS[0] ?? '' } },
      { id: 'p2', fields: { device_name: 'd2' }, secrets: { password: SECRETS[1] ?? '' } },
      {
        id: testImei(5),
        imei: testImei(5),
        fields: { product_id: 'prod' },
        secrets: { device_secret: SECRETS[2] ?? '', access_key: SECRETS[3] ?? '' },
      },
    ]);
    expect(imported.ok).toBe(true);
    await store.ledger.claim(testImei(1));
    await store.ledger.claim(testImei(5));
    expect(await store.ledger.secretsFor(testImei(5))).toEqual({ device_secret: SECRETS[2], access_key: SECRETS[3] });
    const replaced = await store.ledger.importCredentials(
      [{ id: 'p1', fields: { device_name: 'd1' }, secrets: { password: SECRETS[4] ?? '' } }],
      { replace: true },
    );
    expect(replaced.ok).toBe(true);
    expect(await store.ledger.secretsFor('p1')).toEqual({ password: SECRETS[4] });

    // While the store is open, the recent writes are in the WAL: the scan covers it.
    const wal = join(dataDir, `${DATABASE_FILE_NAME}-wal`);
    expect(existsSync(wal) && statSync(wal).size > 0).toBe(true);
    expect(findSecrets(dataDir, SECRETS)).toEqual([]);
    await store.close();
    expect(findSecrets(dataDir, SECRETS)).toEqual([]);
  });
});
