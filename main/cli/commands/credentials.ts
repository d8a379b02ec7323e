import type { Command } from 'commander';
import type { CommonOptions, ImportFlags } from '../credentials';

/** Usage errors (an unknown flag, a missing file argument) are bad input, as the command's own refusals. */
const EXIT_BAD_INPUT = 2;

/**
 * `fleet-station credentials import FILE` and `fleet-station credentials list` (the work: ../credentials.ts, loaded
 * when a command runs).
 */
export function registerCredentials(program: Command): void {
  const credentials = program
    .command('credentials')
    .description('Import credential manifests into the station ledger and list what it holds (never a secret).');

  credentials
    .command('import')
    .description(
      'Import a CSV manifest (see docs/credentials.md): idempotent, all or nothing; a change to a credential ' +
        'already assigned needs --replace.',
    )
    .argument('<file>', 'the manifest (CSV, UTF-8)')
    .option('--data-dir <dir>', 'the station data directory (default: FLEET_STATION_DATA or the user data folder)')
    .option('--replace', 'correct credentials already assigned: each changed row is named, assignments are kept')
    .option('--json', 'one JSON object with the outcome')
    .option('--profile <file>', 'refuse a manifest without the columns this profile needs')
    .action(async (file: string, flags: ImportFlags) => {
      const { importCommand } = await import('../credentials');
      await importCommand(file, flags);
    });

  credentials
    .command('list')
    .description('Counts (free, reserved, assigned) and each credential with its id, IMEI and assignment time.')
    .option('--data-dir <dir>', 'the station data directory (default: FLEET_STATION_DATA or the user data folder)')
    .option('--json', 'one JSON object')
    .action(async (flags: CommonOptions) => {
      const { listCommand } = await import('../credentials');
      await listCommand(flags);
    });

  for (const command of [credentials, ...credentials.commands]) {
    command.exitOverride((error) => {
      process.exit(error.exitCode === 0 ? 0 : EXIT_BAD_INPUT);
    });
  }
}
