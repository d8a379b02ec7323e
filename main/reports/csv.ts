import { stringify, type Options } from 'csv-stringify/sync';
import type { UnitRecord } from '../store';
import { reportColumns } from './columns';
import { columnsOf, extraSteps, reportRows, type ReportCell, type ReportOptions, type ReportRow } from './rows';

/**
 * A cell holding only a negative decimal number (`-1`, `-0.5`): a number to any spreadsheet, never a formula, so
 * it is not neutralised. (Non-negative ones never are; testing only these keeps the per-cell options, which cost
 * csv-stringify a normalisation each, off the common path.)
 */
const NEGATIVE_NUMBER = /^-\d+(\.\d+)?$/;

const CSV_OPTIONS: Options = {
  record_delimiter: 'windows',
  // Quote a field holding a lone CR or LF too (with an explicit record delimiter csv-stringify would otherwise
  // quote only a field holding the whole CRLF).
  quote_record_delimiter: true,
  escape_formulas: true,
  cast: {
    number: (value) => String(value),
    string: (value) => (NEGATIVE_NUMBER.test(value) ? { value, escape_formulas: false } : value),
  },
};

function cell(value: ReportCell | undefined): ReportCell {
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  return value ?? null;
}

function records(rows: readonly ReportRow[], columns: readonly string[]): ReportCell[][] {
  return rows.map((row) => columns.map((column) => cell(row[column])));
}

/**
 * The report as text: a UTF-8 byte order mark (so Excel reads UTF-8), a header row, one record per row, RFC 4180
 * (comma separated, CRLF after every record, a field quoted when it holds a comma, quote, CR or LF, quotes
 * doubled). Numbers are written as numbers; a text cell starting with `=`, `+`, `-`, `@`, tab or CR (or their
 * full-width forms) is prefixed with `'` so that no spreadsheet runs it as a formula, except a text that is just a
 * negative decimal number (an error code `-1`), which is a number and left as it is. Null cells and non-finite
 * numbers are empty.
 */
export function formatReport(rows: readonly ReportRow[], columns: readonly string[] = columnsOf(rows)): string {
  return stringify([[...columns], ...records(rows, columns)], { ...CSV_OPTIONS, bom: true });
}

/**
 * The same text as `formatReport(reportRows(units, options))`, in pieces of `chunkRows` units, so that a report of
 * a long history never holds all its rows and all its text at once: the BOM and header first, then each chunk.
 */
export function* reportText(
  units: readonly UnitRecord[],
  options: ReportOptions = {},
  chunkRows = 1000,
): Generator<string, void, undefined> {
  const columns = reportColumns(extraSteps(units));
  yield stringify([columns], { ...CSV_OPTIONS, bom: true });
  for (let start = 0; start < units.length; start += chunkRows) {
    yield stringify(records(reportRows(units.slice(start, start + chunkRows), options), columns), CSV_OPTIONS);
  }
}
