import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { exportReport, parseTime, ReportError, TimeSyntaxError } from '../reports';
import { DATABASE_FILE_NAME, openSqliteStore, resolveDataDir, StoreError, type HistoryQuery } from '../store';

/**
 * `fleet-station report [--data-dir DIR] [--run ID | --since TIME [--until TIME]] --out FILE [--json]`: the run
 * history as the CSV report of docs/reports.md. Exit codes: 0 written (a window without units writes the header
 * only, and says so), 2 bad input (flags, an unknown run id, a time that cannot be read, an output path that is a
 * folder, no station data), 1 any other failure (a damaged database, a disk that refuses the file).
 */

const EXIT_BAD_INPUT = 2;
const EXIT_FAILURE = 1;

/** The flags of `report` (main/cli/commands/report.ts). */
export interface ReportFlags {
  readonly dataDir?: string;
  readonly run?: string;
  readonly since?: string;
  readonly until?: string;
  readonly out: string;
  readonly json?: boolean;
}

class Exit extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** `fleet-station report`: the CSV, `{ rows, file }` with --json; the exit code says how it went. */
export async function reportCommand(flags: ReportFlags): Promise<void> {
  try {
    const { rows, file, note } = await report(flags);
    process.stdout.write(
      flags.json === true ? `${JSON.stringify({ rows, file })}\n` : `Wrote ${plural(rows, 'row')} to ${file}.\n`,
    );
    if (note !== undefined) process.stderr.write(`fleet-station report: ${note}\n`);
  } catch (error) {
    const exit = asExit(error);
    if (flags.json === true) process.stdout.write(`${JSON.stringify({ error: exit.message })}\n`);
    process.stderr.write(`fleet-station report: ${exit.message}\n`);
    process.exitCode = exit.code;
  }
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

function time(flag: string, text: string, now: number): number {
  try {
    return parseTime(text, now);
  } catch (error) {
    if (error instanceof TimeSyntaxError) throw new Exit(EXIT_BAD_INPUT, `${flag}: ${error.message}`);
    throw error;
  }
}

/** The query the flags ask for; bad combinations are bad input. */
function query(flags: ReportFlags): { query: HistoryQuery; what: string } {
  if (flags.run !== undefined) {
    if (flags.since !== undefined || flags.until !== undefined) {
      throw new Exit(EXIT_BAD_INPUT, 'give either --run or --since/--until, not both');
    }
    return { query: { runId: flags.run }, what: `run ${flags.run}` };
  }
  const now = Date.now();
  const since = flags.since === undefined ? 0 : time('--since', flags.since, now);
  const until = flags.until === undefined ? undefined : time('--until', flags.until, now);
  if (until !== undefined && !(until > since)) {
    throw new Exit(EXIT_BAD_INPUT, `--until (${flags.until ?? ''}) must come after --since (${flags.since ?? ''})`);
  }
  const window = [
    flags.since === undefined ? undefined : `since ${flags.since}`,
    flags.until === undefined ? undefined : `before ${flags.until}`,
  ].filter((part) => part !== undefined);
  return {
    query: until === undefined ? { since } : { since, until },
    what: window.length === 0 ? 'the history' : `the runs started ${window.join(' and ')}`,
  };
}

async function report(flags: ReportFlags): Promise<{ rows: number; file: string; note?: string }> {
  const { query: wanted, what } = query(flags);
  const dataDir = resolveDataDir(flags.dataDir === undefined ? {} : { flag: flags.dataDir });
  // A report reads: it never creates a data directory (a mistyped --data-dir would otherwise look empty).
  if (!existsSync(join(dataDir, DATABASE_FILE_NAME))) {
    throw new Exit(
      EXIT_BAD_INPUT,
      `no station data in ${dataDir} (no ${DATABASE_FILE_NAME}): give the station's --data-dir or FLEET_STATION_DATA`,
    );
  }
  const store = await openSqliteStore({ dataDir });
  try {
    const written = await exportReport(store.history, wanted, flags.out);
    return written.rows > 0
      ? written
      : { ...written, note: `no unit was recorded in ${what} in ${dataDir}: the file has the header only` };
  } finally {
    await store.close();
  }
}

function asExit(error: unknown): Exit {
  if (error instanceof Exit) return error;
  if (error instanceof ReportError) {
    return new Exit(error.code === 'write-failed' ? EXIT_FAILURE : EXIT_BAD_INPUT, error.message);
  }
  if (error instanceof StoreError) {
    return new Exit(error.code === 'bad-input' ? EXIT_BAD_INPUT : EXIT_FAILURE, error.message);
  }
  // Only the error's name and message: nothing else of it is printed.
  return new Exit(EXIT_FAILURE, error instanceof Error ? `${error.name}: ${error.message}` : 'failed');
}
