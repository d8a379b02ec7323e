import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEAKED_PASSWORD, recordShift, TIME_ZONE } from '../reports/fixtures/shift';
import { INTERRUPTED_ERROR, openSqliteStore } from '../store';
import { testImei } from '../store/fixtures/rows';
import { findSecrets } from '../store/fixtures/scan';
import { cliScript } from '../testing/station-cli';

/**
 * `fleet-station report` as production lines run it: a child process, its exit code, stdout and stderr, against a
 * data directory recorded through the real History API (then closed, so the run left running is interrupted).
 */

const repo = fileURLToPath(new URL('../../', import.meta.url));
const bin = cliScript();
const scratch = mkdtempSync(join(tmpdir(), 'report-cli-'));
const dataDir = join(scratch, 'station');
const out = join(scratch, 'reports');
const SECRET = 'Manifest-Secret-4411';
/** Another station's data: one run an hour ago, one a day ago (whatever the clock says, unlike the shift's). */
const recentDir = join(scratch, 'station-b');
const recent = Date.now() - 3_600_000;

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function cli(args: readonly string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, 'report', ...args],
      { cwd: repo, env: { ...process.env, TZ: TIME_ZONE, FLEET_STATION_DATA: '' } },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

function csv(file: string): Record<string, string>[] {
  const [header = [], ...records]: string[][] = parse(readFileSync(file), { bom: true });
  return records.map((cells) => Object.fromEntries(header.map((column, i) => [column, cells[i] ?? '<missing>'])));
}

beforeAll(async () => {
  const store = await openSqliteStore({ dataDir });
  await recordShift(store.history);
  const imported = await store.ledger.importCredentials([{ id: 'c-0001', fields: {}, secrets: { password: SECRET } }]);
  if (!imported.ok) throw new Error('import refused');
  await store.ledger.claim(testImei(1), { runId: 'run-a', station: 'line-a-1' });
  // Closing leaves run-c (still running) interrupted, as a station killed mid-run would on the next open.
  await store.close();

  const other = await openSqliteStore({ dataDir: recentDir });
  const profile = { hash: 'f'.repeat(64), name: 'recent', content: '{}' };
  for (const [id, startedAt] of [
    ['run-yesterday', recent - 86_400_000],
    ['run-recent', recent],
  ] as const) {
    const runId = await other.history.beginRun({ id, station: 'line-b-1', profile, startedAt });
    const unit = await other.history.beginUnit(runId, { port: '/dev/ttyUSB0', startedAt });
    await other.history.finishUnit(unit, { result: 'pass', durationMs: 10, finishedAt: startedAt + 10 });
    await other.history.finishRun(runId, { state: 'finished', finishedAt: startedAt + 20 });
  }
  await other.close();
});

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// Each command is a Node process that loads the CLI through tsx: seconds apiece on a loaded machine.
describe('fleet-station report', { timeout: 120_000 }, () => {
  it('exports one run as CSV and prints { rows, file } with --json', async () => {
    const file = join(out, 'new', 'folder', 'run-a.csv');
    const result = await cli(['--data-dir', dataDir, '--run', 'run-a', '--out', file, '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ rows: 13, file });
    const rows = csv(file);
    expect(rows).toHaveLength(13);
    expect(rows[0]).toMatchObject({
      station: 'line-a-1',
      run_id: 'run-a',
      started_at: '2026-11-30T10:15:03.130+01:00',
      imei: testImei(1),
      credential_id: 'c-0001',
      result: 'pass',
      step_connect_ms: '1100',
    });
    expect(readFileSync(file).subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(rows[10]?.error).toContain('***');
    expect(findSecrets(out, [SECRET, LEAKED_PASSWORD])).toEqual([]);
    expect(result.stderr).toBe('');
  });

  it('exports the runs started since a time, an interrupted unit as failed where it stopped', async () => {
    const file = join(out, 'summer.csv');
    const result = await cli(['--data-dir', dataDir, '--since', '2027-06-01', '--out', file]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`Wrote 2 rows to ${file}.\n`);
    const rows = csv(file);
    expect(rows.map((row) => row.run_id)).toEqual(['run-b', 'run-c']);
    expect(rows[0]).toMatchObject({ started_at: '2027-06-15T08:00:00.005+02:00', step_negative_ms: '1200' });
    expect(rows[1]).toMatchObject({
      result: 'fail',
      failed_step: 'upload',
      error_code: 'interrupted',
      error: INTERRUPTED_ERROR,
      finished_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0[12]:00$/) as unknown,
      step_upload_ms: '',
    });

    const [window, day, everything] = await Promise.all([
      cli(['--data-dir', recentDir, '--since', '2h', '--until', '0s', '--out', join(out, 'window.csv'), '--json']),
      cli(['--data-dir', recentDir, '--since', '2d', '--out', join(out, 'day.csv'), '--json']),
      cli(['--data-dir', dataDir, '--out', join(out, 'all.csv'), '--json']),
    ]);
    expect(window.code).toBe(0);
    expect(JSON.parse(window.stdout)).toEqual({ rows: 1, file: join(out, 'window.csv') });
    expect(csv(join(out, 'window.csv')).map((row) => row.run_id)).toEqual(['run-recent']);
    expect(JSON.parse(day.stdout)).toEqual({ rows: 2, file: join(out, 'day.csv') });
    expect(JSON.parse(everything.stdout)).toEqual({ rows: 15, file: join(out, 'all.csv') });
  });

  it('writes the header only, exit 0 with a note, when no unit was recorded in the window', async () => {
    const file = join(out, 'empty.csv');
    const result = await cli(['--data-dir', dataDir, '--since', '2030-01-01T00:00Z', '--out', file]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`Wrote 0 rows to ${file}.\n`);
    expect(result.stderr).toBe(
      `fleet-station report: no unit was recorded in the runs started since 2030-01-01T00:00Z in ${dataDir}: ` +
        'the file has the header only\n',
    );
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^\uFEFFstation,operator,.*,step_close_ms\r\n$/);
  });

  it('exits 2 for bad input, naming it, and writes nothing', async () => {
    mkdirSync(join(scratch, 'a-folder'), { recursive: true });
    writeFileSync(join(scratch, 'a-file'), 'x');
    const file = join(out, 'bad.csv');
    const cases: [args: string[], message: RegExp][] = [
      [['--data-dir', dataDir, '--run', 'nope', '--out', file], /no run nope in the history/],
      [['--data-dir', dataDir, '--since', 'last tuesday', '--out', file], /--since: "last tuesday" is not a time/],
      [['--data-dir', dataDir, '--since', '2026-02-30', '--out', file], /--since: "2026-02-30" is not a time/],
      [['--data-dir', dataDir, '--since', '1h', '--until', '2h', '--out', file], /--until \(2h\) must come after/],
      [['--data-dir', dataDir, '--run', 'run-a', '--since', '1h', '--out', file], /either --run or --since/],
      [['--data-dir', dataDir, '--run', 'run-a'], /required option '--out <file>' not specified/],
      [['--data-dir', dataDir, '--run', 'run-a', '--out', file, '--colour'], /unknown option '--colour'/],
      [['--data-dir', dataDir, '--run', 'run-a', '--out', join(scratch, 'a-folder')], /a-folder is a folder/],
      [
        ['--data-dir', dataDir, '--run', 'run-a', '--out', join(scratch, 'a-file', 'r.csv')],
        /cannot create the folder .*a-file for the report: a part of the path is a file/,
      ],
      [['--data-dir', join(scratch, 'no-such-station'), '--out', file], /no station data in .*no-such-station/],
    ];
    const results = await Promise.all(cases.map(([args]) => cli(args)));
    for (const [i, result] of results.entries()) {
      const [args, message] = cases[i] ?? [[], /never/];
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr).toMatch(message);
    }
    expect(existsSync(file)).toBe(false);
    expect(existsSync(join(scratch, 'no-such-station'))).toBe(false);
    const json = await cli(['--data-dir', dataDir, '--run', 'nope', '--out', file, '--json']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toEqual({ error: 'no run nope in the history' });
  });

  it('exits 1 when the data cannot be read (a damaged database)', async () => {
    const damaged = join(scratch, 'damaged');
    mkdirSync(damaged, { recursive: true });
    writeFileSync(join(damaged, 'fleet-station.db'), 'this is not a database, only text '.repeat(200));
    const result = await cli(['--data-dir', damaged, '--since', '24h', '--out', join(out, 'damaged.csv')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^fleet-station report: .*not a database/);
    expect(readdirSync(out)).not.toContain('damaged.csv');
  });
});
