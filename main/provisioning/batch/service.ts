import { randomBytes, randomUUID } from 'node:crypto';
import type { RunObserver, RunResult, UnitResult } from '../../core/script';
import type { Station } from '../../core/station';
import type { Store, UnitRecord } from '../../store';
import type { PlannedObserver } from '../compile';
import { canonicalJson } from '../hash';
import type { LoadedProfile } from '../load';
import { Mailbox } from './mailbox';
import { mqttObserver, type BrokerObserver, type ObserverFactory } from './observer';
import { errorCodeOf, HistoryRecorder } from './recorder';
import { provisioningScript } from './script';
import type { BatchInputs, ProvisionState, UnitIdentityFound } from './state';

/** How long `precheck` waits by default for a module still searching for a network. */
export const DEFAULT_REGISTRATION_WAIT_MS = 30_000;

export interface BatchOptions {
  readonly station: Station;
  readonly store: Store;
  readonly profile: LoadedProfile;
  /** The units to provision (station module ids: their ports). */
  readonly moduleIds: readonly string[];
  /** This station's id: on the run record and on every credential assignment. */
  readonly stationId: string;
  readonly operator?: string;
  readonly workOrder?: string;
  /** The run whose failed units this run retries (recorded with the run). */
  readonly retryOf?: string;
  /** A run id chosen by the caller; a UUID otherwise. */
  readonly runId?: string;
  /** The station's broker-side client (default: MQTT.js). Only used when the profile configures an observer. */
  readonly observerFactory?: ObserverFactory;
  /** Where the observer connects instead of the profile's URL (the embedded broker of `--virtual`). */
  readonly observerUrl?: string;
  /** Serial speed of the ports, for the upload's own time limit (default 115200). */
  readonly baudRate?: number;
  /** How long `precheck` waits for a module still starting (default 30 s). */
  readonly registrationWaitMs?: number;
  /**
   * Told of the run after the store has recorded each event (progress output, `--json` lines). Awaited like the
   * recorder: keep them quick.
   */
  readonly observers?: readonly RunObserver[];
}

/** One unit's outcome, as `--json` and the summary report it (never a secret). */
export interface UnitOutcome {
  readonly moduleId: string;
  readonly port: string;
  readonly imei: string | null;
  readonly iccid: string | null;
  readonly imsi: string | null;
  readonly model: string | null;
  readonly firmware: string | null;
  readonly credentialId: string | null;
  readonly result: 'pass' | 'fail' | 'cancelled';
  readonly failedStep: string | null;
  readonly errorCode: string | null;
  readonly error: string | null;
  readonly roundTripMs: number | null;
  readonly durationMs: number;
  readonly startedAt: number;
  readonly finishedAt: number;
}

export interface BatchResult {
  readonly runId: string;
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly units: readonly UnitOutcome[];
  readonly counts: {
    readonly total: number;
    readonly passed: number;
    readonly failed: number;
    readonly cancelled: number;
  };
  /** The runner's own result (every step record, every unit's final state: it holds secrets, never print it). */
  readonly run: RunResult<ProvisionState>;
}

/** A batch in progress: cancellation as a whole or per unit, and its result. */
export interface BatchHandle {
  readonly runId: string;
  /** Resolves when every unit has finished and the run is recorded (never rejects for a unit's failure). */
  readonly done: Promise<BatchResult>;
  cancel(reason?: string): void;
  /** False when the unit is not in this batch. */
  cancelUnit(moduleId: string, reason?: string): boolean;
}

/** The observer's settings, from the profile (the same for every unit), with the URL possibly redirected. */
export function observerSettings(profile: LoadedProfile, url?: string): PlannedObserver | undefined {
  const watch = profile.profile.verify.observer;
  if (watch === undefined) return undefined;
  const bytes = (role: 'verify.observer.ca' | 'verify.observer.cert' | 'verify.observer.key') =>
    profile.files.get(role)?.bytes;
  const ca = bytes('verify.observer.ca');
  const cert = bytes('verify.observer.cert');
  const key = bytes('verify.observer.key');
  return {
    url: url ?? watch.url,
    ...(ca !== undefined ? { ca } : {}),
    ...(cert !== undefined ? { cert } : {}),
    ...(key !== undefined ? { key } : {}),
    ...(watch.username !== undefined ? { username: watch.username } : {}),
    ...(profile.observerPassword !== undefined ? { password: profile.observerPassword } : {}),
    ...(watch.client_id !== undefined ? { clientId: watch.client_id } : {}),
  };
}

/** What a unit's final state tells of it (read without trusting its type: observers see `unknown` states). */
function stateFacts(state: unknown): {
  identity?: UnitIdentityFound;
  credentialId?: string;
  roundTripMs?: number;
} {
  if (typeof state !== 'object' || state === null) return {};
  const facts: { identity?: UnitIdentityFound; credentialId?: string; roundTripMs?: number } = {};
  if ('credentialId' in state && typeof state.credentialId === 'string') facts.credentialId = state.credentialId;
  if ('roundTripMs' in state && typeof state.roundTripMs === 'number') facts.roundTripMs = state.roundTripMs;
  if ('identity' in state && typeof state.identity === 'object' && state.identity !== null) {
    const found = state.identity;
    const text = (key: string): string | undefined => {
      const value: unknown = key in found ? Reflect.get(found, key) : undefined;
      return typeof value === 'string' ? value : undefined;
    };
    const [model, firmware, imei, iccid, imsi] = ['model', 'firmware', 'imei', 'iccid', 'imsi'].map(text);
    if (
      model !== undefined &&
      firmware !== undefined &&
      imei !== undefined &&
      iccid !== undefined &&
      imsi !== undefined
    ) {
      facts.identity = { model, firmware, imei, iccid, imsi };
    }
  }
  return facts;
}

/** One unit's outcome from the runner's result (as `--json` prints it and the summary counts it). */
export function unitOutcome(result: UnitResult<unknown>): UnitOutcome {
  const { identity, credentialId, roundTripMs } = stateFacts(result.state);
  return {
    moduleId: result.unitId,
    port: result.port,
    imei: identity?.imei ?? result.unit.imei,
    iccid: identity?.iccid ?? result.unit.iccid,
    imsi: identity?.imsi ?? result.unit.imsi,
    model: identity?.model ?? result.unit.model,
    firmware: identity?.firmware ?? result.unit.revision,
    credentialId: credentialId ?? null,
    result: result.result,
    failedStep: result.failedStep,
    errorCode: errorCodeOf(result) ?? null,
    error: result.error,
    roundTripMs: roundTripMs ?? null,
    durationMs: Math.max(0, result.finishedAt - result.startedAt),
    startedAt: result.startedAt,
    finishedAt: result.finishedAt,
  };
}

/**
 * Starts a provisioning batch: the provisioning script on every listed unit at once, each on its own engine and
 * under its own port lease (one unit's failure or slowness never stalls another), recorded in the store's History
 * as it happens. The profile (and the manifest, imported beforehand) must already be validated: this touches the
 * modules at once.
 */
export function startBatch(options: BatchOptions): BatchHandle {
  const runId = options.runId ?? randomUUID();
  const { profile, store } = options;
  const recorder = new HistoryRecorder(store.history, {
    station: options.stationId,
    ...(options.operator !== undefined ? { operator: options.operator } : {}),
    ...(options.workOrder !== undefined ? { workOrder: options.workOrder } : {}),
    ...(options.retryOf !== undefined ? { retryOf: options.retryOf } : {}),
    profile: { hash: profile.hash, name: profile.name, content: canonicalJson(profile.profile) },
  });
  const settings = observerSettings(profile, options.observerUrl);
  const observer: BrokerObserver | undefined =
    settings === undefined ? undefined : (options.observerFactory ?? mqttObserver)(settings);
  const inputs: BatchInputs = {
    profile,
    ledger: store.ledger,
    station: options.stationId,
    ...(observer !== undefined ? { observer } : {}),
    baudRate: options.baudRate ?? 115_200,
    registrationWaitMs: options.registrationWaitMs ?? DEFAULT_REGISTRATION_WAIT_MS,
  };
  const run = options.station.runScript(provisioningScript(), {
    moduleIds: options.moduleIds,
    runId,
    observers: [recorder, ...(options.observers ?? [])],
    input: (unit) => ({
      batch: inputs,
      facts: recorder.factsFor(unit.id),
      mailbox: new Mailbox(profile.profile.client),
      runId,
      nonce: randomBytes(8).toString('hex'),
    }),
  });
  const done = run.done
    .then((result): BatchResult => {
      const units = result.units.map(unitOutcome);
      const count = (kind: UnitOutcome['result']): number => units.filter((unit) => unit.result === kind).length;
      return {
        runId,
        startedAt: result.startedAt,
        finishedAt: result.finishedAt,
        units,
        counts: { total: units.length, passed: count('pass'), failed: count('fail'), cancelled: count('cancelled') },
        run: result,
      };
    })
    .finally(() => observer?.close());
  return {
    runId,
    done,
    cancel: (reason) => run.cancel(reason ?? 'the batch was cancelled'),
    cancelUnit: (moduleId, reason) => run.cancelUnit(moduleId, reason ?? `${moduleId} was cancelled`),
  };
}

/** What "retry failed" reruns: the IMEIs of a run's units that did not pass (failed, interrupted or cancelled). */
export interface RetrySelection {
  readonly runId: string;
  /** IMEIs to run again, in the order the run recorded them. */
  readonly imeis: readonly string[];
  /**
   * The ports those units were on in that run (each once): where to look for them first, so that a retry need not
   * touch the ports of units that passed.
   */
  readonly ports: readonly string[];
  /** Units of the run that did not pass and whose IMEI was never read (they cannot be recognised again). */
  readonly unidentified: number;
}

/**
 * The units a run did not get through: every unit record of `runId` whose result is not `pass` — `fail` (an
 * interrupted unit is recorded as a failure with error code `interrupted`) and `cancelled` — by IMEI. A unit that
 * passed is never touched again. Throws when the run is unknown or still running.
 */
export async function retrySelection(store: Store, runId: string): Promise<RetrySelection> {
  const run = await store.history.run(runId);
  if (run === undefined) throw new RetryError(`no run ${runId} in ${store.location}`);
  if (run.state === 'running') throw new RetryError(`run ${runId} is still running; retry it once it has ended`);
  const units: readonly UnitRecord[] = await store.history.units({ runId });
  const failed = units.filter((unit) => unit.result !== 'pass');
  const identified = failed.filter((unit) => unit.imei !== undefined);
  const imeis = [...new Set(identified.flatMap((unit) => (unit.imei === undefined ? [] : [unit.imei])))];
  const ports = [...new Set(identified.map((unit) => unit.port))];
  return { runId, imeis, ports, unidentified: failed.length - identified.length };
}

/** A retry that cannot be made (an unknown run, one still running). */
export class RetryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RetryError';
  }
}
