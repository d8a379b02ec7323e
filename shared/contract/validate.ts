import type { z } from 'zod';
import { fail, ok, type Result } from './errors';
import { isRequestName, requests, type ParsedInput, type RequestName } from './requests';

/** Turns the first schema issue into a clear message naming the field, e.g. `line: an AT command starts with AT`. */
export function describeIssues(error: z.ZodError): { message: string; field: string | undefined } {
  const issue = error.issues[0];
  if (issue === undefined) return { message: 'invalid input', field: undefined };
  const field = issue.path.length > 0 ? issue.path.map(String).join('.') : undefined;
  return { message: field === undefined ? issue.message : `${field}: ${issue.message}`, field };
}

/** Checks a request's raw input against its schema at runtime (the types vanish at the boundary). */
export function validateInput<N extends RequestName>(name: N, raw: unknown): Result<ParsedInput<N>> {
  const parsed = requests[name].input.safeParse(raw ?? {});
  if (parsed.success) return ok(parsed.data as ParsedInput<N>);
  const { message, field } = describeIssues(parsed.error);
  return fail('invalid-input', message, field);
}

/** Looks a request up by a name that came over the wire. */
export function lookupRequest(name: string): Result<RequestName> {
  return isRequestName(name) ? ok(name) : fail('unknown-request', `no request named "${name.slice(0, 64)}"`);
}
