import { StoreError } from '../errors';
import { imeiProblem } from '../imei';
import { checkCredentialInputs } from '../input-checks';
import { canonicalRecord, stringArray, stringRecord } from '../json';
import { SecretBox } from '../secret-box';
import type {
  AssignedCredential,
  ChangedCredential,
  ClaimContext,
  ClaimResult,
  CredentialInput,
  CredentialList,
  CredentialSummary,
  ImportOptions,
  ImportOutcome,
  ImportProblem,
  KeyProvider,
  Ledger,
  LedgerEvent,
  LedgerEventKind,
} from '../types';
import type { Connection } from './connection';
import { settle } from './settle';

interface CredentialRow {
  readonly id: string;
  readonly reserved_imei: string | null;
  readonly fields: string;
  readonly secret_columns: string;
  readonly secrets: Buffer | null;
}

interface AssignmentRow extends CredentialRow {
  readonly imei: string;
  readonly assigned_at: number;
}

interface EventRow {
  readonly at: number;
  readonly kind: LedgerEventKind;
  readonly credential_id: string;
  readonly imei: string | null;
  readonly columns: string | null;
  readonly source: string | null;
  readonly run_id: string | null;
  readonly station: string | null;
}

/** Thrown inside an import transaction to roll it back with the problems found. */
class Refused extends Error {
  constructor(readonly problems: readonly ImportProblem[]) {
    super('import refused');
  }
}

/** The additional authenticated data that binds a credential's sealed secrets to its id. */
const aad = (credentialId: string): string => `credential:${credentialId}`;

/**
 * The ledger on SQLite. Every decision is one immediate transaction on the data directory's database, so several
 * processes (and several async callers in one process) are serialised by SQLite's write lock; the unique
 * constraints and triggers of the schema stand behind them.
 */
export class SqliteLedger implements Ledger {
  private box: SecretBox | undefined;

  private readonly getMeta;
  private readonly putMeta;
  private readonly credentialById;
  private readonly credentialReservedFor;
  private readonly maxSeq;
  private readonly insertCredential;
  private readonly updateCredential;
  private readonly assignmentByImei;
  private readonly assignmentByCredential;
  private readonly freeReservedFor;
  private readonly nextFree;
  private readonly insertAssignment;
  private readonly insertEvent;
  private readonly poolCounts;
  private readonly listing;
  private readonly secretsRow;
  private readonly allEvents;
  private readonly eventsOf;

  constructor(
    private readonly c: Connection,
    private readonly keys: KeyProvider,
    private readonly now: () => number,
  ) {
    this.getMeta = c.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?');
    this.putMeta = c.prepare<[string, string]>('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)');
    const credentialColumns = 'c.id, c.reserved_imei, c.fields, c.secret_columns, c.secrets';
    this.credentialById = c.prepare<[string], CredentialRow>(
      `SELECT ${credentialColumns} FROM credentials c WHERE id = ?`,
    );
    this.credentialReservedFor = c.prepare<[string], { id: string }>(
      'SELECT id FROM credentials WHERE reserved_imei = ?',
    );
    this.maxSeq = c.prepare<[], { seq: number }>('SELECT COALESCE(MAX(seq), 0) AS seq FROM credentials');
    this.insertCredential = c.prepare<[string, number, string | null, string, string, Buffer | null, number, number]>(
      `INSERT INTO credentials (id, seq, reserved_imei, fields, secret_columns, secrets, imported_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.updateCredential = c.prepare<[string | null, string, string, Buffer | null, number, string]>(
      `UPDATE credentials SET reserved_imei = ?, fields = ?, secret_columns = ?, secrets = ?, updated_at = ?
       WHERE id = ?`,
    );
    const assignmentColumns = `${credentialColumns}, a.imei, a.assigned_at`;
    this.assignmentByImei = c.prepare<[string], AssignmentRow>(
      `SELECT ${assignmentColumns} FROM assignments a JOIN credentials c ON c.id = a.credential_id WHERE a.imei = ?`,
    );
    this.assignmentByCredential = c.prepare<[string], { imei: string }>(
      'SELECT imei FROM assignments WHERE credential_id = ?',
    );
    this.freeReservedFor = c.prepare<[string], { id: string }>(
      'SELECT id FROM credentials WHERE reserved_imei = ? AND assigned = 0',
    );
    this.nextFree = c.prepare<[], { id: string }>(
      'SELECT id FROM credentials WHERE reserved_imei IS NULL AND assigned = 0 ORDER BY seq LIMIT 1',
    );
    this.insertAssignment = c.prepare<[string, string, number, string | null, string | null]>(
      'INSERT INTO assignments (credential_id, imei, assigned_at, run_id, station) VALUES (?, ?, ?, ?, ?)',
    );
    this.insertEvent = c.prepare<
      [number, LedgerEventKind, string, string | null, string | null, string | null, string | null, string | null]
    >(
      `INSERT INTO ledger_events (at, kind, credential_id, imei, columns, source, run_id, station)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.poolCounts = c.prepare<[], { total: number; assigned: number }>(
      `SELECT COUNT(*) AS total, COALESCE(SUM(assigned), 0) AS assigned FROM credentials WHERE reserved_imei IS NULL`,
    );
    this.listing = c.prepare<
      [],
      { id: string; reserved_imei: string | null; imei: string | null; assigned_at: number | null }
    >(
      `SELECT c.id, c.reserved_imei, a.imei, a.assigned_at
       FROM credentials c LEFT JOIN assignments a ON a.credential_id = c.id ORDER BY c.seq`,
    );
    this.secretsRow = c.prepare<[string], { secrets: Buffer | null; imei: string | null }>(
      `SELECT c.secrets, a.imei FROM credentials c LEFT JOIN assignments a ON a.credential_id = c.id WHERE c.id = ?`,
    );
    const eventColumns = 'at, kind, credential_id, imei, columns, source, run_id, station';
    this.allEvents = c.prepare<[], EventRow>(`SELECT ${eventColumns} FROM ledger_events ORDER BY id`);
    this.eventsOf = c.prepare<[string], EventRow>(
      `SELECT ${eventColumns} FROM ledger_events WHERE credential_id = ? ORDER BY id`,
    );
  }

  async importCredentials(rows: readonly CredentialInput[], options: ImportOptions = {}): Promise<ImportOutcome> {
    const problems = checkCredentialInputs(rows);
    if (problems.length > 0) return { ok: false, problems };
    const box = await this.secretBox();
    try {
      return this.c.write(() => this.importIn(box, rows, options), 'durable');
    } catch (error) {
      if (error instanceof Refused) return { ok: false, problems: error.problems };
      throw error;
    }
  }

  private importIn(box: SecretBox, rows: readonly CredentialInput[], options: ImportOptions): ImportOutcome {
    const now = this.now();
    const source = options.source ?? null;
    const problems: ImportProblem[] = [];
    const added: string[] = [];
    const unchanged: string[] = [];
    const updated: ChangedCredential[] = [];
    const replaced: ChangedCredential[] = [];
    let seq = this.maxSeq.get()?.seq ?? 0;
    for (const row of rows) {
      const refuse = (message: string, column?: string): void => {
        problems.push({
          credentialId: row.id,
          ...(row.line !== undefined ? { line: row.line } : {}),
          ...(column !== undefined ? { column } : {}),
          message,
        });
      };
      const existing = this.credentialById.get(row.id);
      const secretColumns = JSON.stringify(Object.keys(row.secrets).sort());
      const seal = (): Buffer | null =>
        Object.keys(row.secrets).length > 0 ? box.seal(canonicalRecord(row.secrets), aad(row.id)) : null;
      if (existing === undefined) {
        if (row.imei !== undefined && !this.reservationPossible(row.imei, row.id, refuse)) continue;
        seq += 1;
        this.insertCredential.run(
          row.id,
          seq,
          row.imei ?? null,
          canonicalRecord(row.fields),
          secretColumns,
          seal(),
          now,
          now,
        );
        this.insertEvent.run(now, 'imported', row.id, row.imei ?? null, null, source, null, null);
        added.push(row.id);
        continue;
      }
      const columns = changedColumns(existing, box, row);
      if (columns.length === 0) {
        unchanged.push(row.id);
        continue;
      }
      const holder = this.assignmentByCredential.get(row.id)?.imei;
      const change: ChangedCredential = {
        credentialId: row.id,
        ...(row.line !== undefined ? { line: row.line } : {}),
        columns,
        ...(holder !== undefined ? { assignedTo: holder } : {}),
      };
      if (holder !== undefined && columns.includes('imei')) {
        refuse(
          `credential ${row.id} is assigned to unit ${holder}; its reservation cannot change (a replace keeps assignments)`,
          'imei',
        );
        continue;
      }
      if (holder !== undefined && options.replace !== true) {
        refuse(
          `credential ${row.id} is already assigned to unit ${holder}, and the file changes its ${columns.join(', ')}: ` +
            'a deliberate correction needs an explicit replace (credentials import --replace)',
          columns[0],
        );
        continue;
      }
      if (row.imei !== undefined && columns.includes('imei') && !this.reservationPossible(row.imei, row.id, refuse)) {
        continue;
      }
      this.updateCredential.run(row.imei ?? null, canonicalRecord(row.fields), secretColumns, seal(), now, row.id);
      const kind = holder !== undefined ? 'replaced' : 'updated';
      this.insertEvent.run(now, kind, row.id, holder ?? row.imei ?? null, JSON.stringify(columns), source, null, null);
      (holder !== undefined ? replaced : updated).push(change);
    }
    if (problems.length > 0) throw new Refused(problems);
    return { ok: true, added, unchanged, updated, replaced };
  }

  /** Whether `imei` may be reserved for credential `id`: not reserved for another, not holding another. */
  private reservationPossible(imei: string, id: string, refuse: (message: string, column?: string) => void): boolean {
    const other = this.credentialReservedFor.get(imei);
    if (other !== undefined && other.id !== id) {
      refuse(`IMEI ${imei} is already reserved for credential ${other.id}`, 'imei');
      return false;
    }
    const held = this.assignmentByImei.get(imei);
    if (held !== undefined && held.id !== id) {
      refuse(
        `unit ${imei} already holds credential ${held.id}; a credential reserved for it would never be used`,
        'imei',
      );
      return false;
    }
    return true;
  }

  claim(imei: string, context: ClaimContext = {}): Promise<ClaimResult> {
    return this.c.commit((): ClaimResult => {
      checkImei(imei);
      const existing = this.assignmentByImei.get(imei);
      if (existing !== undefined) return { kind: 'existing', credential: assigned(existing) };
      const pick = this.freeReservedFor.get(imei) ?? this.nextFree.get();
      if (pick === undefined) {
        const pool = this.poolCounts.get() ?? { total: 0, assigned: 0 };
        return {
          kind: 'exhausted',
          message:
            `pool exhausted: no credential is reserved for unit ${imei} and all ${pool.total} credentials of the ` +
            'pool are assigned; import more credentials',
        };
      }
      const at = this.now();
      this.insertAssignment.run(pick.id, imei, at, context.runId ?? null, context.station ?? null);
      this.insertEvent.run(at, 'assigned', pick.id, imei, null, null, context.runId ?? null, context.station ?? null);
      const row = this.assignmentByImei.get(imei);
      if (row === undefined) throw new StoreError('not-found', `the assignment of unit ${imei} vanished`);
      return { kind: 'assigned', credential: assigned(row) };
    }, 'durable');
  }

  assignmentOf(imei: string): Promise<AssignedCredential | undefined> {
    return settle(() => {
      checkImei(imei);
      const row = this.assignmentByImei.get(imei);
      return row === undefined ? undefined : assigned(row);
    });
  }

  async secretsFor(credentialId: string): Promise<Readonly<Record<string, string>>> {
    const row = this.secretsRow.get(credentialId);
    if (row === undefined) throw new StoreError('not-found', `no credential ${credentialId} in the ledger`);
    if (row.imei === null) {
      throw new StoreError(
        'not-assigned',
        `credential ${credentialId} is not assigned to a unit; its secrets stay sealed`,
      );
    }
    if (row.secrets === null) return {};
    const box = await this.secretBox();
    return stringRecord(box.open(row.secrets, aad(credentialId)));
  }

  list(): Promise<CredentialList> {
    return settle(() => {
      const credentials: CredentialSummary[] = [];
      const counts = { free: 0, reserved: 0, assigned: 0 };
      for (const row of this.listing.all()) {
        const state = row.imei !== null ? 'assigned' : row.reserved_imei !== null ? 'reserved' : 'free';
        counts[state] += 1;
        const imei = row.imei ?? row.reserved_imei;
        credentials.push({
          id: row.id,
          state,
          reserved: row.reserved_imei !== null,
          ...(imei !== null ? { imei } : {}),
          ...(row.assigned_at !== null ? { assignedAt: row.assigned_at } : {}),
        });
      }
      return { counts, credentials };
    });
  }

  events(filter: { readonly credentialId?: string } = {}): Promise<readonly LedgerEvent[]> {
    return settle(() => {
      const rows = filter.credentialId === undefined ? this.allEvents.all() : this.eventsOf.all(filter.credentialId);
      return rows.map((row) => ({
        at: row.at,
        kind: row.kind,
        credentialId: row.credential_id,
        ...(row.imei !== null ? { imei: row.imei } : {}),
        ...(row.columns !== null ? { columns: stringArray(row.columns) } : {}),
        ...(row.source !== null ? { source: row.source } : {}),
        ...(row.run_id !== null ? { runId: row.run_id } : {}),
        ...(row.station !== null ? { station: row.station } : {}),
      }));
    });
  }

  /**
   * The station key as a SecretBox, checked against the key id this data directory's secrets were sealed with
   * (recorded by the first import): a wrong key is refused before anything is sealed or opened with it.
   */
  private async secretBox(): Promise<SecretBox> {
    if (this.box !== undefined) return this.box;
    const box = SecretBox.fromStationKey(await this.keys.getKey());
    const stored = this.c.write(() => {
      this.putMeta.run('key_id', box.keyId);
      return this.getMeta.get('key_id')?.value;
    }, 'durable');
    if (stored !== box.keyId) {
      throw new StoreError(
        'key-mismatch',
        `the station key (${this.keys.description}) is not the key this data directory's secrets were sealed with: ` +
          'restore the station key from its backup (see docs/data.md)',
      );
    }
    this.box = box;
    return box;
  }
}

function checkImei(imei: string): void {
  const problem = imeiProblem(imei);
  if (problem !== undefined) throw new StoreError('bad-input', `a unit's IMEI ${problem}`);
}

function assigned(row: AssignmentRow): AssignedCredential {
  return {
    credentialId: row.id,
    imei: row.imei,
    reserved: row.reserved_imei !== null,
    fields: stringRecord(row.fields),
    secretColumns: stringArray(row.secret_columns),
    assignedAt: row.assigned_at,
  };
}

/** The names of the columns (and `imei` for the reservation) whose values differ; values are compared, never shown. */
function changedColumns(existing: CredentialRow, box: SecretBox, row: CredentialInput): string[] {
  const oldFields = stringRecord(existing.fields);
  const oldSecrets = existing.secrets === null ? {} : stringRecord(box.open(existing.secrets, aad(existing.id)));
  const changed = new Set<string>();
  if ((existing.reserved_imei ?? undefined) !== row.imei) changed.add('imei');
  for (const [before, after] of [
    [oldFields, row.fields],
    [oldSecrets, row.secrets],
  ] as const) {
    for (const column of new Set([...Object.keys(before), ...Object.keys(after)])) {
      if (before[column] !== after[column]) changed.add(column);
    }
  }
  return [...changed].sort();
}
