import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { Emitter, type Event } from '../../base';
import type { HoldKind, ParserOptions } from '../parser';
import type { AtEvent } from '../vocab/types';
import { startWorker } from '../../platform/worker';
import { messagesIn, parseFromWorker, type ToWorker } from './protocol';

/** What a port's owner (its AT engine) holds: its parser, running in a worker thread. */
export interface ParserPortHandle {
  readonly portId: string;
  /** Queues bytes read from the port. They are copied, so the caller may reuse its buffer. */
  push(bytes: Uint8Array): void;
  /** Tells the parser the command line about to be written (before its bytes are written). */
  note(line: string): void;
  /** Tells the parser the payload about to be written after a prompt (before its bytes are written). */
  notePayload(length: number): void;
  /** Makes the parser give up the payload it is taking whole, or only one of kind `only` (AtStreamParser.abandonHold). */
  abandonHold(only?: HoldKind): void;
  /** Events of this port, in order, batched per pushed chunk. */
  readonly onEvents: Event<readonly AtEvent[]>;
  /**
   * The parser started (a kind) or stopped (null) taking a payload whole. A start is told once it has lasted
   * HOLD_REPORT_MS (most holds are a message spanning two reads, and end well before), an end at once.
   */
  readonly onHold: Event<HoldKind | null>;
  /**
   * The worker hosting this port died: bytes and notes not yet parsed were lost and the parser starts afresh
   * (mid-line state gone). The engine should treat its transaction as failed and resync. `restarted` is false
   * when the worker kept crashing and the pool gave up on it: the port then gets no more events.
   */
  readonly onWorkerLost: Event<WorkerLoss>;
  /** The same notice as onWorkerLost, as the reason text only (the shape the AT engine's ParserLink uses). */
  readonly onRestart: Event<string>;
  dispose(): void;
}

export interface WorkerLoss {
  /** What happened, safe to log (no line content). */
  readonly reason: string;
  readonly restarted: boolean;
}

/** A worker that crashes this often within CRASH_WINDOW_MS is not restarted again (a crash loop). */
const MAX_CRASHES = 5;
const CRASH_WINDOW_MS = 10_000;

export interface ParserPoolOptions {
  /** Number of worker threads; see defaultWorkerCount. */
  readonly workers?: number;
  /** The worker entry; the default is parser-worker next to this module. Tests pass a crashing variant. */
  readonly entry?: URL;
}

/**
 * How many parser workers to run.
 *
 * Measured (bench/parser-throughput.ts, 8 MB mixed stream, 2 cores shared with other jobs, so figures swing
 * with load): the parser runs at 90-150 MB/s inside a worker, 45-55 MB/s end to end for one port (copying
 * the chunk in and cloning the events back costs more than parsing). 4 ports on 2 workers gave 57-73 MB/s vs
 * 45-49 MB/s on 1 worker when the machine was quiet, and 32 vs 33 MB/s under heavy load, when the main thread
 * (which posts every chunk and receives every event) is the bottleneck. A USB serial port at 921600 baud
 * carries at most ~0.09 MB/s, so even the worst figure leaves one worker headroom for hundreds of busy ports:
 * more workers buy no throughput a fleet needs. A worker costs a thread with its own V8 heap, and the main
 * thread (which owns all serial I/O, the engines and the shell) needs a core of its own.
 * So: one worker per core beyond the first, at least one, at most four (beyond four the only gain left is
 * a smaller share of ports affected by one crash, and a crashed worker is restarted anyway).
 */
export function defaultWorkerCount(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

interface Slot {
  worker: Worker | null;
  readonly ports: Map<string, PortState>;
  /** Resolves when the current worker has exited (set while it runs). */
  exited: Promise<void> | null;
  /** When recent crashes happened (ms timestamps), for the crash-loop guard. */
  crashes: number[];
  /** Gave up after a crash loop: gets no new ports. */
  failed: boolean;
  /** Messages for the worker not yet posted (see `post`), in order, and the buffers they transfer. */
  outbox: ToWorker[];
  transfers: ArrayBuffer[];
}

interface PortState {
  readonly options: ParserOptions;
  readonly events: Emitter<readonly AtEvent[]>;
  readonly holds: Emitter<HoldKind | null>;
  readonly losses: Emitter<WorkerLoss>;
}

/**
 * The parser workers of the station, on the main thread. Each port is given to one worker for its lifetime
 * (the least loaded by port count when it opens), so its messages travel one FIFO channel and its events
 * keep their order. A worker that dies is replaced at once, its ports reopened and their handles told.
 * Workers are started on first use and unref'd: open ports, not the pool, keep the process alive.
 */
export class ParserPool {
  private readonly slots: Slot[];
  private readonly entry: URL;
  private disposed = false;
  private restarts = 0;

  constructor(options: ParserPoolOptions = {}) {
    const count = options.workers ?? defaultWorkerCount();
    if (!Number.isInteger(count) || count < 1 || count > 64) {
      throw new RangeError(`ParserPool: workers must be an integer from 1 to 64, got ${String(count)}`);
    }
    this.entry = options.entry ?? defaultEntry();
    this.slots = Array.from({ length: count }, () => ({
      worker: null,
      ports: new Map(),
      exited: null,
      crashes: [],
      failed: false,
      outbox: [],
      transfers: [],
    }));
  }

  /** Number of worker threads currently running. */
  get liveWorkers(): number {
    return this.slots.filter((s) => s.worker !== null).length;
  }

  /** Workers replaced after a crash since the pool started. */
  get restartCount(): number {
    return this.restarts;
  }

  /** Thread ids of the running workers (for diagnostics and leak checks). */
  get threadIds(): number[] {
    return this.slots.flatMap((s) => (s.worker === null ? [] : [s.worker.threadId]));
  }

  /** A port's parser; live (the engine notes what it writes) unless `options` say otherwise. */
  open(portId: string, options: ParserOptions = {}): ParserPortHandle {
    if (this.disposed) throw new Error('ParserPool: disposed');
    if (this.slots.some((s) => s.ports.has(portId))) throw new Error(`ParserPool: port ${portId} is already open`);
    let slot: Slot | undefined;
    for (const s of this.slots) if (!s.failed && (slot === undefined || s.ports.size < slot.ports.size)) slot = s;
    if (slot === undefined) throw new Error('ParserPool: every parser worker kept crashing; none is running');
    const state: PortState = {
      options: { live: true, ...options },
      events: new Emitter(`parser.events ${portId}`),
      holds: new Emitter(`parser.hold ${portId}`),
      losses: new Emitter(`parser.workerLost ${portId}`),
    };
    slot.ports.set(portId, state);
    this.ensureWorker(slot);
    this.post(slot, { type: 'open', portId, options: state.options });
    return this.handle(slot, portId, state);
  }

  /** Stops every worker and waits until their threads have exited. Idempotent. */
  async dispose(): Promise<void> {
    this.disposed = true;
    const exits: Promise<void>[] = [];
    for (const slot of this.slots) {
      slot.ports.clear();
      if (slot.worker !== null && slot.exited !== null) {
        exits.push(slot.exited);
        void slot.worker.terminate();
      }
    }
    await Promise.all(exits);
  }

  private handle(slot: Slot, portId: string, state: PortState): ParserPortHandle {
    let open = true;
    const live = (): boolean => open && !this.disposed;
    return {
      portId,
      push: (bytes) => {
        if (!live()) return;
        const chunk = new Uint8Array(bytes); // a copy we own, so its buffer can be transferred
        this.post(slot, { type: 'bytes', portId, chunk }, [chunk.buffer]);
      },
      note: (line) => {
        if (live()) this.post(slot, { type: 'note', portId, line });
      },
      notePayload: (length) => {
        if (live()) this.post(slot, { type: 'payload', portId, length });
      },
      abandonHold: (only) => {
        if (live())
          this.post(slot, only === undefined ? { type: 'abandon', portId } : { type: 'abandon', portId, only });
      },
      onEvents: state.events.event,
      onHold: state.holds.event,
      onWorkerLost: state.losses.event,
      onRestart: (listener) => state.losses.event((loss) => listener(loss.reason)),
      dispose: () => {
        if (!open) return;
        open = false;
        state.events.dispose();
        state.holds.dispose();
        state.losses.dispose();
        if (slot.ports.get(portId) === state) {
          slot.ports.delete(portId);
          if (!this.disposed) this.post(slot, { type: 'close', portId });
        }
      },
    };
  }

  /**
   * Queues a message for the slot's worker; the messages queued in one turn of the event loop go as one
   * postMessage (an array, in order) when the turn's I/O is done. A fleet's ports deliver their reads in the same
   * turns: one message per port read cost more main-thread time than parsing (bench/provision.ts).
   */
  private post(slot: Slot, message: ToWorker, transfer: readonly ArrayBuffer[] = []): void {
    if (slot.worker === null) return;
    slot.outbox.push(message);
    slot.transfers.push(...transfer);
    if (slot.outbox.length === 1) setImmediate(() => this.flush(slot));
  }

  private flush(slot: Slot): void {
    const messages = slot.outbox;
    const transfer = slot.transfers;
    slot.outbox = [];
    slot.transfers = [];
    if (messages.length > 0) slot.worker?.postMessage(messages, transfer);
  }

  private ensureWorker(slot: Slot): void {
    if (slot.worker !== null) return;
    const worker = startWorker(this.entry, { name: 'at-parser' });
    worker.unref();
    slot.worker = worker;
    let lastError = 'exited';
    slot.exited = new Promise((resolve) => {
      worker.once('exit', (code) => {
        if (slot.worker === worker) {
          slot.worker = null;
          slot.exited = null;
          // Meant for the worker that died: lost with it, like what it had not parsed yet.
          slot.outbox = [];
          slot.transfers = [];
        }
        resolve();
        if (!this.disposed) this.replace(slot, `parser worker ${lastError} (exit code ${code})`);
      });
    });
    worker.on('error', (error: Error) => {
      // The message says what failed in the parser code; it never holds line content.
      lastError = `crashed: ${error.name}`;
    });
    worker.on('message', (message: unknown) => {
      for (const item of messagesIn(message)) {
        if (slot.worker !== worker) return;
        const reply = parseFromWorker(item);
        if (reply?.type !== 'events') continue;
        const state = slot.ports.get(reply.portId);
        if (state === undefined) continue;
        if (reply.events.length > 0) state.events.fire(reply.events);
        if (reply.hold !== undefined) state.holds.fire(reply.hold);
      }
    });
  }

  /**
   * A worker died: start another, reopen its ports, and tell their owners what was lost. A worker that keeps
   * dying (a broken entry, a poisoned environment) is not restarted forever in a tight loop: after MAX_CRASHES
   * within CRASH_WINDOW_MS the slot is given up and its ports are told so.
   */
  private replace(slot: Slot, reason: string): void {
    const now = Date.now();
    slot.crashes = [...slot.crashes.filter((t) => now - t < CRASH_WINDOW_MS), now];
    const restarted = slot.crashes.length < MAX_CRASHES;
    if (restarted) {
      this.restarts++;
      if (slot.ports.size > 0) {
        this.ensureWorker(slot);
        for (const [portId, state] of slot.ports) this.post(slot, { type: 'open', portId, options: state.options });
      }
    } else {
      slot.failed = true;
      reason += `; not restarted after ${slot.crashes.length} crashes in ${CRASH_WINDOW_MS / 1000} s`;
    }
    const loss: WorkerLoss = { reason, restarted };
    for (const state of slot.ports.values()) state.losses.fire(loss);
  }
}

function defaultEntry(): URL {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./parser-worker${ext}`, import.meta.url);
}
