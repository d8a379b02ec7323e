import { PROVISION_STEPS } from '../../shared/contract/provisioning';
/**
 * The report's columns: a contract (issue 10), checked from outside exactly as written. New columns may be added
 * after these; none is ever renamed or moved.
 */

/** The fixed columns, in their order. */
export const REPORT_COLUMNS = [
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
] as const;

export type ReportColumn = (typeof REPORT_COLUMNS)[number];

/**
 * The steps of a provisioning run, in their order (issue 10): each has a `step_<name>_ms` column after the fixed
 * ones. Step names are data in the store; a step of another name found in the history gets a column of its own
 * after these, in the order it first appears.
 */
export const STEP_NAMES = PROVISION_STEPS;

/** `step_<name>_ms`. */
export function stepColumn(step: string): string {
  return `step_${step}_ms`;
}

/** The columns of a report: the fixed ones, the issue's step columns, then any other steps' columns. */
export function reportColumns(extraSteps: readonly string[] = []): string[] {
  const known = new Set<string>(STEP_NAMES);
  const extra = [...new Set(extraSteps)].filter((step) => !known.has(step));
  return [...REPORT_COLUMNS, ...[...STEP_NAMES, ...extra].map(stepColumn)];
}
