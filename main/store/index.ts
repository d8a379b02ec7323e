/**
 * The station's stores: interfaces (`types.ts`), the SQLite implementation, the data directory, the station key.
 * The store takes plain data and imports nothing of provisioning, profiles or AT commands.
 */
export * from './types';
export { StoreError, type StoreErrorCode } from './errors';
export { imeiProblem, isImei, luhnCheckDigit } from './imei';
export { DATA_DIR_ENV, DATA_DIR_NAME, ensureDataDir, resolveDataDir, type DataDirSources } from './data-dir';
export { fileKeyProvider, keyFileProvider, KEY_FILE_NAME, plainKeyCodec, type KeyCodec } from './keys';
export { MAX_CREDENTIAL_ID_LENGTH } from './input-checks';
export {
  DATABASE_FILE_NAME,
  INTERRUPTED_ERROR,
  INTERRUPTED_ERROR_CODE,
  openSqliteStore,
  type LeaseOptions,
  type SqliteStoreOptions,
} from './sqlite';
