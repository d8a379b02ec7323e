import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { storeContract } from '../fixtures/contract';
import { openSqliteStore } from './index';

storeContract('SQLite', {
  fresh: () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'store-contract-'));
    return Promise.resolve({
      open: (options = {}) => openSqliteStore({ dataDir, ...options }),
      cleanup: () => {
        rmSync(dataDir, { recursive: true, force: true });
        return Promise.resolve();
      },
    });
  },
});
