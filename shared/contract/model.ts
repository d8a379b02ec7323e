import { z } from 'zod';

/** Where a module is in its life at the station. */
export const moduleStates = ['identifying', 'ready', 'busy', 'error', 'disconnected'] as const;
export type ModuleState = (typeof moduleStates)[number];

/** One attached module as the UI lists it. Identity fields are null until the module has told them. */
export const moduleInfoSchema = z.object({
  /** Stable id: the transport id (port path or `virtual:<n>`). */
  id: z.string(),
  port: z.string(),
  model: z.string().nullable(),
  revision: z.string().nullable(),
  imei: z.string().nullable(),
  iccid: z.string().nullable(),
  state: z.enum(moduleStates),
  /** Why the module is in `error` or `disconnected`, in plain words. */
  problem: z.string().nullable(),
});
export type ModuleInfo = z.infer<typeof moduleInfoSchema>;

/** One line of a module's AT transcript, already redacted by main. */
export const transcriptLineSchema = z.object({
  moduleId: z.string(),
  /** Per-module sequence number, so a client can merge a snapshot with pushed batches without duplicates. */
  seq: z.number().int().nonnegative(),
  /** Milliseconds since the epoch. */
  at: z.number(),
  /** `tx` station to module, `rx` module to station, `note` the station's own remark (timeouts, resync). */
  dir: z.enum(['tx', 'rx', 'note']),
  text: z.string(),
});
export type TranscriptLine = z.infer<typeof transcriptLineSchema>;

/** A labelled value read out of a module's answer (e.g. "IMEI" = "86...", "keepalive" = "120 s"). */
export const decodedFieldSchema = z.object({ label: z.string(), value: z.string() });
export type DecodedField = z.infer<typeof decodedFieldSchema>;

/** The outcome of one AT command sent from a guided session. A module's ERROR is an outcome, not a failure. */
export const atOutcomeSchema = z.object({
  moduleId: z.string(),
  /** The command as sent, redacted. */
  command: z.string(),
  verdict: z.enum(['ok', 'error']),
  /** The final result line as received, e.g. `OK`, `ERROR`, `+CME ERROR: 407`. */
  final: z.string(),
  /** Information lines of the answer, redacted. */
  lines: z.array(z.string()),
  /** What the answer means, in plain words. */
  summary: z.string(),
  fields: z.array(decodedFieldSchema),
  elapsedMs: z.number().nonnegative(),
});
export type AtOutcomeView = z.infer<typeof atOutcomeSchema>;
