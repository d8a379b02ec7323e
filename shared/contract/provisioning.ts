/**
 * The steps of a provisioning run, in order (issue 10). The names are a contract: they appear in events, the store,
 * the CSV report's `step_<name>_ms` columns and `provision --json`, and production lines script them.
 */
export const PROVISION_STEPS = [
  'identify',
  'precheck',
  'credential',
  'upload',
  'sslcfg',
  'mqttcfg',
  'readback',
  'open',
  'connect',
  'subscribe',
  'publish',
  'receive',
  'close',
] as const;

export type ProvisionStepName = (typeof PROVISION_STEPS)[number];
