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
import type { CommandRegistrar } from './registrar';

/**
 * `fleet-station credentials import FILE` and `fleet-station credentials list`: the credential manifest into the
 * station's ledger, and what the ledger holds (never a secret). Exit codes: 0 done, 2 bad input (nothing was
 * imported: an import is all or nothing), 1 any other failure (an unusable key file, a damaged database).
 */

export interface CredentialsHooks {
  /**
   * The manifest columns a profile's templates need. When given, `import` takes `--profile FILE` and refuses a
   * manifest that lacks one of them (the composition root wires the profiles' loader here).
   */
  readonly requiredColumns?: (profileFile: string) => Promise<readonly string[]>;
}

const EXIT_BAD_INPUT = 2;
const EXIT_FAILURE = 1;

interface CommonOptions {
  readonly dataDir?: string;
  readonly json?: boolean;
}

interface ImportFlags extends CommonOptions {
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

export function credentialsRegistrar(hooks: CredentialsHooks = {}): CommandRegistrar {
  return (program) => {
    const credentials = program
      .command('credentials')
      .description('Import credential manifests into the station ledger and list what it holds (never a secret).');

    const importCommand = credentials
      .command('import')
      .description(
        'Import a CSV manifest (see docs/credentials.md): idempotent, all or nothing; a change to a credential ' +
          'already assigned needs --replace.',
      )
      .argument('<file>', 'the manifest (CSV, UTF-8)')
      .option('--data-dir <dir>', 'the station data directory (default: FLEET_STATION_DATA or the user data folder)')
      .option('--replace', 'correct credentials already assigned: each changed row is named, assignments are kept')
      .option('--json', 'one JSON object with the outcome');
    if (hooks.requiredColumns !== undefined) {
      importCommand.option('--profile <file>', 'refuse a manifest without the columns this profile needs');
    }
    importCommand.action((file: string, options: ImportFlags) =>
      run(options, () => importManifest(file, options, hooks)),
    );

    credentials
      .command('list')
      .description('Counts (free, reserved, assigned) and each credential with its id, IMEI and assignment time.')
      .option('--data-dir <dir>', 'the station data directory (default: FLEET_STATION_DATA or the user data folder)')
      .option('--json', 'one JSON object')
      .action((options: CommonOptions) => run(options, () => listCredentials(options)));

    // Usage errors (an unknown flag, a missing file argument) are bad input too.
    for (const command of [credentials, ...credentials.commands]) {
      command.exitOverride((error) => {
        process.exit(error.exitCode === 0 ? 0 : EXIT_BAD_INPUT);
      });
    }
  };
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

/** `credentials import [--profile FILE]`: the profile's loader tells which columns the manifest must have. */
export const registerCredentials: CommandRegistrar = credentialsRegistrar({ requiredColumns: profileColumns });

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

async function importManifest(file: string, options: ImportFlags, hooks: CredentialsHooks): Promise<string> {
  const requiredColumns =
    options.profile !== undefined && hooks.requiredColumns !== undefined
      ? await hooks.requiredColumns(options.profile)
      : [];
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
