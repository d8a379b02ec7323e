import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatReport, reportColumns, type ReportCell, type ReportRow } from './index';

/** Characters that make a spreadsheet read a cell as a formula (OWASP's list, and their full-width forms). */
const FORMULA_START = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;
/** A cell that is just a decimal number: a number to a spreadsheet, not a formula. */
const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/;

function parsed(text: string): string[][] {
  return parse(text, { bom: true });
}

/** A row of the report with every column empty but these. */
function row(cells: Record<string, ReportCell>): ReportRow {
  return { ...Object.fromEntries(reportColumns().map((column) => [column, null])), ...cells };
}

describe('formatReport', () => {
  it('writes numbers as numbers, negative ones included, and neutralises texts that start a formula', () => {
    const text = formatReport([
      row({ round_trip_ms: -95, duration_ms: 0, error_code: '-95', error: '-95 dBm', station: '+1', operator: '@x' }),
      row({ error_code: '-1.5', error: '-1e5', station: '\uFF1Dcmd', operator: 'a=b', work_order: ' =1' }),
    ]);
    const [, first = [], second = []] = parsed(text);
    const cells = (record: string[], ...columns: string[]): string[] =>
      columns.map((column) => record[reportColumns().indexOf(column)] ?? '<missing>');
    expect(cells(first, 'round_trip_ms', 'duration_ms', 'error_code', 'error', 'station', 'operator')).toEqual([
      '-95',
      '0',
      '-95',
      "'-95 dBm",
      "'+1",
      "'@x",
    ]);
    expect(cells(second, 'error_code', 'error', 'station', 'operator', 'work_order')).toEqual([
      '-1.5',
      "'-1e5",
      "'\uFF1Dcmd",
      'a=b',
      ' =1',
    ]);
    expect(text).toContain(`\r\n${['+1', '@x'].map((cell) => `'${cell}`).join(',')},`);
  });

  it('writes empty cells for null and for numbers that are not finite', () => {
    const text = formatReport([row({ duration_ms: Number.NaN, round_trip_ms: Number.POSITIVE_INFINITY })]);
    expect(parsed(text)[1]?.every((cell) => cell === '')).toBe(true);
  });

  it('adds columns the rows have beyond the contract ones, after them', () => {
    const [header = []] = parsed(formatReport([row({ step_negative_ms: 12 })]));
    expect(header).toEqual([...reportColumns(), 'step_negative_ms']);
  });

  // Any text, biased towards the characters that matter (formula starters, quotes, separators, line breaks).
  const tricky = fc.constantFrom('=', '+', '-', '@', '\t', '\r', '\n', '\r\n', '"', ',', ';', '\uFF1D', '\uFF0D', ' ');
  const text = fc.oneof(
    fc.string({ unit: 'binary' }),
    fc.tuple(tricky, fc.string({ unit: 'binary' })).map(([head, tail]) => head + tail),
    fc
      .array(fc.oneof(tricky, fc.string({ unit: 'binary-ascii', maxLength: 3 })), { maxLength: 8 })
      .map((parts) => parts.join('')),
    fc.integer().map(String),
  );
  const cell: fc.Arbitrary<ReportCell> = fc.oneof(
    text,
    fc.integer({ min: -1_000_000_000, max: 1_000_000_000 }),
    fc.constant(null),
  );

  it('round-trips any text through csv-parse, and no text cell ever starts a formula (property)', () => {
    const columns = reportColumns();
    fc.assert(
      fc.property(
        fc.array(fc.array(cell, { minLength: columns.length, maxLength: columns.length }), { maxLength: 5 }),
        (table) => {
          const rows = table.map((cells) => Object.fromEntries(columns.map((column, i) => [column, cells[i] ?? null])));
          const out = formatReport(rows);
          expect(out.startsWith('\uFEFF')).toBe(true);
          expect(out.endsWith('\r\n')).toBe(true);
          // RFC 4180: outside quoted fields, the only line breaks are the CRLF record ends.
          const outsideQuotes = out.replace(/"(?:[^"]|"")*"/g, '');
          expect(outsideQuotes.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
          expect(outsideQuotes.split('\r\n')).toHaveLength(table.length + 2);
          const [header, ...records] = parsed(out);
          expect(header).toEqual(columns);
          expect(records).toHaveLength(table.length);
          for (const [r, cells] of table.entries()) {
            for (const [c, value] of cells.entries()) {
              const got = records[r]?.[c];
              if (value === null) expect(got).toBe('');
              else if (typeof value === 'number') expect(got).toBe(String(value));
              else {
                const neutralised = FORMULA_START.test(value) && !PLAIN_NUMBER.test(value);
                expect(got).toBe(neutralised ? `'${value}` : value);
                expect(FORMULA_START.test(got ?? '') && !PLAIN_NUMBER.test(got ?? '')).toBe(false);
              }
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
