/**
 * The station's stores, as interfaces: the credential `Ledger` (exactly-once assignment of a manifest's
 * credentials to units) and the run `History` (runs, per-unit results, steps, transcripts), bundled in a `Store`.
 * The default implementation is SQLite in the data directory (`./sqlite`); a PostgreSQL store shared by the
 * stations of one line is meant to sit behind the same interfaces and pass the same contract suite
 * (`./fixtures/contract.ts`). Everything is async, identifiers are strings, times are epoch milliseconds, and no
 * method takes or returns anything database-specific.
 *
 * The store takes plain data: it knows nothing of profiles, manifests or AT commands. Step names (`identify`,
 * `precheck`, `credential`, ...) are data, never columns.
 */

/** Milliseconds since the Unix epoch (UTC). */
export type EpochMs = number;

// ------------------------------------------------------------------------------------------------ the ledger

/** One credential as a manifest gives it, already validated (see `main/provisioning/manifest.ts`). */
export interface CredentialInput {
  /** Stable id: the manifest's `credential_id` column, or the reserved unit's IMEI. */
  readonly id: string;
  /** Set when the credential is reserved for this unit (15 digits, Luhn-checked); absent for a pool row. */
  readonly imei?: string;
  /** Columns stored in clear: product keys, device names, per-device certificate file paths. */
  readonly fields: Readonly<Record<string, string>>;
  /** Secret columns: encrypted at rest, returned only by `Ledger.secretsFor`. */
  readonly secrets: Readonly<Record<string, string>>;
  /** Where the row came from (its line in the manifest), for messages only. */
  readonly line?: number;
}

export interface ImportOptions {
  /**
   * A deliberate correction: credentials already assigned may change (each is named in the outcome and recorded
   * in the ledger's history); their assignments are kept. Without it, any change to an assigned credential is
   * refused and nothing is imported.
   */
  readonly replace?: boolean;
  /** What was imported (a file name), for the ledger's history. */
  readonly source?: string;
}

/** Why an import was refused; never carries a credential's value. */
export interface ImportProblem {
  readonly credentialId: string;
  readonly line?: number;
  /** The column concerned, where there is one. */
  readonly column?: string;
  readonly message: string;
}

/** A credential whose stored values changed, with the names (never the values) of the columns that did. */
export interface ChangedCredential {
  readonly credentialId: string;
  readonly line?: number;
  readonly columns: readonly string[];
  /** The unit holding it, when it is assigned (a replace keeps the assignment). */
  readonly assignedTo?: string;
}

/**
 * All or nothing: either every row was taken (added, unchanged, or changed) in one transaction, or nothing was
 * written and every problem is listed.
 */
export type ImportOutcome =
  | {
      readonly ok: true;
      readonly added: readonly string[];
      readonly unchanged: readonly string[];
      /** Changed credentials not yet assigned to any unit: nothing of them has left the station yet. */
      readonly updated: readonly ChangedCredential[];
      /** Changed credentials already assigned (only with `replace`). */
      readonly replaced: readonly ChangedCredential[];
    }
  | { readonly ok: false; readonly problems: readonly ImportProblem[] };

/** A credential as the provisioning path sees it once it is assigned to a unit. No secret values. */
export interface AssignedCredential {
  readonly credentialId: string;
  /** The unit holding it. */
  readonly imei: string;
  /** True when the manifest reserved it for this unit, false when it came from the pool. */
  readonly reserved: boolean;
  /** The clear columns (for templates and per-device certificate files). */
  readonly fields: Readonly<Record<string, string>>;
  /** The names of its secret columns; the values come from `Ledger.secretsFor`. */
  readonly secretColumns: readonly string[];
  readonly assignedAt: EpochMs;
}

/**
 * The ledger's answer to a claim. `assigned`: this call gave the unit its credential (committed before the promise
 * settled). `existing`: the unit already held one (re-provisioning reuses it). `exhausted`: there is neither a
 * credential reserved for this unit nor a free one in the pool; other units are unaffected.
 */
export type ClaimResult =
  | { readonly kind: 'assigned' | 'existing'; readonly credential: AssignedCredential }
  | { readonly kind: 'exhausted'; readonly message: string };

/** Recorded with an assignment: which run and station made it. */
export interface ClaimContext {
  readonly runId?: string;
  readonly station?: string;
}

export type CredentialState = 'free' | 'reserved' | 'assigned';

/** One line of `credentials list`: never a secret. */
export interface CredentialSummary {
  readonly id: string;
  /** `free`: in the pool, not yet given out; `reserved`: kept for its unit, not yet assigned; `assigned`. */
  readonly state: CredentialState;
  /** The unit it is reserved for or assigned to. */
  readonly imei?: string;
  readonly reserved: boolean;
  readonly assignedAt?: EpochMs;
}

export interface CredentialList {
  readonly counts: { readonly free: number; readonly reserved: number; readonly assigned: number };
  /** In hand-out order: the pool in import (file) order. */
  readonly credentials: readonly CredentialSummary[];
}

export type LedgerEventKind = 'imported' | 'updated' | 'replaced' | 'assigned';

/** The ledger's history: what happened to each credential, with column names but never values. */
export interface LedgerEvent {
  readonly at: EpochMs;
  readonly kind: LedgerEventKind;
  readonly credentialId: string;
  readonly imei?: string;
  /** The columns that changed (`updated`, `replaced`). */
  readonly columns?: readonly string[];
  readonly source?: string;
  readonly runId?: string;
  readonly station?: string;
}

/** Credentials and their exactly-once assignment to units. */
export interface Ledger {
  /** Imports validated rows: idempotent, all or nothing (see `ImportOutcome`). */
  importCredentials(rows: readonly CredentialInput[], options?: ImportOptions): Promise<ImportOutcome>;
  /**
   * Finds or assigns the credential of the unit with this IMEI, in one committed transaction: its existing
   * assignment, else the credential reserved for it, else the next free one of the pool in file order. The promise
   * settles only after the commit, so nothing of the credential may be written to a module before it does.
   */
  claim(imei: string, context?: ClaimContext): Promise<ClaimResult>;
  /** The unit's assignment, if it has one; never assigns. */
  assignmentOf(imei: string): Promise<AssignedCredential | undefined>;
  /** The decrypted secret columns of an assigned credential: for the provisioning path only, never listed. */
  secretsFor(credentialId: string): Promise<Readonly<Record<string, string>>>;
  list(): Promise<CredentialList>;
  events(filter?: { readonly credentialId?: string }): Promise<readonly LedgerEvent[]>;
}

// ------------------------------------------------------------------------------------------------ the history

/** `interrupted`: its process died (or closed the store) before finishing it. */
export type RunState = 'running' | 'finished' | 'cancelled' | 'interrupted';
export type UnitResult = 'pass' | 'fail' | 'cancelled';
export type StepStatus = 'running' | 'passed' | 'failed' | 'cancelled' | 'skipped' | 'interrupted';
/** How a step may end (`interrupted` is only ever set by the store's recovery). */
export type StepEndStatus = Exclude<StepStatus, 'running' | 'interrupted'>;

/** The profile a run uses, stored once per hash. */
export interface ProfileRecord {
  /** Content hash (of the normalised content plus the bytes of the files it names). */
  readonly hash: string;
  readonly name: string;
  /** The normalised profile; must carry no secret value. */
  readonly content: string;
}

export interface RunStart {
  /** A run id chosen by the caller (a UUID is generated otherwise). */
  readonly id?: string;
  readonly station: string;
  readonly operator?: string;
  readonly workOrder?: string;
  readonly profile: ProfileRecord;
  readonly startedAt: EpochMs;
  /** The run whose failed units this run retries. */
  readonly retryOf?: string;
}

export interface RunEnd {
  readonly state: 'finished' | 'cancelled';
  readonly finishedAt: EpochMs;
}

export interface UnitStart {
  /** The serial device the unit was on. */
  readonly port: string;
  readonly startedAt: EpochMs;
}

/** What `identify` finds; the unit is known by its IMEI from then on. */
export interface UnitIdentity {
  readonly imei: string;
  readonly iccid?: string;
  readonly imsi?: string;
  readonly model?: string;
  readonly firmware?: string;
}

export interface StepStart {
  readonly name: string;
  readonly startedAt: EpochMs;
}

export interface StepEnd {
  readonly status: StepEndStatus;
  readonly durationMs: number;
  /** The module's own result code (`+CME ERROR: 407`, `+QMTCONN 5`, ...). */
  readonly resultCode?: string;
  /** What it means, in the spec's words. */
  readonly explanation?: string;
  /** The step's slice of the AT transcript, already redacted. */
  readonly transcript?: string;
}

export interface UnitEnd {
  readonly result: UnitResult;
  readonly failedStep?: string;
  readonly errorCode?: string;
  readonly error?: string;
  readonly roundTripMs?: number;
  readonly durationMs: number;
  readonly finishedAt: EpochMs;
}

export interface RunRecord {
  readonly id: string;
  readonly station: string;
  readonly operator?: string;
  readonly workOrder?: string;
  readonly profileName: string;
  readonly profileHash: string;
  readonly startedAt: EpochMs;
  readonly finishedAt?: EpochMs;
  readonly state: RunState;
  readonly retryOf?: string;
}

export interface StepRecord {
  readonly name: string;
  readonly status: StepStatus;
  readonly startedAt: EpochMs;
  readonly durationMs?: number;
  readonly resultCode?: string;
  readonly explanation?: string;
}

/** One unit in one run, with its steps in the order they started: a row of the CSV report. */
export interface UnitRecord {
  readonly id: string;
  readonly run: RunRecord;
  readonly port: string;
  readonly startedAt: EpochMs;
  readonly finishedAt?: EpochMs;
  readonly imei?: string;
  readonly iccid?: string;
  readonly imsi?: string;
  readonly model?: string;
  readonly firmware?: string;
  readonly credentialId?: string;
  /** Absent while the unit is still running. */
  readonly result?: UnitResult;
  readonly failedStep?: string;
  readonly errorCode?: string;
  readonly error?: string;
  readonly roundTripMs?: number;
  readonly durationMs?: number;
  readonly steps: readonly StepRecord[];
}

/** A unit the station has seen, across runs. */
export interface KnownUnit extends UnitIdentity {
  readonly firstSeen: EpochMs;
  readonly lastSeen: EpochMs;
}

/** Which units a report covers: one run, or every run started in [since, until) (until defaults to no limit). */
export type HistoryQuery = { readonly runId: string } | { readonly since: EpochMs; readonly until?: EpochMs };

/**
 * What happened, recorded as it happens: each call commits before its promise settles, so a crash loses at most
 * the step in flight. A run left `running` by a process that died is marked `interrupted` (with its running steps,
 * and its unfinished units failed with error code `interrupted`) the next time a store opens the data.
 */
export interface History {
  beginRun(run: RunStart): Promise<string>;
  finishRun(runId: string, end: RunEnd): Promise<void>;
  /** Returns the unit-run id that the other unit calls take. */
  beginUnit(runId: string, unit: UnitStart): Promise<string>;
  /** Records what `identify` read; also updates the station's table of known units (first/last seen). */
  identifyUnit(unitId: string, identity: UnitIdentity, seenAt: EpochMs): Promise<void>;
  setUnitCredential(unitId: string, credentialId: string): Promise<void>;
  /** Returns the step id that `endStep` takes. */
  beginStep(unitId: string, step: StepStart): Promise<string>;
  endStep(stepId: string, end: StepEnd): Promise<void>;
  /** Appends redacted transcript text to the unit's transcript (also done by `endStep` with `transcript`). */
  appendTranscript(unitId: string, text: string): Promise<void>;
  finishUnit(unitId: string, end: UnitEnd): Promise<void>;

  run(runId: string): Promise<RunRecord | undefined>;
  /** Per-unit rows with their steps, in run start order then unit start order. */
  units(query: HistoryQuery): Promise<readonly UnitRecord[]>;
  transcript(unitId: string): Promise<string>;
  knownUnit(imei: string): Promise<KnownUnit | undefined>;
  /** Marks the runs of dead processes `interrupted` (done on open as well); returns their ids. */
  recoverInterrupted(): Promise<readonly string[]>;
}

/** Both stores over one data source. */
export interface Store {
  readonly ledger: Ledger;
  readonly history: History;
  /** Where the data lives (a directory, or a redacted connection string), for messages. */
  readonly location: string;
  /** Marks this process's unfinished runs `interrupted`, stops the heartbeat and closes the connection. */
  close(): Promise<void>;
}

/** Where the station key comes from (a key file, or Electron's safeStorage). */
export interface KeyProvider {
  /** For messages: where the key is (`key file /path/station.key`). */
  readonly description: string;
  /** The 32-byte station key; created on first use where the provider can. */
  getKey(): Promise<Uint8Array>;
}
