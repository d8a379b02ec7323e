import { redactText } from '../catalogue';
import type { StepRecord, UnitRecord } from '../store';
import { reportColumns, STEP_NAMES, stepColumn, type ReportColumn } from './columns';
import { isoWithOffset } from './time';

/** One cell: text, a number (written as a number), or null for an empty cell. */
export type ReportCell = string | number | null;

/** One row of the report, keyed by column name: every fixed column and every step column of its report. */
export type ReportRow = Readonly<Record<string, ReportCell>>;

/** Masks secrets in free text; by default the command catalogue's redactor (the station's one redactor). */
export type Redact = (text: string) => string;

export interface ReportOptions {
  /**
   * The time zone of the times written (an IANA name such as `Europe/Paris`); by default the station's own (the
   * system's, or the TZ environment variable).
   */
  readonly timeZone?: string;
  /**
   * Run over every text cell before it is written, so that no secret reaches the file even if one slipped into
   * the history's free text (an error message). Defaults to the catalogue's `redactText`; a caller that knows
   * more (the batch's own secret values) passes a stricter one.
   */
  readonly redact?: Redact;
}

/**
 * The time a step took, in whole milliseconds: from the start of its first attempt to the end of its last (so a
 * step tried again includes the pause between its attempts). Null when it never ran (no record, or only `skipped`
 * ones), or when its last attempt has no duration (still running, or cut off by a crash: `interrupted`).
 */
export function stepMs(steps: readonly StepRecord[], name: string): number | null {
  const attempts = steps.filter((step) => step.name === name && step.status !== 'skipped');
  const first = attempts[0];
  const last = attempts.at(-1);
  if (first === undefined || last?.durationMs === undefined) return null;
  return Math.round(last.startedAt + last.durationMs - first.startedAt);
}

function whole(ms: number | undefined): number | null {
  return ms === undefined ? null : Math.round(ms);
}

/** The steps recorded in these units whose names are not among the issue's, in the order they first appear. */
export function extraSteps(records: readonly UnitRecord[]): string[] {
  const known = new Set<string>(STEP_NAMES);
  const extra = new Set<string>();
  for (const record of records) {
    for (const step of record.steps) if (!known.has(step.name)) extra.add(step.name);
  }
  return [...extra];
}

/**
 * The report's rows for these per-unit records (`History.units`), one per unit per run, in the same order. Every
 * row has every column of the report (`reportColumns` with the extra steps found here); empty cells are null.
 * Pure: no clock, no I/O.
 */
export function reportRows(records: readonly UnitRecord[], options: ReportOptions = {}): ReportRow[] {
  const redact = options.redact ?? redactText;
  const time = (ms: number | undefined): string | null =>
    ms === undefined ? null : isoWithOffset(ms, options.timeZone);
  const text = (value: string | undefined): string | null => (value === undefined ? null : redact(value));
  const steps = [...STEP_NAMES, ...extraSteps(records)];
  return records.map((record) => {
    const { run } = record;
    const fixed: Record<ReportColumn, ReportCell> = {
      station: text(run.station),
      operator: text(run.operator),
      work_order: text(run.workOrder),
      run_id: text(run.id),
      started_at: time(record.startedAt),
      finished_at: time(record.finishedAt),
      port: text(record.port),
      imei: text(record.imei),
      iccid: text(record.iccid),
      imsi: text(record.imsi),
      model: text(record.model),
      firmware: text(record.firmware),
      profile: text(run.profileName),
      profile_hash: text(run.profileHash),
      credential_id: text(record.credentialId),
      result: text(record.result),
      failed_step: text(record.failedStep),
      error_code: text(record.errorCode),
      error: text(record.error),
      round_trip_ms: whole(record.roundTripMs),
      duration_ms: whole(record.durationMs),
    };
    const row: Record<string, ReportCell> = { ...fixed };
    for (const step of steps) row[stepColumn(step)] = stepMs(record.steps, step);
    return row;
  });
}

/** The columns of these rows: the fixed ones and the steps, then any other step columns the rows have. */
export function columnsOf(rows: readonly ReportRow[]): string[] {
  const columns = new Set(reportColumns());
  for (const row of rows) for (const column of Object.keys(row)) columns.add(column);
  return [...columns];
}
