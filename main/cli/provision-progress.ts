import { Listr, type ListrTaskWrapper } from 'listr2';
import type { ModuleInfo } from '../../shared/contract';
import type { RunObserver, StepRecord, StepStart, UnitResult } from '../core/script';
import { unitOutcome, type BatchResult, type UnitOutcome } from '../provisioning/batch';
import { isoWithOffset } from '../reports';

/**
 * What `provision` shows while it runs: one JSON object per line (`--json`), live per-unit progress with listr2 in
 * a terminal, or plain lines naming the unit when the output is not a terminal. All of it comes from the runner's
 * records after the store has committed them; explanations are already free of secrets.
 */

export interface RunBegin {
  readonly runId: string;
  readonly station: string;
  readonly operator: string | null;
  readonly workOrder: string | null;
  readonly retryOf: string | null;
  readonly profile: { readonly name: string; readonly hash: string };
  readonly dataDir: string;
  readonly units: readonly ModuleInfo[];
}

/** The last line of `--json`, and what the other forms print at the end. */
export interface Summary {
  readonly runId: string;
  readonly retryOf: string | null;
  readonly total: number;
  readonly passed: number;
  readonly failed: number;
  readonly cancelled: number;
  /** With --retry-failed: IMEIs of the run's failed units that are not attached now. */
  readonly notAttached: readonly string[];
  /** With --retry-failed: units of that run that did not pass and whose IMEI was never read (not retried). */
  readonly unidentified: number;
  readonly report: string | null;
  readonly reportRows: number | null;
  readonly reportError: string | null;
  readonly dataDir: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly exitCode: number;
}

export interface Progress extends RunObserver {
  begin(run: RunBegin): void;
  end(result: BatchResult, summary: Summary): Promise<void>;
}

export interface ProgressOptions {
  readonly json: boolean;
  readonly tty: boolean;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

export function progressFor(options: ProgressOptions): Progress {
  if (options.json) return new JsonProgress(options.out);
  return options.tty ? new TerminalProgress(options.out) : new PlainProgress(options.out);
}

/** `--json`: the step event as a line (a step's start has status `running` and no duration). */
export function stepEvent(step: StepStart | StepRecord): Record<string, unknown> {
  const ended = 'status' in step ? step : undefined;
  return {
    type: 'step',
    runId: step.runId,
    moduleId: step.unitId,
    port: step.port,
    imei: step.imei,
    step: step.step,
    index: step.index,
    attempt: step.attempt,
    status: ended?.status ?? 'running',
    startedAt: isoWithOffset(step.startedAt),
    durationMs: ended?.durationMs ?? null,
    resultCode: ended?.resultCode ?? null,
    explanation: ended?.explanation ?? null,
  };
}

export function unitEvent(runId: string, unit: UnitOutcome): Record<string, unknown> {
  return {
    type: 'unit',
    runId,
    ...unit,
    startedAt: isoWithOffset(unit.startedAt),
    finishedAt: isoWithOffset(unit.finishedAt),
  };
}

class JsonProgress implements Progress {
  constructor(private readonly out: (line: string) => void) {}

  begin(run: RunBegin): void {
    this.out(
      JSON.stringify({
        type: 'run',
        runId: run.runId,
        station: run.station,
        operator: run.operator,
        workOrder: run.workOrder,
        retryOf: run.retryOf,
        profile: run.profile,
        dataDir: run.dataDir,
        units: run.units.map((unit) => ({ moduleId: unit.id, port: unit.port, imei: unit.imei })),
      }),
    );
  }

  stepStarted(step: StepStart): void {
    this.out(JSON.stringify(stepEvent(step)));
  }

  stepFinished(record: StepRecord): void {
    this.out(JSON.stringify(stepEvent(record)));
  }

  unitFinished(result: UnitResult<unknown>): void {
    this.out(JSON.stringify(unitEvent(result.runId, unitOutcome(result))));
  }

  end(_result: BatchResult, summary: Summary): Promise<void> {
    this.out(JSON.stringify({ type: 'summary', ...summary }));
    return Promise.resolve();
  }
}

/** `virtual:1 868691050000055`: the unit's port, and its IMEI once known. */
function unitLabel(port: string, imei: string | null): string {
  return imei === null ? port : `${port} ${imei}`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** One line per unit that did not pass: the unit, the step and why (with the module's own code). */
export function failureLines(units: readonly UnitOutcome[]): string[] {
  return units
    .filter((unit) => unit.result !== 'pass')
    .map(
      (unit) =>
        `  ${unit.result === 'fail' ? 'FAIL' : 'CANCELLED'} ${unitLabel(unit.port, unit.imei)} at ` +
        `${unit.failedStep ?? 'the start'}: ${unit.error ?? 'no reason recorded'}` +
        (unit.errorCode !== null ? ` [${unit.errorCode}]` : ''),
    );
}

function summaryLines(result: BatchResult, summary: Summary): string[] {
  const lines = [
    `provision: run ${summary.runId}: ${summary.total} unit(s): ${summary.passed} passed, ${summary.failed} failed, ` +
      `${summary.cancelled} cancelled (${seconds(result.finishedAt - result.startedAt)})`,
    ...failureLines(result.units),
  ];
  if (summary.notAttached.length > 0) {
    lines.push(`  not attached (not retried): ${summary.notAttached.join(', ')}`);
  }
  if (summary.unidentified > 0) {
    lines.push(`  ${summary.unidentified} unit(s) of run ${summary.retryOf ?? ''} never identified (not retried)`);
  }
  if (summary.report !== null) lines.push(`report: ${summary.report} (${summary.reportRows ?? 0} row(s))`);
  if (summary.reportError !== null) lines.push(`report: NOT WRITTEN: ${summary.reportError}`);
  return lines;
}

/** Plain lines (not a terminal): every step's end and every unit's end, each naming the unit. */
class PlainProgress implements Progress {
  constructor(private readonly out: (line: string) => void) {}

  begin(run: RunBegin): void {
    this.out(
      `provision: run ${run.runId}, profile ${run.profile.name} (${run.profile.hash.slice(0, 12)}), ` +
        `${run.units.length} unit(s): ${run.units.map((unit) => unitLabel(unit.port, unit.imei)).join(', ')}`,
    );
  }

  stepFinished(record: StepRecord): void {
    const who = `[${unitLabel(record.port, record.imei)}]`;
    switch (record.status) {
      case 'passed':
        this.out(`${who} ${record.step} passed (${record.durationMs} ms)`);
        break;
      case 'skipped':
        this.out(`${who} ${record.step} skipped: ${record.explanation ?? ''}`);
        break;
      default:
        this.out(
          `${who} ${record.step} ${record.status.toUpperCase()}${record.resultCode !== null ? ` (${record.resultCode})` : ''}: ` +
            (record.explanation ?? ''),
        );
    }
  }

  unitFinished(result: UnitResult<unknown>): void {
    const unit = unitOutcome(result);
    const who = `[${unitLabel(unit.port, unit.imei)}]`;
    this.out(
      unit.result === 'pass'
        ? `${who} PASS in ${seconds(unit.durationMs)} (round trip ${unit.roundTripMs ?? '?'} ms)`
        : `${who} ${unit.result === 'fail' ? 'FAIL' : 'CANCELLED'} at ${unit.failedStep ?? 'the start'}: ${unit.error ?? ''}`,
    );
  }

  end(result: BatchResult, summary: Summary): Promise<void> {
    for (const line of summaryLines(result, summary)) this.out(line);
    return Promise.resolve();
  }
}

interface UnitTask {
  wrapper?: ListrTaskWrapper<unknown, never, never>;
  readonly label: string;
  readonly settle: (outcome: UnitOutcome) => void;
  readonly outcome: Promise<UnitOutcome>;
}

/** A terminal: one listr2 task per unit, its title the step running now, ending passed, failed or skipped. */
class TerminalProgress implements Progress {
  private readonly tasks = new Map<string, UnitTask>();
  private running: Promise<unknown> = Promise.resolve();

  constructor(private readonly out: (line: string) => void) {}

  begin(run: RunBegin): void {
    this.out(`provision: run ${run.runId}, profile ${run.profile.name} (${run.profile.hash.slice(0, 12)})`);
    for (const unit of run.units) {
      let settle: (outcome: UnitOutcome) => void = () => undefined;
      const outcome = new Promise<UnitOutcome>((resolve) => (settle = resolve));
      this.tasks.set(unit.id, { label: unitLabel(unit.port, unit.imei), settle, outcome });
    }
    const listr = new Listr(
      [...this.tasks.values()].map((entry) => ({
        title: `${entry.label}: waiting`,
        task: async (_ctx: unknown, wrapper: ListrTaskWrapper<unknown, never, never>) => {
          entry.wrapper = wrapper;
          const unit = await entry.outcome;
          const label = unitLabel(unit.port, unit.imei);
          if (unit.result === 'pass') {
            wrapper.title = `${label}: passed in ${seconds(unit.durationMs)} (round trip ${unit.roundTripMs ?? '?'} ms)`;
          } else if (unit.result === 'cancelled') {
            wrapper.skip(`${label}: cancelled at ${unit.failedStep ?? 'the start'}`);
          } else {
            throw new Error(`${label}: ${unit.failedStep ?? 'the start'}: ${unit.error ?? 'failed'}`);
          }
        },
      })),
      { concurrent: true, exitOnError: false },
    );
    this.running = listr.run().catch(() => undefined);
  }

  stepStarted(step: StepStart): void {
    const entry = this.tasks.get(step.unitId);
    if (entry?.wrapper !== undefined) {
      entry.wrapper.title = `${unitLabel(step.port, step.imei ?? null)}: ${step.step}${step.attempt > 1 ? ` (try ${step.attempt})` : ''}…`;
    }
  }

  unitFinished(result: UnitResult<unknown>): void {
    this.tasks.get(result.unitId)?.settle(unitOutcome(result));
  }

  async end(result: BatchResult, summary: Summary): Promise<void> {
    // Units that never reported (not part of the result) must not hold the display.
    for (const unit of result.units) this.tasks.get(unit.moduleId)?.settle(unit);
    await this.running;
    for (const line of summaryLines(result, summary)) this.out(line);
  }
}
