/**
 * Reports: the run history as a CSV file (issue 10, "Reports"; columns in docs/reports.md). Reads the store's
 * `History` only; the layer may import store, catalogue and base.
 */
import type { History, HistoryQuery } from '../store';
import { reportText } from './csv';
import { ReportError } from './errors';
import type { ReportOptions } from './rows';
import { checkTimeZone } from './time';
import { writeFileAtomic } from './write';

export { REPORT_COLUMNS, STEP_NAMES, reportColumns, stepColumn, type ReportColumn } from './columns';
export { formatReport, reportText } from './csv';
export { ReportError, type ReportErrorCode } from './errors';
export {
  columnsOf,
  reportRows,
  stepMs,
  type Redact,
  type ReportCell,
  type ReportOptions,
  type ReportRow,
} from './rows';
export { isoWithOffset, parseTime, TimeSyntaxError } from './time';
export { writeFileAtomic } from './write';

/** What `exportReport` wrote: the number of rows (units) and the absolute path of the file. */
export interface ExportedReport {
  readonly rows: number;
  readonly file: string;
}

function checkQuery(query: HistoryQuery): void {
  if ('runId' in query) {
    if (query.runId.trim() === '') throw new ReportError('bad-input', 'the run id is empty');
    return;
  }
  if (!Number.isFinite(query.since)) throw new ReportError('bad-input', `the start of the window is not a time`);
  if (query.until !== undefined && !(query.until > query.since)) {
    throw new ReportError('bad-input', 'the end of the window must come after its start');
  }
}

/**
 * Writes the report of one run (`{ runId }`) or of every run started in [since, until) to `file` (atomically;
 * missing folders are created) and returns how many rows it has. A window with no run gives a file with the
 * header only. Throws a ReportError: `unknown-run` when no run has that id, `bad-output` when `file` is a folder
 * or lies under a file, `bad-input` for a bad time window or time zone, `write-failed` when the disk refuses.
 */
export async function exportReport(
  history: History,
  query: HistoryQuery,
  file: string,
  options: ReportOptions = {},
): Promise<ExportedReport> {
  checkQuery(query);
  if (options.timeZone !== undefined) {
    try {
      checkTimeZone(options.timeZone);
    } catch (error) {
      throw new ReportError('bad-input', error instanceof Error ? error.message : String(error));
    }
  }
  if ('runId' in query && (await history.run(query.runId)) === undefined) {
    throw new ReportError('unknown-run', `no run ${query.runId} in the history`);
  }
  const units = await history.units(query);
  const written = await writeFileAtomic(file, reportText(units, options));
  return { rows: units.length, file: written };
}
