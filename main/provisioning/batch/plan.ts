import { explainCme, explainFailure } from './explain';
import { AtCommandError, AtError } from '../../at/vocab/errors';
import type { AtRequest } from '../../at/vocab/request';
import { StepError } from '../../core/script';
import type { FileRole, PemFile } from '../certificates';
import { compilePlan, type ProvisioningPlan } from '../compile';
import { formatIssue } from '../issues';
import type { ProvisionState } from './state';

/** Added to the sum of a step's request limits: the station's own work between the requests. */
export const STEP_MARGIN_MS = 2_000;

/**
 * A step's time limit: the sum of the limits of the requests it will send (each request's final-result limit plus
 * its completion budget, both the command builders' own, from the spec's maximum response times), plus a margin.
 * The step limit is a safety net: each request times out by itself first.
 */
export function limitOf(requests: readonly AtRequest<unknown>[], extraMs = 0): number {
  let total = STEP_MARGIN_MS + extraMs;
  for (const request of requests) total += request.timeoutMs + (request.completion?.timeoutMs ?? 0);
  return total;
}

/** Does the profile need a credential from the ledger (a manifest column, or a per-unit certificate file)? */
export function needsCredential(state: Pick<ProvisionState, 'batch'>): boolean {
  return state.batch.profile.requiredColumns.length > 0;
}

/**
 * The unit's plan: the one compiled with its credential (step `credential`), or, for a profile that needs none,
 * compiled from the unit's identity alone. Throws a StepError naming every field that does not fit (never a value).
 */
export function planOf(
  state: ProvisionState,
  row: Readonly<Record<string, string>> = {},
  files?: ReadonlyMap<FileRole, PemFile>,
): ProvisioningPlan {
  if (state.plan !== undefined) return state.plan;
  const { identity } = state;
  if (identity === undefined) throw new StepError('the unit is not identified: its plan cannot be made');
  if (needsCredential(state) && Object.keys(row).length === 0) {
    throw new StepError('the unit holds no credential: its plan cannot be made');
  }
  const compiled = compilePlan(
    state.batch.profile,
    { imei: identity.imei, iccid: identity.iccid, imsi: identity.imsi, row, runId: state.runId, nonce: state.nonce },
    files ?? state.batch.profile.files,
  );
  if (!compiled.ok) {
    const count = compiled.errors.length;
    throw new StepError(
      `this unit's values do not fit the profile (${count} problem${count === 1 ? '' : 's'}): ` +
        compiled.errors.map(formatIssue).join('; '),
    );
  }
  return compiled.value;
}

/** The plan when it can be known before the step runs (for the step's time limit), or undefined. */
export function knownPlan(state: ProvisionState): ProvisioningPlan | undefined {
  if (state.plan !== undefined) return state.plan;
  if (needsCredential(state) || state.identity === undefined) return undefined;
  try {
    return planOf(state);
  } catch {
    return undefined;
  }
}

/**
 * An AT failure in the words of what the step was doing: the module's `+CME ERROR` in the field notes' words with
 * what to do, a plain ERROR, a timeout, a damaged answer. The failure's code and the module's result code are
 * kept (they decide retries and go on the record). Anything else is rethrown as it is.
 */
export function stepErrorOf(what: string, error: unknown): Error {
  if (error instanceof StepError) return error;
  if (error instanceof AtCommandError) {
    const { final, cmeCode } = error.detail;
    if (cmeCode !== undefined) {
      return new StepError(`${what}: ${explainCme(cmeCode)}`, 'command-error', `+CME ERROR: ${cmeCode}`);
    }
    return new StepError(`${what}: ${error.message}`, 'command-error', final ?? 'ERROR');
  }
  if (error instanceof AtError) {
    return new StepError(
      explainFailure(what, { code: error.code, resultCode: null, message: error.message }),
      error.code,
    );
  }
  return error instanceof Error ? error : new Error(String(error));
}

/** Runs `work`, turning its AT failures into step failures worded with `what`. */
export async function doing<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw stepErrorOf(what, error);
  }
}

/**
 * Failures worth another try of an idempotent step (queries, settings, uploads that start by deleting the file):
 * noise on the line, or an answer that came too late on a loaded station. Each try starts the step over.
 */
export const TRANSIENT_RETRY = {
  attempts: 3,
  backoffMs: 250,
  factor: 2,
  retryOn: ['timeout', 'bad-response', 'busy'],
} as const;

/** Waits `ms`, or rejects when `signal` aborts. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}
