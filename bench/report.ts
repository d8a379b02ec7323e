import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { redactLine } from '../main/core/redact';
import { exportReport, formatReport, reportRows, reportText, STEP_NAMES } from '../main/reports';
import { openSqliteStore, type RunRecord, type UnitRecord } from '../main/store';
import { testImei } from '../main/store/fixtures/rows';

/**
 * The CSV report:
 *  1. pure: N synthetic units (13 steps each, an error text with a comma and quotes on every tenth) through
 *     `reportRows` and `formatReport`, with the redactor: time, size, heap growth;
 *     then the same in chunks of 1000 units, as `exportReport` writes it (`reportText`): time, heap peak;
 *  2. real: M units recorded through the SQLite History, then `exportReport` of the run (query, rows, CSV, atomic
 *     write with fsync).
 * Usage: node bin/run-ts.mjs bench/report.ts [units=100000] [stored=500]
 */
const count = Number(process.argv[2] ?? 100_000);
const stored = Number(process.argv[3] ?? 500);
const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;

const run: RunRecord = {
  id: 'bench-run',
  station: 'line-a-1',
  operator: 'bench',
  workOrder: 'WO-1',
  profileName: 'line-a-mtls',
  profileHash: 'c0ffee'.padEnd(64, '0'),
  startedAt: Date.now(),
  state: 'finished',
};

function record(i: number): UnitRecord {
  const startedAt = run.startedAt + i;
  let at = startedAt;
  const steps = STEP_NAMES.map((name, s) => {
    const step = { name, status: 'passed' as const, startedAt: at, durationMs: 50 + ((i + s) % 400) };
    at += step.durationMs;
    return step;
  });
  const failed = i % 10 === 0;
  return {
    id: `u-${i}`,
    run,
    port: `/dev/ttyUSB${i % 64}`,
    startedAt,
    finishedAt: at,
    imei: testImei(i),
    iccid: `8986001234567${String(i).padStart(7, '0')}`,
    imsi: `46000${String(i).padStart(10, '0')}`,
    model: 'EC200U',
    firmware: 'EC200UCNAAR03A03M08',
    credentialId: `cred-${i}`,
    result: failed ? 'fail' : 'pass',
    ...(failed
      ? { failedStep: 'connect', errorCode: '5', error: 'CONNECT refused, code 5: "not authorized"' }
      : { roundTripMs: 300 + (i % 200) }),
    durationMs: at - startedAt,
    steps,
  };
}

const records = Array.from({ length: count }, (_, i) => record(i));
globalThis.gc?.();
const heapBefore = process.memoryUsage().heapUsed;
let start = performance.now();
const rows = reportRows(records, { redact: redactLine });
const rowsMs = performance.now() - start;
start = performance.now();
const text = formatReport(rows);
const formatMs = performance.now() - start;
const heapAfter = process.memoryUsage().heapUsed;
console.log(
  `${count} units: rows ${rowsMs.toFixed(0)} ms, CSV ${formatMs.toFixed(0)} ms ` +
    `(${(((rowsMs + formatMs) / count) * 1000).toFixed(1)} µs per unit), ${mb(Buffer.byteLength(text))} of CSV, ` +
    `heap +${mb(heapAfter - heapBefore)} while rows and text are held`,
);

// The same report in pieces, as exportReport writes it: the rows and text of one chunk at a time.
const heldRows = rows.length;
rows.length = 0;
globalThis.gc?.();
const heapChunked = process.memoryUsage().heapUsed;
let peak = 0;
let bytes = 0;
start = performance.now();
for (const piece of reportText(records, { redact: redactLine })) {
  bytes += Buffer.byteLength(piece);
  peak = Math.max(peak, process.memoryUsage().heapUsed - heapChunked);
}
console.log(
  `${heldRows} units in chunks of 1000 (reportText): ${(performance.now() - start).toFixed(0)} ms, ${mb(bytes)}, ` +
    `heap at most +${mb(peak)} while writing`,
);

const dataDir = mkdtempSync(join(tmpdir(), 'bench-report-'));
try {
  const store = await openSqliteStore({ dataDir });
  const runId = await store.history.beginRun({
    station: 'bench',
    profile: { hash: run.profileHash, name: run.profileName, content: '{}' },
    startedAt: Date.now(),
  });
  start = performance.now();
  for (let u = 0; u < stored; u++) {
    const unit = await store.history.beginUnit(runId, { port: `/dev/ttyUSB${u % 64}`, startedAt: Date.now() });
    for (const name of STEP_NAMES) {
      const step = await store.history.beginStep(unit, { name, startedAt: Date.now() });
      if (name === 'identify') await store.history.identifyUnit(unit, { imei: testImei(u) }, Date.now());
      await store.history.endStep(step, { status: 'passed', durationMs: 5 });
    }
    await store.history.finishUnit(unit, { result: 'pass', durationMs: 100, finishedAt: Date.now() });
  }
  await store.history.finishRun(runId, { state: 'finished', finishedAt: Date.now() });
  console.log(`recorded ${stored} units through the History: ${(performance.now() - start).toFixed(0)} ms`);
  const file = join(dataDir, 'report.csv');
  start = performance.now();
  const written = await exportReport(store.history, { runId }, file, { redact: redactLine });
  console.log(
    `exportReport of ${written.rows} stored units (query, rows, CSV, write, fsync, rename): ` +
      `${(performance.now() - start).toFixed(0)} ms, ${mb(statSync(file).size)}`,
  );
  await store.close();
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
