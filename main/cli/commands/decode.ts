import type { Command } from 'commander';
import type { DecodeFlags } from '../decode';

/** `fleet-station decode FILE [--json]` (the work: ../decode.ts, loaded when the command runs). */
export function registerDecode(program: Command): void {
  program
    .command('decode')
    .description(
      'Explain a captured AT log: each command with its outcome and duration, each URC and error in plain words.',
    )
    .argument('<file>', 'the log file (any common timestamp format, with or without echo, CRLF or LF); - for stdin')
    .option('--json', 'one JSON object per event per line instead of the annotated text')
    .action(async (file: string, flags: DecodeFlags) => {
      const { decodeCommand } = await import('../decode');
      await decodeCommand(file, flags);
    });
}
