/**
 * Provisioning profiles: the format (schema.ts, normalise.ts, profile.ts), loading with certificate checks
 * (load.ts, certificates.ts, pem.ts), the content hash (hash.ts), templates (templates.ts) and the pure compiler
 * from a profile and a unit to the plan the batch runs (compile.ts). docs/profiles.md describes the format.
 */
export {
  checkTls,
  type CertificateFacts,
  type FileRole,
  type KeyFacts,
  type PemFile,
  type TlsCheckInput,
  type TlsCheckResult,
} from './certificates';
export {
  compilePlan,
  ufsFileName,
  type PlannedNegative,
  type PlannedObserver,
  type PlannedUpload,
  type PlannedVerify,
  type ProvisioningPlan,
  type UnitValues,
} from './compile';
export { canonicalJson, profileHash, type HashedFile } from './hash';
export { DOCUMENT_PATH, formatIssue, type Checked, type ProfileIssue } from './issues';
export {
  loadProfile,
  loadProfileText,
  namedFiles,
  type LoadedProfile,
  type LoadOptions,
  type ProfileLoad,
} from './load';
export { checkProfileDocument, normaliseProfile, requiredColumns, type NormaliseOptions } from './normalise';
export { expectedQmtcfg, expectedSsl, qmtcfgDifference, sslDifference } from './readback';
export { encodePem, parsePem, type PemBlock, type PemParse } from './pem';
export type { Auth, MqttSection, Observer, Profile, SslSection, Verify } from './profile';
export { PROFILE_FORMAT, profileSchema, type ProfileDocument } from './schema';
export { MQTT_SUBCOMMANDS, SSL_PARAMETERS, type MqttSubCommand, type SslParameter } from './settings';
export {
  isSecretColumn,
  parseTemplate,
  placeholdersOf,
  renderTemplate,
  RUN_PLACEHOLDERS,
  UNIT_PLACEHOLDERS,
  type Template,
  type TemplateValues,
} from './templates';
export { loadUnitFiles, type UnitFileOptions, type UnitFiles } from './unit-files';
