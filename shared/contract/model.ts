import { z } from 'zod';

/**
 * A one-word summary of a module for lists and scripts that only need "can I use it": derived from its
 * connection and activity (`busy` while a script or a console command holds its port).
 */
export const moduleStates = ['identifying', 'ready', 'busy', 'error', 'disconnected'] as const;
export type ModuleState = (typeof moduleStates)[number];

/**
 * Where the link to a unit stands, apart from what it is doing: `attached` (port open, not yet asked),
 * `identifying` (the identify script runs), `ready` (identified), `error` (the port cannot be opened or the unit
 * could not be identified: `problem` says why; identification is retried with a growing delay), `gone` (the port
 * vanished; the same path coming back is reopened).
 */
export const connectionStates = ['attached', 'identifying', 'ready', 'error', 'gone'] as const;
export type ConnectionState = (typeof connectionStates)[number];

/** Who holds the unit's port lease: nobody, a guided console command, or a script (with its current step). */
export const activitySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('idle') }),
  z.object({ kind: z.literal('console') }),
  z.object({
    kind: z.literal('script'),
    script: z.string(),
    runId: z.string(),
    /** The step running now; null between steps. */
    step: z.string().nullable(),
  }),
]);
export type Activity = z.infer<typeof activitySchema>;

/**
 * How the unit's port answers (the AT engine's view): `ok`; `degraded` (the last commands timed out);
 * `unresponsive` (even the resynchronising `AT` went unanswered); `trapped` (the module opened a data input nobody
 * asked for: nothing is written until it leaves it); `closed`.
 */
export const portHealthStates = ['ok', 'degraded', 'unresponsive', 'trapped', 'closed'] as const;
export const portHealthSchema = z.object({
  state: z.enum(portHealthStates),
  /** Plain words on why, when not `ok`. */
  detail: z.string().nullable(),
});
export type PortHealthView = z.infer<typeof portHealthSchema>;

/** One attached unit as the UI lists it. Identity fields are null until the module has told them. */
export const moduleInfoSchema = z.object({
  /** Stable id: the port it is attached on (port path or `virtual:<n>`). */
  id: z.string(),
  port: z.string(),
  model: z.string().nullable(),
  revision: z.string().nullable(),
  imei: z.string().nullable(),
  iccid: z.string().nullable(),
  imsi: z.string().nullable(),
  state: z.enum(moduleStates),
  connection: z.enum(connectionStates),
  activity: activitySchema,
  /** Lease holders waiting behind the current one (console commands, scripts). */
  waiting: z.number().int().nonnegative(),
  health: portHealthSchema,
  /** Why the module is in `error` or `gone`, or what is missing (no SIM), in plain words. */
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

/** How a step ended (or that it is running). */
export const stepStatuses = ['running', 'passed', 'failed', 'cancelled', 'skipped'] as const;
export type StepStatus = (typeof stepStatuses)[number];

/** One step of a script on one unit, as the UI shows its progress (the transcript lines come separately). */
export const stepProgressSchema = z.object({
  runId: z.string(),
  moduleId: z.string(),
  script: z.string(),
  step: z.string(),
  /** Position of the step in its script, from 0. */
  index: z.number().int().nonnegative(),
  /** 1 for the first try; more when the step's retry policy tried again. */
  attempt: z.number().int().positive(),
  status: z.enum(stepStatuses),
  /** Milliseconds since the epoch. */
  startedAt: z.number(),
  /** Null while running. */
  durationMs: z.number().nonnegative().nullable(),
  /** The module's own result (`+CME ERROR: 10`, `+QMTCONN: 0,0,5`, `ERROR`), or the station's code (`timeout`). */
  resultCode: z.string().nullable(),
  /** What the failure means, in plain words (null when passed). */
  explanation: z.string().nullable(),
});
export type StepProgress = z.infer<typeof stepProgressSchema>;

/** A run of one script over one or more units. */
export const runInfoSchema = z.object({
  runId: z.string(),
  script: z.string(),
  state: z.enum(['running', 'finished']),
  startedAt: z.number(),
  finishedAt: z.number().nullable(),
  units: z.object({
    total: z.number().int().nonnegative(),
    passed: z.number().int().nonnegative(),
    failed: z.number().int().nonnegative(),
    cancelled: z.number().int().nonnegative(),
  }),
});
export type RunInfo = z.infer<typeof runInfoSchema>;
