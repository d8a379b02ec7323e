import type { AtOutcomeView, EventName, EventPayload, ModuleInfo, Result, TranscriptLine } from '../../shared/contract';
import { fail, ok } from '../../shared/contract';
import { AtCommandError, AtError } from '../at/vocab/errors';
import * as commands from '../at/commands';
import type { AtOutcome, AtRequest } from '../at/vocab/request';
import type { ByteTransport, Disposable } from '../transport/types';
import type { AtPort, AtPortFactory } from './at-port';
import { hasDataPhase } from './data-phase';
import { decodeAnswer } from './decode';
import { Emitter } from './emitter';
import { redactLine, redactOutcome } from './redact';

export interface StationOptions {
  /** Builds the AT path of each attached transport (the AT engine, or the line port in tests/demo). */
  readonly openPort: AtPortFactory;
  /** Transcript lines are pushed in batches at most this often (ms). */
  readonly transcriptBatchMs?: number;
  /** How many transcript lines each module keeps for late-joining clients. */
  readonly transcriptKeep?: number;
  /** Time limit of a guided-session command. */
  readonly commandTimeoutMs?: number;
  /** How long identification waits for a module that has not finished booting (it ignores commands before RDY). */
  readonly bootWaitMs?: number;
}

interface ModuleRecord {
  info: ModuleInfo;
  readonly transport: ByteTransport;
  readonly port: AtPort;
  readonly transcript: TranscriptLine[];
  seq: number;
  readonly subscriptions: Disposable[];
}

/**
 * The station core: keeps the attached modules, runs AT on them through their AT path and emits typed events
 * (the contract's). It never sees bytes, windows or virtual modules: the composition root hands it transports.
 */
export class Station {
  private readonly modules = new Map<string, ModuleRecord>();
  private readonly emitters: { [E in EventName]: Emitter<EventPayload<E>> } = {
    modulesChanged: new Emitter(),
    transcriptLines: new Emitter(),
  };
  private pendingLines: TranscriptLine[] = [];
  private batchTimer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;
  private readonly batchMs: number;
  private readonly keep: number;
  private readonly commandTimeoutMs: number;
  private readonly bootWaitMs: number;

  constructor(private readonly options: StationOptions) {
    this.batchMs = options.transcriptBatchMs ?? 50;
    this.keep = options.transcriptKeep ?? 1000;
    this.commandTimeoutMs = options.commandTimeoutMs ?? 10_000;
    this.bootWaitMs = options.bootWaitMs ?? 15_000;
  }

  on<E extends EventName>(name: E, listener: (payload: EventPayload<E>) => void): Disposable {
    const emitter: Emitter<EventPayload<E>> = this.emitters[name];
    return emitter.on(listener);
  }

  list(): ModuleInfo[] {
    return [...this.modules.values()].map((m) => m.info);
  }

  /** Adds a module behind `transport`, then identifies it in the background (model, revision, IMEI, ICCID). */
  attach(transport: ByteTransport): void {
    if (this.disposed) throw new Error('the station is shut down');
    if (this.modules.has(transport.id)) throw new Error(`a module is already attached on ${transport.id}`);
    const port = this.options.openPort(transport);
    const record: ModuleRecord = {
      info: {
        id: transport.id,
        port: transport.id,
        model: null,
        revision: null,
        imei: null,
        iccid: null,
        state: 'identifying',
        problem: null,
      },
      transport,
      port,
      transcript: [],
      seq: 0,
      subscriptions: [],
    };
    record.subscriptions.push(
      port.onTranscript((entry) => this.record(record, entry.dir, entry.text, entry.at)),
      // A module that restarts (watchdog, AT+CFUN=1,1, power glitch) announces RDY: read its identity again.
      port.onUrc('RDY', () => {
        // While identifying, the running identification is already waiting for the module to come up.
        if (record.info.state === 'disconnected' || record.info.state === 'identifying' || this.disposed) return;
        this.update(record, { state: 'identifying', problem: null });
        void this.identify(record);
      }),
      transport.onClose((error) => {
        this.update(record, {
          state: 'disconnected',
          problem: error === undefined ? 'The port was closed.' : `The port went away: ${error.message}`,
        });
      }),
    );
    this.modules.set(transport.id, record);
    this.emitModules();
    void this.identify(record);
  }

  /**
   * Sends one typed AT command (guided session). A module's ERROR is an outcome; failures are error data.
   * `signal` cancels it: removed from the port's queue, or abandoned in flight (the port is resynchronised).
   */
  async sendAt(
    moduleId: string,
    line: string,
    options: { readonly signal?: AbortSignal | undefined } = {},
  ): Promise<Result<AtOutcomeView>> {
    const record = this.modules.get(moduleId);
    if (record === undefined)
      return fail('unknown-module', `moduleId: no module "${moduleId.slice(0, 80)}" is attached`, 'moduleId');
    if (record.info.state === 'disconnected') {
      return fail('module-unavailable', `${moduleId} is disconnected`, 'moduleId');
    }
    const command = line.trim();
    // One command per line: a `;`-joined tail would escape the checks below (the contract refuses it too).
    if (command.includes(';')) {
      return fail('invalid-input', 'line: one command per line; joined commands (";") are not accepted', 'line');
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
    const previous = record.info.state;
    this.update(record, { state: 'busy' });
    try {
      const request = rawRequest(command, redacted, this.commandTimeoutMs);
      const outcome = redactOutcome(await record.port.run(request, { signal: options.signal }));
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
      return failureOf(error);
    } finally {
      if (record.info.state === 'busy') this.update(record, { state: previous === 'busy' ? 'ready' : previous });
    }
  }

  transcript(moduleId: string, limit = 500): Result<TranscriptLine[]> {
    const record = this.modules.get(moduleId);
    if (record === undefined)
      return fail('unknown-module', `moduleId: no module "${moduleId.slice(0, 80)}" is attached`, 'moduleId');
    return ok(record.transcript.slice(-limit));
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    if (this.batchTimer !== undefined) clearTimeout(this.batchTimer);
    const records = [...this.modules.values()];
    this.modules.clear();
    for (const r of records) for (const s of r.subscriptions) s.dispose();
    await Promise.all(records.map((r) => r.port.dispose()));
    for (const e of Object.values(this.emitters)) e.clear();
  }

  /** Waits for the module to answer `AT` (it stays silent until RDY), then reads its identity. */
  private async identify(record: ModuleRecord): Promise<void> {
    const deadline = Date.now() + this.bootWaitMs;
    try {
      for (;;) {
        try {
          await record.port.run(commands.at());
          break;
        } catch (error) {
          // Booting: silence (timeout), or RDY arriving while the probe waited (command-error). Try again.
          const booting = error instanceof AtError && (error.code === 'timeout' || error.code === 'command-error');
          if (!booting || Date.now() > deadline) throw error;
        }
      }
      const id = await record.port.run(commands.ati());
      const imei = await record.port.run(commands.cgsn());
      const iccid = await record.port.run(commands.qccid()).catch(() => undefined);
      this.update(record, {
        state: 'ready',
        model: id.model,
        revision: id.revision,
        imei,
        iccid: iccid ?? null,
        problem: iccid === undefined ? 'No SIM card identity (AT+QCCID failed).' : null,
      });
    } catch (error) {
      if (record.info.state === 'disconnected' || this.disposed) return;
      this.update(record, {
        state: 'error',
        problem: `Identification failed: ${error instanceof Error ? redactLine(error.message) : 'unknown error'}`,
      });
    }
  }

  private update(record: ModuleRecord, patch: Partial<ModuleInfo>): void {
    if (record.info.state === 'disconnected' && patch.state !== undefined && patch.state !== 'disconnected') return;
    record.info = { ...record.info, ...patch };
    if (this.modules.get(record.info.id) === record) this.emitModules();
  }

  private emitModules(): void {
    this.emitters.modulesChanged.fire(this.list());
  }

  private record(record: ModuleRecord, dir: TranscriptLine['dir'], text: string, at: number): void {
    const line: TranscriptLine = { moduleId: record.info.id, seq: record.seq++, at, dir, text: redactLine(text) };
    record.transcript.push(line);
    if (record.transcript.length > this.keep) record.transcript.splice(0, record.transcript.length - this.keep);
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
