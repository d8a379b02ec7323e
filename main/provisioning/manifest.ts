import { readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { CsvError } from 'csv-parse';
import { parse } from 'csv-parse/sync';
import { imeiProblem, MAX_CREDENTIAL_ID_LENGTH, type CredentialInput } from '../store';

/**
 * The credential manifest: a CSV file (RFC 4180, UTF-8 with or without BOM, CRLF or LF) with a header row. Each
 * row is one credential. `imei` reserves the row for that unit; rows without one form the pool, handed out in file
 * order. `credential_id` is the row's stable id (the IMEI when absent). `cacert`, `clientcert`, `clientkey` name
 * per-device files (relative to the manifest's folder) that override the profile's. Every other column is free and
 * usable in the profile's templates; secret columns are recognised by name (`isSecretColumn`).
 *
 * Every cell is checked as if it were going into an AT command, because it may: no double quote, no control or
 * invisible character, no more bytes than the AT field it feeds takes. Problems name the line and column and
 * never show a cell's value (only ids and IMEIs, which are not secret); all of them are reported at once.
 */

export const ID_COLUMN = 'credential_id';
export const IMEI_COLUMN = 'imei';
/** Columns holding paths of per-device files: station-side paths, never sent to a module, never secret values. */
export const FILE_COLUMNS: readonly string[] = ['cacert', 'clientcert', 'clientkey'];

/** Largest manifest accepted (a million rows of a few columns stay far below it). */
export const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;
/** Longest file path accepted in a file column. */
export const MAX_PATH_BYTES = 4096;

const SECRET_NAMES = new Set(['password', 'device_secret', 'access_key', 'secret']);
const SECRET_SUFFIXES = ['_secret', '_password', '_key'];

/**
 * Whether a column holds secret values: `password`, `device_secret`, `access_key`, `secret`, or a name ending in
 * `_secret`, `_password` or `_key` (so `product_key` is kept secret too). `clientkey` is a file column: its value
 * is a path, and the key file it names stays where it is; the station never copies a private key into its store.
 */
export function isSecretColumn(column: string): boolean {
  return SECRET_NAMES.has(column) || SECRET_SUFFIXES.some((suffix) => column.endsWith(suffix));
}

/**
 * The longest value (UTF-8 bytes) of a column, from the AT field it goes into: the limits of the command library
 * (`main/at/commands`), which checks every parameter again before a line is built. A free column may land in any
 * template: a client id, a user name or a topic (256 bytes each, the largest quoted text fields besides the
 * password).
 */
export const AT_FIELD_LIMITS: Readonly<Record<string, { readonly bytes: number; readonly field: string }>> = {
  password: { bytes: 512, field: 'AT+QMTCONN <password>' },
  username: { bytes: 256, field: 'AT+QMTCONN <username>' },
  client_id: { bytes: 256, field: 'AT+QMTCONN <clientID>' },
  product_key: { bytes: 64, field: 'AT+QMTCFG="aliauth" <product key>' },
  device_name: { bytes: 64, field: 'AT+QMTCFG="aliauth" <device name>' },
  device_secret: { bytes: 128, field: 'AT+QMTCFG="aliauth" <device secret>' },
  product_id: { bytes: 64, field: 'AT+QMTCFG="onenet" <product id>' },
  access_key: { bytes: 128, field: 'AT+QMTCFG="onenet" <access key>' },
};
export const FREE_COLUMN_LIMIT = { bytes: 256, field: 'a client id, user name or topic' } as const;

export interface ManifestOptions {
  /** Columns every row must have a value in (the manifest columns the profile's templates use). */
  readonly requiredColumns?: readonly string[];
  /** The folder relative file columns are resolved against (the manifest's own folder). */
  readonly baseDir?: string;
}

export interface ManifestRow {
  /** The line of the file the row starts on (the header is line 1). */
  readonly line: number;
  readonly id: string;
  readonly imei?: string;
  /** Every non-empty cell by column, file columns resolved to absolute paths when a base folder is known. */
  readonly values: Readonly<Record<string, string>>;
}

export interface Manifest {
  readonly columns: readonly string[];
  readonly secretColumns: readonly string[];
  readonly rows: readonly ManifestRow[];
}

export interface ManifestProblem {
  readonly line: number;
  readonly column?: string;
  readonly message: string;
}

/** A manifest that cannot be used, with every problem found. Its message never contains a cell's value. */
export class ManifestError extends Error {
  constructor(readonly problems: readonly ManifestProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ManifestError';
  }
}

export function formatProblem(problem: ManifestProblem): string {
  return `line ${problem.line}${problem.column !== undefined ? `, column ${problem.column}` : ''}: ${problem.message}`;
}

/** Stop collecting after this many problems: a wrong file gives a screenful, not a million lines. */
const MAX_PROBLEMS = 200;

/** Parses and checks a manifest's bytes; throws ManifestError listing every problem. */
export function parseManifest(bytes: Uint8Array, options: ManifestOptions = {}): Manifest {
  const problems = new Problems();
  const input = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  checkEncoding(input, problems);
  problems.throwIfAny();
  const records = readRecords(input, problems);
  problems.throwIfAny();

  const headerRecord = records.find((record) => !isBlank(record.cells));
  if (headerRecord === undefined)
    throw new ManifestError([{ line: 1, message: 'the file is empty: a header row is needed' }]);
  const columns = headerRecord.cells.map((cell) => cell.trim().toLowerCase());
  checkHeader(columns, headerRecord.line, problems);
  for (const required of options.requiredColumns ?? []) {
    if (!columns.includes(required)) {
      problems.add(headerRecord.line, required, 'the profile needs this column, and the header does not have it');
    }
  }
  if (!columns.includes(ID_COLUMN) && !columns.includes(IMEI_COLUMN)) {
    problems.add(
      headerRecord.line,
      undefined,
      `the header needs a ${ID_COLUMN} column, an ${IMEI_COLUMN} column, or both`,
    );
  }
  problems.throwIfAny();

  const rows: ManifestRow[] = [];
  const idLines = new Map<string, number>();
  const imeiLines = new Map<string, number>();
  for (const record of records) {
    if (record === headerRecord || record.line < headerRecord.line || isBlank(record.cells)) continue;
    const row = checkRow(record, columns, options, problems);
    if (row === undefined) continue;
    const firstId = idLines.get(row.id);
    if (firstId !== undefined) {
      problems.add(
        row.line,
        row.values[ID_COLUMN] !== undefined ? ID_COLUMN : IMEI_COLUMN,
        `duplicate credential id ${row.id} (first on line ${firstId})`,
      );
    } else idLines.set(row.id, row.line);
    if (row.imei !== undefined) {
      const firstImei = imeiLines.get(row.imei);
      if (firstImei !== undefined) {
        problems.add(row.line, IMEI_COLUMN, `duplicate IMEI ${row.imei}: also reserved on line ${firstImei}`);
      } else imeiLines.set(row.imei, row.line);
    }
    rows.push(row);
  }
  problems.throwIfAny();
  return { columns, secretColumns: columns.filter(isSecretColumn), rows };
}

/**
 * Reads and checks a manifest file; relative file columns are resolved against its folder, and every file they
 * name must exist.
 */
export async function loadManifest(path: string, options: Omit<ManifestOptions, 'baseDir'> = {}): Promise<Manifest> {
  const info = await stat(path);
  if (!info.isFile()) throw new ManifestError([{ line: 0, message: `${path} is not a regular file` }]);
  if (info.size > MAX_MANIFEST_BYTES) {
    throw new ManifestError([{ line: 0, message: `the manifest is larger than ${MAX_MANIFEST_BYTES} bytes` }]);
  }
  const manifest = parseManifest(await readFile(path), { ...options, baseDir: dirname(resolve(path)) });
  const problems = new Problems();
  for (const row of manifest.rows) {
    for (const column of FILE_COLUMNS) {
      const file = row.values[column];
      if (file === undefined) continue;
      const found = await stat(file).catch(() => undefined);
      if (found === undefined) problems.add(row.line, column, `no such file: ${file}`);
      else if (!found.isFile()) problems.add(row.line, column, `not a regular file: ${file}`);
    }
  }
  problems.throwIfAny();
  return manifest;
}

/** The manifest's rows as the ledger takes them: clear columns and secret columns apart. */
export function toCredentialInputs(manifest: Manifest): CredentialInput[] {
  return manifest.rows.map((row) => {
    const fields: Record<string, string> = {};
    const secrets: Record<string, string> = {};
    for (const [column, value] of Object.entries(row.values)) {
      if (column === ID_COLUMN || column === IMEI_COLUMN) continue;
      if (isSecretColumn(column)) secrets[column] = value;
      else fields[column] = value;
    }
    return { id: row.id, ...(row.imei !== undefined ? { imei: row.imei } : {}), fields, secrets, line: row.line };
  });
}

// ------------------------------------------------------------------------------------------------ internals

class Problems {
  private readonly list: ManifestProblem[] = [];

  add(line: number, column: string | undefined, message: string): void {
    if (this.list.length < MAX_PROBLEMS) this.list.push({ line, ...(column !== undefined ? { column } : {}), message });
  }

  throwIfAny(): void {
    if (this.list.length > 0) throw new ManifestError(this.list);
  }
}

interface RawRecord {
  readonly line: number;
  readonly cells: readonly string[];
}

function isBlank(cells: readonly string[]): boolean {
  return cells.every((cell) => cell === '');
}

/** UTF-8 only: UTF-16 (Excel's "Unicode text") and invalid byte sequences are refused with the line they are on. */
function checkEncoding(input: Buffer, problems: Problems): void {
  if ((input[0] === 0xff && input[1] === 0xfe) || (input[0] === 0xfe && input[1] === 0xff)) {
    problems.add(1, undefined, 'the file is UTF-16: save it as "CSV UTF-8"');
    return;
  }
  if (isUtf8(input)) return;
  let line = 1;
  let start = 0;
  for (let i = 0; i <= input.length; i++) {
    if (i === input.length || input[i] === 0x0a) {
      if (!isUtf8(input.subarray(start, i))) {
        problems.add(line, undefined, 'the line is not valid UTF-8: save the file as "CSV UTF-8"');
        return;
      }
      line += 1;
      start = i + 1;
    }
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
function isUtf8(bytes: Uint8Array): boolean {
  try {
    utf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** Splits the file into records with csv-parse, each with the line it starts on. */
function readRecords(input: Buffer, problems: Problems): RawRecord[] {
  const breaks = lineBreaks(input);
  const records: RawRecord[] = [];
  let start = 0;
  try {
    parse(input, {
      bom: true,
      delimiter: ',',
      quote: '"',
      escape: '"',
      // RFC 4180 says CRLF; files edited on Unix say LF; one file may have both.
      record_delimiter: ['\r\n', '\n', '\r'],
      relax_column_count: true,
      skip_empty_lines: false,
      on_record: (record: string[], context) => {
        records.push({ line: lineOf(breaks, start), cells: record });
        start = context.bytes;
        return null;
      },
    });
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    const line = typeof error.lines === 'number' ? error.lines : lineOf(breaks, start);
    problems.add(line, undefined, csvProblem(error));
  }
  return records;
}

/** What a csv-parse error means, in words that never quote the file's content. */
function csvProblem(error: CsvError): string {
  switch (error.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'a quoted field is never closed (its opening quote is on this line or before)';
    case 'INVALID_OPENING_QUOTE':
      return 'a double quote inside an unquoted field: quote the whole field and double the quote inside it ("")';
    case 'CSV_INVALID_CLOSING_QUOTE':
    case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
      return 'text after a closing quote: a double quote inside a quoted field must be doubled ("")';
    default:
      return `the file is not valid CSV (RFC 4180): ${error.code}`;
  }
}

/** Byte offsets where lines end (LF, CRLF counted once, or a lone CR). */
function lineBreaks(input: Buffer): number[] {
  const offsets: number[] = [];
  for (let i = 0; i < input.length; i++) {
    const byte = input[i];
    if (byte === 0x0a || (byte === 0x0d && input[i + 1] !== 0x0a)) offsets.push(i);
  }
  return offsets;
}

/** The 1-based line holding byte `offset`: one more than the line breaks before it. */
function lineOf(breaks: readonly number[], offset: number): number {
  let low = 0;
  let high = breaks.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((breaks[mid] ?? 0) < offset) low = mid + 1;
    else high = mid;
  }
  return low + 1;
}

const COLUMN_NAME = /^[a-z][a-z0-9_]*$/;

function checkHeader(columns: readonly string[], line: number, problems: Problems): void {
  const seen = new Set<string>();
  columns.forEach((column, index) => {
    if (column === '') problems.add(line, undefined, `column ${index + 1} has no name`);
    else if (!COLUMN_NAME.test(column)) {
      problems.add(
        line,
        undefined,
        `column ${index + 1}: a name is a letter then letters, digits or _ (got ${JSON.stringify(column.slice(0, 40))})`,
      );
    } else if (seen.has(column)) problems.add(line, column, 'the column appears twice in the header');
    seen.add(column);
  });
}

function checkRow(
  record: RawRecord,
  columns: readonly string[],
  options: ManifestOptions,
  problems: Problems,
): ManifestRow | undefined {
  const { line, cells } = record;
  if (cells.length !== columns.length) {
    problems.add(line, undefined, `the row has ${cells.length} fields and the header ${columns.length}`);
    return undefined;
  }
  let ok = true;
  const values: Record<string, string> = {};
  cells.forEach((cell, index) => {
    const column = columns[index] ?? '';
    if (cell === '') return;
    const problem = cellProblem(column, cell);
    if (problem !== undefined) {
      problems.add(line, column, problem);
      ok = false;
      return;
    }
    values[column] =
      FILE_COLUMNS.includes(column) && options.baseDir !== undefined && !isAbsolute(cell)
        ? resolve(options.baseDir, cell)
        : cell;
  });
  for (const required of options.requiredColumns ?? []) {
    if (columns.includes(required) && values[required] === undefined && cells[columns.indexOf(required)] === '') {
      problems.add(line, required, 'empty, and the profile needs a value here');
      ok = false;
    }
  }
  const imei = values[IMEI_COLUMN];
  const id = values[ID_COLUMN] ?? imei;
  if (id === undefined && ok) {
    problems.add(line, undefined, `the row needs a ${ID_COLUMN} or an ${IMEI_COLUMN} (its stable id)`);
    return undefined;
  }
  if (!ok || id === undefined) return undefined;
  return { line, id, ...(imei !== undefined ? { imei } : {}), values };
}

const encoder = new TextEncoder();

/**
 * Why a cell cannot be used, or undefined. A double quote, a control character (CR and LF included) or an invisible
 * one (format characters such as bidi overrides and zero-width spaces, line and paragraph separators, unassigned
 * and private-use code points) could end an AT string or hide what it says: refused in every column.
 */
export function cellProblem(column: string, value: string): string | undefined {
  if (column === IMEI_COLUMN) {
    const problem = imeiProblem(value);
    if (problem === undefined) return undefined;
    return /^[0-9A-Za-z.+ -]{1,32}$/.test(value) ? `${value}: ${problem}` : problem;
  }
  const unsafe = unsafeCharacter(value);
  if (unsafe !== undefined) return `contains ${unsafe}, which no AT command can carry safely`;
  const bytes = encoder.encode(value).length;
  if (column === ID_COLUMN) {
    return bytes > MAX_CREDENTIAL_ID_LENGTH ? `longer than ${MAX_CREDENTIAL_ID_LENGTH} bytes` : undefined;
  }
  if (FILE_COLUMNS.includes(column))
    return bytes > MAX_PATH_BYTES ? `a path longer than ${MAX_PATH_BYTES} bytes` : undefined;
  const limit = AT_FIELD_LIMITS[column] ?? FREE_COLUMN_LIMIT;
  if (bytes > limit.bytes) return `${bytes} bytes, longer than ${limit.field} takes (${limit.bytes} bytes)`;
  return undefined;
}

const INVISIBLE = /[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Cs}]/u;

function unsafeCharacter(value: string): string | undefined {
  if (value.includes('"')) return 'a double quote';
  const match = INVISIBLE.exec(value);
  if (match === null) return undefined;
  const code = match[0].codePointAt(0) ?? 0;
  const hex = code.toString(16).toUpperCase().padStart(4, '0');
  if (code === 0x0d || code === 0x0a) return 'a line break (CR or LF)';
  return code < 0x20 || code === 0x7f || (code >= 0x80 && code < 0xa0)
    ? `a control character (U+${hex})`
    : `an invisible or non-printable character (U+${hex})`;
}
