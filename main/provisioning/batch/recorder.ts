import type { TranscriptLine } from '../../../shared/contract';
import type { RunObserver, RunResult, RunStart, StepRecord, StepStart, UnitResult } from '../../core/script';
import type { History, ProfileRecord } from '../../store';
import type { UnitFacts, UnitIdentityFound } from './state';

/** What a batch run is recorded with, besides what the runner reports. */
export interface RunMeta {
  readonly station: string;
  readonly operator?: string;
  readonly workOrder?: string;
  readonly profile: ProfileRecord;
  /** The run whose failed units this run retries. */
  readonly retryOf?: string;
}

/** A transcript slice as stored: one line per entry, `<ISO time> <tx|rx|note> <text>` (already redacted). */
export function transcriptText(lines: readonly TranscriptLine[]): string {
  return lines.map((line) => `${new Date(line.at).toISOString()} ${line.dir} ${line.text}\n`).join('');
}

/**
 * The error code recorded for a unit that did not pass: the module's own result code where the failing step has
 * one (`+QMTCONN: 0,0,5`, `+CME ERROR: 405`, `+QMTOPEN: 0,-1`, `RDY`, `+QMTSTAT: 0,1`), otherwise the station's
 * failure category (`timeout`, `bad-response`, `port-closed`, `busy`, `cancelled`, `failed`, ...).
 */
export function errorCodeOf(result: UnitResult<unknown>): string | undefined {
  if (result.result === 'pass') return undefined;
  const failure = result.failure;
  if (failure === null) return result.result === 'cancelled' ? 'cancelled' : 'failed';
  return failure.resultCode ?? failure.code;
}

/**
 * The persistence of a batch: a RunObserver that records the run in the store's History as it happens (the run
 * and every unit when the run starts, each step when it starts and when it ends, with its redacted transcript
 * slice; each unit's result when it ends), and gives each unit's steps a `UnitFacts` to commit its identity and
 * credential the moment they are known. Every call is awaited by the runner: a step starts only once its start is
 * committed, and a failing store stops the unit (`recording-failed`) rather than losing its record.
 */
export class HistoryRecorder implements RunObserver {
  /** The runner's unit id (its port) → the store's unit-run id. */
  private readonly units = new Map<string, string>();
  /** `unit/index/attempt` → the store's step id, between start and finish. */
  private readonly steps = new Map<string, string>();

  constructor(
    private readonly history: History,
    private readonly meta: RunMeta,
    private readonly now: () => number = Date.now,
  ) {}

  /** The store's unit-run id of a unit of this run (known once the run has started). */
  unitRecord(unitId: string): string | undefined {
    return this.units.get(unitId);
  }

  /** The facts hook of one unit (its steps commit identity and credential through it). */
  factsFor(unitId: string): UnitFacts {
    const record = (): string => {
      const id = this.units.get(unitId);
      if (id === undefined) throw new Error(`unit ${unitId} is not part of the recorded run`);
      return id;
    };
    return {
      identified: (identity: UnitIdentityFound) =>
        this.history.identifyUnit(
          record(),
          {
            imei: identity.imei,
            iccid: identity.iccid,
            imsi: identity.imsi,
            model: identity.model,
            firmware: identity.firmware,
          },
          this.now(),
        ),
      credential: (credentialId: string) => this.history.setUnitCredential(record(), credentialId),
    };
  }

  async runStarted(run: RunStart): Promise<void> {
    await this.history.beginRun({
      id: run.runId,
      station: this.meta.station,
      ...(this.meta.operator !== undefined ? { operator: this.meta.operator } : {}),
      ...(this.meta.workOrder !== undefined ? { workOrder: this.meta.workOrder } : {}),
      profile: this.meta.profile,
      startedAt: run.startedAt,
      ...(this.meta.retryOf !== undefined ? { retryOf: this.meta.retryOf } : {}),
    });
    // Asked for all at once: the store commits them together (in this order).
    const ids = await Promise.all(
      run.units.map((unit) => this.history.beginUnit(run.runId, { port: unit.port, startedAt: run.startedAt })),
    );
    run.units.forEach((unit, i) => {
      const id = ids[i];
      if (id !== undefined) this.units.set(unit.unitId, id);
    });
  }

  async stepStarted(step: StepStart): Promise<void> {
    const unit = this.units.get(step.unitId);
    if (unit === undefined) throw new Error(`unit ${step.unitId} is not part of the recorded run`);
    this.steps.set(key(step), await this.history.beginStep(unit, { name: step.step, startedAt: step.startedAt }));
  }

  async stepFinished(record: StepRecord): Promise<void> {
    const unit = this.units.get(record.unitId);
    if (unit === undefined) throw new Error(`unit ${record.unitId} is not part of the recorded run`);
    const started = this.steps.get(key(record));
    this.steps.delete(key(record));
    // A step that never ran (skipped, cancelled before it started) is recorded all at once.
    const stepId = started ?? (await this.history.beginStep(unit, { name: record.step, startedAt: record.startedAt }));
    await this.history.endStep(stepId, {
      status: record.status,
      durationMs: record.durationMs,
      ...(record.resultCode !== null ? { resultCode: record.resultCode } : {}),
      ...(record.explanation !== null ? { explanation: record.explanation } : {}),
      ...(record.transcript.length > 0 ? { transcript: transcriptText(record.transcript) } : {}),
    });
  }

  async unitFinished(result: UnitResult<unknown>): Promise<void> {
    const unit = this.units.get(result.unitId);
    if (unit === undefined) return;
    const roundTripMs = roundTripOf(result.state);
    const errorCode = errorCodeOf(result);
    await this.history.finishUnit(unit, {
      result: result.result,
      ...(result.failedStep !== null ? { failedStep: result.failedStep } : {}),
      ...(errorCode !== undefined ? { errorCode } : {}),
      ...(result.error !== null ? { error: result.error } : {}),
      ...(roundTripMs !== undefined ? { roundTripMs } : {}),
      durationMs: Math.max(0, result.finishedAt - result.startedAt),
      finishedAt: result.finishedAt,
    });
  }

  async runFinished(result: RunResult<unknown>): Promise<void> {
    await this.history.finishRun(result.runId, {
      state: result.cancelled ? 'cancelled' : 'finished',
      finishedAt: result.finishedAt,
    });
  }
}

/** The round trip a provisioning run measured (`ProvisionState.roundTripMs`), if it got that far. */
function roundTripOf(state: unknown): number | undefined {
  if (typeof state !== 'object' || state === null || !('roundTripMs' in state)) return undefined;
  return typeof state.roundTripMs === 'number' ? state.roundTripMs : undefined;
}

function key(step: Pick<StepStart, 'unitId' | 'index' | 'attempt'>): string {
  return `${step.unitId}\u0000${String(step.index)}\u0000${String(step.attempt)}`;
}
