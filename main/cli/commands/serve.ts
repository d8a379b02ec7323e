import { Command, Option } from 'commander';
import type { ServeFlags } from '../serve';
import { collect, integer } from './options';

/** `fleet-station serve` (the work: ../serve.ts, loaded when the command runs). */
export function registerServe(program: Command): void {
  program.addCommand(
    new Command('serve')
      .description('run the station: web UI and API on 127.0.0.1 (virtual modules unless --port-path is given)')
      .option('--port <port>', 'HTTP port (0 picks a free one)', integer(0, 65535), 5170)
      .addOption(
        new Option('--host <host>', 'loopback address to listen on')
          .choices(['127.0.0.1', 'localhost', '::1'])
          .default('127.0.0.1'),
      )
      .option('--virtual <count>', 'virtual modules to run in-process (default 3 when no --port-path)', integer(0, 64))
      .option(
        '--port-path <path>',
        'a serial port with a module (repeatable); one that cannot be opened is listed with the reason and retried',
        collect,
        [],
      )
      .option('--all', 'attach every USB serial port (ttyUSB/ttyACM) as it appears', false)
      .option(
        '--socket <path>',
        'also serve the API on this Unix-domain socket, mode 0600 (its file permission is the authentication)',
      )
      .option('--json', 'print one JSON object when ready instead of text', false)
      .option('--open-hint', 'print a line telling the user where to open the UI', false)
      .action(async (flags: ServeFlags) => {
        const { serveCommand } = await import('../serve');
        await serveCommand(flags);
      }),
  );
}
