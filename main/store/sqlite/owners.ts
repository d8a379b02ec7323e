import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { onUnexpectedError } from '../../base';
import type { Connection } from './connection';

/** Owners registered by stores open in this process: alive by definition, whatever their heartbeat says. */
const liveInThisProcess = new Set<string>();

export interface LeaseOptions {
  /** How often an owner with runs in progress proves it is alive. */
  readonly heartbeatMs: number;
  /** An owner silent for longer is dead, even where its pid cannot be checked (another host) or was reused. */
  readonly leaseMs: number;
}

export const DEFAULT_LEASE: LeaseOptions = { heartbeatMs: 10_000, leaseMs: 60_000 };

/** What the station writes when it marks a unit of a dead process's run. */
export const INTERRUPTED_ERROR_CODE = 'interrupted';
export const INTERRUPTED_ERROR =
  'the station stopped during this unit (crash, kill or power loss); the run was marked interrupted: rerun the unit';

interface OwnerRow {
  readonly id: string;
  readonly host: string;
  readonly pid: number;
  readonly heartbeat_at: number;
}

/**
 * Who runs belong to, so that a run left `running` by a dead process is told apart from one a live process is
 * still recording. A store registers an owner row (host, pid, heartbeat) when it begins its first run, and beats
 * while it is open. Another store on the same data declares the owner dead when:
 *  - its heartbeat is older than the lease (a hung, vanished or other-host process: the only test that works
 *    across hosts, e.g. for a shared PostgreSQL store);
 *  - or it is on this host and its pid no longer exists, or is this very process without the owner being one of its
 *    open stores (a restarted container reuses pids): a crash is recognised at once, without waiting for the lease.
 * An owner in this process is always alive. A dead owner's running runs become `interrupted`, their running steps
 * `interrupted`, their unfinished units failed with error code `interrupted`; then its row goes.
 */
export class Owners {
  readonly id = randomUUID();
  private readonly host = hostname();
  private registered = false;
  private timer: NodeJS.Timeout | undefined;

  private readonly upsertOwner;
  private readonly interruptedRunsOf;
  private readonly beatOwner;
  private readonly deleteOwner;
  private readonly allOwners;
  private readonly runningOwners;
  private readonly runningRunsOf;
  private readonly runningRunsWithoutOwner;
  private readonly interruptSteps;
  private readonly failUnits;
  private readonly interruptRun;

  constructor(
    private readonly c: Connection,
    private readonly now: () => number,
    private readonly lease: LeaseOptions,
  ) {
    this.upsertOwner = c.prepare<[string, string, number, number, number, number]>(
      `INSERT INTO owners (id, host, pid, started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET heartbeat_at = ?`,
    );
    this.interruptedRunsOf = c.prepare<[string], { count: number }>(
      "SELECT COUNT(*) AS count FROM runs WHERE owner = ? AND state = 'interrupted'",
    );
    this.beatOwner = c.prepare<[number, string]>('UPDATE owners SET heartbeat_at = ? WHERE id = ?');
    this.deleteOwner = c.prepare<[string]>('DELETE FROM owners WHERE id = ?');
    this.allOwners = c.prepare<[], OwnerRow>('SELECT id, host, pid, heartbeat_at FROM owners');
    this.runningOwners = c.prepare<[], { owner: string | null }>(
      "SELECT DISTINCT owner FROM runs WHERE state = 'running'",
    );
    this.runningRunsOf = c.prepare<[string], { id: string }>(
      "SELECT id FROM runs WHERE state = 'running' AND owner = ?",
    );
    this.runningRunsWithoutOwner = c.prepare<[], { id: string }>(
      "SELECT id FROM runs WHERE state = 'running' AND (owner IS NULL OR owner NOT IN (SELECT id FROM owners))",
    );
    this.interruptSteps = c.prepare<[string]>(
      `UPDATE steps SET status = 'interrupted'
       WHERE status = 'running' AND unit_run_id IN (SELECT id FROM unit_runs WHERE run_id = ?)`,
    );
    this.failUnits = c.prepare<[string, string, number, string]>(
      `UPDATE unit_runs SET result = 'fail', error_code = ?, error = ?, finished_at = ?,
         failed_step = (SELECT name FROM steps s WHERE s.unit_run_id = unit_runs.id AND s.status = 'interrupted'
                        ORDER BY s.seq DESC LIMIT 1)
       WHERE run_id = ? AND result IS NULL`,
    );
    this.interruptRun = c.prepare<[number, string]>(
      "UPDATE runs SET state = 'interrupted', finished_at = ? WHERE id = ? AND state = 'running'",
    );
  }

  /**
   * Registers this store as an owner, inside the caller's write transaction (the row commits or rolls back with the
   * run that needs it), and starts the heartbeat once.
   */
  register(): void {
    const at = this.now();
    this.upsertOwner.run(this.id, this.host, process.pid, at, at, at);
    liveInThisProcess.add(this.id);
    if (this.registered) return;
    this.registered = true;
    this.timer = setInterval(() => this.beat(), this.lease.heartbeatMs);
    this.timer.unref();
  }

  private beat(): void {
    try {
      this.c.write(() => {
        const at = this.now();
        if (this.beatOwner.run(at, this.id).changes > 0) return;
        // Declared dead by another process (a stall longer than the lease): come back, and say so if that cost
        // this station its runs.
        this.upsertOwner.run(this.id, this.host, process.pid, at, at, at);
        if ((this.interruptedRunsOf.get(this.id)?.count ?? 0) > 0) {
          onUnexpectedError(
            new Error('this station was silent longer than its lease and its runs were marked interrupted'),
            'store heartbeat',
          );
        }
      }, 'crash-safe');
    } catch (error) {
      onUnexpectedError(error, 'store heartbeat');
    }
  }

  /** Marks the runs of dead owners interrupted (one transaction); returns their ids. */
  recover(): string[] {
    return this.c.write(() => {
      const interrupted: string[] = [];
      const at = this.now();
      const owners = new Map(this.allOwners.all().map((row) => [row.id, row]));
      for (const row of owners.values()) {
        if (this.alive(row, at)) continue;
        for (const run of this.runningRunsOf.all(row.id)) {
          this.interrupt(run.id, row.heartbeat_at);
          interrupted.push(run.id);
        }
        this.deleteOwner.run(row.id);
      }
      // Runs whose owner row is gone altogether (it can only have been a dead one).
      for (const run of this.runningRunsWithoutOwner.all()) {
        this.interrupt(run.id, at);
        interrupted.push(run.id);
      }
      return interrupted;
    }, 'crash-safe');
  }

  /** Whether any run is `running` for an owner that is not alive: cheap check before a full recovery. */
  needsRecovery(): boolean {
    const at = this.now();
    const owners = new Map(this.allOwners.all().map((row) => [row.id, row]));
    return this.runningOwners.all().some(({ owner }) => {
      const row = owner === null ? undefined : owners.get(owner);
      return row === undefined || !this.alive(row, at);
    });
  }

  /** On close: this store's own unfinished runs are interrupted (no one will finish them), and its row goes. */
  release(): string[] {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    liveInThisProcess.delete(this.id);
    if (!this.registered) return [];
    this.registered = false;
    return this.c.write(() => {
      const runs = this.runningRunsOf.all(this.id).map((run) => run.id);
      for (const run of runs) this.interrupt(run, this.now());
      this.deleteOwner.run(this.id);
      return runs;
    }, 'crash-safe');
  }

  private interrupt(runId: string, at: number): void {
    this.interruptSteps.run(runId);
    this.failUnits.run(INTERRUPTED_ERROR_CODE, INTERRUPTED_ERROR, at, runId);
    this.interruptRun.run(at, runId);
  }

  private alive(row: OwnerRow, at: number): boolean {
    if (liveInThisProcess.has(row.id)) return true;
    if (at - row.heartbeat_at > this.lease.leaseMs) return false;
    if (row.host !== this.host) return true;
    if (row.pid === process.pid) return false;
    return pidExists(row.pid);
  }
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return error instanceof Error && 'code' in error && error.code === 'EPERM';
  }
}
