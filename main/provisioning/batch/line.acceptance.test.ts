import { ISSUE_COLUMNS as COLUMNS, ISSUE_STEPS as STEPS } from '../../testing/issue-contract';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLine, type Line, type LineUnit } from '../../testing/line';
import { filesUnder, secretsIn, secretsUnder } from '../../testing/secrets-scan';
import { jsonLines, runCli, type CliResult } from '../../testing/station-cli';

/**
 * Issue 10, acceptance 1: a whole line. Sixteen virtual modules on pseudo-terminals, provisioned in one batch by
 * the real `fleet-station provision` process against a real Mosquitto that requires each unit's client
 * certificate and checks its own password. One unit's manifest password is wrong (the broker refuses it at
 * `connect`), one module refuses AT+QSSLCFG (it fails at `sslcfg`); the other fourteen pass. Everything the
 * command says is checked from the outside: the exit code, every `--json` line, the CSV report cell by cell. Then
 * the line fixes both (the corrected manifest imported with `credentials import --replace`, the fault cleared) and
 * `--retry-failed` provisions exactly those two, with the credentials they already held, without a single byte
 * reaching the fourteen others. No secret appears in any output, report or file of the data directory.
 */

const COUNT = 16;
const WRONG_PASSWORD = 3;
const SSL_REFUSED = 9;
/** A zone with a half-hour offset, so that the offset in every time is really the station's. */
const TZ = 'Asia/Kolkata';
const OFFSET = '+05:30';
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+05:30$/;

type Event = Record<string, unknown>;

let line: Line;
const outputs: CliResult[] = [];
/** What was found in the data directory while a `provision` process had it open (its WAL included). */
const whileOpen: string[] = [];
/** The files of the data directory at those moments. */
const openFiles: string[] = [];

beforeAll(async () => {
  line = await startLine({
    count: COUNT,
    observer: true,
    units: { [WRONG_PASSWORD]: { wrongPassword: true }, [SSL_REFUSED]: { faults: { errorOn: ['+QSSLCFG'] } } },
  });
}, 60_000);

afterAll(async () => {
  await line.stop();
});

/** `fleet-station ...` in the station's time zone; the data directory is scanned for secrets as `summary` comes. */
async function cli(args: readonly string[]): Promise<CliResult> {
  const result = await runCli(args, {
    env: { ...line.env, TZ },
    onLine: (text) => {
      if (!text.startsWith('{"type":"summary"')) return;
      openFiles.push(...filesUnder(line.dataDir));
      whileOpen.push(...secretsUnder(line.dataDir, line.secrets));
    },
  });
  outputs.push(result);
  return result;
}

const ports = (): string[] => line.ports.flatMap((path) => ['--port', path]);
const unitAt = (index: number): LineUnit => {
  const unit = line.units[index];
  if (unit === undefined) throw new Error(`no unit ${index}`);
  return unit;
};
const ms = (iso: unknown): number => Date.parse(String(iso));
const field = (value: unknown, key: string): unknown =>
  typeof value === 'object' && value !== null ? Reflect.get(value, key) : undefined;

/** What each unit's steps must end as: every step passed, or the failed one, `close` after it, the rest skipped. */
function expectedEnds(index: number): Record<string, string> {
  const failedAt = index === WRONG_PASSWORD ? 'connect' : index === SSL_REFUSED ? 'sslcfg' : undefined;
  const at = failedAt === undefined ? STEPS.length : STEPS.indexOf(failedAt);
  return Object.fromEntries(
    STEPS.map((step, i) => [step, i < at || step === 'close' ? 'passed' : i === at ? 'failed' : 'skipped']),
  );
}

/**
 * The `--json` step events of one unit, as issue 10 lists them: every step has an end (the last try of a step
 * tried again carries its outcome), every step that ran a start before it with the same start time, in step
 * order; a skipped step has only its end, which says why it did not run.
 */
function checkSteps(events: readonly Event[], runId: unknown, unit: LineUnit): Map<string, Event[]> {
  const mine = events.filter((e) => e.type === 'step' && e.moduleId === unit.path);
  const byStep = new Map<string, Event[]>();
  for (const event of mine) {
    expect(event).toMatchObject({ runId, port: unit.path, imei: unit.identity.imei });
    expect(event.index).toBe(STEPS.indexOf(String(event.step)));
    expect(String(event.startedAt)).toMatch(ISO);
    byStep.set(String(event.step), [...(byStep.get(String(event.step)) ?? []), event]);
  }
  // In step order: each step's events come before the next step's.
  const order = mine.map((e) => STEPS.indexOf(String(e.step)));
  expect(order).toEqual([...order].sort((a, b) => a - b));
  const ends = expectedEnds(unit.index);
  for (const step of STEPS) {
    const stepEvents = byStep.get(step) ?? [];
    const expected = ends[step];
    if (expected === 'skipped') {
      expect(stepEvents).toEqual([
        expect.objectContaining({ status: 'skipped', attempt: 1, durationMs: 0, resultCode: null }),
      ]);
      expect(String(stepEvents[0]?.explanation)).toMatch(/^not run: \w+ did not pass$/);
      continue;
    }
    // Each try: a start, then its end, with the same start time and a duration.
    const tries = stepEvents.length / 2;
    expect(Number.isInteger(tries) && tries >= 1, `${step}: ${JSON.stringify(stepEvents)}`).toBe(true);
    for (let t = 0; t < tries; t++) {
      const [start, end] = [stepEvents[2 * t], stepEvents[2 * t + 1]];
      expect(start).toMatchObject({ attempt: t + 1, status: 'running', durationMs: null });
      expect(end).toMatchObject({ attempt: t + 1, startedAt: start?.startedAt });
      expect(end?.durationMs).toEqual(expect.any(Number));
      // A try that failed and was tried again says so.
      if (t < tries - 1) expect(String(end?.explanation)).toMatch(/trying again/);
    }
    expect(stepEvents.at(-1)?.status, `${unit.index} ${step}`).toBe(expected);
  }
  return byStep;
}

/** A step's time as the report counts it: from its first try's start to its last try's end. */
function stepTime(events: readonly Event[] | undefined): number | '' {
  const ran = (events ?? []).filter((e) => e.status !== 'running' && e.status !== 'skipped');
  const first = ran[0];
  const last = ran.at(-1);
  if (first === undefined || last === undefined) return '';
  return Math.round(ms(last.startedAt) + Number(last.durationMs) - ms(first.startedAt));
}

/** The report as bytes and rows (header checked: BOM, order, CRLF record ends). */
async function readReport(file: string): Promise<Record<string, string>[]> {
  const bytes = await readFile(file);
  expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  const text = bytes.toString('utf8');
  expect(text.slice(1).split('\r\n')[0]).toBe(COLUMNS.join(','));
  expect(text.endsWith('\r\n')).toBe(true);
  expect(secretsIn(file, bytes, line.secrets)).toEqual([]);
  const rows: Record<string, string>[] = parse(bytes, { bom: true, columns: true });
  return rows;
}

describe('a whole line: 16 units on ptys, the real CLI, Mosquitto with mutual TLS and per-device passwords', () => {
  let runId: unknown;
  const firstCredentials = new Map<string, unknown>();

  it('passes 14, fails the wrong password at connect and the refused AT+QSSLCFG at sslcfg, exit 1', async () => {
    const report = join(line.dir, 'reports', 'WO-0412.csv');
    const result = await cli([
      'provision',
      '--profile',
      line.profile,
      '--manifest',
      line.manifest,
      ...ports(),
      '--report',
      report,
      '--data-dir',
      line.dataDir,
      '--station',
      'line-a-1',
      '--operator',
      'Ann K.',
      '--work-order',
      'WO-0412',
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toBe('');
    const events = jsonLines(result.stdout);

    // The run: first, with every unit as identified when it started.
    const run = events[0];
    runId = run?.runId;
    expect(run).toEqual({
      type: 'run',
      runId: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown,
      station: 'line-a-1',
      operator: 'Ann K.',
      workOrder: 'WO-0412',
      retryOf: null,
      profile: { name: 'test-line', hash: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown },
      dataDir: line.dataDir,
      units: expect.arrayContaining(
        line.units.map((unit) => ({ moduleId: unit.path, port: unit.path, imei: unit.identity.imei })),
      ) as unknown,
    });
    expect(run?.units).toHaveLength(COUNT);
    const profileHash = field(run?.profile, 'hash');
    expect(new Set(events.map((e) => e.type))).toEqual(new Set(['run', 'step', 'unit', 'summary']));
    expect(events.filter((e) => e.type === 'run')).toHaveLength(1);

    // Every step event of every unit; then its unit event, after its last step event.
    const steps = new Map(line.units.map((unit) => [unit.index, checkSteps(events, runId, unit)]));
    const unitEvents = events.filter((e) => e.type === 'unit');
    expect(unitEvents).toHaveLength(COUNT);
    for (const unit of line.units) {
      const position = events.findIndex((e) => e.type === 'unit' && e.moduleId === unit.path);
      const lastStep = events.map((e) => e.type === 'step' && e.moduleId === unit.path).lastIndexOf(true);
      expect(position).toBeGreaterThan(lastStep);
      const event = events[position];
      const passes = unit.index !== WRONG_PASSWORD && unit.index !== SSL_REFUSED;
      expect(event).toEqual({
        type: 'unit',
        runId,
        moduleId: unit.path,
        port: unit.path,
        imei: unit.identity.imei,
        iccid: unit.identity.iccid,
        imsi: unit.identity.imsi,
        model: unit.identity.model,
        firmware: unit.identity.revision,
        credentialId: unit.credentialId,
        result: passes ? 'pass' : 'fail',
        failedStep: passes ? null : unit.index === WRONG_PASSWORD ? 'connect' : 'sslcfg',
        errorCode: passes ? null : unit.index === WRONG_PASSWORD ? '+QMTCONN: 0,0,5' : 'ERROR',
        error: passes ? null : (expect.any(String) as unknown),
        roundTripMs: passes ? (expect.any(Number) as unknown) : null,
        durationMs: expect.any(Number) as unknown,
        startedAt: expect.stringMatching(ISO) as unknown,
        finishedAt: expect.stringMatching(ISO) as unknown,
      });
      if (passes) expect(event?.roundTripMs).toBeGreaterThan(0);
      expect(event?.durationMs).toBe(ms(event?.finishedAt) - ms(event?.startedAt));
      firstCredentials.set(unit.identity.imei, event?.credentialId);
    }

    // The two failures, at their step, with the module's code and the explanation an operator can act on.
    const refused = steps.get(WRONG_PASSWORD)?.get('connect')?.at(-1);
    expect(refused).toMatchObject({ status: 'failed', resultCode: '+QMTCONN: 0,0,5' });
    expect(refused?.explanation).toBe(
      'the broker refused the connection (CONNACK 5, Connection Refused: Not Authorized): ' +
        'not authorized: check the user name and password',
    );
    const sslRefused = steps.get(SSL_REFUSED)?.get('sslcfg')?.at(-1);
    expect(sslRefused).toMatchObject({ status: 'failed', resultCode: 'ERROR' });
    expect(String(sslRefused?.explanation)).toMatch(
      /^SSL context 2, cacert: AT\+QSSLCFG="cacert",2,"UFS:ctx2_cacert\.pem": The module refused the command \(ERROR\)/,
    );
    for (const [index, step] of [
      [WRONG_PASSWORD, refused],
      [SSL_REFUSED, sslRefused],
    ] as const) {
      expect(unitEvents.find((e) => e.moduleId === unitAt(index).path)?.error).toBe(step?.explanation);
    }
    // The broker itself refused the wrong password: this is the only refused login it logged.
    await line.broker.waitForLog(/Sending CONNACK to 127\.0\.0\.1 \(0, 5\)/);

    // The summary: last, with the counts and the report.
    expect(events.at(-1)).toEqual({
      type: 'summary',
      runId,
      retryOf: null,
      total: COUNT,
      passed: COUNT - 2,
      failed: 2,
      cancelled: 0,
      notAttached: [],
      unidentified: 0,
      report,
      reportRows: COUNT,
      reportError: null,
      dataDir: line.dataDir,
      startedAt: expect.stringMatching(ISO) as unknown,
      finishedAt: expect.stringMatching(ISO) as unknown,
      exitCode: 1,
    });

    // The CSV, cell by cell.
    const rows = await readReport(report);
    expect(rows).toHaveLength(COUNT);
    for (const unit of line.units) {
      const row = rows.find((r) => r.imei === unit.identity.imei);
      const event = unitEvents.find((e) => e.moduleId === unit.path);
      const stepEvents = steps.get(unit.index);
      if (row === undefined || event === undefined || stepEvents === undefined) throw new Error(`unit ${unit.index}`);
      expect(Object.keys(row)).toEqual(COLUMNS);
      const passes = event.result === 'pass';
      const cell = (value: unknown): string =>
        typeof value === 'string' || typeof value === 'number' ? String(value) : '';
      expect(row).toEqual({
        station: 'line-a-1',
        operator: 'Ann K.',
        work_order: 'WO-0412',
        run_id: runId,
        started_at: event.startedAt,
        finished_at: event.finishedAt,
        port: unit.path,
        imei: unit.identity.imei,
        iccid: unit.identity.iccid,
        imsi: unit.identity.imsi,
        model: unit.identity.model,
        firmware: unit.identity.revision,
        profile: 'test-line',
        profile_hash: profileHash,
        credential_id: unit.credentialId,
        result: event.result,
        failed_step: cell(event.failedStep),
        // A cell that starts with "+" is written with a "'" in front (CSV injection): spreadsheets show it as text.
        error_code: passes ? '' : unit.index === WRONG_PASSWORD ? "'+QMTCONN: 0,0,5" : 'ERROR',
        error: cell(event.error),
        round_trip_ms: cell(event.roundTripMs),
        duration_ms: cell(event.durationMs),
        ...Object.fromEntries(STEPS.map((step) => [`step_${step}_ms`, String(stepTime(stepEvents.get(step)))])),
      });
      expect(row.started_at?.endsWith(OFFSET)).toBe(true);
      if (passes) expect(Number(row.round_trip_ms)).toBeGreaterThan(0);
      for (const step of STEPS) {
        const value = row[`step_${step}_ms`] ?? '';
        expect(value === '' || /^\d+$/.test(value), `${step}: ${value}`).toBe(true);
      }
    }
  }, 120_000);

  it('retry-failed, once both are fixed, provisions exactly those two, with the credentials they hold', async () => {
    // The line's correction: the right password for an assigned credential needs --replace.
    const imported = await cli([
      'credentials',
      'import',
      line.correctedManifest,
      '--replace',
      '--data-dir',
      line.dataDir,
      '--json',
    ]);
    expect(imported.code, imported.stderr).toBe(0);
    const wrong = unitAt(WRONG_PASSWORD);
    expect(JSON.parse(imported.stdout)).toMatchObject({
      ok: true,
      added: [],
      updated: [],
      replaced: [{ credentialId: wrong.credentialId, columns: ['password'], assignedTo: wrong.identity.imei }],
    });
    unitAt(SSL_REFUSED).module.setFaults({});

    const before = line.units.map((unit) => unit.pty.receivedBytes());
    const report = join(line.dir, 'reports', 'WO-0412-retry.csv');
    const result = await cli([
      'provision',
      '--profile',
      line.profile,
      ...ports(),
      '--report',
      report,
      '--data-dir',
      line.dataDir,
      '--station',
      'line-a-1',
      '--retry-failed',
      String(runId),
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const retried = [WRONG_PASSWORD, SSL_REFUSED];
    // Not one byte reached the fourteen units that passed; the two fixed ones were provisioned.
    const sent = line.units.map((unit) => unit.pty.receivedBytes() - (before[unit.index] ?? 0));
    expect(sent.map((bytes, index) => (retried.includes(index) ? bytes > 0 : bytes))).toEqual(
      line.units.map((unit) => (retried.includes(unit.index) ? true : 0)),
    );

    const events = jsonLines(result.stdout);
    expect(events[0]).toMatchObject({ type: 'run', retryOf: runId });
    const units = events.filter((e) => e.type === 'unit');
    expect(units.map((u) => [u.imei, u.result, u.credentialId]).sort()).toEqual(
      retried
        .map((index) => unitAt(index).identity.imei)
        .map((imei) => [imei, 'pass', firstCredentials.get(imei)])
        .sort(),
    );
    expect(events.at(-1)).toMatchObject({
      type: 'summary',
      retryOf: runId,
      total: 2,
      passed: 2,
      failed: 0,
      notAttached: [],
      reportRows: 2,
      exitCode: 0,
    });
    const rows = await readReport(report);
    expect(rows.map((row) => [row.imei, row.result, row.credential_id]).sort()).toEqual(
      units.map((u) => [u.imei, 'pass', u.credentialId]).sort(),
    );

    // The ledger, read straight from the database file: one credential per unit, each assigned once, in run 1.
    const db = new Database(join(line.dataDir, 'fleet-station.db'), { readonly: true, fileMustExist: true });
    try {
      const assignments = db
        .prepare<[], { credential_id: string; imei: string; run_id: string }>(
          'SELECT credential_id, imei, run_id FROM assignments ORDER BY credential_id',
        )
        .all();
      expect(assignments).toEqual(
        line.units.map((unit) => ({ credential_id: unit.credentialId, imei: unit.identity.imei, run_id: runId })),
      );
    } finally {
      db.close();
    }
  }, 120_000);

  it('shows no secret in any output, report or data file (the WAL included, while the station had it open)', () => {
    expect(outputs.length).toBeGreaterThanOrEqual(3);
    for (const [index, output] of outputs.entries()) {
      expect(secretsIn(`output ${index}`, Buffer.from(output.stdout + output.stderr), line.secrets)).toEqual([]);
    }
    // Both provision runs: the data directory as they printed their summary, the database's WAL in use.
    expect(openFiles.filter((file) => file.endsWith('fleet-station.db-wal')).length).toBe(2);
    expect(whileOpen).toEqual([]);
    expect(filesUnder(line.dataDir).length).toBeGreaterThan(0);
    expect(secretsUnder(line.dataDir, line.secrets)).toEqual([]);
    expect(secretsUnder(join(line.dir, 'reports'), line.secrets)).toEqual([]);
  });
});
