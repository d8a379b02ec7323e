import type { ParsedInput, RequestName, RequestOutput, Result } from '../../shared/contract';
import { fail, lookupRequest, validateInput } from '../../shared/contract';
import type { Station } from './station';

/**
 * What a shell tells the handler about the request besides its input: `signal` aborts when the caller is gone
 * (its WebSocket closed, its HTTP connection dropped), so work nobody waits for any more is cancelled, not run.
 */
export interface RequestContext {
  readonly signal?: AbortSignal;
}

/**
 * The main-side handler table, derived from the contract: one handler per request (a missing one is a compile
 * error), receiving input already validated against the contract and the request's context.
 */
export type StationHandlers = {
  readonly [N in RequestName]: (input: ParsedInput<N>, context: RequestContext) => Promise<Result<RequestOutput<N>>>;
};

export function createHandlers(station: Station): StationHandlers {
  return {
    listModules: () => Promise.resolve({ ok: true, value: station.list() }),
    sendAt: ({ moduleId, line }, { signal }) => station.sendAt(moduleId, line, { signal }),
    getTranscript: ({ moduleId, limit }) => Promise.resolve(station.transcript(moduleId, limit)),
    cancelRun: ({ runId, moduleId }) =>
      Promise.resolve({
        ok: true,
        value: { cancelled: station.cancelRun(runId, moduleId, 'cancelled by the operator') },
      }),
  };
}

export type Dispatch = (name: string, input: unknown, context?: RequestContext) => Promise<Result<unknown>>;

/**
 * The one entry point both shells use: look the request up, validate its input against the contract at
 * runtime, run the handler, and turn any unexpected throw into an `internal` error (never a crash).
 */
export function createDispatch(handlers: StationHandlers): Dispatch {
  return async (name, input, context = {}) => {
    const found = lookupRequest(name);
    if (!found.ok) return found;
    return run(handlers, found.value, input, context);
  };
}

async function run(
  handlers: StationHandlers,
  name: RequestName,
  raw: unknown,
  context: RequestContext,
): Promise<Result<unknown>> {
  const input = validateInput(name, raw);
  if (!input.ok) return input;
  const handler = handlers[name] as (input: unknown, context: RequestContext) => Promise<Result<unknown>>;
  try {
    return await handler(input.value, context);
  } catch (error) {
    return fail('internal', `${name} failed: ${error instanceof Error ? error.message : 'unexpected failure'}`);
  }
}
