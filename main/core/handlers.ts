import type { Handlers, RequestName, Result } from '../../shared/contract';
import { fail, lookupRequest, validateInput } from '../../shared/contract';
import type { Station } from './station';

/** The main-side handler table: one entry per contract request (the type makes a missing one a compile error). */
export function createHandlers(station: Station): Handlers {
  return {
    listModules: () => Promise.resolve({ ok: true, value: station.list() }),
    sendAt: ({ moduleId, line }) => station.sendAt(moduleId, line),
    getTranscript: ({ moduleId, limit }) => Promise.resolve(station.transcript(moduleId, limit)),
    cancelRun: ({ runId, moduleId }) =>
      Promise.resolve({
        ok: true,
        value: { cancelled: station.cancelRun(runId, moduleId, 'cancelled by the operator') },
      }),
  };
}

export type Dispatch = (name: string, input: unknown) => Promise<Result<unknown>>;

/**
 * The one entry point both shells use: look the request up, validate its input against the contract at
 * runtime, run the handler, and turn any unexpected throw into an `internal` error (never a crash).
 */
export function createDispatch(handlers: Handlers): Dispatch {
  return async (name, input) => {
    const found = lookupRequest(name);
    if (!found.ok) return found;
    return run(handlers, found.value, input);
  };
}

async function run(handlers: Handlers, name: RequestName, raw: unknown): Promise<Result<unknown>> {
  const input = validateInput(name, raw);
  if (!input.ok) return input;
  const handler = handlers[name] as (input: unknown) => Promise<Result<unknown>>;
  try {
    return await handler(input.value);
  } catch (error) {
    return fail('internal', `${name} failed: ${error instanceof Error ? error.message : 'unexpected failure'}`);
  }
}
