import { randomUUID } from 'node:crypto';
import { StoreError } from '../errors';
import { imeiProblem } from '../imei';
import type {
  History,
  HistoryQuery,
  KnownUnit,
  RunEnd,
  RunRecord,
  RunStart,
  RunState,
  StepEnd,
  StepRecord,
  StepStart,
  StepStatus,
  UnitEnd,
  UnitIdentity,
  UnitRecord,
  UnitResult,
  UnitStart,
} from '../types';
import type { Connection } from './connection';
import type { Owners } from './owners';
import { settle } from './settle';

interface RunRow {
  readonly id: string;
  readonly station: string;
  readonly operator: string | null;
  readonly work_order: string | null;
  readonly profile_hash: string;
  readonly profile_name: string;
  readonly started_at: number;
  readonly finished_at: number | null;
  readonly state: RunState;
  readonly retry_of: string | null;
}

interface UnitRow {
  readonly id: string;
  readonly run_id: string;
  readonly port: string;
  readonly started_at: number;
  readonly finished_at: number | null;
  readonly imei: string | null;
  readonly iccid: string | null;
  readonly imsi: string | null;
  readonly model: string | null;
  readonly firmware: string | null;
  readonly credential_id: string | null;
  readonly result: UnitResult | null;
  readonly failed_step: string | null;
  readonly error_code: string | null;
  readonly error: string | null;
  readonly round_trip_ms: number | null;
  readonly duration_ms: number | null;
}

interface JoinedRunRow {
  readonly station: string;
  readonly operator: string | null;
  readonly work_order: string | null;
  readonly profile_hash: string;
  readonly profile_name: string;
  readonly run_started_at: number;
  readonly run_finished_at: number | null;
  readonly state: RunState;
  readonly retry_of: string | null;
}

interface StepRow {
  readonly unit_run_id: string;
  readonly name: string;
  readonly status: StepStatus;
  readonly started_at: number;
  readonly duration_ms: number | null;
  readonly result_code: string | null;
  readonly explanation: string | null;
}

const RUN_COLUMNS = `r.id, r.station, r.operator, r.work_order, r.profile_hash, p.name AS profile_name, r.started_at,
  r.finished_at, r.state, r.retry_of`;
/** The run's columns next to a unit's: prefixed where the names would collide. */
const JOINED_RUN_COLUMNS = `r.station, r.operator, r.work_order, r.profile_hash, p.name AS profile_name,
  r.started_at AS run_started_at, r.finished_at AS run_finished_at, r.state, r.retry_of`;
const UNIT_COLUMNS = `u.id, u.run_id, u.port, u.started_at, u.finished_at, u.imei, u.iccid, u.imsi, u.model,
  u.firmware, u.credential_id, u.result, u.failed_step, u.error_code, u.error, u.round_trip_ms, u.duration_ms`;
const STEP_COLUMNS = 's.unit_run_id, s.name, s.status, s.started_at, s.duration_ms, s.result_code, s.explanation';
const BY_RUN = 'r.id = ?';
const BY_TIME = 'r.started_at >= ? AND r.started_at < ?';

/**
 * The run history on SQLite: every write is committed before its promise resolves (group commit: the writes asked
 * for in one turn of the event loop share a transaction, each in its own savepoint).
 */
export class SqliteHistory implements History {
  private readonly insertProfile;
  private readonly insertRun;
  private readonly finishRunRow;
  private readonly runState;
  private readonly nextUnitSeq;
  private readonly insertUnit;
  private readonly unitExists;
  private readonly identify;
  private readonly upsertKnownUnit;
  private readonly setCredential;
  private readonly nextStepSeq;
  private readonly insertStep;
  private readonly endStepRow;
  private readonly stepState;
  private readonly transcriptSeq;
  private readonly insertTranscript;
  private readonly finishUnitRow;
  private readonly runById;
  private readonly unitsByRun;
  private readonly unitsByTime;
  private readonly stepsByRun;
  private readonly stepsByTime;
  private readonly transcriptOf;
  private readonly knownUnitRow;

  constructor(
    private readonly c: Connection,
    private readonly owners: Owners,
  ) {
    this.insertProfile = c.prepare<[string, string, string, number]>(
      'INSERT OR IGNORE INTO profiles (hash, name, content, first_used) VALUES (?, ?, ?, ?)',
    );
    this.insertRun = c.prepare<[string, string, string | null, string | null, string, number, string | null, string]>(
      `INSERT INTO runs (id, station, operator, work_order, profile_hash, started_at, state, retry_of, owner)
       VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?)`,
    );
    this.finishRunRow = c.prepare<[RunEnd['state'], number, string]>(
      "UPDATE runs SET state = ?, finished_at = ? WHERE id = ? AND state IN ('running', 'interrupted')",
    );
    this.runState = c.prepare<[string], { state: RunState }>('SELECT state FROM runs WHERE id = ?');
    this.nextUnitSeq = c.prepare<[string], { seq: number }>(
      'SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM unit_runs WHERE run_id = ?',
    );
    this.insertUnit = c.prepare<[string, string, number, string, number]>(
      'INSERT INTO unit_runs (id, run_id, seq, port, started_at) VALUES (?, ?, ?, ?, ?)',
    );
    this.unitExists = c.prepare<[string], { id: string }>('SELECT id FROM unit_runs WHERE id = ?');
    this.identify = c.prepare<[string, string | null, string | null, string | null, string | null, string]>(
      'UPDATE unit_runs SET imei = ?, iccid = ?, imsi = ?, model = ?, firmware = ? WHERE id = ?',
    );
    this.upsertKnownUnit = c.prepare<
      [string, string | null, string | null, string | null, string | null, number, number]
    >(
      `INSERT INTO units (imei, iccid, imsi, model, firmware, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (imei) DO UPDATE SET
         iccid = COALESCE(excluded.iccid, iccid), imsi = COALESCE(excluded.imsi, imsi),
         model = COALESCE(excluded.model, model), firmware = COALESCE(excluded.firmware, firmware),
         first_seen = MIN(first_seen, excluded.first_seen), last_seen = MAX(last_seen, excluded.last_seen)`,
    );
    this.setCredential = c.prepare<[string, string]>('UPDATE unit_runs SET credential_id = ? WHERE id = ?');
    this.nextStepSeq = c.prepare<[string], { seq: number }>(
      'SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM steps WHERE unit_run_id = ?',
    );
    this.insertStep = c.prepare<[string, string, number, string, number]>(
      "INSERT INTO steps (id, unit_run_id, seq, name, status, started_at) VALUES (?, ?, ?, ?, 'running', ?)",
    );
    this.endStepRow = c.prepare<[StepEnd['status'], number, string | null, string | null, string]>(
      "UPDATE steps SET status = ?, duration_ms = ?, result_code = ?, explanation = ? WHERE id = ? AND status IN ('running', 'interrupted')",
    );
    this.stepState = c.prepare<[string], { status: StepStatus; unit_run_id: string }>(
      'SELECT status, unit_run_id FROM steps WHERE id = ?',
    );
    this.transcriptSeq = c.prepare<[string], { seq: number }>(
      'UPDATE unit_runs SET transcript_chunks = transcript_chunks + 1 WHERE id = ? RETURNING transcript_chunks AS seq',
    );
    this.insertTranscript = c.prepare<[string, number, string]>(
      'INSERT INTO transcripts (unit_run_id, seq, text) VALUES (?, ?, ?)',
    );
    this.finishUnitRow = c.prepare<
      [UnitResult, string | null, string | null, string | null, number | null, number, number, string]
    >(
      `UPDATE unit_runs SET result = ?, failed_step = ?, error_code = ?, error = ?, round_trip_ms = ?, duration_ms = ?,
         finished_at = ? WHERE id = ?`,
    );
    const runFrom = 'FROM runs r JOIN profiles p ON p.hash = r.profile_hash';
    this.runById = c.prepare<[string], RunRow>(`SELECT ${RUN_COLUMNS} ${runFrom} WHERE r.id = ?`);
    const unitSelect = `SELECT ${UNIT_COLUMNS}, ${JOINED_RUN_COLUMNS}
      FROM unit_runs u JOIN runs r ON r.id = u.run_id JOIN profiles p ON p.hash = r.profile_hash`;
    const unitOrder = 'ORDER BY r.started_at, r.id, u.seq';
    this.unitsByRun = c.prepare<[string], UnitRow & JoinedRunRow>(`${unitSelect} WHERE ${BY_RUN} ${unitOrder}`);
    this.unitsByTime = c.prepare<[number, number], UnitRow & JoinedRunRow>(
      `${unitSelect} WHERE ${BY_TIME} ${unitOrder}`,
    );
    const stepSelect = `SELECT ${STEP_COLUMNS} FROM steps s JOIN unit_runs u ON u.id = s.unit_run_id
      JOIN runs r ON r.id = u.run_id`;
    this.stepsByRun = c.prepare<[string], StepRow>(`${stepSelect} WHERE ${BY_RUN} ORDER BY s.unit_run_id, s.seq`);
    this.stepsByTime = c.prepare<[number, number], StepRow>(
      `${stepSelect} WHERE ${BY_TIME} ORDER BY s.unit_run_id, s.seq`,
    );
    this.transcriptOf = c.prepare<[string], { text: string }>(
      'SELECT text FROM transcripts WHERE unit_run_id = ? ORDER BY seq',
    );
    this.knownUnitRow = c.prepare<
      [string],
      {
        imei: string;
        iccid: string | null;
        imsi: string | null;
        model: string | null;
        firmware: string | null;
        first_seen: number;
        last_seen: number;
      }
    >('SELECT imei, iccid, imsi, model, firmware, first_seen, last_seen FROM units WHERE imei = ?');
  }

  beginRun(run: RunStart): Promise<string> {
    return this.c.commit(() => {
      const id = run.id ?? randomUUID();
      nonEmpty('station', run.station);
      nonEmpty('profile hash', run.profile.hash);
      if (this.runState.get(id) !== undefined) throw new StoreError('bad-input', `a run ${id} exists already`);
      this.owners.register();
      this.insertProfile.run(run.profile.hash, run.profile.name, run.profile.content, run.startedAt);
      this.insertRun.run(
        id,
        run.station,
        run.operator ?? null,
        run.workOrder ?? null,
        run.profile.hash,
        run.startedAt,
        run.retryOf ?? null,
        this.owners.id,
      );
      return id;
    }, 'crash-safe');
  }

  finishRun(runId: string, end: RunEnd): Promise<void> {
    return this.c.commit(() => {
      if (this.finishRunRow.run(end.state, end.finishedAt, runId).changes === 0) {
        const state = this.runState.get(runId)?.state;
        if (state === undefined) throw new StoreError('not-found', `no run ${runId}`);
        throw new StoreError('bad-input', `run ${runId} is already ${state}`);
      }
    }, 'crash-safe');
  }

  beginUnit(runId: string, unit: UnitStart): Promise<string> {
    return this.c.commit(() => {
      const id = randomUUID();
      const state = this.runState.get(runId)?.state;
      if (state === undefined) throw new StoreError('not-found', `no run ${runId}`);
      const seq = this.nextUnitSeq.get(runId)?.seq ?? 1;
      this.insertUnit.run(id, runId, seq, unit.port, unit.startedAt);
      return id;
    }, 'crash-safe');
  }

  identifyUnit(unitId: string, identity: UnitIdentity, seenAt: number): Promise<void> {
    return this.c.commit(() => {
      const problem = imeiProblem(identity.imei);
      if (problem !== undefined) throw new StoreError('bad-input', `a unit's IMEI ${problem}`);
      const { imei } = identity;
      const iccid = identity.iccid ?? null;
      const imsi = identity.imsi ?? null;
      const model = identity.model ?? null;
      const firmware = identity.firmware ?? null;
      if (this.identify.run(imei, iccid, imsi, model, firmware, unitId).changes === 0) {
        throw new StoreError('not-found', `no unit run ${unitId}`);
      }
      this.upsertKnownUnit.run(imei, iccid, imsi, model, firmware, seenAt, seenAt);
    }, 'crash-safe');
  }

  setUnitCredential(unitId: string, credentialId: string): Promise<void> {
    return this.c.commit(() => {
      if (this.setCredential.run(credentialId, unitId).changes === 0) {
        throw new StoreError('not-found', `no unit run ${unitId}`);
      }
    }, 'crash-safe');
  }

  beginStep(unitId: string, step: StepStart): Promise<string> {
    return this.c.commit(() => {
      nonEmpty('step name', step.name);
      const id = randomUUID();
      if (this.unitExists.get(unitId) === undefined) throw new StoreError('not-found', `no unit run ${unitId}`);
      const seq = this.nextStepSeq.get(unitId)?.seq ?? 1;
      this.insertStep.run(id, unitId, seq, step.name, step.startedAt);
      return id;
    }, 'crash-safe');
  }

  endStep(stepId: string, end: StepEnd): Promise<void> {
    return this.c.commit(() => {
      const ended = this.endStepRow.run(
        end.status,
        end.durationMs,
        end.resultCode ?? null,
        end.explanation ?? null,
        stepId,
      );
      const step = this.stepState.get(stepId);
      if (step === undefined) throw new StoreError('not-found', `no step ${stepId}`);
      if (ended.changes === 0) throw new StoreError('bad-input', `step ${stepId} has already ended (${step.status})`);
      if (end.transcript !== undefined) this.append(step.unit_run_id, end.transcript);
    }, 'crash-safe');
  }

  appendTranscript(unitId: string, text: string): Promise<void> {
    return this.c.commit(() => this.append(unitId, text), 'crash-safe');
  }

  private append(unitId: string, text: string): void {
    if (text.length === 0) return;
    const seq = this.transcriptSeq.get(unitId)?.seq;
    if (seq === undefined) throw new StoreError('not-found', `no unit run ${unitId}`);
    this.insertTranscript.run(unitId, seq, text);
  }

  finishUnit(unitId: string, end: UnitEnd): Promise<void> {
    return this.c.commit(() => {
      const changes = this.finishUnitRow.run(
        end.result,
        end.failedStep ?? null,
        end.errorCode ?? null,
        end.error ?? null,
        end.roundTripMs ?? null,
        end.durationMs,
        end.finishedAt,
        unitId,
      ).changes;
      if (changes === 0) throw new StoreError('not-found', `no unit run ${unitId}`);
    }, 'crash-safe');
  }

  run(runId: string): Promise<RunRecord | undefined> {
    return settle(() => {
      const row = this.runById.get(runId);
      return row === undefined ? undefined : runRecord(row);
    });
  }

  units(query: HistoryQuery): Promise<readonly UnitRecord[]> {
    return settle(() =>
      this.c.read(() => {
        const [units, steps] =
          'runId' in query
            ? [this.unitsByRun.all(query.runId), this.stepsByRun.all(query.runId)]
            : [
                this.unitsByTime.all(query.since, query.until ?? Number.MAX_SAFE_INTEGER),
                this.stepsByTime.all(query.since, query.until ?? Number.MAX_SAFE_INTEGER),
              ];
        const stepsOf = new Map<string, StepRecord[]>();
        for (const step of steps) {
          let list = stepsOf.get(step.unit_run_id);
          if (list === undefined) {
            list = [];
            stepsOf.set(step.unit_run_id, list);
          }
          list.push(stepRecord(step));
        }
        const runs = new Map<string, RunRecord>();
        return units.map((row) => {
          let run = runs.get(row.run_id);
          if (run === undefined) {
            run = runRecord({
              ...row,
              id: row.run_id,
              started_at: row.run_started_at,
              finished_at: row.run_finished_at,
            });
            runs.set(row.run_id, run);
          }
          return unitRecord(row, run, stepsOf.get(row.id) ?? []);
        });
      }),
    );
  }

  transcript(unitId: string): Promise<string> {
    return settle(() =>
      this.transcriptOf
        .all(unitId)
        .map((chunk) => chunk.text)
        .join(''),
    );
  }

  knownUnit(imei: string): Promise<KnownUnit | undefined> {
    return settle(() => {
      const row = this.knownUnitRow.get(imei);
      if (row === undefined) return undefined;
      return {
        imei: row.imei,
        iccid: opt(row.iccid),
        imsi: opt(row.imsi),
        model: opt(row.model),
        firmware: opt(row.firmware),
        firstSeen: row.first_seen,
        lastSeen: row.last_seen,
      };
    });
  }

  recoverInterrupted(): Promise<readonly string[]> {
    return settle(() => this.owners.recover());
  }
}

function nonEmpty(what: string, value: string): void {
  if (value.length === 0) throw new StoreError('bad-input', `${what} must not be empty`);
}

/** SQL NULL as an absent optional property. */
function opt<T>(value: T | null): T | undefined {
  return value ?? undefined;
}

function runRecord(row: RunRow): RunRecord {
  return {
    id: row.id,
    station: row.station,
    operator: opt(row.operator),
    workOrder: opt(row.work_order),
    profileName: row.profile_name,
    profileHash: row.profile_hash,
    startedAt: row.started_at,
    finishedAt: opt(row.finished_at),
    state: row.state,
    retryOf: opt(row.retry_of),
  };
}

function stepRecord(row: StepRow): StepRecord {
  return {
    name: row.name,
    status: row.status,
    startedAt: row.started_at,
    durationMs: opt(row.duration_ms),
    resultCode: opt(row.result_code),
    explanation: opt(row.explanation),
  };
}

function unitRecord(row: UnitRow, run: RunRecord, steps: readonly StepRecord[]): UnitRecord {
  return {
    id: row.id,
    run,
    port: row.port,
    startedAt: row.started_at,
    finishedAt: opt(row.finished_at),
    imei: opt(row.imei),
    iccid: opt(row.iccid),
    imsi: opt(row.imsi),
    model: opt(row.model),
    firmware: opt(row.firmware),
    credentialId: opt(row.credential_id),
    result: opt(row.result),
    failedStep: opt(row.failed_step),
    errorCode: opt(row.error_code),
    error: opt(row.error),
    roundTripMs: opt(row.round_trip_ms),
    durationMs: opt(row.duration_ms),
    steps,
  };
}
