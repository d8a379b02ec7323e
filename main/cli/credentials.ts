import { resolve } from 'node:path';
import { formatIssue, loadProfile } from '../provisioning';
import { isoWithOffset } from '../reports';
import { loadManifest, ManifestError, toCredentialInputs } from '../provisioning/manifest';
import {
  openSqliteStore,
  resolveDataDir,
  StoreError,
  type ChangedCredential,
  type CredentialList,
  type ImportProblem,
  type Store,
} from '../store';

/**
 * `fleet-station credentials import FILE` and `fleet-station credentials list`: the credential manifest into the
 * station's ledger, and what the ledger holds (never a secret). Exit codes: 0 done, 2 bad input (nothing was
 * imported: an import is all or nothing), 1 any other failure (an unusable key file, a damaged database).
 */

const EXIT_BAD_INPUT = 2;
const EXIT_FAILURE = 1;

/** The flags of `credentials list` (main/cli/commands/credentials.ts). */
export interface CommonOptions {
  readonly dataDir?: string;
  readonly json?: boolean;
}

/** The flags of `credentials import`. */
export interface ImportFlags extends CommonOptions {
  readonly replace?: boolean;
  readonly profile?: string;
}

/** A failure that ends the command with an exit code and a message (already free of secrets). */
class Exit extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly problems: readonly { line?: number; column?: string; credentialId?: string; message: string }[] = [],
  ) {
    super(message);
  }
}

/** `credentials import FILE`: the manifest into the ledger, all or nothing. */
export function importCommand(file: string, flags: ImportFlags): Promise<void> {
  return run(flags, () => importManifest(file, flags));
}

/** `credentials list`: the counts and each credential, never a secret. */
export function listCommand(flags: CommonOptions): Promise<void> {
  return run(flags, () => listCredentials(flags));
}

/** The columns a profile's templates need; an unusable profile is bad input, with every problem named. */
async function profileColumns(profileFile: string): Promise<readonly string[]> {
  const loaded = await loadProfile(profileFile);
  if (!loaded.ok) {
    throw new Exit(
      EXIT_BAD_INPUT,
      `the profile ${profileFile} is not usable (see \`fleet-station profile check\`); nothing was imported`,
      loaded.errors.map((issue) => ({ message: formatIssue(issue) })),
    );
  }
  return loaded.profile.requiredColumns;
}

async function run(options: CommonOptions, work: () => Promise<string>): Promise<void> {
  try {
    process.stdout.write(await work());
  } catch (error) {
    const exit = asExit(error);
    if (options.json === true) {
      process.stdout.write(`${JSON.stringify({ ok: false, error: exit.message, problems: exit.problems })}\n`);
    } else {
      const lines = exit.problems.map((problem) => `  ${describeProblem(problem)}`);
      process.stderr.write(`fleet-station credentials: ${[exit.message, ...lines].join('\n')}\n`);
    }
    process.exitCode = exit.code;
  }
}

function asExit(error: unknown): Exit {
  if (error instanceof Exit) return error;
  if (error instanceof ManifestError) {
    const count = error.problems.length;
    return new Exit(
      EXIT_BAD_INPUT,
      `the manifest has ${count} problem${count === 1 ? '' : 's'}; nothing was imported`,
      error.problems,
    );
  }
  if (error instanceof StoreError) {
    return new Exit(error.code === 'bad-input' ? EXIT_BAD_INPUT : EXIT_FAILURE, error.message);
  }
  const code = error instanceof Error && 'code' in error ? String(error.code) : '';
  if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') {
    const path = error instanceof Error && 'path' in error ? String(error.path) : 'the file';
    return new Exit(EXIT_BAD_INPUT, `cannot read ${path} (${code})`);
  }
  // Only the error's name and message: nothing else of it is printed.
  return new Exit(EXIT_FAILURE, error instanceof Error ? `${error.name}: ${error.message}` : 'failed');
}

function describeProblem(problem: {
  readonly line?: number;
  readonly column?: string;
  readonly credentialId?: string;
  readonly message: string;
}): string {
  const where = [
    problem.line !== undefined ? `line ${problem.line}` : undefined,
    problem.column !== undefined ? `column ${problem.column}` : undefined,
  ].filter((part) => part !== undefined);
  return where.length > 0 ? `${where.join(', ')}: ${problem.message}` : problem.message;
}

async function withStore<T>(options: CommonOptions, work: (store: Store, dataDir: string) => Promise<T>): Promise<T> {
  const dataDir = resolveDataDir({ ...(options.dataDir !== undefined ? { flag: options.dataDir } : {}) });
  const store = await openSqliteStore({ dataDir });
  try {
    return await work(store, dataDir);
  } finally {
    await store.close();
  }
}

/** With `--profile FILE`, the profile's loader tells which columns the manifest must have. */
async function importManifest(file: string, options: ImportFlags): Promise<string> {
  const requiredColumns = options.profile !== undefined ? await profileColumns(options.profile) : [];
  const manifest = await loadManifest(file, { requiredColumns });
  return withStore(options, async (store, dataDir) => {
    const outcome = await store.ledger.importCredentials(toCredentialInputs(manifest), {
      replace: options.replace === true,
      source: resolve(file),
    });
    if (!outcome.ok) {
      const count = outcome.problems.length;
      throw new Exit(
        EXIT_BAD_INPUT,
        `the ledger refused ${count} row${count === 1 ? '' : 's'}; nothing was imported`,
        outcome.problems.map((problem: ImportProblem) => ({ ...problem })),
      );
    }
    const { counts } = await store.ledger.list();
    if (options.json === true) {
      return `${JSON.stringify({ ...outcome, dataDir, file: resolve(file), counts })}\n`;
    }
    const changed = (verb: string, list: readonly ChangedCredential[]): string[] =>
      list.map(
        (change) =>
          `  ${verb} ${change.credentialId}${change.line !== undefined ? ` (line ${change.line})` : ''}: ` +
          `${change.columns.join(', ')}${change.assignedTo !== undefined ? `; stays assigned to ${change.assignedTo}` : ''}`,
      );
    return [
      `Imported ${manifest.rows.length} rows from ${file} into ${dataDir}: ${outcome.added.length} added, ` +
        `${outcome.unchanged.length} unchanged, ${outcome.updated.length} updated, ${outcome.replaced.length} replaced.`,
      ...changed('updated', outcome.updated),
      ...changed('replaced', outcome.replaced),
      `Ledger: ${countsText(counts)}.`,
      '',
    ].join('\n');
  });
}

function listCredentials(options: CommonOptions): Promise<string> {
  return withStore(options, async (store, dataDir) => {
    const list = await store.ledger.list();
    if (options.json === true) {
      return `${JSON.stringify({
        dataDir,
        counts: { ...list.counts, total: list.credentials.length },
        credentials: list.credentials.map((credential) => ({
          id: credential.id,
          state: credential.state,
          imei: credential.imei ?? null,
          reserved: credential.reserved,
          assignedAt: credential.assignedAt !== undefined ? isoWithOffset(credential.assignedAt) : null,
        })),
      })}\n`;
    }
    const rows = list.credentials.map((credential) => [
      credential.id,
      credential.state,
      credential.imei ?? '',
      credential.assignedAt !== undefined ? isoWithOffset(credential.assignedAt) : '',
    ]);
    return [
      `Credentials in ${dataDir}: ${countsText(list.counts)}.`,
      ...table(['ID', 'STATE', 'IMEI', 'ASSIGNED AT'], rows),
      '',
    ].join('\n');
  });
}

function countsText(counts: CredentialList['counts']): string {
  const total = counts.free + counts.reserved + counts.assigned;
  return `${counts.free} free, ${counts.reserved} reserved, ${counts.assigned} assigned (${total} in all)`;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  if (rows.length === 0) return [];
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}
