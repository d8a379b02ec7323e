import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { RunInfo, StepProgress, TranscriptLine } from '../../shared/contract';
import type { UrcNotice } from '../at/engine';
import { QMTSTAT_ERRORS } from '../at/decode/texts';
import { AtCommandError, AtError } from '../at/vocab/errors';
import type { AtRequest } from '../at/vocab/request';
import { DisposableStore, Emitter, onUnexpectedError, toDisposable, type Disposable } from '../base';
import type { LeaseHolder, PortLease } from './lease';
import { WorkQueue } from './queue';
import {
  StepError,
  transientFailures,
  type AbortMatch,
  type RunObserver,
  type RunResult,
  type RunStart,
  type Script,
  type Step,
  type StepContext,
  type StepFailure,
  type StepRecord,
  type StepStart,
  type UnitResult,
  type UnitView,
} from './script';

/** What the runner needs of a unit: its lease, a way to run AT on it, its URCs and its transcript. */
export interface RunnableUnit {
  readonly id: string;
  readonly lease: PortLease;
  view(): UnitView;
  /** Runs one transaction on the unit's port now; the caller holds the lease. */
  run<T>(request: AtRequest<T>, signal: AbortSignal): Promise<T>;
  /** Every URC of the unit, from whichever port it is attached on. */
  onUrc(listener: (event: UrcNotice) => void): Disposable;
  /** Every transcript line of the unit (redacted), as it is recorded. */
  onTranscript(listener: (line: TranscriptLine) => void): Disposable;
  /** Adds a station remark to the unit's transcript. */
  note(text: string): void;
  /** Masks these values in the unit's transcript from now on, until the returned disposable is disposed. */
  addSecrets(values: readonly string[]): Disposable;
  /** The text with the unit's current secrets masked. */
  mask(text: string): string;
}

/** The script-wide aborts every script has unless it says otherwise (issue 7): the module restarted, an MQTT link
 *  closed, the SIM went away. */
export const defaultAbortOn: readonly AbortMatch[] = [
  { urc: 'RDY', explain: () => 'the module restarted (RDY) during the run; run it again' },
  {
    urc: '+QMTSTAT',
    explain: (event) => {
      const code = event.kind === 'urc' ? Number(event.params[1]) : NaN;
      const known = QMTSTAT_ERRORS[code];
      return known === undefined
        ? `the MQTT link was closed (${event.raw})`
        : `the MQTT link was closed: ${known.description}. ${known.howTo}`;
    },
  },
  {
    urc: '+CPIN',
    match: (event) => event.kind === 'urc' && event.params[0]?.trim().toUpperCase() === 'NOT READY',
    explain: () => 'the SIM card is no longer ready (removed or failed): check the SIM',
  },
];

export interface ScriptRunnerOptions {
  /** Units running a script at the same time, across all runs (a unit waiting for its lease holds no slot). */
  readonly concurrency?: number;
  /** Told of every run of this runner, before the run's own observer. */
  readonly observers?: readonly RunObserver[];
  readonly now?: () => number;
}

export interface StartOptions<S> {
  readonly units: readonly RunnableUnit[];
  /** The state each unit's run starts with (the run's inputs). */
  readonly input: (unit: UnitView) => S;
  readonly runId?: string;
  /** Told of this run only (after the runner's observers), each in turn and awaited, in the order given. */
  readonly observers?: readonly RunObserver[];
  /** Cancels the whole run, like `RunHandle.cancel()`. */
  readonly signal?: AbortSignal;
  /**
   * Outside the concurrency limit: the station's own short runs (identifying a unit that was just plugged in) must
   * not wait behind a batch holding every slot.
   */
  readonly unlimited?: boolean;
  /**
   * Called with each unit's result while its run still holds the unit's lease (when it got that far), so that
   * whatever the result changes (the unit's identity, its state) is in place before anyone else talks to it.
   */
  readonly settle?: (result: UnitResult<S>) => void;
}

/** A started run: its id, its result, and cancellation as a whole or per unit. */
export interface RunHandle<S> {
  readonly id: string;
  readonly script: string;
  /** Resolves when every unit has finished (never rejects). */
  readonly done: Promise<RunResult<S>>;
  cancel(reason?: string): void;
  /** Cancels one unit's run; false when the unit is not in this run. */
  cancelUnit(unitId: string, reason?: string): boolean;
}

/** An abort reason the runner understands: the failure the interrupted step is recorded with. */
class StepAbort extends Error {
  constructor(readonly failure: StepFailure) {
    super(failure.message);
    this.name = 'StepAbort';
  }
}

const cancelled = (reason: string | undefined): StepAbort =>
  new StepAbort({ code: 'cancelled', resultCode: null, message: reason ?? 'cancelled by the operator' });

/**
 * The one script runner: any script, on any units, each unit under its port lease, at most `concurrency` units at
 * once. For every step it records start, duration, outcome (passed / failed / cancelled / skipped), the module's
 * result code, the explanation and the transcript slice; it reports them to the observers (awaited: the
 * persistence seam) and fires progress events (contained: a throwing listener never stops a run).
 */
export class ScriptRunner implements Disposable {
  private readonly limit: WorkQueue;
  private readonly observers: readonly RunObserver[];
  private readonly now: () => number;
  private readonly stepEmitter = new Emitter<StepProgress>('runner.step');
  private readonly runEmitter = new Emitter<RunInfo>('runner.run');
  private readonly active = new Set<RunHandle<unknown>>();
  /** A step started or ended on a unit. */
  readonly onDidStep = this.stepEmitter.event;
  /** A run started, one of its units finished, or it finished. */
  readonly onDidRun = this.runEmitter.event;

  constructor(options: ScriptRunnerOptions = {}) {
    this.limit = new WorkQueue(options.concurrency ?? 64);
    this.observers = options.observers ?? [];
    this.now = options.now ?? Date.now;
  }

  /** Runs `script` on `options.units`; returns at once. */
  start<S>(script: Script<S>, options: StartOptions<S>): RunHandle<S> {
    checkScript(script);
    const runId = options.runId ?? randomUUID();
    const ids = new Set<string>();
    for (const unit of options.units) {
      if (ids.has(unit.id)) throw new Error(`unit ${unit.id} is listed twice in run ${runId}`);
      ids.add(unit.id);
    }
    const whole = new AbortController();
    // Every unit's signal hangs on the run's: as many listeners as units, by design.
    setMaxListeners(0, whole.signal);
    const perUnit = new Map(options.units.map((unit) => [unit.id, new AbortController()]));
    const external = options.signal;
    const onExternal = (): void => whole.abort(cancelled(String(external?.reason ?? 'cancelled')));
    if (external?.aborted === true) onExternal();
    else external?.addEventListener('abort', onExternal, { once: true });
    const observers = [...this.observers, ...(options.observers ?? [])];
    const handle: RunHandle<S> = {
      id: runId,
      script: script.name,
      done: this.execute(
        script,
        options,
        runId,
        observers,
        (unitId) => {
          const own = perUnit.get(unitId);
          return own === undefined ? whole.signal : linked([own.signal, whole.signal]).signal;
        },
        whole.signal,
      ).finally(() => {
        external?.removeEventListener('abort', onExternal);
        this.active.delete(handle);
      }),
      cancel: (reason) => whole.abort(cancelled(reason)),
      cancelUnit: (unitId, reason) => {
        const controller = perUnit.get(unitId);
        controller?.abort(cancelled(reason));
        return controller !== undefined;
      },
    };
    this.active.add(handle);
    return handle;
  }

  /** Runs in progress. */
  get runs(): readonly RunHandle<unknown>[] {
    return [...this.active];
  }

  /** Cancels every run in progress (station shutdown). */
  dispose(): void {
    for (const run of this.active) run.cancel('the station is shutting down');
    this.stepEmitter.dispose();
    this.runEmitter.dispose();
  }

  private async execute<S>(
    script: Script<S>,
    options: StartOptions<S>,
    runId: string,
    observers: readonly RunObserver[],
    signalOf: (unitId: string) => AbortSignal,
    wholeRun: AbortSignal,
  ): Promise<RunResult<S>> {
    const startedAt = this.now();
    const start: RunStart = {
      runId,
      script: script.name,
      startedAt,
      units: options.units.map((unit) => ({ unitId: unit.id, port: unit.view().port })),
    };
    const info: { -readonly [K in keyof RunInfo]: RunInfo[K] } = {
      runId,
      script: script.name,
      state: 'running',
      startedAt,
      finishedAt: null,
      units: { total: options.units.length, passed: 0, failed: 0, cancelled: 0 },
    };
    let recording: StepFailure | null = null;
    try {
      await notify(observers, (o) => o.runStarted?.(start));
    } catch (error) {
      recording = recordingFailure(error);
    }
    this.runEmitter.fire({ ...info, units: { ...info.units } });
    const units = await Promise.all(
      options.units.map(async (unit) => {
        const result = await this.runUnit(
          script,
          unit,
          runId,
          startedAt,
          options,
          observers,
          signalOf(unit.id),
          recording,
        );
        const key = result.result === 'pass' ? 'passed' : result.result === 'fail' ? 'failed' : 'cancelled';
        info.units[key]++;
        if (info.units.total > 1) this.runEmitter.fire({ ...info, units: { ...info.units } });
        return result;
      }),
    );
    const result: RunResult<S> = {
      runId,
      script: script.name,
      startedAt,
      finishedAt: this.now(),
      cancelled: wholeRun.aborted,
      units,
    };
    try {
      await notify(observers, (o) => o.runFinished?.(result));
    } catch (error) {
      // Every unit's result was already reported; a failing end-of-run record is worth a report, not a crash.
      onUnexpectedError(error, `runner.runFinished(${runId})`);
    }
    info.state = 'finished';
    info.finishedAt = result.finishedAt;
    this.runEmitter.fire({ ...info, units: { ...info.units } });
    return result;
  }

  /** One unit's run; it began with the run (`startedAt`, as the run's record has it for every unit). */
  private async runUnit<S>(
    script: Script<S>,
    unit: RunnableUnit,
    runId: string,
    startedAt: number,
    options: StartOptions<S>,
    observers: readonly RunObserver[],
    signal: AbortSignal,
    recording: StepFailure | null,
  ): Promise<UnitResult<S>> {
    let state = options.input(unit.view());
    const records: StepRecord[] = [];
    let settled: UnitResult<S> | undefined;
    const settle = (): UnitResult<S> => {
      const failedRecord = records.find((r) => r.status === 'failed' || r.status === 'cancelled');
      const result: UnitResult<S> = {
        runId,
        script: script.name,
        unitId: unit.id,
        port: unit.view().port,
        unit: unit.view(),
        result: failedRecord === undefined ? 'pass' : failedRecord.status === 'cancelled' ? 'cancelled' : 'fail',
        failedStep: failedRecord?.step ?? null,
        failure: failedRecord?.failure ?? null,
        error: failedRecord?.explanation ?? null,
        startedAt,
        finishedAt: this.now(),
        steps: records,
        state,
      };
      settled = result;
      try {
        options.settle?.(result);
      } catch (error) {
        onUnexpectedError(error, `runner.settle(${runId}, ${unit.id})`);
      }
      return result;
    };
    const holder: LeaseHolder = { kind: 'script', script: script.name, runId };
    const runSteps = async (): Promise<void> => {
      const aborts = new AbortController();
      const cleanup = new DisposableStore();
      const watch = unit.onUrc((event) => {
        const match = (script.abortOn ?? defaultAbortOn).find(
          (m) => m.urc.toUpperCase() === urcName(event) && (m.match?.(event) ?? true),
        );
        if (match !== undefined && !aborts.signal.aborted) {
          aborts.abort(new StepAbort({ code: 'aborted', resultCode: event.raw, message: match.explain(event) }));
        }
      });
      // The unit's transcript, gathered for the whole run: each try of a step takes the lines since the previous
      // try's record, so a line that arrives between two steps (while a record is being stored) is kept too.
      const gathered: TranscriptLine[] = [];
      cleanup.add(unit.onTranscript((line) => gathered.push(line)));
      const takeLines = (): TranscriptLine[] => gathered.splice(0);
      try {
        const unitLink = linked([signal, aborts.signal]);
        cleanup.add(unitLink);
        const unitSignal = unitLink.signal;
        let failed = false;
        for (const [index, step] of script.steps.entries()) {
          const base = { runId, script: script.name, unitId: unit.id, index, step: step.name };
          if (failed && !(step.always === true && !signal.aborted)) {
            const first = records.find((r) => r.status === 'failed' || r.status === 'cancelled');
            const why = `not run: ${first?.step ?? 'an earlier step'} did not pass`;
            records.push(await this.closeStep(observers, this.closedRecord(unit, base, 'skipped', why)));
            continue;
          }
          const skip = step.skip?.(state);
          if (skip !== undefined) {
            records.push(await this.closeStep(observers, this.closedRecord(unit, base, 'skipped', skip)));
            continue;
          }
          // An `always` step after a failure runs with the run's own signal: a script abort has already happened.
          const record = await this.runStep(
            step,
            unit,
            base,
            state,
            failed ? signal : unitSignal,
            observers,
            cleanup,
            takeLines,
          );
          records.push(record.record);
          if (record.record.status === 'passed') {
            if (!failed && record.patch !== undefined) state = { ...state, ...record.patch };
          } else {
            failed = true;
          }
        }
        settle();
      } finally {
        watch.dispose();
        cleanup.dispose();
      }
    };
    try {
      if (recording !== null) throw new StepAbort(recording);
      const leased = (): Promise<void> => unit.lease.hold(holder, runSteps, signal);
      await (options.unlimited === true ? leased() : this.limit.run(leased, signal));
    } catch (error) {
      // Cancelled (or not recordable) before the first step could start: every step is recorded as not run.
      const failure = error instanceof StepAbort ? error.failure : recordingFailure(error);
      const first = records.length;
      for (const [index, step] of script.steps.entries()) {
        if (index < first) continue;
        const base = { runId, script: script.name, unitId: unit.id, index, step: step.name };
        const record =
          index === first
            ? this.closedRecord(
                unit,
                base,
                failure.code === 'cancelled' ? 'cancelled' : 'failed',
                failure.message,
                failure,
              )
            : this.closedRecord(unit, base, 'skipped', `not run: ${failure.message}`);
        records.push(await this.closeStep(observers, record));
      }
    }
    const result = settled ?? settle();
    try {
      await notify(observers, (o) => o.unitFinished?.(result));
    } catch (error) {
      onUnexpectedError(error, `runner.unitFinished(${runId}, ${unit.id})`);
    }
    return result;
  }

  /** One step on one unit, with its retries. */
  private async runStep<S>(
    step: Step<S>,
    unit: RunnableUnit,
    base: Pick<StepStart, 'runId' | 'script' | 'unitId' | 'index' | 'step'>,
    state: S,
    signal: AbortSignal,
    observers: readonly RunObserver[],
    runScope: DisposableStore,
    takeLines: () => TranscriptLine[],
  ): Promise<{ record: StepRecord; patch: Partial<S> | undefined }> {
    const firstStart = this.now();
    for (let attempt = 1; ; attempt++) {
      const view = unit.view();
      const start: StepStart = { ...base, port: view.port, imei: view.imei, attempt, startedAt: this.now() };
      try {
        await notify(observers, (o) => o.stepStarted?.(start));
      } catch (error) {
        const failure = recordingFailure(error);
        const record = this.finishRecord(start, 'failed', failure, failure.message, [], unit);
        return { record, patch: undefined };
      }
      this.stepEmitter.fire(progressOf({ ...start, status: 'running' }));
      const outcome = await this.attempt(step, unit, start, view, state, signal, runScope);
      const lines = takeLines();
      const failure = 'failure' in outcome ? outcome.failure : null;
      const policy = step.retry;
      const retry =
        failure !== null &&
        policy !== undefined &&
        !signal.aborted &&
        attempt < policy.attempts &&
        (policy.retryOn ?? transientFailures).includes(failure.code) &&
        (policy.withinMs === undefined || this.now() - firstStart < policy.withinMs);
      const status = failure === null ? 'passed' : failure.code === 'cancelled' ? 'cancelled' : 'failed';
      const explanation =
        failure === null
          ? null
          : (step.explain?.(failure, state) ?? failure.message) + (retry ? ' (trying again)' : '');
      const record = this.finishRecord(start, status, failure, explanation, lines, unit);
      try {
        await notify(observers, (o) => o.stepFinished?.(record));
      } catch (error) {
        const failed = recordingFailure(error);
        return { record: this.finishRecord(start, 'failed', failed, failed.message, lines, unit), patch: undefined };
      }
      this.stepEmitter.fire(progressOf(record));
      if (!retry) return { record, patch: 'patch' in outcome ? outcome.patch : undefined };
      const wait = Math.min(
        policy.backoffMs * (policy.factor ?? 2) ** (attempt - 1),
        policy.maxBackoffMs ?? Number.POSITIVE_INFINITY,
      );
      try {
        await delay(wait, signal);
      } catch (error) {
        const failure = error instanceof StepAbort ? error.failure : cancelled(undefined).failure;
        const late = this.finishRecord(
          { ...start, startedAt: this.now() },
          'cancelled',
          failure,
          failure.message,
          [],
          unit,
        );
        return { record: late, patch: undefined };
      }
    }
  }

  /** One try of a step: its work raced against its signal (cancel, abort URC, its own timeout). */
  private async attempt<S>(
    step: Step<S>,
    unit: RunnableUnit,
    start: StepStart,
    view: UnitView,
    state: S,
    outer: AbortSignal,
    runScope: DisposableStore,
  ): Promise<{ patch: Partial<S> | undefined } | { failure: StepFailure }> {
    const scope = new DisposableStore();
    const timeout = new AbortController();
    let limitMs: number;
    try {
      limitMs = stepLimit(step, state);
    } catch (error) {
      scope.dispose();
      return { failure: failureOf(error, outer) };
    }
    const timer = setTimeout(() => {
      timeout.abort(
        new StepAbort({
          code: 'timeout',
          resultCode: null,
          message: `${step.name} did not finish within ${limitMs} ms`,
        }),
      );
    }, limitMs);
    scope.add(toDisposable(() => clearTimeout(timer)));
    const link = scope.add(linked([outer, timeout.signal]));
    const signal = link.signal;
    let over = false;
    scope.add(toDisposable(() => (over = true)));
    const ctx: StepContext<S> = {
      runId: start.runId,
      script: start.script,
      step: step.name,
      unit: view,
      state,
      attempt: start.attempt,
      signal,
      at: (request) => {
        // A step that raced past its end must not reach the module any more: the lease may be someone else's.
        if (over) return Promise.reject(new StepError(`${step.name} is over`, 'cancelled'));
        return unit.run(request, signal);
      },
      expectUrc: (name, match, timeoutMs) => {
        const promise = expectUrc(unit, scope, signal, name, match, timeoutMs);
        promise.catch(() => undefined);
        return promise;
      },
      onUrc: (name, listener) =>
        scope.add(
          unit.onUrc((event) => {
            if (urcName(event) === name.toUpperCase()) listener(event);
          }),
        ),
      onRunUrc: (name, listener) =>
        runScope.add(
          unit.onUrc((event) => {
            if (urcName(event) === name.toUpperCase()) listener(event);
          }),
        ),
      secret: (values) => {
        runScope.add(unit.addSecrets(values));
      },
      note: (text) => unit.note(text),
    };
    try {
      const work =
        step.run !== undefined
          ? step.run(ctx)
          : runRequests(step.requests(state, view), step.found, state, (request) => ctx.at(request));
      const patch = await raceAbort(work, signal);
      return { patch: patch ?? undefined };
    } catch (error) {
      return { failure: failureOf(error, signal) };
    } finally {
      scope.dispose();
    }
  }

  /** A step that did not run (skipped, or cancelled before it started): recorded and shown like any other. */
  private async closeStep(observers: readonly RunObserver[], record: StepRecord): Promise<StepRecord> {
    try {
      await notify(observers, (o) => o.stepFinished?.(record));
    } catch (error) {
      onUnexpectedError(error, `runner.stepFinished(${record.runId}, ${record.unitId}, ${record.step})`);
    }
    this.stepEmitter.fire(progressOf(record));
    return record;
  }

  private closedRecord(
    unit: RunnableUnit,
    base: Pick<StepStart, 'runId' | 'script' | 'unitId' | 'index' | 'step'>,
    status: 'skipped' | 'cancelled' | 'failed',
    explanation: string,
    failure: StepFailure | null = null,
  ): StepRecord {
    const view = unit.view();
    const start: StepStart = { ...base, port: view.port, imei: view.imei, attempt: 1, startedAt: this.now() };
    return { ...this.finishRecord(start, status, failure, explanation, [], unit), durationMs: 0 };
  }

  private finishRecord(
    start: StepStart,
    status: StepRecord['status'],
    failure: StepFailure | null,
    explanation: string | null,
    transcript: readonly TranscriptLine[],
    unit: RunnableUnit,
  ): StepRecord {
    // The unit's secrets are masked in what is recorded and shown (its transcript lines are masked as they come).
    const masked = failure === null ? null : { ...failure, message: unit.mask(failure.message) };
    return {
      ...start,
      status,
      durationMs: Math.max(0, this.now() - start.startedAt),
      failure: masked,
      resultCode: masked?.resultCode ?? null,
      explanation: explanation === null ? null : unit.mask(explanation),
      transcript,
    };
  }
}

async function runRequests<S>(
  requests: readonly AtRequest<unknown>[],
  found: ((answers: readonly unknown[], state: Readonly<S>) => Partial<S> | undefined) | undefined,
  state: S,
  at: (request: AtRequest<unknown>) => Promise<unknown>,
): Promise<Partial<S> | undefined> {
  const answers: unknown[] = [];
  for (const request of requests) answers.push(await at(request));
  return found?.(answers, state);
}

function expectUrc(
  unit: RunnableUnit,
  scope: DisposableStore,
  signal: AbortSignal,
  name: string,
  match: (event: UrcNotice) => boolean,
  timeoutMs: number,
): Promise<UrcNotice> {
  return new Promise((resolve, reject) => {
    const local = new DisposableStore();
    scope.add(local);
    const fail = (error: unknown): void => {
      local.dispose();
      reject(error instanceof Error ? error : new Error(String(error)));
    };
    if (signal.aborted) {
      fail(signal.reason);
      return;
    }
    const timer = setTimeout(() => fail(new StepError(`no ${name} within ${timeoutMs} ms`, 'timeout')), timeoutMs);
    local.add(toDisposable(() => clearTimeout(timer)));
    const onAbort = (): void => fail(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    local.add(toDisposable(() => signal.removeEventListener('abort', onAbort)));
    local.add(
      unit.onUrc((event) => {
        if (urcName(event) !== name.toUpperCase() || !match(event)) return;
        local.dispose();
        resolve(event);
      }),
    );
  });
}

function urcName(event: UrcNotice): string {
  return event.kind === 'urc' ? event.name.toUpperCase() : '+QMTRECV';
}

/**
 * A signal that aborts when the first of `parents` does, with that parent's reason. (AbortSignal.any does not
 * keep the first reason when a composite signal is itself composed: the reason tells a cancelled unit from a
 * cancelled run, a timeout from an abort URC, so it matters here.) Dispose it to unhook from long-lived parents.
 */
function linked(parents: readonly AbortSignal[]): Disposable & { readonly signal: AbortSignal } {
  const controller = new AbortController();
  const hooks = new DisposableStore();
  for (const parent of parents) {
    if (parent.aborted) {
      controller.abort(parent.reason);
      break;
    }
    const onAbort = (): void => {
      if (!controller.signal.aborted) controller.abort(parent.reason);
      hooks.dispose();
    };
    parent.addEventListener('abort', onAbort, { once: true });
    hooks.add(toDisposable(() => parent.removeEventListener('abort', onAbort)));
  }
  if (controller.signal.aborted) hooks.dispose();
  return { signal: controller.signal, dispose: () => hooks.dispose() };
}

/** Settles with `work`, or rejects with the signal's reason as soon as it aborts (whatever `work` does). */
function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(toError(signal.reason));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(toError(signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(toError(error));
      },
    );
  });
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(toError(signal.reason));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(toError(signal.reason));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

/** Turns whatever ended a step into a failure: the abort reason first (the engine then only says "cancelled"). */
function failureOf(error: unknown, signal: AbortSignal): StepFailure {
  const reason: unknown = signal.reason;
  if (signal.aborted && reason instanceof StepAbort) return reason.failure;
  if (error instanceof StepAbort) return error.failure;
  if (error instanceof StepError) return { code: error.code, resultCode: error.resultCode, message: error.message };
  if (error instanceof AtCommandError) {
    const { final, cmeCode, resultCode } = error.detail;
    const code =
      cmeCode !== undefined
        ? `+CME ERROR: ${cmeCode}`
        : (final ?? (resultCode !== undefined ? String(resultCode) : null));
    return { code: 'command-error', resultCode: code, message: error.message };
  }
  if (error instanceof AtError) return { code: error.code, resultCode: null, message: error.message };
  return { code: 'failed', resultCode: null, message: error instanceof Error ? error.message : String(error) };
}

function recordingFailure(error: unknown): StepFailure {
  if (error instanceof StepAbort) return error.failure;
  const detail = error instanceof Error ? error.message : String(error);
  return { code: 'recording-failed', resultCode: null, message: `the run could not be recorded: ${detail}` };
}

async function notify(
  observers: readonly RunObserver[],
  call: (observer: RunObserver) => void | Promise<void>,
): Promise<void> {
  for (const observer of observers) await call(observer);
}

function progressOf(record: (StepStart & { status: 'running' }) | StepRecord | undefined): StepProgress {
  if (record === undefined) throw new Error('no step record');
  const closed = record.status === 'running' ? null : record;
  return {
    runId: record.runId,
    moduleId: record.unitId,
    script: record.script,
    step: record.step,
    index: record.index,
    attempt: record.attempt,
    status: record.status,
    startedAt: record.startedAt,
    durationMs: closed?.durationMs ?? null,
    resultCode: closed?.resultCode ?? null,
    explanation: closed?.explanation ?? null,
  };
}

/** A step's limit for this try: fixed, or computed from the unit's state (and then checked). */
function stepLimit<S>(step: Step<S>, state: S): number {
  const limit = typeof step.timeoutMs === 'function' ? step.timeoutMs(state) : step.timeoutMs;
  if (!(limit > 0) || !Number.isFinite(limit)) {
    throw new StepError(`${step.name}: its time limit is not a positive number (${limit})`);
  }
  return limit;
}

function checkScript<S>(script: Script<S>): void {
  const names = new Set<string>();
  for (const step of script.steps) {
    if (names.has(step.name)) throw new Error(`script ${script.name}: step ${step.name} appears twice`);
    names.add(step.name);
    if (typeof step.timeoutMs === 'number' && !(step.timeoutMs > 0)) {
      throw new Error(`script ${script.name}: step ${step.name} needs a positive timeoutMs`);
    }
    const retry = step.retry;
    if (retry !== undefined && (!Number.isInteger(retry.attempts) || retry.attempts < 1 || retry.backoffMs < 0)) {
      throw new Error(`script ${script.name}: step ${step.name} has a bad retry policy`);
    }
  }
}
