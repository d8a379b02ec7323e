import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { stringify } from 'csv-stringify/sync';
import { parseManifest, toCredentialInputs } from '../main/provisioning/manifest';
import { openSqliteStore } from '../main/store';
import { testImei } from '../main/store/fixtures/rows';

/**
 * The SQLite store on this machine's disk (synchronous = FULL: every commit is fsynced):
 *  1. a manifest of N rows parsed and imported (one transaction), then imported again (all unchanged);
 *  2. claims: new assignments (one fsynced transaction each) and re-claims of assigned units;
 *  3. recording one unit's run as issue 10 does it (begin unit, identify, 13 steps begun and ended, finish):
 *     the time per unit, and the longest single call (better-sqlite3 is synchronous: a call holds the event loop
 *     for its whole commit, fsync included).
 * Usage: node bin/run-ts.mjs bench/store.ts [rows=20000] [claims=300] [units=64]
 */
const rows = Number(process.argv[2] ?? 20_000);
const claims = Number(process.argv[3] ?? 300);
const units = Number(process.argv[4] ?? 64);
const STEPS = ['identify', 'precheck', 'credential', 'upload', 'sslcfg', 'mqttcfg', 'readback', 'open', 'connect'];
const ALL_STEPS = [...STEPS, 'subscribe', 'publish', 'receive', 'close'];

const ms = (start: number): string => `${(performance.now() - start).toFixed(0)} ms`;
const dataDir = mkdtempSync(join(tmpdir(), 'bench-store-'));
try {
  const csv = stringify([
    ['credential_id', 'device_name', 'password', 'device_secret'],
    ...Array.from({ length: rows }, (_, i) => [`dev-${i}`, `device-${i}`, `pw-${i}-${'x'.repeat(24)}`, `s-${i}`]),
  ]);
  const store = await openSqliteStore({ dataDir });

  let start = performance.now();
  const manifest = parseManifest(Buffer.from(csv));
  console.log(`parse ${rows} rows (${(csv.length / 1e6).toFixed(1)} MB): ${ms(start)}`);
  start = performance.now();
  const imported = await store.ledger.importCredentials(toCredentialInputs(manifest));
  if (!imported.ok) throw new Error('import refused');
  console.log(`import ${rows} rows: ${ms(start)}`);
  start = performance.now();
  await store.ledger.importCredentials(toCredentialInputs(manifest));
  console.log(`re-import ${rows} rows (all unchanged, each secret opened and compared): ${ms(start)}`);

  start = performance.now();
  for (let i = 0; i < claims; i++) await store.ledger.claim(testImei(i));
  const claimMs = (performance.now() - start) / claims;
  start = performance.now();
  for (let i = 0; i < claims; i++) await store.ledger.claim(testImei(i));
  const reclaimMs = (performance.now() - start) / claims;
  console.log(`claim (new assignment): ${claimMs.toFixed(2)} ms each; re-claim: ${reclaimMs.toFixed(2)} ms each`);

  const runId = await store.history.beginRun({
    station: 'bench',
    profile: { hash: 'sha256:bench', name: 'bench', content: '{}' },
    startedAt: Date.now(),
  });
  const calls: number[] = [];
  const timed = async <T>(call: () => Promise<T>): Promise<T> => {
    // The work is synchronous inside the call (better-sqlite3): time the call, not the wait for the others.
    const begin = performance.now();
    const pending = call();
    calls.push(performance.now() - begin);
    return pending;
  };
  start = performance.now();
  await Promise.all(
    Array.from({ length: units }, async (_, u) => {
      const unit = await timed(() =>
        store.history.beginUnit(runId, { port: `/dev/ttyUSB${u}`, startedAt: Date.now() }),
      );
      for (const name of ALL_STEPS) {
        const step = await timed(() => store.history.beginStep(unit, { name, startedAt: Date.now() }));
        if (name === 'identify') {
          await timed(() => store.history.identifyUnit(unit, { imei: testImei(10_000 + u) }, Date.now()));
        }
        await timed(() =>
          store.history.endStep(step, {
            status: 'passed',
            durationMs: 5,
            transcript: `AT+${name.toUpperCase()}\r\nOK\r\n`,
          }),
        );
      }
      await timed(() => store.history.finishUnit(unit, { result: 'pass', durationMs: 100, finishedAt: Date.now() }));
    }),
  );
  const total = performance.now() - start;
  calls.sort((a, b) => a - b);
  const at = (q: number): string => (calls[Math.min(calls.length - 1, Math.floor(q * calls.length))] ?? 0).toFixed(2);
  console.log(
    `record ${units} units x ${ALL_STEPS.length} steps (${units * (ALL_STEPS.length * 2 + 3)} commits): ` +
      `${total.toFixed(0)} ms, ${(total / units).toFixed(1)} ms per unit; a call takes ${at(0.5)} ms (median), ${at(0.99)} ms (p99), ${at(1)} ms (max)`,
  );
  await store.history.finishRun(runId, { state: 'finished', finishedAt: Date.now() });
  start = performance.now();
  const report = await store.history.units({ runId });
  console.log(`report query for ${report.length} units with their steps: ${ms(start)}`);
  await store.close();
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
