/**
 * Interfaces exactly as issue 10 writes them, spelled out here rather than imported from the product, so that the
 * tests that check the station from outside compare it with the issue and not with itself.
 */

/** The steps of a provisioning run, in order. */
export const ISSUE_STEPS: readonly string[] = [
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
];

/** The report's columns, in order: the fixed ones, then one `step_<name>_ms` per step. */
export const ISSUE_COLUMNS: readonly string[] = [
  'station',
  'operator',
  'work_order',
  'run_id',
  'started_at',
  'finished_at',
  'port',
  'imei',
  'iccid',
  'imsi',
  'model',
  'firmware',
  'profile',
  'profile_hash',
  'credential_id',
  'result',
  'failed_step',
  'error_code',
  'error',
  'round_trip_ms',
  'duration_ms',
  ...ISSUE_STEPS.map((step) => `step_${step}_ms`),
];
