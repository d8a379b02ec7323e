import type { StepStatus, TranscriptLine } from '../../shared/contract';
import type { UrcNotice } from '../at/engine';
import type { AtRequest } from '../at/vocab/request';
import type { Disposable } from '../base';

/**
 * Scripts as data (after Zephyr's modem_chat chat scripts): a script is a named list of steps plus the URCs that
 * abort it anywhere. One runner (runner.ts) executes any script on any set of units, under each unit's port lease,
 * with a concurrency limit across units, cancellation, retries, per-step records and progress events.
 *
 * `S` is the run's state for one unit: what the caller starts it with (a profile, a credential ledger handle, the
 * unit's port) plus what the steps found so far. Each step returns a patch that is merged into it.
 */
export interface Script<S> {
  readonly name: string;
  readonly steps: readonly Step<S>[];
  /** URCs that end the run of this unit wherever it is. Default: `defaultAbortOn` (RDY, +QMTSTAT, +CPIN: NOT READY). */
  readonly abortOn?: readonly AbortMatch[];
}

/** A URC that aborts a script, with what it means in plain words. */
export interface AbortMatch {
  /** The URC name as the engine reports it: `RDY`, `+QMTSTAT`, `+CPIN`. */
  readonly urc: string;
  /** Further condition on the URC (e.g. `+CPIN: NOT READY` only, or one MQTT client's +QMTSTAT). */
  readonly match?: (event: UrcNotice) => boolean;
  /** The explanation recorded for the step it interrupts. */
  readonly explain: (event: UrcNotice) => string;
}

/** When to try a failed step again. Only failures whose code is in `retryOn` are retried. */
export interface RetryPolicy {
  /** Total tries, the first included (1 = no retry). */
  readonly attempts: number;
  /** Wait before the second try; multiplied by `factor` for each further one, up to `maxBackoffMs`. */
  readonly backoffMs: number;
  readonly factor?: number;
  readonly maxBackoffMs?: number;
  /** No new try starts later than this after the step's first try started (a boot wait, say). */
  readonly withinMs?: number;
  /** Default: `transientFailures` (timeout, bad-response, busy). */
  readonly retryOn?: readonly StepFailureCode[];
}

/**
 * Why a step failed, as a category. The AT engine's error codes (`timeout`, `command-error`, `bad-response`,
 * `port-closed`, `busy` for a trapped port, `invalid-parameter`), plus: `aborted` (a script abort URC arrived),
 * `cancelled` (the run or the unit was cancelled), `failed` (non-AT work failed: a StepError without a code of its
 * own), `recording-failed` (the run observer could not record the step, so it was not run).
 */
export type StepFailureCode =
  | 'timeout'
  | 'command-error'
  | 'bad-response'
  | 'port-closed'
  | 'busy'
  | 'invalid-parameter'
  | 'aborted'
  | 'cancelled'
  | 'failed'
  | 'recording-failed';

export const transientFailures: readonly StepFailureCode[] = ['timeout', 'bad-response', 'busy'];

/** A step's failure: the category, the module's own result where there is one, and words for an operator. */
export interface StepFailure {
  readonly code: StepFailureCode;
  /** The module's own result code (`+CME ERROR: 10`, `ERROR`, `+QMTCONN: 0,0,5`, `RDY`), or null. */
  readonly resultCode: string | null;
  /** What went wrong, in plain words (the step's `explain` may replace it). */
  readonly message: string;
}

/** Thrown by a step's own code (non-AT work, a check on what the module answered) to fail it with these words. */
export class StepError extends Error {
  constructor(
    message: string,
    readonly code: StepFailureCode = 'failed',
    readonly resultCode: string | null = null,
  ) {
    super(message);
    this.name = 'StepError';
  }
}

/** What the runner tells a step about the unit it runs on (a snapshot taken when the step starts). */
export interface UnitView {
  readonly id: string;
  readonly port: string;
  readonly model: string | null;
  readonly revision: string | null;
  readonly imei: string | null;
  readonly iccid: string | null;
  readonly imsi: string | null;
}

/** What a step's code gets. Everything it does to the module goes through `at`, under the run's lease. */
export interface StepContext<S> {
  readonly runId: string;
  readonly script: string;
  readonly step: string;
  readonly unit: UnitView;
  readonly state: Readonly<S>;
  /** 1 for the first try. */
  readonly attempt: number;
  /** Aborts on cancel, on a script abort URC and at the step's timeout. `at` passes it on by itself. */
  readonly signal: AbortSignal;
  /** Runs one AT transaction on the unit (its lines land in this step's transcript slice). */
  at<T>(request: AtRequest<T>): Promise<T>;
  /**
   * Starts listening for a URC now and resolves with the first one that matches (rejects at `timeoutMs` or when
   * the step is aborted). Call it before the command that provokes the URC, await it after.
   */
  expectUrc(name: string, match: (event: UrcNotice) => boolean, timeoutMs: number): Promise<UrcNotice>;
  /** Listens for a URC for the rest of the step (disposed when the step ends). */
  onUrc(name: string, listener: (event: UrcNotice) => void): Disposable;
  /**
   * Listens for a URC for the rest of this unit's run (disposed when the run of the unit ends): what one step
   * provokes and a later step waits for (a message coming back after a publish) is not lost in between.
   */
  onRunUrc(name: string, listener: (event: UrcNotice) => void): Disposable;
  /**
   * Marks values as secret for the rest of this unit's run (a password, a device secret): wherever they appear
   * they are masked (`***`) in the unit's transcript (its events and every step's slice), in its notes and in step
   * explanations. Values shorter than `MIN_MASKED_SECRET` characters are not masked inside other text.
   */
  secret(values: readonly string[]): void;
  /** A remark of the station in the unit's transcript (and so in this step's slice). Never put a secret here. */
  note(text: string): void;
}

/** Secrets shorter than this are not masked inside other text (masking every `1` would wreck the transcript). */
export const MIN_MASKED_SECRET = 4;

interface StepBase<S> {
  readonly name: string;
  /**
   * Limit of one try of the step, all its work included (each AT request also has its own limit). A function
   * computes it from the unit's state when the try starts (the sum of the limits of what the step will send).
   */
  readonly timeoutMs: number | ((state: Readonly<S>) => number);
  readonly retry?: RetryPolicy;
  /** Words for a failure (the module's result code is recorded beside them). Default: the failure's message. */
  readonly explain?: (failure: StepFailure, state: Readonly<S>) => string | undefined;
  /** A reason to skip the step for this unit (recorded as `skipped`), or undefined to run it. */
  readonly skip?: (state: Readonly<S>) => string | undefined;
  /** Runs even after an earlier step failed (cleanup such as closing an MQTT link); not after a cancel. */
  readonly always?: boolean;
}

/** A step as data: the requests it sends in order (each must succeed), and what their answers mean. */
export interface RequestStep<S> extends StepBase<S> {
  readonly requests: (state: Readonly<S>, unit: UnitView) => readonly AtRequest<unknown>[];
  readonly found?: (answers: readonly unknown[], state: Readonly<S>) => Partial<S> | undefined;
  readonly run?: never;
}

/** A step as code: anything (AT through `ctx.at`, a ledger claim, a broker check), returning what it found. */
export interface WorkStep<S> extends StepBase<S> {
  readonly run: (ctx: StepContext<S>) => Promise<Partial<S> | undefined>;
  readonly requests?: never;
  readonly found?: never;
}

export type Step<S> = RequestStep<S> | WorkStep<S>;

/** A step that has started on a unit (told to observers before anything of it reaches the module). */
export interface StepStart {
  readonly runId: string;
  readonly script: string;
  readonly unitId: string;
  readonly port: string;
  readonly imei: string | null;
  readonly step: string;
  readonly index: number;
  readonly attempt: number;
  readonly startedAt: number;
}

/** One step of one unit's run, as it ended. */
export interface StepRecord extends StepStart {
  readonly status: Exclude<StepStatus, 'running'>;
  readonly durationMs: number;
  readonly failure: StepFailure | null;
  /** The module's own result code of a failure (copied from `failure`), or null. */
  readonly resultCode: string | null;
  /** Plain words: why it failed, why it was skipped or cancelled; null when it passed. */
  readonly explanation: string | null;
  /** The unit's transcript lines while the step ran (redacted; the station's remarks included). */
  readonly transcript: readonly TranscriptLine[];
}

export type UnitOutcome = 'pass' | 'fail' | 'cancelled';

/** One unit's run of a script, as it ended. `steps` has one record per step of the script, in order. */
export interface UnitResult<S> {
  readonly runId: string;
  readonly script: string;
  readonly unitId: string;
  readonly port: string;
  /** The unit's identity when its run ended (identification may have filled it in). */
  readonly unit: UnitView;
  readonly result: UnitOutcome;
  /** The first step that failed (or was cancelled), null on a pass. */
  readonly failedStep: string | null;
  readonly failure: StepFailure | null;
  /** The explanation of that step. */
  readonly error: string | null;
  /** When the unit's run began: the run's start (a run's units begin together, then wait for their ports). */
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly steps: readonly StepRecord[];
  /** The state after the last step: the caller's input plus everything the steps found. */
  readonly state: S;
}

export interface RunStart {
  readonly runId: string;
  readonly script: string;
  readonly startedAt: number;
  readonly units: readonly { readonly unitId: string; readonly port: string }[];
}

export interface RunResult<S> {
  readonly runId: string;
  readonly script: string;
  readonly startedAt: number;
  readonly finishedAt: number;
  /** The run was cancelled as a whole (RunHandle.cancel, its signal, the station shutting down), not unit by unit. */
  readonly cancelled: boolean;
  readonly units: readonly UnitResult<S>[];
}

/**
 * The persistence seam: told of every run, step and unit result as it happens, and awaited, so that a store can
 * commit each record before the run goes on (a step is reported started before anything of it is written to the
 * module; a step whose start cannot be recorded is not run, and the unit fails with `recording-failed`). The
 * runner does not know what is behind it (SQLite, PostgreSQL, a CSV writer, a test's array). Steps that never ran
 * (skipped, or cancelled before they started) get `stepFinished` without `stepStarted`; a step tried again gets a
 * start and a finish per try.
 */
export interface RunObserver {
  runStarted?(run: RunStart): void | Promise<void>;
  stepStarted?(step: StepStart): void | Promise<void>;
  stepFinished?(record: StepRecord): void | Promise<void>;
  unitFinished?(result: UnitResult<unknown>): void | Promise<void>;
  runFinished?(result: RunResult<unknown>): void | Promise<void>;
}
