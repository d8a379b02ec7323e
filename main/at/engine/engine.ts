import { DisposableStore, Emitter, type Disposable, type Event } from '../../base';
import type { ByteTransport } from '../../transport/types';
import { describeFinal } from '../decode/describe';
import { parseCommandLine, type HoldKind } from '../parser';
import { AtCommandError, AtError, AtResponseError } from '../vocab/errors';
import type { AtOutcome, AtRequest, FinalEvent, RecvEvent, ResponseEvent, UrcEvent } from '../vocab/request';
import type { AtEvent } from '../vocab/types';
import { describeHealth, type PortHealth, type PortTrap } from './health';
import { WireLedger, type WrittenLine } from './ledger';
import type { ParserLink } from './parser-link';
import { chooseProbe } from './probes';
import { Resync, type ResyncOptions } from './resync';
import { describePayload, Redactor, type TranscriptEntry } from './transcript';
import { UrcHub, type UrcNotice } from './urc-hub';

export type { UrcNotice } from './urc-hub';
export type { ResyncOptions } from './resync';

export interface TrapOptions {
  /**
   * The longest a port stays trapped (a module input the station does not feed, a payload that does not end)
   * before the station takes it back and resynchronises. Default 30 000 ms: the port is usable again within a
   * minute whatever arrives.
   */
  readonly limitMs?: number;
  /** How long the parser may take a message payload whole before the port shows as trapped. Default 1 000 ms. */
  readonly noticeMs?: number;
}

export interface AtEngineOptions {
  readonly transport: ByteTransport;
  /** The port's parser: a ParserPool handle in production, inThreadParserLink() in tests. Owned by the engine. */
  readonly parser: ParserLink;
  /** Words for an error result; default: describeFinal of main/at/decode (the code, its meaning, what to do). */
  readonly describeFinal?: (final: FinalEvent) => string;
  readonly resync?: ResyncOptions;
  readonly trap?: TrapOptions;
}

export interface RunOptions {
  /** Cancels the transaction: a queued one is removed, one in flight is abandoned and the port resynchronised. */
  readonly signal?: AbortSignal;
}

/** The port's line discipline, as in esp-modem: lines, a `> ` prompt awaiting a payload, or a CONNECT data phase. */
export type PortMode = 'command' | 'prompt' | 'data';

/** URCs after which nothing in flight will be answered: the module (re)started or powered down. */
const RESET_URCS: ReadonlySet<string> = new Set(['RDY', 'POWERED DOWN']);

const ESC_CR = new Uint8Array([0x1b, 0x0d]);
const ESC = new Uint8Array([0x1b]);

interface Job {
  readonly request: AtRequest<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: AtError) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

interface Active {
  readonly job: Job;
  /** Its line on the wire. */
  readonly entry: WrittenLine;
  /** `final`: waiting for the result code (and the prompt / CONNECT); `completion`: OK seen, waiting for the URC. */
  phase: 'final' | 'completion';
  readonly responses: (ResponseEvent | RecvEvent)[];
  final: FinalEvent | null;
  /** A completing URC that arrived before the OK (some firmwares); used as soon as the OK is in. */
  early: UrcEvent | null;
  payloadSent: boolean;
  /** Why its answer cannot be trusted (a damaged line, a foreign echo arrived while it was answered). */
  doubt: string | null;
  readonly startedAt: number;
  timer: ReturnType<typeof setTimeout> | null;
}

interface Trap {
  readonly view: PortTrap;
  /** The written line whose input the module holds open (module traps), released by its final result. */
  readonly entry: WrittenLine | null;
  readonly timer: ReturnType<typeof setTimeout> | null;
}

/**
 * The transaction engine of one port (after Zephyr's modem_chat): AtRequests run one at a time in FIFO order, and
 * every line read is tied to the command line it answers before it may complete anything (see WireLedger): by
 * the command's echo (echo on, the module's default), or, with echo off, by being the only line written on a port
 * proven clean. A command is written only on a port proven clean: after a timeout, a cancelled command, an answer
 * that could not be tied, a restart of the parser or a trap, the port is resynchronised with probes whose
 * spelling differs from every unanswered line (probes.ts), and the next command waits for the probe's own echo
 * and final. What cannot be tied or arrives damaged fails its command as `bad-response`, never `ok`.
 *
 * A data input the station does not feed (a `> ` or CONNECT of an abandoned command) traps the port: ESC leaves a
 * prompt, and nothing else is written until the module answers or the trap time runs out. A `> ` or CONNECT that
 * no data-phase command can have opened is payload or noise and changes nothing. A message payload the parser
 * takes whole is bounded in time the same way (TrapOptions).
 */
export class AtEngine implements Disposable {
  private readonly transport: ByteTransport;
  private readonly parser: ParserLink;
  private readonly describeFinal: (final: FinalEvent) => string;
  private readonly resyncOptions: ResyncOptions;
  private readonly trapLimitMs: number;
  private readonly trapNoticeMs: number;
  private readonly store = new DisposableStore();
  private readonly queue: Job[] = [];
  private readonly ledger = new WireLedger();
  private active: Active | null = null;
  /** Every line written has been answered (or proven lost). Unknown at start: a previous owner may have left work. */
  private clean = false;
  /** Resynchronise as soon as possible, even with no command queued (after a timeout, a trap, an untied answer). */
  private resyncWanted = false;
  private echo: 'on' | 'off' | 'unknown' = 'unknown';
  private resync: Resync | null = null;
  private trap: Trap | null = null;
  /** The payload the parser takes whole now (null: none), and since when. */
  private holdKind: HoldKind | null = null;
  private holdSince = 0;
  /** When bytes last came in: a hold that still receives bytes is a payload on its way, not a trap (yet). */
  private lastDataAt = 0;
  /**
   * One timer watches holds: most last a few milliseconds (a message spanning two reads), so it is not set and
   * cleared per message; when it fires it looks at the hold of that moment and sets itself again if needed.
   */
  private holdTimer: ReturnType<typeof setTimeout> | null = null;
  private portMode: PortMode = 'command';
  private closedReason: string | null = null;
  private readonly redactor = new Redactor();
  private readonly urcs = new UrcHub();
  private readonly transcriptEmitter = new Emitter<TranscriptEntry>('engine.transcript');
  private readonly healthEmitter = new Emitter<PortHealth>('engine.health');
  private consecutiveTimeouts = 0;
  private totalTimeouts = 0;
  private resyncCount = 0;
  private staleLines = 0;
  private untiedAnswers = 0;
  private unresponsive = false;

  /** Every line in and out, redacted, with a timestamp and direction. */
  readonly onTranscript: Event<TranscriptEntry> = this.transcriptEmitter.event;
  /** Told whenever the port's health changes (a timeout, a resync, a trap, the port closing). */
  readonly onHealth: Event<PortHealth> = this.healthEmitter.event;

  constructor(options: AtEngineOptions) {
    this.transport = options.transport;
    this.parser = options.parser;
    this.describeFinal = options.describeFinal ?? describeFinal;
    this.resyncOptions = options.resync ?? {};
    this.trapLimitMs = positive(options.trap?.limitMs, 30_000, 'trap.limitMs');
    this.trapNoticeMs = positive(options.trap?.noticeMs, 1_000, 'trap.noticeMs');
    this.store.add(
      this.transport.onData((chunk) => {
        this.lastDataAt = Date.now();
        this.parser.push(chunk);
      }),
    );
    this.store.add(this.transport.onClose((error) => this.shutDown(error ? error.message : 'the port was closed')));
    this.store.add(
      this.parser.onEvents((events) => {
        for (const event of events) this.route(event);
      }),
    );
    this.store.add(this.parser.onHold((hold) => this.onHold(hold)));
    const restart = this.parser.onRestart?.((reason) => this.parserRestarted(reason));
    if (restart) this.store.add(restart);
    this.store.add(this.urcs);
    this.store.add(this.transcriptEmitter);
    this.store.add(this.healthEmitter);
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
      trap: this.trap?.view ?? null,
      unresponsive: this.unresponsive,
      clean: this.clean,
      consecutiveTimeouts: this.consecutiveTimeouts,
      totalTimeouts: this.totalTimeouts,
      resyncs: this.resyncCount,
      staleLines: this.staleLines,
      untiedAnswers: this.untiedAnswers,
    });
  }

  /**
   * Queues a transaction and resolves with its parsed result. Rejects with an AtError: `command-error`
   * (ERROR / +CME ERROR, an abort URC, the module restarting), `timeout` (no answer in time; or, for a command
   * still queued, the port answered no resynchronising probe, so it was never written), `cancelled`,
   * `port-closed`, `bad-response` (an answer that could not be tied to it, arrived damaged, or that its parse
   * function refused), `busy` (the port is trapped: nothing was written) or `invalid-parameter`.
   */
  run<T>(request: AtRequest<T>, options: RunOptions = {}): Promise<T> {
    const problem = requestProblem(request);
    if (problem !== null) return Promise.reject(new AtError('invalid-parameter', problem));
    if (this.closedReason !== null) {
      return Promise.reject(this.closedError(request, this.closedReason));
    }
    if (this.trap !== null) return Promise.reject(this.trapError(request, this.trap.view));
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

  /** Fails whatever is pending, detaches from the transport and releases the parser. Does not close the port. */
  dispose(): void {
    this.shutDown('the AT engine was disposed');
    this.store.dispose();
    this.parser.dispose();
  }

  // ---- scheduling ----------------------------------------------------------------------------------------

  private pump(): void {
    if (this.closedReason !== null || this.active !== null || this.resync !== null || this.trap !== null) return;
    if (!this.clean) {
      if (this.queue.length > 0 || this.resyncWanted) this.startResync();
      return;
    }
    const job = this.queue.shift();
    if (job) this.start(job);
  }

  private start(job: Job): void {
    const { request } = job;
    const entry: WrittenLine = {
      line: request.line,
      info: parseCommandLine(request.line),
      probe: false,
      secret: request.secretResponses === true,
    };
    const active: Active = {
      job,
      entry,
      phase: 'final',
      responses: [],
      final: null,
      early: null,
      payloadSent: false,
      doubt: null,
      startedAt: Date.now(),
      timer: null,
    };
    this.active = active;
    this.portMode = 'command';
    this.redactor.remember(request.line, request.redacted);
    active.timer = setTimeout(() => this.timedOut(active), request.timeoutMs);
    this.writeLine(entry, request.redacted, active);
  }

  /** Notes a command line with the parser and the ledger, then writes it with its CR. */
  private writeLine(entry: WrittenLine, shown: string, active: Active | null): void {
    this.ledger.written(entry);
    this.parser.note(entry.line);
    this.record('out', 'command', shown);
    this.write(encode(`${entry.line}\r`), active);
  }

  private write(bytes: Uint8Array, active: Active | null): void {
    this.transport.write(bytes).catch((error: unknown) => {
      if (this.closedReason !== null) return;
      const reason = error instanceof Error ? error.message : String(error);
      // A write that fails on a port that is no longer open means the port is gone: fail everything now rather
      // than starting the next command on it before its close event arrives.
      if (!this.transport.isOpen) this.shutDown(reason);
      else if (active !== null && this.active === active) {
        this.unclean();
        this.settle(active, this.closedError(active.job.request, reason));
      }
    });
  }

  /** Ends the transaction in flight (result or error) and moves on. */
  private settle(active: Active, outcome: { value: unknown } | AtError): void {
    if (this.active !== active) return;
    if (active.timer !== null) clearTimeout(active.timer);
    this.active = null;
    // Its payload echo will not be waited for any more: the parser must not take the next lines for the rest of it
    // (told even when no hold was reported yet: the parser gives up only a payload echo it is still counting).
    if (outcome instanceof AtError && active.payloadSent && active.job.request.payload?.after === 'prompt') {
      if (this.holdKind === 'data') this.clearHold();
      this.parser.abandonHold('data');
    }
    if (this.trap === null) this.portMode = 'command';
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
    // Its answer may still come: the port is not clean until a probe proves it.
    this.consecutiveTimeouts++;
    this.totalTimeouts++;
    this.unclean();
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
    // Abandoned before its final result: its answer is still coming, so prove the port clean before the next one.
    if (active.phase === 'final') this.unclean();
    this.settle(active, cancelledError(job.request));
  }

  /** The port holds (or may hold) an answer nobody waits for: resynchronise before the next command. */
  private unclean(): void {
    this.clean = false;
    this.resyncWanted = true;
  }

  private shutDown(reason: string): void {
    if (this.closedReason !== null) return;
    this.closedReason = reason;
    this.resync?.cancel();
    this.resync = null;
    this.clearHold();
    if (this.trap?.timer != null) clearTimeout(this.trap.timer);
    this.trap = null;
    const active = this.active;
    if (active) this.settle(active, this.closedError(active.job.request, reason));
    this.failQueue((request) => this.closedError(request, reason));
    this.emitHealth();
  }

  private failQueue(error: (request: AtRequest<unknown>) => AtError): void {
    for (const job of this.queue.splice(0)) {
      job.signal?.removeEventListener('abort', job.onAbort);
      job.reject(error(job.request));
    }
  }

  private parserRestarted(reason: string): void {
    this.record('in', 'unknown', `<parser restarted: ${reason}>`, 'stale');
    // Bytes in the worker were lost, and the new parser takes no payload whole.
    this.ledger.lost();
    this.clearHold();
    if (this.trap?.view.cause === 'payload') this.releaseTrap();
    this.unclean();
    this.resync?.cancel();
    this.resync = null;
    const active = this.active;
    if (active) {
      this.settle(
        active,
        new AtResponseError(`${active.job.request.redacted}: the answer was lost (parser restarted: ${reason})`),
      );
    } else {
      this.pump();
    }
  }

  // ---- resynchronisation ---------------------------------------------------------------------------------

  private startResync(): void {
    this.portMode = 'command';
    this.resyncWanted = false;
    const resync: Resync = new Resync(this.resyncOptions, {
      probe: () => {
        const line = chooseProbe((spelling) => this.ledger.includes(spelling));
        if (line === null) return false;
        // An unanswered data-phase command may still open a `> ` input: ESC leaves it before the probe could
        // become its payload (in command mode the module ignores a line that is not a command).
        if (this.ledger.escapePrompts()) {
          this.record('out', 'command', '<ESC>');
          this.write(ESC_CR, null);
        }
        this.resyncCount++;
        this.writeLine({ line, info: parseCommandLine(line), probe: true, secret: false }, line, null);
        return true;
      },
      done: (clean) => {
        if (this.resync !== resync) return;
        this.resync = null;
        if (clean) {
          this.unresponsive = false;
          this.emitHealth();
          this.pump();
          return;
        }
        // Nothing proves the port clean: no command is written on it. The queue fails now; the next command
        // starts another round.
        this.unresponsive = true;
        const probes = this.resyncOptions.attempts ?? 3;
        this.failQueue(
          (request) =>
            new AtError(
              'timeout',
              `${request.redacted}: not sent: port ${this.transport.id} answered none of ${probes} ` +
                'resynchronising probes (the module may still be busy with an earlier command, or not running)',
            ),
        );
        this.emitHealth();
      },
    });
    this.resync = resync;
    resync.start();
  }

  /** Every line written has been answered or proven lost. */
  private proven(): void {
    this.clean = true;
    this.resyncWanted = false;
    this.unresponsive = false;
    const resync = this.resync;
    if (resync) {
      resync.proven();
      return;
    }
    this.emitHealth();
    queueMicrotask(() => this.pump());
  }

  // ---- routing -------------------------------------------------------------------------------------------

  private route(event: AtEvent): void {
    if (this.closedReason !== null) return;
    switch (event.kind) {
      case 'urc':
        this.routeUrc(event);
        return;
      case 'recv':
        if (event.solicited) {
          this.answerLine(event);
          return;
        }
        // Without a length its payload ends at the first `"` CR LF: if it went on, the rest is read as lines and
        // may pose as the answer of the command in flight (`x"\r\nOK\r\n`). Under doubt that answer is an error.
        if (event.payloadLength === null) this.suspect('a message without a length arrived meanwhile');
        this.routeUrc(event);
        return;
      case 'response':
        this.answerLine(event);
        return;
      case 'echo':
        this.onEcho(event);
        return;
      case 'final':
        this.onFinal(event);
        return;
      case 'prompt':
      case 'connect':
        this.onInput(event);
        return;
      case 'data':
        // The module echoing the payload we wrote (echo on): the payload phase is over.
        if (this.trap === null) this.portMode = 'command';
        this.record('in', 'data', describePayload(event.bytes, this.active?.job.request.payload?.secret === true));
        return;
      case 'unknown':
        this.staleLines++;
        this.recordEvent(event);
        // With echo on, a command's answer starts after its echo: noise before the echo cannot have touched it
        // (and if the noise ate the echo, the final without one is refused anyway).
        if (this.echo === 'on' && this.active !== null && this.ledger.answering !== this.active.entry) return;
        this.suspect(
          event.reason === 'abandoned'
            ? 'a payload on the line was given up'
            : 'line noise: a line of control bytes or bytes that are not text',
        );
        return;
    }
  }

  /** The line the module is answering now, as far as it can be proven (see WireLedger). */
  private owner(): WrittenLine | null {
    return this.ledger.answering ?? this.countTie();
  }

  /** With echo off (or not yet known), the one command written on a clean port owns what comes. */
  private countTie(): WrittenLine | null {
    const active = this.active;
    if (active === null || active.phase !== 'final' || this.echo === 'on' || this.ledger.foreign) return null;
    return this.ledger.isOnly(active.entry) ? active.entry : null;
  }

  /** The answer of the command in flight can no longer be trusted. */
  private suspect(reason: string): void {
    const active = this.active;
    if (active !== null && active.phase === 'final') active.doubt ??= reason;
  }

  private answerLine(event: ResponseEvent | RecvEvent): void {
    const active = this.active;
    const owner = this.owner();
    if (active !== null && active.phase === 'final' && owner === active.entry) {
      const { request } = active.job;
      // The completing URC before the OK looks like a response to the parser (same name, no final yet).
      if (event.kind === 'response' && this.earlyCompletion(active, event)) return;
      active.responses.push(event);
      this.recordResponse(request, event);
      return;
    }
    this.staleLines++;
    this.recordEvent(event, owner?.probe === true ? 'resync' : 'stale');
    if (owner === null) this.suspect('an answer line that belongs to no command');
  }

  private onEcho(event: Extract<AtEvent, { kind: 'echo' }>): void {
    const entry = this.ledger.echo(event.raw);
    const active = this.active;
    if (entry === null) {
      this.staleLines++;
      this.recordEvent(event, 'stale');
      this.suspect('an echo of a line the station did not write');
      return;
    }
    this.echo = 'on';
    if (active !== null && entry === active.entry) this.recordEvent(event);
    else this.recordEvent(event, entry.probe ? 'resync' : 'stale');
  }

  private onFinal(event: FinalEvent): void {
    const entry = this.ledger.final(this.countTie());
    const active = this.active;
    if (entry === null) {
      this.staleLines++;
      this.recordEvent(event, 'stale');
      if (active !== null && active.phase === 'final') {
        // Its own final with its echo lost, or a final of nothing it wrote: either way not an answer to trust.
        this.untiedAnswers++;
        this.unclean();
        const why = active.doubt ?? 'its echo never arrived';
        this.settle(
          active,
          new AtResponseError(
            `${active.job.request.redacted}: a final result arrived that cannot be tied to it (${why}); ` +
              'the port is resynchronised',
          ),
        );
      }
      return;
    }
    if (event.result === 'OK') {
      if (entry.probe) this.echo = 'on';
      else if (entry.info.setsEcho !== null) this.echo = entry.info.setsEcho ? 'on' : 'off';
    }
    const own = active !== null && entry === active.entry;
    if (own) {
      this.recordEvent(event);
      this.finalResult(active, event);
    } else {
      this.recordEvent(event, entry.probe ? 'resync' : 'stale');
    }
    if (this.trap !== null && this.trap.entry === entry) this.releaseTrap();
    // A late line's tied final that leaves nothing outstanding proves the port clean (the command in flight was
    // written on a clean port; if its own answer is in doubt, finalResult made the port unclean on purpose).
    if (!own && this.ledger.size === 0 && !this.clean) this.proven();
  }

  private finalResult(active: Active, final: FinalEvent): void {
    const { request } = active.job;
    if (this.trap === null) this.portMode = 'command';
    if (this.consecutiveTimeouts > 0 || this.unresponsive) {
      this.consecutiveTimeouts = 0;
      this.unresponsive = false;
      this.emitHealth();
    }
    if (final.result !== 'OK') {
      this.settle(active, this.commandError(active, final));
      return;
    }
    if (active.doubt !== null) {
      // The final itself may be the forgery (a payload's `OK`), with the real one still to come: prove the port.
      this.untiedAnswers++;
      this.unclean();
      this.emitHealth();
      this.settle(active, new AtResponseError(`${request.redacted}: its answer arrived damaged (${active.doubt})`));
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
    this.armCompletion(active);
  }

  private armCompletion(active: Active): void {
    const completion = active.job.request.completion;
    if (!completion) return;
    if (active.timer !== null) clearTimeout(active.timer);
    active.timer = setTimeout(() => this.timedOut(active), completion.timeoutMs);
  }

  /**
   * A `> ` or CONNECT. The command in flight that asked for it gets its payload. One opened for a written line
   * whose command has such a data phase but will not be fed (abandoned, or sent without a payload) traps the
   * port. Anything else (no line it can belong to, a command without a data phase) is payload or noise.
   */
  private onInput(event: Extract<AtEvent, { kind: 'prompt' | 'connect' }>): void {
    const active = this.active;
    const owner = this.owner();
    const kind = event.kind;
    if (active !== null && owner === active.entry && active.phase === 'final' && !active.payloadSent) {
      const payload = active.job.request.payload;
      if (payload?.after === kind) {
        this.recordEvent(event);
        active.payloadSent = true;
        this.portMode = kind === 'prompt' ? 'prompt' : 'data';
        this.record('out', 'payload', describePayload(payload.bytes, payload.secret === true));
        if (kind === 'prompt') this.parser.notePayload(payload.bytes.length);
        this.write(payload.bytes, active);
        return;
      }
    }
    if (owner !== null && owner.info.payload?.after === kind) {
      this.moduleTrap(event, owner);
      return;
    }
    this.staleLines++;
    this.recordEvent(event, 'unexpected');
  }

  private routeUrc(event: UrcNotice): void {
    // A `+X:` line no URC table knows, on a port with answers outstanding, is most likely one of those answers.
    if (event.kind === 'urc' && !event.known && !this.clean) {
      this.staleLines++;
      this.recordEvent(event, 'stale');
    } else {
      this.recordEvent(event);
    }
    const active = this.active;
    if (active && event.kind === 'urc') this.matchInFlight(active, event);
    if (event.kind === 'urc' && RESET_URCS.has(event.name)) this.moduleReset(event.raw);
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

  /** Abort matches first, then the completing URC, then a notice that the module is still at work. */
  private matchInFlight(active: Active, event: UrcEvent): void {
    const { request } = active.job;
    for (const abort of request.abortOn ?? []) {
      if (abort.urc.toUpperCase() === event.name && abort.match(event)) {
        if (active.phase === 'final') this.unclean();
        this.settle(active, new AtCommandError(`${request.redacted}: aborted by ${event.raw}`, {}));
        return;
      }
    }
    const completion = request.completion;
    if (!completion || completion.urc.toUpperCase() !== event.name) return;
    if (completion.match(event)) {
      if (active.phase === 'completion' && active.final) this.finish(active, active.final, event);
      else if (active.early === null) active.early = event;
      return;
    }
    // A retransmission notice: the module retries and its result will come later; the budget starts again.
    if (active.phase === 'completion' && completion.progress?.(event) === true) this.armCompletion(active);
  }

  /** The module restarted or powered down: whatever is in flight will never be answered. */
  private moduleReset(raw: string): void {
    const active = this.active;
    const written = this.ledger.size > 0;
    this.ledger.forget();
    this.echo = 'unknown';
    if (this.trap !== null && this.trap.view.cause !== 'payload') this.releaseTrap();
    if (written) {
      // A line that reached the module just after it restarted may still be answered: prove the port clean.
      this.unclean();
      this.resync?.cancel();
      this.resync = null;
    }
    if (active) {
      this.settle(
        active,
        new AtCommandError(`${active.job.request.redacted}: the module reported ${raw} before answering`, {}),
      );
    } else {
      queueMicrotask(() => this.pump());
    }
  }

  // ---- traps ---------------------------------------------------------------------------------------------

  /** The module waits for input for `owner`, which the station will not feed: leave it, write nothing else. */
  private moduleTrap(event: Extract<AtEvent, { kind: 'prompt' | 'connect' }>, owner: WrittenLine): void {
    this.recordEvent(event, 'unexpected');
    if (this.trap !== null && this.trap.view.cause !== 'payload') return;
    const prompt = event.kind === 'prompt';
    this.portMode = prompt ? 'prompt' : 'data';
    if (prompt && owner.escaped !== true) {
      owner.escaped = true;
      this.record('out', 'payload', '<ESC>');
      this.write(ESC, null);
    }
    const command = this.redactor.mask(owner.line);
    const since = Date.now();
    this.enterTrap(
      {
        cause: prompt ? 'prompt' : 'upload',
        detail: prompt
          ? `the module opened a \`> \` input for ${command}, which the station does not feed; ESC was sent`
          : `the module takes upload bytes for ${command}, which the station does not send; ` +
            'waiting for the upload to time out',
        since,
        until: since + this.trapLimitMs,
      },
      owner,
      setTimeout(() => this.trapExpired(), this.trapLimitMs),
    );
  }

  private enterTrap(view: PortTrap, entry: WrittenLine | null, timer: ReturnType<typeof setTimeout> | null): void {
    if (this.trap?.timer != null) clearTimeout(this.trap.timer);
    this.trap = { view, entry, timer };
    this.resync?.cancel();
    this.resync = null;
    this.failQueue((request) => this.trapError(request, view));
    this.emitHealth();
  }

  private trapExpired(): void {
    const trap = this.trap;
    if (trap === null) return;
    // The module may still be in its input (it ignored ESC, or an upload has no end): take the port back anyway.
    this.unclean();
    const active = this.active;
    if (active !== null && active.entry === trap.entry) {
      this.settle(
        active,
        new AtError('timeout', `${active.job.request.redacted}: the module kept its input open (${trap.view.detail})`),
      );
    }
    this.releaseTrap();
  }

  private releaseTrap(): void {
    const trap = this.trap;
    if (trap === null) return;
    if (trap.timer !== null) clearTimeout(trap.timer);
    this.trap = null;
    if (this.active === null) this.portMode = 'command';
    if (!this.clean) this.resyncWanted = true;
    this.emitHealth();
    queueMicrotask(() => this.pump());
  }

  private trapError(request: AtRequest<unknown>, view: PortTrap): AtError {
    return new AtError(
      'busy',
      `${request.redacted}: not sent: port ${this.transport.id} is trapped: ${view.detail}; ` +
        `it is taken back by ${new Date(view.until).toISOString()} at the latest`,
    );
  }

  /** The parser started or stopped taking a payload whole. */
  private onHold(kind: HoldKind | null): void {
    if (kind === null) {
      if (this.holdKind === null) return;
      this.holdKind = null;
      if (this.trap?.view.cause === 'payload') this.releaseTrap();
      return;
    }
    if (this.holdKind === null) this.holdSince = Date.now();
    this.holdKind = kind;
    // Our own payload's echo is expected to take its time; a message payload that lasts is suspicious.
    if (this.holdTimer === null) this.watchHold(kind === 'data' ? this.trapLimitMs : this.trapNoticeMs);
  }

  /**
   * Looks at the hold after `ms`: past the trap time it is given up; a message payload that has lasted noticeMs
   * with no byte arriving for noticeMs shows as a trap (one still arriving, a long message on a slow line, does not).
   */
  private watchHold(ms: number): void {
    this.holdTimer = setTimeout(() => {
      this.holdTimer = null;
      const kind = this.holdKind;
      if (kind === null) return;
      const now = Date.now();
      const age = now - this.holdSince;
      if (age >= this.trapLimitMs) {
        this.holdExpired();
        return;
      }
      const wait = Math.max(this.trapNoticeMs - age, this.trapNoticeMs - (now - this.lastDataAt));
      if (kind !== 'data' && this.trap === null && wait <= 0) this.holdNoticed(kind);
      const noticing = kind !== 'data' && this.trap === null && wait > 0;
      this.watchHold(Math.max(1, noticing ? wait : this.trapLimitMs - age));
    }, ms);
  }

  private holdNoticed(kind: HoldKind): void {
    if (this.trap !== null) return;
    this.enterTrap(
      {
        cause: 'payload',
        detail:
          kind === 'recv-counted'
            ? 'a +QMTRECV message announced more payload bytes than have arrived'
            : 'a +QMTRECV message payload has no end yet',
        since: this.holdSince,
        until: this.holdSince + this.trapLimitMs,
      },
      null,
      null,
    );
  }

  /** Makes the parser give up the payload it takes whole (its own events report it). */
  private dropHold(): void {
    this.clearHold();
    this.parser.abandonHold();
  }

  /** A payload that did not end within the trap time: make the parser give it up and take the port back. */
  private holdExpired(): void {
    if (this.holdKind === null) return;
    this.dropHold();
    // Answers may have been taken for payload bytes: nothing that was being answered can be followed now.
    this.ledger.lost();
    this.unclean();
    const active = this.active;
    if (active !== null && active.phase === 'final') {
      this.untiedAnswers++;
      this.settle(
        active,
        new AtResponseError(`${active.job.request.redacted}: its answer was lost in a payload the parser gave up on`),
      );
    }
    if (this.trap?.view.cause === 'payload') this.releaseTrap();
    else queueMicrotask(() => this.pump());
  }

  private clearHold(): void {
    this.holdKind = null;
    if (this.holdTimer !== null) clearTimeout(this.holdTimer);
    this.holdTimer = null;
  }

  // ---- transcript and health -----------------------------------------------------------------------------

  private recordEvent(event: AtEvent, note?: TranscriptEntry['note']): void {
    if (!this.transcriptEmitter.hasListeners) return;
    // A late line may be the answer of an abandoned command whose answers are secret: masked until it is over.
    const late = event.kind !== 'final' && event.kind !== 'echo' && this.ledger.hasSecret(this.active?.entry ?? null);
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
    if (!this.transcriptEmitter.hasListeners) return;
    this.transcriptEmitter.fire({ at: Date.now(), direction, kind, text, ...(note ? { note } : {}) });
  }

  private emitHealth(): void {
    if (this.healthEmitter.hasListeners) this.healthEmitter.fire(this.health);
  }

  private closedError(request: AtRequest<unknown>, reason: string): AtError {
    return new AtError('port-closed', `${request.redacted}: port ${this.transport.id} closed (${reason})`);
  }
}

function cancelledError(request: AtRequest<unknown>): AtError {
  return new AtError('cancelled', `${request.redacted}: cancelled`);
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`AtEngine: ${name} must be a positive number`);
  return value;
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
