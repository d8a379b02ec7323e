import type { Command } from 'commander';
import type { ReportFlags } from '../report';

/** Usage errors (an unknown flag, a missing --out) are bad input, as the command's own refusals (exit 2). */
const EXIT_BAD_INPUT = 2;

/** `fleet-station report` (the work: ../report.ts, loaded when the command runs). */
export function registerReport(program: Command): void {
  const command = program
    .command('report')
    .description(
      'Export the run history as CSV (one row per unit per run; columns in docs/reports.md): one run (--run), ' +
        'the runs started since a time (--since, --until), or everything.',
    )
    .option('--data-dir <dir>', 'the station data directory (default: FLEET_STATION_DATA or the user data folder)')
    .option('--run <id>', 'the run to report')
    .option(
      '--since <time>',
      'the runs started at or after this time: ISO 8601 (2026-11-30, 2026-11-30T08:00, 2026-11-30T08:00+01:00), ' +
        'today, yesterday, or back from now (30m, 24h, 7d)',
    )
    .option('--until <time>', 'only the runs started before this time (same forms)')
    .requiredOption('--out <file>', 'the CSV file to write (replaced atomically; missing folders are created)')
    .option('--json', 'print one JSON object: { rows, file }')
    .action(async (flags: ReportFlags) => {
      const { reportCommand } = await import('../report');
      await reportCommand(flags);
    });
  command.exitOverride((error) => {
    process.exit(error.exitCode === 0 ? 0 : EXIT_BAD_INPUT);
  });
}
