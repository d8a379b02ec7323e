import type { AtOutcomeView, EventName, EventPayload, ModuleInfo, Result, TranscriptLine } from '../../shared/contract';
import { fail, ok, splitJoinedCommands } from '../../shared/contract';
import { AtCommandError, AtError } from '../at/vocab/errors';
import type { AtOutcome, AtRequest } from '../at/vocab/request';
import { DisposableStore, Emitter, type Disposable, type Event } from '../base';
import type { ByteTransport } from '../transport/types';
import { hasDataPhase } from './data-phase';
import { decodeAnswer } from './decode';
import { emptyIdentify, identifyScript, type IdentifyState } from './identify';
import { redactLine, redactOutcome } from './redact';
import { ScriptRunner, type RunHandle } from './runner';
import type { RunObserver, Script, UnitView } from './script';
import { Unit, type EngineFactory } from './units';

export interface StationOptions {
  /** Builds the AT engine of each attached transport. */
  readonly openEngine: EngineFactory;
  /** Transcript lines are pushed in batches at most this often (ms). */
  readonly transcriptBatchMs?: number;
  /** How many transcript lines each unit keeps for late-joining clients. */
  readonly transcriptKeep?: number;
  /** Time limit of a guided-session command. */
  readonly commandTimeoutMs?: number;
  /** How long identification waits for a module that has not finished booting (it ignores commands before RDY). */
  readonly bootWaitMs?: number;
  /** Units running scripts at the same time (the runner's limit). Default 64. */
  readonly concurrency?: number;
  /** Delay before identifying a unit again after identification failed; doubles up to `maxMs`. */
  readonly identifyRetry?: { readonly firstMs: number; readonly maxMs: number };
  /** Told of every run started with `runScript` (the history store behind an adapter). Not of identification. */
  readonly recorder?: RunObserver;
}

export interface RunScriptOptions<S> {
  readonly moduleIds: readonly string[];
  /** The state each unit's run starts with. */
  readonly input: (unit: UnitView) => S;
  readonly runId?: string;
  /** Told of every step of this run, after the station's recorder, each in turn and awaited. */
  readonly observers?: readonly RunObserver[];
  readonly signal?: AbortSignal;
}

type Emitters = { readonly [E in EventName]: Emitter<EventPayload<E>> };

/**
 * The station core: the unit registry, one AT engine and one port lease per unit, the script runner, and the
 * contract's events. Units are attached from transports (the composition root and the port watcher open them)
 * and identified by the `identify` script, retried with a growing delay; a restart (RDY) identifies again. Every
 * conversation with a unit (a console command, a script) holds its lease. Events carry one change each.
 */
export class Station {
  private readonly units = new Map<string, Unit>();
  private readonly store = new DisposableStore();
  private readonly emitters: Emitters = {
    moduleChanged: this.store.add(new Emitter('station.moduleChanged')),
    moduleRemoved: this.store.add(new Emitter('station.moduleRemoved')),
    transcriptLines: this.store.add(new Emitter('station.transcriptLines')),
    runChanged: this.store.add(new Emitter('station.runChanged')),
    stepProgress: this.store.add(new Emitter('station.stepProgress')),
  };
  /** Units changed since the last flush: one `moduleChanged` per unit per turn, however many changes. */
  private readonly dirty = new Set<Unit>();
  private flushQueued = false;
  private pendingLines: TranscriptLine[] = [];
  private batchTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly retries = new Map<Unit, { timer: ReturnType<typeof setTimeout> | undefined; delayMs: number }>();
  private readonly identifications = new Map<Unit, RunHandle<IdentifyState>>();
  private disposed = false;
  private readonly batchMs: number;
  private readonly keep: number;
  private readonly commandTimeoutMs: number;
  private readonly identify: Script<IdentifyState>;
  private readonly retryFirstMs: number;
  private readonly retryMaxMs: number;
  /** The one script runner of this station (identification, and whatever `runScript` starts). */
  readonly runner: ScriptRunner;

  constructor(private readonly options: StationOptions) {
    this.batchMs = options.transcriptBatchMs ?? 50;
    this.keep = options.transcriptKeep ?? 1000;
    this.commandTimeoutMs = options.commandTimeoutMs ?? 10_000;
    this.identify = identifyScript({ bootWaitMs: options.bootWaitMs ?? 15_000 });
    this.retryFirstMs = options.identifyRetry?.firstMs ?? 1_000;
    this.retryMaxMs = options.identifyRetry?.maxMs ?? 30_000;
    this.runner = this.store.add(new ScriptRunner({ concurrency: options.concurrency ?? 64 }));
    this.store.add(
      this.runner.onDidStep((progress) => {
        const unit = this.units.get(progress.moduleId);
        const holder = unit?.lease.holder;
        // The step shown is the one running, kept until the next starts or the lease is let go.
        if (unit !== undefined && holder?.kind === 'script' && holder.runId === progress.runId) {
          if (progress.status === 'running') unit.setStep(progress.step);
        }
        this.emitters.stepProgress.fire(progress);
      }),
    );
    this.store.add(this.runner.onDidRun((run) => this.emitters.runChanged.fire(run)));
  }

  /** Subscribes to one of the contract's events (the shells forward them to the renderer). */
  on<E extends EventName>(name: E, listener: (payload: EventPayload<E>) => void): Disposable {
    const event: Event<EventPayload<E>> = this.emitters[name].event;
    return event(listener);
  }

  /** The snapshot: every unit as it is now, in the order they were attached. */
  list(): ModuleInfo[] {
    return [...this.units.values()].map((unit) => unit.info());
  }

  get(moduleId: string): ModuleInfo | undefined {
    return this.units.get(moduleId)?.info();
  }

  /** True when a unit is listed on `path` and its port is open. */
  isAttached(path: string): boolean {
    return this.units.get(path)?.isAttached === true;
  }

  /**
   * Adds the unit behind `transport` (its id is the transport's id, the port path), or re-attaches a unit whose
   * port had gone and came back; then identifies it in the background.
   */
  attach(transport: ByteTransport): void {
    if (this.disposed) throw new Error('the station is shut down');
    const existing = this.units.get(transport.id);
    if (existing?.isAttached === true) throw new Error(`a module is already attached on ${transport.id}`);
    const unit = existing ?? this.addUnit(transport.id);
    this.cancelRetry(unit);
    unit.attach(transport, this.options.openEngine(transport));
    this.startIdentify(unit);
  }

  /** A port that cannot be opened: listed as a unit in `error` with the reason (the station goes on). */
  reportUnopenable(path: string, reason: string): void {
    if (this.disposed) return;
    const unit = this.units.get(path) ?? this.addUnit(path);
    if (unit.isAttached) return;
    unit.update({ connection: 'error', problem: reason });
  }

  /**
   * Sends one typed AT command (guided session), holding the unit's lease: it waits for a script or another
   * command to finish and never interleaves with them. A module's ERROR is an outcome; failures are error data.
   * `signal` cancels it (waiting, or in flight).
   */
  async sendAt(
    moduleId: string,
    line: string,
    options: { readonly signal?: AbortSignal } = {},
  ): Promise<Result<AtOutcomeView>> {
    const unit = this.units.get(moduleId);
    if (unit === undefined)
      return fail('unknown-module', `moduleId: no module "${moduleId.slice(0, 80)}" is attached`, 'moduleId');
    if (!unit.isAttached) {
      return fail(
        'module-unavailable',
        `${moduleId} is ${unit.connection === 'gone' ? 'disconnected' : 'not open'}`,
        'moduleId',
      );
    }
    const command = line.trim();
    // One command per line: a `;`-joined tail would escape the checks below (the contract refuses it too). A `;`
    // inside quotes (a Will topic) is part of a value.
    const joined = splitJoinedCommands(command);
    if (joined.commands.length > 1 || joined.ambiguous) {
      return fail(
        'invalid-input',
        'line: one command per line; joined commands (";" outside quotes) are not accepted',
        'line',
      );
    }
    // Commands with a data phase (`> ` prompt or CONNECT) need a provisioning flow, not a typed line.
    if (hasDataPhase(command)) {
      return fail(
        'invalid-input',
        'line: this command has a data phase; the guided session sends plain commands only',
        'line',
      );
    }
    const redacted = redactLine(command);
    const signal = options.signal ?? new AbortController().signal;
    try {
      const outcome = await unit.lease.hold(
        { kind: 'console' },
        async () => redactOutcome(await unit.run(rawRequest(command, redacted, this.commandTimeoutMs), signal)),
        signal,
      );
      const decoded = decodeAnswer(command, outcome);
      return ok({
        moduleId,
        command: redacted,
        verdict: 'ok',
        final: outcome.final.raw,
        lines: outcome.responses.map((r) => r.raw),
        summary: decoded.summary,
        fields: [...decoded.fields],
        elapsedMs: outcome.elapsedMs,
      });
    } catch (error) {
      if (error instanceof AtCommandError) {
        const final = error.detail.final ?? 'ERROR';
        // The engine words the error with the spec's texts (describeFinal), after the redacted command.
        const prefix = `${redacted}: `;
        return ok({
          moduleId,
          command: redacted,
          verdict: 'error',
          final,
          lines: [],
          summary: redactLine(error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message),
          fields: [],
          elapsedMs: 0,
        });
      }
      if (signal.aborted && !(error instanceof AtError)) {
        return fail('module-unavailable', `${redacted}: cancelled before the module was free`);
      }
      return failureOf(error);
    }
  }

  transcript(moduleId: string, limit = 500): Result<TranscriptLine[]> {
    const unit = this.units.get(moduleId);
    if (unit === undefined)
      return fail('unknown-module', `moduleId: no module "${moduleId.slice(0, 80)}" is attached`, 'moduleId');
    return ok(unit.transcript(limit));
  }

  /**
   * Runs `script` on the listed units with the station's runner (each under its lease, within the concurrency
   * limit). The station's recorder and `options.observers` are told of every step. Throws for an unknown unit.
   */
  runScript<S>(script: Script<S>, options: RunScriptOptions<S>): RunHandle<S> {
    const units = options.moduleIds.map((id) => {
      const unit = this.units.get(id);
      if (unit === undefined) throw new Error(`no module "${id.slice(0, 80)}" is attached`);
      return unit;
    });
    const recorder = this.options.recorder;
    return this.runner.start(script, {
      units,
      input: options.input,
      observers: [...(recorder === undefined ? [] : [recorder]), ...(options.observers ?? [])],
      ...(options.runId === undefined ? {} : { runId: options.runId }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  }

  /** Cancels a run in progress, or one unit of it; false when there is no such run (or unit in it) any more. */
  cancelRun(runId: string, moduleId?: string, reason?: string): boolean {
    const run = this.runner.runs.find((r) => r.id === runId);
    if (run === undefined) return false;
    if (moduleId !== undefined) return run.cancelUnit(moduleId, reason);
    run.cancel(reason);
    return true;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    if (this.batchTimer !== undefined) clearTimeout(this.batchTimer);
    for (const unit of this.units.values()) this.cancelRetry(unit);
    const runs = this.runner.runs;
    this.runner.dispose();
    const units = [...this.units.values()];
    for (const unit of units) unit.detach('The station shut down.');
    await Promise.all(runs.map((run) => run.done));
    this.units.clear();
    for (const unit of units) unit.dispose();
    this.store.dispose();
  }

  // ---- units ----------------------------------------------------------------------------------------------

  private addUnit(id: string): Unit {
    const unit = new Unit(id, this.keep);
    this.units.set(id, unit);
    unit.onDidChange(() => this.markDirty(unit));
    unit.onTranscript((line) => this.pushLine(line));
    // A module that restarts (watchdog, AT+CFUN=1,1, power glitch) announces RDY: read its identity again. A
    // script holding the lease is aborted by the same RDY first; identification then waits its turn.
    unit.onUrc((event) => {
      if (event.kind !== 'urc' || event.name !== 'RDY' || this.disposed) return;
      if (unit.connection === 'ready' || unit.connection === 'error') this.startIdentify(unit);
    });
    this.markDirty(unit);
    return unit;
  }

  private startIdentify(unit: Unit): void {
    if (this.disposed || !unit.isAttached || this.identifications.has(unit)) return;
    this.cancelRetry(unit);
    unit.update({ connection: 'identifying' });
    const run = this.runner.start(this.identify, {
      units: [unit],
      input: () => emptyIdentify,
      unlimited: true,
      // Applied while identification still holds the lease: whoever talks to the unit next sees it identified.
      settle: (outcome) => {
        if (this.disposed || !unit.isAttached) return;
        if (outcome.result === 'pass') {
          this.identified(unit, outcome.state);
          return;
        }
        unit.update({
          connection: 'error',
          problem: `Identification failed at ${outcome.failedStep ?? 'the start'}: ${outcome.error ?? 'unknown error'}`,
        });
        this.scheduleRetry(unit);
      },
    });
    this.identifications.set(unit, run);
    void run.done.then(() => this.identifications.delete(unit));
  }

  private identified(unit: Unit, found: IdentifyState): void {
    const { model, revision, imei, iccid, imsi } = found;
    // A unit is known by its IMEI: the same module listed on another port is either gone (it moved: drop the old
    // entry) or still there (a second AT port of one module: do not use this one).
    const twin = [...this.units.values()].find((u) => u !== unit && imei !== null && u.identity.imei === imei);
    if (twin !== undefined && twin.isAttached) {
      unit.update({
        connection: 'error',
        identity: { model, revision, imei, iccid, imsi },
        problem: `The same module (IMEI ${imei ?? ''}) is attached on ${twin.id}: a second port of one module is not used.`,
      });
      return;
    }
    if (twin !== undefined) this.remove(twin);
    this.retries.delete(unit);
    unit.update({
      connection: 'ready',
      identity: { model, revision, imei, iccid, imsi },
      problem: found.simProblem,
    });
  }

  private remove(unit: Unit): void {
    this.cancelRetry(unit);
    this.units.delete(unit.id);
    this.dirty.delete(unit);
    unit.dispose();
    this.emitters.moduleRemoved.fire({ moduleId: unit.id });
  }

  private scheduleRetry(unit: Unit): void {
    const previous = this.retries.get(unit);
    const delayMs = previous === undefined ? this.retryFirstMs : Math.min(previous.delayMs * 2, this.retryMaxMs);
    const timer = setTimeout(() => {
      const entry = this.retries.get(unit);
      if (entry !== undefined) entry.timer = undefined;
      if (unit.connection === 'error') this.startIdentify(unit);
    }, delayMs);
    timer.unref();
    this.retries.set(unit, { timer, delayMs });
  }

  private cancelRetry(unit: Unit): void {
    const entry = this.retries.get(unit);
    if (entry?.timer !== undefined) clearTimeout(entry.timer);
    if (entry !== undefined) entry.timer = undefined;
  }

  // ---- events ---------------------------------------------------------------------------------------------

  private markDirty(unit: Unit): void {
    if (this.disposed) return;
    this.dirty.add(unit);
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      const units = [...this.dirty];
      this.dirty.clear();
      for (const u of units) if (this.units.get(u.id) === u) this.emitters.moduleChanged.fire(u.info());
    });
  }

  private pushLine(line: TranscriptLine): void {
    if (this.disposed) return;
    this.pendingLines.push(line);
    this.batchTimer ??= setTimeout(() => this.flushLines(), this.batchMs);
  }

  private flushLines(): void {
    this.batchTimer = undefined;
    const lines = this.pendingLines;
    this.pendingLines = [];
    if (lines.length > 0 && !this.disposed) this.emitters.transcriptLines.fire(lines);
  }
}

/** A typed line as one transaction: no payload, no completion; the outcome is the answer itself. */
function rawRequest(line: string, redacted: string, timeoutMs: number): AtRequest<AtOutcome> {
  return { line, redacted, timeoutMs, parse: (outcome) => outcome };
}

function failureOf(error: unknown): Result<never> {
  if (error instanceof AtError) {
    switch (error.code) {
      case 'timeout':
        return fail('timeout', `The module did not answer in time: ${redactLine(error.message)}`);
      case 'port-closed':
        return fail('port-closed', error.message);
      case 'bad-response':
        return fail('bad-response', error.message);
      case 'invalid-parameter':
        return fail('invalid-input', error.message, 'line');
      case 'busy':
      case 'cancelled':
      case 'command-error':
        return fail('module-unavailable', error.message);
    }
  }
  return fail('internal', error instanceof Error ? redactLine(error.message) : 'unexpected failure');
}
