import { describeFinal } from '../decode/describe';
import { AtCommandError, AtError, AtResponseError } from '../vocab/errors';
import type { AtOutcome, AtRequest, FinalEvent, RecvEvent, ResponseEvent, UrcEvent } from '../vocab/request';
import type { AtEvent } from '../vocab/types';
import type { ByteTransport, Disposable } from '../../transport/types';
import { describeHealth, type PortHealth } from './health';
import type { ParserLink } from './parser-link';
import { describePayload, Redactor, type TranscriptEntry } from './transcript';
import { Resync, type ResyncOptions } from './resync';
import { UrcHub, type UrcNotice } from './urc-hub';

export type { UrcNotice } from './urc-hub';
export type { ResyncOptions } from './resync';

export interface AtEngineOptions {
  readonly transport: ByteTransport;
  /** The port's parser: a ParserPool handle in production, inThreadParserLink() in tests. Owned by the engine. */
  readonly parser: ParserLink;
  /** Words for an error result; default: describeFinal of main/at/decode (the code, its meaning, what to do). */
  readonly describeFinal?: (final: FinalEvent) => string;
  readonly resync?: ResyncOptions;
}

export interface RunOptions {
  /** Cancels the transaction: a queued one is removed, one in flight is abandoned and the port resynchronised. */
  readonly signal?: AbortSignal;
}

/** The port's line discipline, as in esp-modem: lines, a `> ` prompt awaiting a payload, or a CONNECT data phase. */
export type PortMode = 'command' | 'prompt' | 'data';

/** URCs after which nothing in flight will be answered: the module (re)started or powered down. */
const RESET_URCS: ReadonlySet<string> = new Set(['RDY', 'POWERED DOWN']);

interface Job {
  readonly request: AtRequest<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: AtError) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

interface Active {
  readonly job: Job;
  /** `final`: waiting for the result code (and the prompt / CONNECT); `completion`: OK seen, waiting for the URC. */
  phase: 'final' | 'completion';
  readonly responses: (ResponseEvent | RecvEvent)[];
  final: FinalEvent | null;
  /** A completing URC that arrived before the OK (some firmwares); used as soon as the OK is in. */
  early: UrcEvent | null;
  payloadSent: boolean;
  readonly startedAt: number;
  timer: ReturnType<typeof setTimeout> | null;
}

/**
 * The transaction engine of one port (after Zephyr's modem_chat): AtRequests run one at a time in FIFO order;
 * every event from the parser is routed, in this order, as the echo of the command in flight, one of its
 * responses, an abort match, its final result, a URC (completion matches first, then subscribers), or an
 * unknown line kept in the transcript. After a timeout or a cancelled command the port is resynchronised
 * (`AT`, a clean OK, a quiet moment) before the next command, so a late reply is never handed to the next one.
 */
export class AtEngine {
  private readonly transport: ByteTransport;
  private readonly parser: ParserLink;
  private readonly describeFinal: (final: FinalEvent) => string;
  private readonly resyncOptions: ResyncOptions;
  private readonly queue: Job[] = [];
  private active: Active | null = null;
  private resync: Resync | null = null;
  private resyncNeeded = false;
  private portMode: PortMode = 'command';
  private closedReason: string | null = null;
  private readonly redactor = new Redactor();
  private readonly subscriptions: Disposable[] = [];
  private readonly urcs = new UrcHub();
  private readonly transcriptListeners = new Set<(entry: TranscriptEntry) => void>();
  private readonly healthListeners = new Set<(health: PortHealth) => void>();
  private consecutiveTimeouts = 0;
  private totalTimeouts = 0;
  private resyncCount = 0;
  private staleLines = 0;
  private unresponsive = false;
  /**
   * The module opened a data input (`> ` or CONNECT) that no transaction asked for: every byte written now would
   * become payload (a queued command, a password, a resync probe). Nothing is written until a final result shows
   * the module left it (its edit timeout, or a reboot); queued and new transactions fail at once with `busy`.
   */
  private trappedBy: string | null = null;
  /** A transaction whose answers are secret was abandoned: its late lines are masked until the port is clean. */
  private lateSecret = false;

  constructor(options: AtEngineOptions) {
    this.transport = options.transport;
    this.parser = options.parser;
    this.describeFinal = options.describeFinal ?? describeFinal;
    this.resyncOptions = options.resync ?? {};
    this.subscriptions.push(
      this.transport.onData((chunk) => this.parser.push(chunk)),
      this.transport.onClose((error) => this.shutDown(error ? error.message : 'the port was closed')),
      this.parser.onEvents((events) => {
        for (const event of events) this.route(event);
      }),
    );
    const restart = this.parser.onRestart?.((reason) => this.parserRestarted(reason));
    if (restart) this.subscriptions.push(restart);
    if (!this.transport.isOpen) this.shutDown('the port is not open');
  }

  /** The port this engine drives. */
  get portId(): string {
    return this.transport.id;
  }

  get mode(): PortMode {
    return this.portMode;
  }

  /** Transactions waiting behind the one in flight. */
  get queued(): number {
    return this.queue.length;
  }

  get health(): PortHealth {
    return describeHealth({
      closedReason: this.closedReason,
      unresponsive: this.unresponsive,
      consecutiveTimeouts: this.consecutiveTimeouts,
      totalTimeouts: this.totalTimeouts,
      resyncs: this.resyncCount,
      staleLines: this.staleLines,
    });
  }

  /**
   * Queues a transaction and resolves with its parsed result. Rejects with an AtError: `command-error`
   * (ERROR / +CME ERROR, an abort URC, the module restarting), `timeout`, `cancelled`, `port-closed`,
   * `bad-response` (the parse function refused the answer) or `invalid-parameter` (a malformed request).
   */
  run<T>(request: AtRequest<T>, options: RunOptions = {}): Promise<T> {
    const problem = requestProblem(request);
    if (problem !== null) return Promise.reject(new AtError('invalid-parameter', problem));
    if (this.closedReason !== null) {
      return Promise.reject(this.closedError(request, this.closedReason));
    }
    if (this.trappedBy !== null) return Promise.reject(this.trapError(request));
    const signal = options.signal;
    if (signal?.aborted === true) return Promise.reject(cancelledError(request));
    return new Promise<T>((resolve, reject) => {
      const job: Job = {
        request,
        resolve: (value) => resolve(value as T),
        reject,
        signal,
        onAbort: () => this.cancel(job),
      };
      signal?.addEventListener('abort', job.onAbort, { once: true });
      this.queue.push(job);
      this.pump();
    });
  }

  /** Subscribes to a URC by name (`+QMTSTAT`, `+QMTRECV`, `RDY`, ...), whether or not a command is in flight. */
  onUrc(name: string, listener: (event: UrcNotice) => void): Disposable {
    return this.urcs.on(name, listener);
  }

  /** Subscribes to a URC of one MQTT client: `+QMTSTAT: <idx>,...`, `+QMTRECV: <idx>,...`, `+QMTPING: <idx>,...`. */
  onClientUrc(name: string, clientIdx: number, listener: (event: UrcNotice) => void): Disposable {
    return this.urcs.onClient(name, clientIdx, listener);
  }

  /** Every URC, for monitors and logs. */
  onAnyUrc(listener: (event: UrcNotice) => void): Disposable {
    return this.urcs.onAny(listener);
  }

  /** Every line in and out, redacted, with a timestamp and direction. */
  onTranscript(listener: (entry: TranscriptEntry) => void): Disposable {
    this.transcriptListeners.add(listener);
    return { dispose: () => this.transcriptListeners.delete(listener) };
  }

  /** Told whenever the port's health changes (a timeout, a resync, the port closing). */
  onHealth(listener: (health: PortHealth) => void): Disposable {
    this.healthListeners.add(listener);
    return { dispose: () => this.healthListeners.delete(listener) };
  }

  /** Fails whatever is pending, detaches from the transport and releases the parser. Does not close the port. */
  dispose(): void {
    this.shutDown('the AT engine was disposed');
    for (const subscription of this.subscriptions.splice(0)) subscription.dispose();
    this.parser.dispose();
    this.urcs.clear();
    this.transcriptListeners.clear();
    this.healthListeners.clear();
  }

  // ---- scheduling ----------------------------------------------------------------------------------------

  private pump(): void {
    if (this.closedReason !== null || this.active !== null || this.resync !== null || this.trappedBy !== null) return;
    if (this.resyncNeeded) {
      this.startResync();
      return;
    }
    const job = this.queue.shift();
    if (job) this.start(job);
  }

  private start(job: Job): void {
    const { request } = job;
    const active: Active = {
      job,
      phase: 'final',
      responses: [],
      final: null,
      early: null,
      payloadSent: false,
      startedAt: Date.now(),
      timer: null,
    };
    this.active = active;
    this.portMode = 'command';
    this.redactor.remember(request.line, request.redacted);
    active.timer = setTimeout(() => this.timedOut(active), request.timeoutMs);
    this.parser.note(request.line);
    this.record('out', 'command', request.redacted);
    this.write(encode(`${request.line}\r`), active);
  }

  private write(bytes: Uint8Array, active: Active | null): void {
    this.transport.write(bytes).catch((error: unknown) => {
      if (this.closedReason !== null) return;
      const reason = error instanceof Error ? error.message : String(error);
      // A write that fails on a port that is no longer open means the port is gone: fail everything now rather
      // than starting the next command on it before its close event arrives.
      if (!this.transport.isOpen) this.shutDown(reason);
      else if (active !== null && this.active === active) {
        this.settle(active, this.closedError(active.job.request, reason));
      }
    });
  }

  /** Ends the transaction in flight (result or error) and moves on. */
  private settle(active: Active, outcome: { value: unknown } | AtError): void {
    if (this.active !== active) return;
    if (outcome instanceof AtError && active.job.request.secretResponses === true) this.lateSecret = true;
    if (active.timer !== null) clearTimeout(active.timer);
    this.active = null;
    this.portMode = 'command';
    const { job } = active;
    job.signal?.removeEventListener('abort', job.onAbort);
    if (outcome instanceof AtError) job.reject(outcome);
    else job.resolve(outcome.value);
    // The next command starts after the current batch of events: the rest of the batch was parsed before its
    // line was noted, so none of it may be taken as its answer (modem_chat arms matches only after the write).
    queueMicrotask(() => this.pump());
  }

  private finish(active: Active, final: FinalEvent, completion: UrcEvent | undefined): void {
    const { request } = active.job;
    const outcome: AtOutcome = {
      responses: active.responses,
      final,
      ...(completion ? { completion } : {}),
      elapsedMs: Date.now() - active.startedAt,
    };
    let result: { value: unknown } | AtError;
    try {
      result = { value: request.parse(outcome) };
    } catch (error: unknown) {
      result =
        error instanceof AtError
          ? error
          : new AtResponseError(`${request.redacted}: ${error instanceof Error ? error.message : String(error)}`);
    }
    this.settle(active, result);
  }

  /** An error result never resolves: it becomes an AtCommandError worded for support staff (describeFinal). */
  private commandError(active: Active, final: FinalEvent): AtError {
    const detail = {
      final: final.raw,
      ...(final.result === 'CME ERROR' && final.code !== undefined ? { cmeCode: final.code } : {}),
    };
    return new AtCommandError(`${active.job.request.redacted}: ${this.describeFinal(final)}`, detail);
  }

  private timedOut(active: Active): void {
    if (this.active !== active) return;
    const { request } = active.job;
    if (active.phase === 'completion') {
      // The port answered (OK); only the network side is late. No resync and no mark against the port.
      const urc = request.completion?.urc ?? 'its result';
      this.settle(
        active,
        new AtError(
          'timeout',
          `${request.redacted}: OK, but no ${urc} within ${request.completion?.timeoutMs ?? 0} ms`,
        ),
      );
      return;
    }
    this.consecutiveTimeouts++;
    this.totalTimeouts++;
    this.resyncNeeded = true;
    this.emitHealth();
    this.settle(active, new AtError('timeout', `${request.redacted}: no answer within ${request.timeoutMs} ms`));
  }

  private cancel(job: Job): void {
    const index = this.queue.indexOf(job);
    if (index >= 0) {
      this.queue.splice(index, 1);
      job.reject(cancelledError(job.request));
      return;
    }
    const active = this.active;
    if (active?.job !== job) return;
    // Abandoned before its final result: its answer is still coming, so clear the line before the next command.
    if (active.phase === 'final') this.resyncNeeded = true;
    this.settle(active, cancelledError(job.request));
  }

  private shutDown(reason: string): void {
    if (this.closedReason !== null) return;
    this.closedReason = reason;
    this.resync?.cancel();
    this.resync = null;
    const active = this.active;
    if (active) this.settle(active, this.closedError(active.job.request, reason));
    for (const job of this.queue.splice(0)) {
      job.signal?.removeEventListener('abort', job.onAbort);
      job.reject(this.closedError(job.request, reason));
    }
    this.emitHealth();
  }

  private parserRestarted(reason: string): void {
    this.record('in', 'unknown', `<parser restarted: ${reason}>`, 'stale');
    this.resyncNeeded = true;
    const active = this.active;
    if (active) {
      this.settle(
        active,
        new AtResponseError(`${active.job.request.redacted}: the answer was lost (parser restarted: ${reason})`),
      );
    } else if (this.resync) {
      this.resync.cancel();
      this.resync = null;
      this.pump();
    }
  }

  // ---- resynchronisation ---------------------------------------------------------------------------------

  private startResync(): void {
    this.portMode = 'command';
    const resync: Resync = new Resync(this.resyncOptions, {
      probe: () => {
        this.resyncCount++;
        this.parser.note('AT');
        this.record('out', 'command', 'AT');
        this.write(encode('AT\r'), null);
      },
      consumed: (event, stale) => {
        if (stale) this.staleLines++;
        this.recordEvent(event, 'resync');
      },
      done: (clean) => {
        if (this.resync !== resync) return;
        this.resync = null;
        // Unanswered probes: give the queue its chance anyway; each command has its own timeout, and the
        // module may come back.
        this.resyncNeeded = false;
        this.lateSecret = false;
        this.unresponsive = !clean;
        this.emitHealth();
        this.pump();
      },
    });
    this.resync = resync;
    resync.start();
  }

  // ---- routing -------------------------------------------------------------------------------------------

  private route(event: AtEvent): void {
    if (this.closedReason !== null) return;
    if ((event.kind === 'prompt' || event.kind === 'connect') && !this.expectsInput(event.kind)) {
      this.trap(event);
      return;
    }
    if (this.trappedBy !== null && (event.kind === 'final' || (event.kind === 'urc' && event.name === 'RDY'))) {
      this.release();
    }
    const resync = this.resync;
    // While resynchronising, a `+X:` line nobody knows is most likely the late answer of the abandoned command.
    if (resync && event.kind === 'urc' && !event.known) {
      resync.event(event);
      return;
    }
    if (event.kind === 'urc' || (event.kind === 'recv' && !event.solicited)) {
      this.routeUrc(event);
      return;
    }
    if (resync) {
      resync.event(event);
      return;
    }
    const active = this.active;
    if (active === null || active.phase === 'completion') {
      this.staleLines++;
      this.recordEvent(event, event.kind === 'unknown' ? undefined : 'stale');
      return;
    }
    const { request } = active.job;
    switch (event.kind) {
      case 'echo':
        this.recordEvent(event);
        return;
      case 'response':
        // The completing URC before the OK looks like a response to the parser (same name, no final yet).
        if (this.earlyCompletion(active, event)) return;
        active.responses.push(event);
        this.recordResponse(request, event);
        return;
      case 'recv':
        active.responses.push(event);
        this.recordResponse(request, event);
        return;
      case 'final':
        this.recordEvent(event);
        this.finalResult(active, event);
        return;
      case 'prompt':
      case 'connect': {
        // route() already trapped any input this transaction did not ask for (expectsInput).
        const payload = request.payload;
        if (payload === undefined) return;
        this.recordEvent(event);
        active.payloadSent = true;
        this.portMode = event.kind === 'prompt' ? 'prompt' : 'data';
        this.record('out', 'payload', describePayload(payload.bytes, payload.secret === true));
        this.write(payload.bytes, active);
        return;
      }
      case 'data':
        // The module echoing the payload (echo on) or the file bytes: the payload phase is over.
        if (this.portMode !== 'command') this.portMode = 'command';
        this.record('in', 'data', describePayload(event.bytes, request.payload?.secret === true));
        return;
      case 'unknown':
        this.staleLines++;
        this.recordEvent(event);
        return;
    }
  }

  /** Whether the transaction in flight is waiting for exactly this kind of data input. */
  private expectsInput(kind: 'prompt' | 'connect'): boolean {
    const active = this.active;
    if (active === null || this.resync !== null || active.phase !== 'final' || active.payloadSent) return false;
    return active.job.request.payload?.after === kind;
  }

  /** An input nobody asked for: fail the transaction in flight and the queue, and write nothing until it ends. */
  private trap(event: Extract<AtEvent, { kind: 'prompt' | 'connect' }>): void {
    this.recordEvent(event, 'unexpected');
    if (this.trappedBy !== null) return;
    this.trappedBy = event.kind === 'prompt' ? 'a `> ` data prompt' : 'a CONNECT data phase';
    this.resync?.cancel();
    this.resync = null;
    this.resyncNeeded = true;
    this.unresponsive = true;
    const active = this.active;
    if (active) this.settle(active, this.trapError(active.job.request));
    for (const job of this.queue.splice(0)) {
      job.signal?.removeEventListener('abort', job.onAbort);
      job.reject(this.trapError(job.request));
    }
    this.portMode = event.kind === 'prompt' ? 'prompt' : 'data';
    this.emitHealth();
  }

  /** The module answered a final result (or rebooted): it has left the input; resynchronise, then carry on. */
  private release(): void {
    this.trappedBy = null;
    this.portMode = 'command';
    this.resyncNeeded = true;
    queueMicrotask(() => this.pump());
  }

  private trapError(request: AtRequest<unknown>): AtError {
    return new AtError(
      'busy',
      `${request.redacted}: the module opened ${this.trappedBy ?? 'a data input'} the station did not ask for; ` +
        'nothing is written to this port until the module leaves it (its edit timeout, a final result, or a power cycle)',
    );
  }

  private finalResult(active: Active, final: FinalEvent): void {
    const { request } = active.job;
    this.portMode = 'command';
    if (this.consecutiveTimeouts > 0 || this.unresponsive) {
      this.consecutiveTimeouts = 0;
      this.unresponsive = false;
      this.emitHealth();
    }
    if (final.result !== 'OK') {
      this.settle(active, this.commandError(active, final));
      return;
    }
    const completion = request.completion;
    if (!completion) {
      this.finish(active, final, undefined);
      return;
    }
    if (active.early) {
      this.finish(active, final, active.early);
      return;
    }
    active.final = final;
    active.phase = 'completion';
    if (active.timer !== null) clearTimeout(active.timer);
    active.timer = setTimeout(() => this.timedOut(active), completion.timeoutMs);
  }

  private routeUrc(event: UrcNotice): void {
    this.recordEvent(event);
    const active = this.active;
    if (active && event.kind === 'urc') this.matchInFlight(active, event);
    if (RESET_URCS.has(event.kind === 'urc' ? event.name : '')) this.moduleReset(event.raw);
    this.urcs.dispatch(event);
  }

  private earlyCompletion(active: Active, event: ResponseEvent): boolean {
    const completion = active.job.request.completion;
    if (!completion || event.name === null || completion.urc.toUpperCase() !== event.name.toUpperCase()) return false;
    const asUrc: UrcEvent = { kind: 'urc', name: event.name, params: event.params, known: true, raw: event.raw };
    if (active.early !== null || !completion.match(asUrc)) return false;
    active.early = asUrc;
    this.recordEvent(asUrc);
    return true;
  }

  private recordResponse(request: AtRequest<unknown>, event: ResponseEvent | RecvEvent): void {
    if (request.secretResponses === true) {
      this.record('in', event.kind, `${event.kind === 'response' ? (event.name ?? '') : '+QMTRECV'}: <redacted>`);
    } else {
      this.recordEvent(event);
    }
  }

  /** Abort matches first, then the completing URC. */
  private matchInFlight(active: Active, event: UrcEvent): void {
    const { request } = active.job;
    for (const abort of request.abortOn ?? []) {
      if (abort.urc.toUpperCase() === event.name && abort.match(event)) {
        if (active.phase === 'final') this.resyncNeeded = true;
        this.settle(active, new AtCommandError(`${request.redacted}: aborted by ${event.raw}`, {}));
        return;
      }
    }
    const completion = request.completion;
    if (!completion || completion.urc.toUpperCase() !== event.name || !completion.match(event)) return;
    if (active.phase === 'completion' && active.final) this.finish(active, active.final, event);
    else if (active.early === null) active.early = event;
  }

  /** The module restarted or powered down: whatever is in flight will never be answered. */
  private moduleReset(raw: string): void {
    const active = this.active;
    if (!active) return;
    this.settle(
      active,
      new AtCommandError(`${active.job.request.redacted}: the module reported ${raw} before answering`, {}),
    );
  }

  // ---- transcript and health -----------------------------------------------------------------------------

  private recordEvent(event: AtEvent, note?: TranscriptEntry['note']): void {
    if (this.transcriptListeners.size === 0) return;
    const late = this.lateSecret && event.kind !== 'final' && event.kind !== 'echo';
    const text =
      event.kind === 'data'
        ? `<${event.length} bytes>`
        : late
          ? '<redacted late answer>'
          : this.redactor.mask(event.raw);
    this.record('in', event.kind, text, note);
  }

  private record(
    direction: TranscriptEntry['direction'],
    kind: TranscriptEntry['kind'],
    text: string,
    note?: TranscriptEntry['note'],
  ): void {
    if (this.transcriptListeners.size === 0) return;
    const entry: TranscriptEntry = { at: Date.now(), direction, kind, text, ...(note ? { note } : {}) };
    for (const listener of [...this.transcriptListeners]) listener(entry);
  }

  private emitHealth(): void {
    if (this.healthListeners.size === 0) return;
    const health = this.health;
    for (const listener of [...this.healthListeners]) listener(health);
  }

  private closedError(request: AtRequest<unknown>, reason: string): AtError {
    return new AtError('port-closed', `${request.redacted}: port ${this.transport.id} closed (${reason})`);
  }
}

function cancelledError(request: AtRequest<unknown>): AtError {
  return new AtError('cancelled', `${request.redacted}: cancelled`);
}

/** A request the engine cannot run safely: a line that would break framing, or a nonsensical time limit. */
function requestProblem(request: AtRequest<unknown>): string | null {
  const name = request.redacted || 'request';
  if (!/^at/i.test(request.line)) return `${name}: a command line must start with AT`;
  if (/[\r\n]/.test(request.line)) return `${name}: a command line must not contain CR or LF`;
  if (!Number.isFinite(request.timeoutMs) || request.timeoutMs <= 0) {
    return `${name}: timeoutMs must be a positive number`;
  }
  const completion = request.completion;
  if (completion && (!Number.isFinite(completion.timeoutMs) || completion.timeoutMs <= 0)) {
    return `${name}: completion.timeoutMs must be a positive number`;
  }
  return null;
}

const encoder = new TextEncoder();
function encode(text: string): Uint8Array {
  return encoder.encode(text);
}
