import type {
  Activity,
  ConnectionState,
  ModuleInfo,
  ModuleState,
  PortHealthView,
  TranscriptLine,
} from '../../shared/contract';
import type { AtEngine, PortHealth, UrcNotice } from '../at/engine';
import { AtError } from '../at/vocab/errors';
import type { AtRequest } from '../at/vocab/request';
import { DisposableStore, Emitter, toDisposable, type Disposable } from '../base';
import { SecretMask } from '../catalogue';
import type { ByteTransport } from '../transport/types';
import { PortLease } from './lease';
import { redactLine } from './redact';
import type { RunnableUnit } from './runner';
import { MIN_MASKED_SECRET, type UnitView } from './script';

/** What a unit has told about itself (null until identified). */
export interface UnitIdentity {
  readonly model: string | null;
  readonly revision: string | null;
  readonly imei: string | null;
  readonly iccid: string | null;
  readonly imsi: string | null;
}

export const unknownIdentity: UnitIdentity = { model: null, revision: null, imei: null, iccid: null, imsi: null };

/** Builds the AT engine of a freshly opened transport (the composition root decides how it parses). */
export type EngineFactory = (transport: ByteTransport) => AtEngine;

interface Link {
  readonly transport: ByteTransport;
  readonly engine: AtEngine;
  readonly subscriptions: DisposableStore;
}

/**
 * One unit of the fleet, known by the port it is attached on (its id) and, once identified, by its IMEI. Its
 * connection (attached, identifying, ready, error, gone) is kept apart from its activity (who holds its port lease).
 * A unit outlives its port: when the port vanishes the unit is `gone`, and when the same path comes back a new
 * transport is attached to the same unit. Everything it says goes into its transcript (redacted) and out as events.
 */
export class Unit implements RunnableUnit, Disposable {
  readonly lease = new PortLease();
  private link: Link | null = null;
  private connectionState: ConnectionState = 'attached';
  private identityValue: UnitIdentity = unknownIdentity;
  private problemText: string | null = null;
  /** `closed` until a port is attached: a unit listed for a port that could not be opened has no engine to ask. */
  private healthValue: PortHealthView = { state: 'closed', detail: 'the port is not open' };
  private step: string | null = null;
  /** The last `keep` transcript lines, as a ring: `seq` is also the number of lines ever recorded. */
  private readonly lines: (TranscriptLine | undefined)[];
  private seq = 0;
  /** Values a running script marked secret (StepContext.secret), with how many holders each has. */
  private readonly secrets = new Map<string, number>();
  /** The same values, masked wherever they appear (linear in the text, whatever their number). */
  private readonly secretMask = new SecretMask(MIN_MASKED_SECRET);
  private readonly store = new DisposableStore();
  private readonly changed = this.store.add(new Emitter<Unit>('unit.changed'));
  private readonly urcs = this.store.add(new Emitter<UrcNotice>('unit.urc'));
  private readonly transcriptLines = this.store.add(new Emitter<TranscriptLine>('unit.transcript'));
  /** Connection, identity, health, problem or activity changed. */
  readonly onDidChange = this.changed.event;
  readonly onTranscript = this.transcriptLines.event;

  constructor(
    readonly id: string,
    private readonly keep: number,
  ) {
    if (!Number.isInteger(keep) || keep < 1)
      throw new RangeError(`transcriptKeep must be a positive integer, got ${keep}`);
    this.lines = new Array<TranscriptLine | undefined>(keep).fill(undefined);
    this.store.add(
      this.lease.onDidChange(() => {
        if (this.lease.holder === null) this.step = null;
        this.changed.fire(this);
      }),
    );
    this.store.add(this.lease);
  }

  get connection(): ConnectionState {
    return this.connectionState;
  }

  get identity(): UnitIdentity {
    return this.identityValue;
  }

  get isAttached(): boolean {
    return this.link !== null;
  }

  /** Attaches a freshly opened transport (first time, or the port came back). Disposes any previous link. */
  attach(transport: ByteTransport, engine: AtEngine): void {
    this.dropLink();
    const subscriptions = new DisposableStore();
    this.link = { transport, engine, subscriptions };
    subscriptions.add(
      engine.onTranscript((entry) => {
        const text = entry.note === undefined ? entry.text : `${entry.text}  (${entry.note})`;
        this.record(entry.direction === 'out' ? 'tx' : 'rx', text, entry.at);
      }),
    );
    subscriptions.add(engine.onAnyUrc((event) => this.urcs.fire(event)));
    subscriptions.add(engine.onHealth((health) => this.setHealth(health)));
    subscriptions.add(
      transport.onClose((error) => {
        if (this.link?.transport !== transport) return;
        this.detach(error === undefined ? 'The port was closed.' : `The port went away: ${error.message}`);
      }),
    );
    this.healthValue = { state: 'ok', detail: null };
    this.update({ connection: 'attached', problem: null });
  }

  /** The port is gone: the unit stays listed as `gone`, its engine is released. */
  detach(problem: string): void {
    this.dropLink();
    this.healthValue = { state: 'closed', detail: problem };
    this.update({ connection: 'gone', problem });
  }

  /** Changes connection state, identity or problem, and tells listeners once. */
  update(patch: {
    readonly connection?: ConnectionState;
    readonly identity?: Partial<UnitIdentity>;
    readonly problem?: string | null;
  }): void {
    if (patch.connection !== undefined) this.connectionState = patch.connection;
    if (patch.identity !== undefined) this.identityValue = { ...this.identityValue, ...patch.identity };
    if (patch.problem !== undefined) this.problemText = patch.problem;
    this.changed.fire(this);
  }

  /** The step a script holding the lease is running now (shown in the activity). */
  setStep(step: string | null): void {
    if (this.step === step) return;
    this.step = step;
    this.changed.fire(this);
  }

  view(): UnitView {
    return { id: this.id, port: this.id, ...this.identityValue };
  }

  info(): ModuleInfo {
    const activity = this.activity();
    return {
      id: this.id,
      port: this.id,
      ...this.identityValue,
      state: summaryState(this.connectionState, activity),
      connection: this.connectionState,
      activity,
      waiting: this.lease.waiting,
      health: this.healthValue,
      problem: this.problemText,
    };
  }

  run<T>(request: AtRequest<T>, signal: AbortSignal): Promise<T> {
    if (this.link === null) {
      return Promise.reject(new AtError('port-closed', `${request.redacted}: ${this.id} is not attached`));
    }
    return this.link.engine.run(request, { signal });
  }

  onUrc(listener: (event: UrcNotice) => void): Disposable {
    return this.urcs.event(listener);
  }

  addSecrets(values: readonly string[]): Disposable {
    const added = [...new Set(values)].filter((value) => value.length >= MIN_MASKED_SECRET);
    for (const value of added) {
      this.secrets.set(value, (this.secrets.get(value) ?? 0) + 1);
      this.secretMask.add(value);
    }
    return toDisposable(() => {
      for (const value of added) {
        const holders = (this.secrets.get(value) ?? 1) - 1;
        if (holders > 0) {
          this.secrets.set(value, holders);
        } else {
          this.secrets.delete(value);
          this.secretMask.delete(value);
        }
      }
    });
  }

  mask(text: string): string {
    return this.secretMask.mask(text);
  }

  note(text: string): void {
    this.record('note', text, Date.now());
  }

  /** The last `limit` transcript lines (at most `keep`), oldest first. */
  transcript(limit: number): TranscriptLine[] {
    const count = Math.min(limit, this.keep, this.seq);
    const out: TranscriptLine[] = [];
    for (let seq = this.seq - count; seq < this.seq; seq++) {
      const line = this.lines[seq % this.keep];
      if (line !== undefined) out.push(line);
    }
    return out;
  }

  dispose(): void {
    this.dropLink();
    this.store.dispose();
  }

  private activity(): Activity {
    const holder = this.lease.holder;
    if (holder === null) return { kind: 'idle' };
    if (holder.kind === 'console') return { kind: 'console' };
    return { kind: 'script', script: holder.script, runId: holder.runId, step: this.step };
  }

  private setHealth(health: PortHealth): void {
    const next = healthView(health);
    if (next.state === this.healthValue.state && next.detail === this.healthValue.detail) return;
    this.healthValue = next;
    this.changed.fire(this);
  }

  private record(dir: TranscriptLine['dir'], text: string, at: number): void {
    const line: TranscriptLine = { moduleId: this.id, seq: this.seq, at, dir, text: this.mask(redactLine(text)) };
    this.lines[this.seq % this.keep] = line;
    this.seq++;
    this.transcriptLines.fire(line);
  }

  private dropLink(): void {
    const link = this.link;
    if (link === null) return;
    this.link = null;
    link.subscriptions.dispose();
    link.engine.dispose();
    // The transport is closed by whoever opened it when it is still open (a vanished one is closed already).
    link.transport.close().catch(() => undefined);
  }
}

function summaryState(connection: ConnectionState, activity: Activity): ModuleState {
  switch (connection) {
    case 'gone':
      return 'disconnected';
    case 'error':
      return 'error';
    case 'attached':
    case 'identifying':
      return 'identifying';
    case 'ready':
      return activity.kind === 'idle' ? 'ready' : 'busy';
  }
}

/** The engine's port health in the contract's words. */
function healthView(health: PortHealth): PortHealthView {
  switch (health.state) {
    case 'ok':
      return { state: 'ok', detail: null };
    case 'degraded':
      return {
        state: 'degraded',
        detail: `${health.consecutiveTimeouts} command(s) in a row went unanswered`,
      };
    case 'unresponsive':
      return { state: 'unresponsive', detail: 'the module does not answer AT' };
    case 'trapped':
      return {
        state: 'trapped',
        detail: `${health.trap?.detail ?? 'the module holds a data input nobody asked for'}; the station takes the port back by ${new Date(health.trap?.until ?? Date.now()).toISOString()} at the latest`,
      };
    case 'closed':
      return { state: 'closed', detail: health.closedReason ?? 'the port is closed' };
  }
}
