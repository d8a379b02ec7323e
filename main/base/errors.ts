/**
 * Where errors go that nobody awaits: a throwing event listener, a failing background task. They are reported
 * here and contained, never rethrown: one faulty subscriber must not take a station with 64 units down. The
 * composition root installs a handler (the CLI prints one line to stderr); tests install one to observe them.
 */
export type UnexpectedErrorHandler = (error: unknown, origin: string) => void;

const defaultHandler: UnexpectedErrorHandler = (error, origin) => {
  // Only the error's own name and message: listeners' arguments may carry data that must not reach a log.
  const text = error instanceof Error ? `${error.name}: ${error.message}` : 'a non-Error value was thrown';
  console.error(`fleet-station: ${origin} failed and was contained: ${text}`);
};

let handler: UnexpectedErrorHandler = defaultHandler;

/** Installs the process-wide handler; returns a function restoring the previous one. */
export function setUnexpectedErrorHandler(next: UnexpectedErrorHandler): () => void {
  const previous = handler;
  handler = next;
  return () => {
    handler = previous;
  };
}

/** Reports an error that has no caller to go to. Never throws, even when the handler does. */
export function onUnexpectedError(error: unknown, origin: string): void {
  try {
    handler(error, origin);
  } catch {
    // A failing error handler must not turn a contained error into a crash.
  }
}
