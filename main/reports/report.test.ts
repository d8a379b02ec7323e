import { ISSUE_COLUMNS as HEADER } from '../testing/issue-contract';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redactLine } from '../core/redact';
import { openSqliteStore, type Store } from '../store';
import { memoryKey, testImei } from '../store/fixtures/rows';
import { findSecrets } from '../store/fixtures/scan';
import { DANGEROUS_ERRORS, LEAKED_PASSWORD, PROFILE_HASH, recordShift, T0, T1, TIME_ZONE } from './fixtures/shift';
import { exportReport, formatReport, REPORT_COLUMNS, ReportError, reportRows, reportText, STEP_NAMES } from './index';

/**
 * The report of a shift recorded in a real SQLite store through the History API, written by `exportReport` and
 * checked byte by byte where the format matters (BOM, CRLF, quoting) and cell by cell through csv-parse.
 */

const scratch = mkdtempSync(join(tmpdir(), 'reports-'));
let store: Store;

beforeAll(async () => {
  store = await openSqliteStore({ dataDir: join(scratch, 'data'), keyProvider: memoryKey() });
  await recordShift(store.history);
});

afterAll(async () => {
  await store.close();
  rmSync(scratch, { recursive: true, force: true });
});

/** The step cells, identify to close, then the extra `negative` step of run B. */
function steps(...cells: (number | '')[]): Record<string, string> {
  const names = [...STEP_NAMES, 'negative'];
  return Object.fromEntries(names.map((name, i) => [`step_${name}_ms`, String(cells[i] ?? '')]));
}

const RUN_A = {
  station: 'line-a-1',
  operator: 'Zoë Müller',
  work_order: 'WO-7, lot "B"',
  run_id: 'run-a',
  profile: 'line-a-mtls',
  profile_hash: PROFILE_HASH,
};

function unit(n: number, model: 'EC200U' | 'EC600U'): Record<string, string> {
  return {
    imei: testImei(n),
    iccid: `8986001234567890${String(n).padStart(4, '0')}`,
    imsi: `46000123456${String(n).padStart(4, '0')}`,
    model,
    firmware: model === 'EC200U' ? 'EC200UCNAAR03A03M08' : 'EC600UCNLBR03A03M08',
  };
}

async function exported(
  name: string,
  query: Parameters<typeof exportReport>[1],
): Promise<{ text: string; rows: Record<string, string>[]; header: string[]; result: { rows: number; file: string } }> {
  const file = join(scratch, 'out', name);
  const result = await exportReport(store.history, query, file, { timeZone: TIME_ZONE, redact: redactLine });
  const bytes = readFileSync(file);
  const text = bytes.toString('utf8');
  const records: string[][] = parse(bytes, { bom: true, relax_column_count: false });
  const [header = [], ...body] = records;
  return {
    text,
    header,
    result,
    rows: body.map((cells) => Object.fromEntries(header.map((column, i) => [column, cells[i] ?? '<missing>']))),
  };
}

describe('exportReport on a real store', () => {
  it('writes every unit of every run, with a BOM, CRLF record ends and the contract columns in order', async () => {
    const { text, header, rows, result } = await exported('all.csv', { since: 0 });
    expect(result).toEqual({ rows: 15, file: join(scratch, 'out', 'all.csv') });
    expect(readFileSync(result.file).subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(header).toEqual([...HEADER, 'step_negative_ms']);
    expect(header.slice(0, REPORT_COLUMNS.length)).toEqual([...REPORT_COLUMNS]);
    expect(text.startsWith(`\uFEFF${[...HEADER, 'step_negative_ms'].join(',')}\r\n`)).toBe(true);
    expect(text.endsWith('\r\n')).toBe(true);
    // Every line break outside a quoted field is CRLF: dropping the quoted fields leaves no bare CR or LF.
    const outsideQuotes = text.replace(/"(?:[^"]|"")*"/g, '');
    expect(outsideQuotes.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    expect(outsideQuotes.split('\r\n')).toHaveLength(15 + 2);
    expect(rows.map((row) => [row.run_id, row.port])).toEqual([
      ...['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12'].map((n) => ['run-a', `/dev/ttyUSB${n}`]),
      ['run-b', '/dev/ttyUSB1'],
      ['run-c', '/dev/ttyACM0'],
    ]);

    // A unit that passed; its connect was tried twice (300 ms, a 200 ms pause, 600 ms).
    expect(rows[0]).toEqual({
      ...RUN_A,
      started_at: '2026-11-30T10:15:03.130+01:00',
      finished_at: '2026-11-30T10:15:11.305+01:00',
      port: '/dev/ttyUSB0',
      ...unit(1, 'EC200U'),
      credential_id: 'c-0001',
      result: 'pass',
      failed_step: '',
      error_code: '',
      error: '',
      round_trip_ms: '842',
      duration_ms: '8175',
      ...steps(120, 340, 15, 2100, 260, 480, 610, 1500, 1100, 400, 300, 250, 700, ''),
    });
    // The raw line: numbers as numbers, the work order quoted with its quotes doubled.
    expect(text).toContain(
      `\r\nline-a-1,Zoë Müller,"WO-7, lot ""B""",run-a,2026-11-30T10:15:03.130+01:00,2026-11-30T10:15:11.305+01:00,` +
        `/dev/ttyUSB0,${testImei(1)},89860012345678900001,460001234560001,EC200U,EC200UCNAAR03A03M08,line-a-mtls,` +
        `${PROFILE_HASH},c-0001,pass,,,,842,8175,120,340,15,2100,260,480,610,1500,1100,400,300,250,700,\r\n`,
    );

    // A wrong password: fails at connect; the steps that never ran are empty, close ran afterwards.
    expect(rows[1]).toEqual({
      ...RUN_A,
      started_at: '2026-11-30T10:15:03.140+01:00',
      finished_at: '2026-11-30T10:15:06.150+01:00',
      port: '/dev/ttyUSB1',
      ...unit(2, 'EC600U'),
      credential_id: 'c-0002',
      result: 'fail',
      failed_step: 'connect',
      error_code: '5',
      error: 'CONNECT refused with code 5: not authorized: check the user name and password',
      round_trip_ms: '',
      duration_ms: '3010',
      ...steps(100, 100, 10, 1000, 100, 100, 100, 900, 450, '', '', '', 150, ''),
    });

    // An error with a comma, quotes and a line break, and a result code starting with "+".
    expect(rows[2]).toMatchObject({
      finished_at: '2026-11-30T10:15:04.860+01:00',
      result: 'fail',
      failed_step: 'upload',
      error_code: "'+CME ERROR: 407",
      error: 'upload of "UFS:ctx2_cacert.pem" failed, the module stored 1200 bytes\r\nexpected 1234',
      duration_ms: '1710',
      ...steps(100, 100, 10, 1500, '', '', '', '', '', '', '', '', '', ''),
    });
    expect(text).toContain(
      ',"upload of ""UFS:ctx2_cacert.pem"" failed, the module stored 1200 bytes\r\nexpected 1234",,1710,',
    );

    // Error code -1 is a number and stays one; an error text starting with "-" is neutralised.
    expect(rows[3]).toMatchObject({
      failed_step: 'open',
      error_code: '-1',
      error: "'-1: the TLS handshake failed, check the CA",
      ...steps(100, 100, 10, 1000, 100, 100, 100, 2000, '', '', '', '', '', ''),
    });
    expect(text).toContain(',fail,open,-1,"\'-1: the TLS handshake failed, check the CA",,3510,');

    // Each dangerous first character, neutralised with a leading apostrophe, the rest of the text kept.
    expect(rows.slice(4, 10).map((row) => row.error)).toEqual(DANGEROUS_ERRORS.map((error) => `'${error}`));
    expect(rows[4]).toMatchObject({
      started_at: '2026-11-30T10:15:03.170+01:00',
      finished_at: '2026-11-30T10:15:03.470+01:00',
      credential_id: '',
      ...steps(100, 200, '', '', '', '', '', '', '', '', '', '', '', ''),
    });
    expect(text).toContain(',failed,"\'\r=1+1",,300,');

    // A password inside an AT line in an error text is masked by the redactor.
    expect(rows[10]?.error).toMatch(new RegExp(`^AT\\+QMTCONN=0,"${testImei(11)}","${testImei(11)}",.*\\*\\*\\*`));
    expect(rows[10]?.error).not.toContain(LEAKED_PASSWORD);

    // A unit that never answered: no identity, only its identify step has a time.
    expect(rows[11]).toEqual({
      ...RUN_A,
      started_at: '2026-11-30T10:15:03.190+01:00',
      finished_at: '2026-11-30T10:15:03.490+01:00',
      port: '/dev/ttyUSB11',
      imei: '',
      iccid: '',
      imsi: '',
      model: '',
      firmware: '',
      credential_id: '',
      result: 'fail',
      failed_step: 'identify',
      error_code: 'timeout',
      error: 'no answer to AT+GSN within 300 ms',
      round_trip_ms: '',
      duration_ms: '300',
      ...steps(300),
    });

    // Cancelled during publish: the cancelled step's time is kept.
    expect(rows[12]).toMatchObject({
      result: 'cancelled',
      failed_step: 'publish',
      error_code: 'cancelled',
      error: 'cancelled by the operator',
      duration_ms: '3330',
      ...steps(100, 100, 10, 1000, 100, 100, 100, 900, 500, 300, 120, '', '', ''),
    });

    // Summer time: +02:00; no operator or work order; a step outside the thirteen gets its own column.
    expect(rows[13]).toEqual({
      station: 'line-a-1',
      operator: '',
      work_order: '',
      run_id: 'run-b',
      started_at: '2027-06-15T08:00:00.005+02:00',
      finished_at: '2027-06-15T08:00:05.165+02:00',
      port: '/dev/ttyUSB1',
      ...unit(2, 'EC600U'),
      profile: 'line-a-mtls',
      profile_hash: PROFILE_HASH,
      credential_id: 'c-0002',
      result: 'pass',
      failed_step: '',
      error_code: '',
      error: '',
      round_trip_ms: '377',
      duration_ms: '5160',
      ...steps(100, 100, 10, 1000, 100, 100, 100, 900, 500, 300, 200, 150, 400, 1200),
    });

    // A unit still running (its store is open): no result, no finish, its running step empty.
    expect(rows[14]).toMatchObject({
      station: 'line-a-2',
      operator: "'@ops",
      started_at: '2027-06-16T08:00:00.005+02:00',
      finished_at: '',
      result: '',
      duration_ms: '',
      ...steps(100, 100, 10, '', '', '', '', '', '', '', '', '', '', ''),
    });
  });

  it('writes the same text piece by piece as formatReport makes at once', async () => {
    const options = { timeZone: TIME_ZONE, redact: redactLine };
    const units = await store.history.units({ since: 0 });
    const whole = formatReport(reportRows(units, options));
    expect([...reportText(units, options, 4)].join('')).toBe(whole);
    expect([...reportText(units, options, 1)]).toHaveLength(units.length + 1);
    const file = join(scratch, 'out', 'whole.csv');
    await exportReport(store.history, { since: 0 }, file, options);
    expect(readFileSync(file, 'utf8')).toBe(whole);
  });

  it('reports one run, or the runs started in a window; a window without runs gives the header only', async () => {
    const runB = await exported('run-b.csv', { runId: 'run-b' });
    expect(runB.result.rows).toBe(1);
    expect(runB.rows.map((row) => row.run_id)).toEqual(['run-b']);

    const november = await exported('november.csv', { since: T0, until: T1 });
    expect(november.result.rows).toBe(13);
    expect(new Set(november.rows.map((row) => row.run_id))).toEqual(new Set(['run-a']));
    // No run in the window has a step outside the thirteen: no extra column.
    expect(november.header).toEqual(HEADER);

    const empty = await exported('empty.csv', { since: T1 + 86_400_000 * 365 });
    expect(empty.result.rows).toBe(0);
    expect(empty.text).toBe(`\uFEFF${HEADER.join(',')}\r\n`);
  });

  it('refuses an unknown run, a folder as the file, and a file as a folder, naming each', async () => {
    await expect(exportReport(store.history, { runId: 'nope' }, join(scratch, 'x.csv'))).rejects.toMatchObject({
      code: 'unknown-run',
      message: 'no run nope in the history',
    });
    await expect(exportReport(store.history, { runId: 'run-a' }, scratch)).rejects.toMatchObject({
      code: 'bad-output',
      message: `${scratch} is a folder: give the report a file name`,
    });
    const file = join(scratch, 'out', 'all.csv');
    const under = join(file, 'report.csv');
    const refused = exportReport(store.history, { runId: 'run-a' }, under);
    await expect(refused).rejects.toBeInstanceOf(ReportError);
    await expect(refused).rejects.toMatchObject({
      code: 'bad-output',
      message: expect.stringContaining(
        `cannot create the folder ${file} for the report: a part of the path is a file`,
      ) as unknown,
    });
    await expect(exportReport(store.history, { since: 10, until: 5 }, join(scratch, 'x.csv'))).rejects.toMatchObject({
      code: 'bad-input',
    });
    await expect(
      exportReport(store.history, { since: 0 }, join(scratch, 'x.csv'), { timeZone: 'Mars/Olympus' }),
    ).rejects.toMatchObject({ code: 'bad-input', message: expect.stringContaining('Mars/Olympus') as unknown });
  });

  it('replaces a report atomically and leaves no temporary file behind', async () => {
    const file = join(scratch, 'out', 'again.csv');
    await exportReport(store.history, { runId: 'run-a' }, file);
    const first = readFileSync(file, 'utf8');
    await exportReport(store.history, { runId: 'run-b' }, file);
    expect(readFileSync(file, 'utf8')).not.toBe(first);
    expect(readdirSync(join(scratch, 'out')).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('puts no secret in the file: neither a leaked password in an error text nor a credential of the ledger', async () => {
    const secret = 'Ledger-Secret-7781';
    const imported = await store.ledger.importCredentials([
      { id: 'c-0001', fields: { device_name: 'd-1' }, secrets: { password: secret } },
    ]);
    expect(imported.ok).toBe(true);
    await store.ledger.claim(testImei(1));
    const dir = join(scratch, 'secrets');
    await exportReport(store.history, { since: 0 }, join(dir, 'report.csv'), { redact: redactLine });
    expect(findSecrets(dir, [secret, LEAKED_PASSWORD])).toEqual([]);
  });
});
