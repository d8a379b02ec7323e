import { z } from 'zod';
import { isSingleCommand } from './at-line';
import type { ErrorCode } from './errors';
import { atOutcomeSchema, moduleInfoSchema, transcriptLineSchema } from './model';

/** A module id as the station hands them out: a port path or `virtual:<n>`. */
const moduleId = z.string().min(1, 'a module id is required').max(256, 'a module id is at most 256 characters');

/**
 * An AT command line as an operator types it: printable ASCII only (no CR, LF or control characters, which
 * would let one line smuggle a second command), starting with AT, at most 1024 characters, and no `;` outside
 * double quotes (which joins commands on one line; inside quotes it is part of a value such as a Will topic).
 */
export const atLineSchema = z
  .string()
  .max(1024, 'an AT command is at most 1024 characters')
  .regex(/^[\x20-\x7e]*$/, 'an AT command is printable ASCII on one line (no CR, LF or control characters)')
  .refine((line) => /^at/i.test(line.trim()), 'an AT command starts with AT')
  // `AT+CSQ;+QMTPUBEX=...` joins commands: the later ones would escape every per-command check (data phase,
  // redaction), so the guided session takes one command per line. A `;` inside quotes is a value's character.
  .refine(isSingleCommand, 'one command per line: joined commands (";" outside quotes) are not accepted');

/** One request of the contract: its input schema, the schema of its value, and the error codes it may return. */
export interface RequestSpec<I extends z.ZodType, O extends z.ZodType> {
  readonly description: string;
  readonly input: I;
  readonly output: O;
  readonly errors: readonly ErrorCode[];
}

function request<I extends z.ZodType, O extends z.ZodType>(spec: RequestSpec<I, O>): RequestSpec<I, O> {
  return spec;
}

/**
 * Every request the renderer can make, declared once. The handler table in main, the preload allowlist, the
 * web shell's routes and the renderer client are all derived from this object.
 */
export const requests = {
  listModules: request({
    description: 'The attached modules with their identity and state.',
    input: z.strictObject({}),
    output: z.array(moduleInfoSchema),
    errors: ['invalid-input'],
  }),
  sendAt: request({
    description: 'Send one AT command to a module and wait for its complete answer.',
    input: z.strictObject({ moduleId, line: atLineSchema }),
    output: atOutcomeSchema,
    errors: ['invalid-input', 'unknown-module', 'module-unavailable', 'timeout', 'port-closed', 'bad-response'],
  }),
  getTranscript: request({
    description: "The most recent lines of a module's AT transcript (redacted).",
    input: z.strictObject({ moduleId, limit: z.number().int().min(1).max(2000).optional() }),
    output: z.array(transcriptLineSchema),
    errors: ['invalid-input', 'unknown-module'],
  }),
  cancelRun: request({
    description:
      'Cancel a script run as a whole, or one unit of it (moduleId): waiting units never start, running steps stop.',
    input: z.strictObject({
      runId: z.string().min(1, 'a run id is required').max(128, 'a run id is at most 128 characters'),
      moduleId: moduleId.optional(),
    }),
    /** False when no such run (or unit in it) is running any more. */
    output: z.object({ cancelled: z.boolean() }),
    errors: ['invalid-input'],
  }),
} as const;

export type Requests = typeof requests;
export type RequestName = keyof Requests;
export type RequestInput<N extends RequestName> = z.input<Requests[N]['input']>;
export type ParsedInput<N extends RequestName> = z.output<Requests[N]['input']>;
export type RequestOutput<N extends RequestName> = z.output<Requests[N]['output']>;

export const requestNames = Object.keys(requests) as RequestName[];

export function isRequestName(name: string): name is RequestName {
  return Object.hasOwn(requests, name);
}
