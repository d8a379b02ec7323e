import { stringify } from 'csv-stringify/sync';
import { columnsOf, type ReportCell, type ReportRow } from './rows';

/** A cell holding only a decimal number (`-1`, `42`, `-0.5`): a number to any spreadsheet, never a formula. */
const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/;

/**
 * The report as text: a UTF-8 byte order mark (so Excel reads UTF-8), a header row, one record per row, RFC 4180
 * (comma separated, CRLF after every record, a field quoted when it holds a comma, quote, CR or LF, quotes
 * doubled). Numbers are written as numbers; a text cell starting with `=`, `+`, `-`, `@`, tab or CR (or their
 * full-width forms) is prefixed with `'` so that no spreadsheet runs it as a formula, except a text that is just a
 * decimal number (an error code `-1`), which is a number and left as it is. Null cells and non-finite numbers are
 * empty.
 */
export function formatReport(rows: readonly ReportRow[], columns: readonly string[] = columnsOf(rows)): string {
  const records: ReportCell[][] = [[...columns], ...rows.map((row) => columns.map((column) => cell(row[column])))];
  return stringify(records, {
    bom: true,
    record_delimiter: 'windows',
    // Quote a field holding a lone CR or LF too (with an explicit record delimiter csv-stringify would otherwise
    // quote only a field holding the whole CRLF).
    quote_record_delimiter: true,
    escape_formulas: true,
    cast: {
      number: (value) => String(value),
      string: (value) => (PLAIN_NUMBER.test(value) ? { value, escape_formulas: false } : value),
    },
  });
}

function cell(value: ReportCell | undefined): ReportCell {
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  return value ?? null;
}
