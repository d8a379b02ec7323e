import type { Command } from 'commander';
import type { ProfileCheckFlags } from '../profile';

function columnList(value: string): string[] {
  return value
    .split(',')
    .map((column) => column.trim())
    .filter((column) => column !== '');
}

/** `fleet-station profile check FILE` (the work: ../profile.ts, loaded when the command runs). */
export function registerProfile(program: Command): void {
  const profile = program.command('profile').description('Provisioning profiles (docs/profiles.md).');
  profile
    .command('check')
    .description('Validate a profile and its certificate files; print its content hash and every certificate.')
    .argument('<file>', 'the profile (YAML or JSON)')
    .option(
      '--columns <list>',
      "the manifest's columns, comma-separated: a placeholder naming no column is then an error",
      columnList,
    )
    .option('--json', 'print one JSON object instead of the report')
    .action(async (file: string, flags: ProfileCheckFlags) => {
      const { profileCheckCommand } = await import('../profile');
      await profileCheckCommand(file, flags);
    });
}
