import { stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { ModuleInfo } from '../../shared/contract';
import { startProvisioningRuntime, type ProvisioningRuntime, type UnitSource } from '../app/provision';
import { redactLine } from '../core/redact';
import { formatIssue, loadProfile, type LoadedProfile } from '../provisioning';
import {
  RetryError,
  retrySelection,
  startBatch,
  type BatchHandle,
  type BatchResult,
  type RetrySelection,
} from '../provisioning/batch';
import { loadManifest, ManifestError, toCredentialInputs, type Manifest } from '../provisioning/manifest';
import { exportReport, isoWithOffset, ReportError } from '../reports';
import { openSqliteStore, resolveDataDir, StoreError, type Store } from '../store';
import { progressFor, type Summary } from './provision-progress';

/**
 * `fleet-station provision --profile FILE (--port PATH ... | --all | --virtual N) [--manifest FILE] [--report FILE]
 * [--data-dir DIR] [--station ID] [--operator NAME] [--work-order ID] [--retry-failed RUN_ID] [--json]`: provisions
 * every selected unit at once (docs/provisioning.md). Everything given is checked before any module is touched.
 * Exit codes: 0 every unit passed; 1 a unit failed or was cancelled (or the station failed); 2 bad input (profile,
 * manifest, files, flags), reported before any module is touched.
 */

export const EXIT_PASS = 0;
export const EXIT_FAIL = 1;
export const EXIT_BAD_INPUT = 2;

/** How long the station waits for the units to be identified before the run starts (boot included). */
const IDENTIFY_WAIT_MS = 60_000;

/** The flags of `provision` (main/cli/commands/provision.ts). */
export interface ProvisionFlags {
  readonly profile: string;
  readonly port: string[];
  readonly all?: boolean;
  readonly virtual?: number;
  readonly manifest?: string;
  readonly report?: string;
  readonly dataDir?: string;
  readonly station?: string;
  readonly operator?: string;
  readonly workOrder?: string;
  readonly retryFailed?: string;
  readonly json?: boolean;
}

/** Bad input, found before any module was touched: exit 2 with the message and every problem. */
export class BadInput extends Error {
  constructor(
    message: string,
    readonly problems: readonly string[] = [],
  ) {
    super(message);
    this.name = 'BadInput';
  }
}

/** A label on the run record (station id, operator, work order): printable text, at most 200 characters. */
function label(flag: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text === '' || text.length > 200 || hasControl(text)) {
    throw new BadInput(`${flag}: expected printable text of 1-200 characters`);
  }
  return text;
}

/** C0, DEL and C1 control characters: they would corrupt a terminal line or a CSV cell. */
function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return true;
  }
  return false;
}

/** Where the units come from; exactly one of --port, --all, --virtual. */
function unitSource(flags: ProvisionFlags): UnitSource {
  const given = [flags.port.length > 0, flags.all === true, flags.virtual !== undefined].filter(Boolean).length;
  if (given !== 1) throw new BadInput('give exactly one of --port PATH (repeatable), --all or --virtual N');
  if (flags.port.length > 0) return { kind: 'ports', paths: [...new Set(flags.port.map((path) => resolve(path)))] };
  if (flags.all === true) return { kind: 'all' };
  return { kind: 'virtual', count: flags.virtual ?? 1 };
}

/** Each --port must be a character device (a serial port or a pseudo-terminal) that exists now. */
async function checkPorts(paths: readonly string[]): Promise<void> {
  const problems: string[] = [];
  for (const path of paths) {
    try {
      const info = await stat(path);
      if (!info.isCharacterDevice()) problems.push(`${path}: not a serial device`);
    } catch (error) {
      const code = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
      problems.push(`${path}: ${code === 'ENOENT' ? 'no such device' : code}`);
    }
  }
  if (problems.length > 0) throw new BadInput(`--port: ${problems.length} port(s) cannot be used`, problems);
}

async function checkReportPath(file: string | undefined): Promise<void> {
  if (file === undefined) return;
  const info = await stat(file).catch(() => undefined);
  if (info?.isDirectory() === true) throw new BadInput(`--report ${file}: is a folder; give a file name`);
}

async function loadChecked(flags: ProvisionFlags): Promise<{ profile: LoadedProfile; manifest?: Manifest }> {
  const loaded = await loadProfile(flags.profile);
  if (!loaded.ok) {
    throw new BadInput(`the profile ${flags.profile} is not usable`, loaded.errors.map(formatIssue));
  }
  const profile = loaded.profile;
  const env = profile.profile.verify.observer?.password_env;
  if (env !== undefined && profile.observerPassword === undefined) {
    throw new BadInput(
      `verify.observer.password_env: the environment variable ${env} is not set: the observer cannot log in`,
    );
  }
  if (flags.manifest === undefined) return { profile };
  try {
    return { profile, manifest: await loadManifest(flags.manifest, { requiredColumns: profile.requiredColumns }) };
  } catch (error) {
    if (error instanceof ManifestError) {
      throw new BadInput(
        `the manifest ${flags.manifest} has ${error.problems.length} problem(s); nothing was imported`,
        error.message.split('\n'),
      );
    }
    const code = error instanceof Error && 'code' in error ? String(error.code) : '';
    if (code !== '') throw new BadInput(`cannot read the manifest ${flags.manifest} (${code})`);
    throw error;
  }
}

async function importManifest(store: Store, file: string, manifest: Manifest): Promise<void> {
  const outcome = await store.ledger.importCredentials(toCredentialInputs(manifest), { source: resolve(file) });
  if (!outcome.ok) {
    throw new BadInput(
      `the ledger refused ${outcome.problems.length} row(s) of ${file}; nothing was imported`,
      outcome.problems.map(
        (problem) =>
          `${problem.line !== undefined ? `line ${problem.line}, ` : ''}${problem.credentialId}` +
          `${problem.column !== undefined ? `, column ${problem.column}` : ''}: ${problem.message}`,
      ),
    );
  }
}

/** The units to run: every unit listed, or, when retrying, those whose IMEI did not pass in that run. */
function select(
  units: readonly ModuleInfo[],
  retry: RetrySelection | undefined,
): { moduleIds: string[]; notAttached: string[] } {
  // A module seen on two ports is used on the first only (the station marks the second one `error`).
  const usable = units.filter(
    (unit) =>
      unit.connection !== 'error' || unit.imei === null || !units.some((u) => u !== unit && u.imei === unit.imei),
  );
  if (retry === undefined) return { moduleIds: usable.map((unit) => unit.id), notAttached: [] };
  const byImei = new Map(usable.flatMap((unit) => (unit.imei === null ? [] : [[unit.imei, unit.id] as const])));
  return {
    moduleIds: retry.imeis.flatMap((imei) => {
      const id = byImei.get(imei);
      return id === undefined ? [] : [id];
    }),
    notAttached: retry.imeis.filter((imei) => !byImei.has(imei)),
  };
}

/**
 * Where to look for the units of a retry, in turn: first only the ports they were on in the retried run (among the
 * ports given; with --all, those present now), so that the units that passed are not touched at all; then, for a
 * unit not found there (moved to another port), every port of the source.
 */
async function retrySearch(source: UnitSource, retry: RetrySelection): Promise<UnitSource[]> {
  if (source.kind === 'virtual') return [source];
  const recorded =
    source.kind === 'ports' ? source.paths.filter((path) => retry.ports.includes(path)) : await present(retry.ports);
  if (recorded.length === 0 || (source.kind === 'ports' && recorded.length === source.paths.length)) return [source];
  return [{ kind: 'ports', paths: recorded }, source];
}

/** The paths that are character devices now. */
async function present(paths: readonly string[]): Promise<string[]> {
  const found = await Promise.all(
    paths.map(async (path) => ((await stat(path).catch(() => undefined))?.isCharacterDevice() === true ? path : '')),
  );
  return found.filter((path) => path !== '');
}

/** The whole command; returns the exit code. Nothing of a secret reaches its output. */
export async function provision(flags: ProvisionFlags): Promise<number> {
  const json = flags.json === true;
  const out = (line: string): void => void process.stdout.write(`${line}\n`);
  const err = (line: string): void => void process.stderr.write(`${line}\n`);
  let store: Store | undefined;
  let runtime: ProvisioningRuntime | undefined;
  let batch: BatchHandle | undefined;
  // A signal before the run starts stops the command before it touches (more) modules; during it, cancels the run.
  const stop = { requested: false };
  const onSignal = (signal: string): void => {
    if (stop.requested) return;
    stop.requested = true;
    batch?.cancel(`cancelled by ${signal}`);
  };
  const stopped = (): boolean => stop.requested;
  const onInt = (): void => onSignal('SIGINT');
  const onTerm = (): void => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  try {
    // 1. Everything given is checked before any module is touched.
    const source = unitSource(flags);
    const stationId = label('--station', flags.station) ?? hostname();
    const operator = label('--operator', flags.operator);
    const workOrder = label('--work-order', flags.workOrder);
    if (source.kind === 'ports') await checkPorts(source.paths);
    await checkReportPath(flags.report);
    const { profile, manifest } = await loadChecked(flags);
    const dataDir = resolveDataDir(flags.dataDir === undefined ? {} : { flag: flags.dataDir });
    store = await openSqliteStore({ dataDir });
    if (manifest !== undefined && flags.manifest !== undefined) await importManifest(store, flags.manifest, manifest);
    let retry: RetrySelection | undefined;
    if (flags.retryFailed !== undefined) {
      retry = await retrySelection(store, flags.retryFailed);
      if (retry.imeis.length === 0) {
        const message = `run ${flags.retryFailed} has no identified unit that did not pass: nothing to retry`;
        if (json)
          out(
            JSON.stringify({
              type: 'summary',
              runId: null,
              retryOf: flags.retryFailed,
              total: 0,
              passed: 0,
              failed: 0,
              cancelled: 0,
              notAttached: [],
              unidentified: retry.unidentified,
              report: null,
              dataDir,
              exitCode: EXIT_PASS,
            }),
          );
        else out(message);
        return EXIT_PASS;
      }
    }
    if (stopped()) return EXIT_FAIL;

    // 2. The units: attached and identified (for a retry, on the ports its units were on first).
    let units: ModuleInfo[] = [];
    let selected: { moduleIds: string[]; notAttached: string[] } = { moduleIds: [], notAttached: [] };
    for (const from of retry === undefined ? [source] : await retrySearch(source, retry)) {
      await runtime?.close();
      runtime = await startProvisioningRuntime({ units: from, brokerHost: profile.profile.broker.host });
      units = await runtime.identified(IDENTIFY_WAIT_MS);
      selected = select(units, retry);
      if (selected.notAttached.length === 0 || stopped()) break;
    }
    const { moduleIds, notAttached } = selected;
    if (moduleIds.length === 0) {
      throw new BadInput(
        retry === undefined
          ? 'no module to provision: none was found on the given ports'
          : `none of the units that did not pass in run ${retry.runId} is attached (IMEI ${retry.imeis.join(', ')})`,
      );
    }
    if (stopped() || runtime === undefined) return EXIT_FAIL;

    // 3. The run.
    const progress = progressFor({ json, tty: process.stdout.isTTY, out, err });
    const broker = runtime.broker;
    batch = startBatch({
      station: runtime.station,
      store,
      profile,
      moduleIds,
      stationId,
      ...(operator !== undefined ? { operator } : {}),
      ...(workOrder !== undefined ? { workOrder } : {}),
      ...(retry !== undefined ? { retryOf: retry.runId } : {}),
      ...(broker !== undefined ? { observerUrl: `mqtt://${broker.host}:${broker.port}` } : {}),
      observers: [progress],
    });
    progress.begin({
      runId: batch.runId,
      station: stationId,
      operator: operator ?? null,
      workOrder: workOrder ?? null,
      retryOf: retry?.runId ?? null,
      profile: { name: profile.name, hash: profile.hash },
      dataDir,
      units: units.filter((unit) => moduleIds.includes(unit.id)),
    });
    const result: BatchResult = await batch.done;

    // 4. The report and the summary.
    let report: { rows: number; file: string } | null = null;
    let reportError: string | null = null;
    if (flags.report !== undefined) {
      try {
        report = await exportReport(store.history, { runId: result.runId }, flags.report, { redact: redactLine });
      } catch (error) {
        reportError =
          error instanceof ReportError ? error.message : `the report could not be written: ${String(error)}`;
      }
    }
    const allPassed = result.counts.passed === result.counts.total && reportError === null;
    const exitCode = allPassed ? EXIT_PASS : EXIT_FAIL;
    const summary: Summary = {
      runId: result.runId,
      retryOf: retry?.runId ?? null,
      ...result.counts,
      notAttached,
      unidentified: retry?.unidentified ?? 0,
      report: report?.file ?? null,
      reportRows: report?.rows ?? null,
      reportError,
      dataDir,
      startedAt: isoWithOffset(result.startedAt),
      finishedAt: isoWithOffset(result.finishedAt),
      exitCode,
    };
    await progress.end(result, summary);
    return exitCode;
  } catch (error) {
    const bad = asBadInput(error);
    if (bad === undefined) {
      const message = error instanceof Error ? `${error.name}: ${error.message}` : 'failed';
      if (json) out(JSON.stringify({ type: 'error', exitCode: EXIT_FAIL, error: message, problems: [] }));
      err(`fleet-station provision: ${message}`);
      return EXIT_FAIL;
    }
    if (json) {
      out(JSON.stringify({ type: 'error', exitCode: EXIT_BAD_INPUT, error: bad.message, problems: bad.problems }));
    }
    err(`fleet-station provision: ${[bad.message, ...bad.problems.map((p) => `  ${p}`)].join('\n')}`);
    return EXIT_BAD_INPUT;
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
    await runtime?.close().catch(() => undefined);
    await store?.close().catch(() => undefined);
  }
}

function asBadInput(error: unknown): BadInput | undefined {
  if (error instanceof BadInput) return error;
  if (error instanceof RetryError) return new BadInput(`--retry-failed: ${error.message}`);
  if (error instanceof StoreError && error.code === 'bad-input') return new BadInput(error.message);
  return undefined;
}
