import { Command, InvalidArgumentError } from 'commander';
import type { ProvisionFlags } from '../provision';
import { collect } from './options';

/** Usage errors (an unknown flag, a missing --profile) are bad input, as the command's own refusals (exit 2). */
const EXIT_BAD_INPUT = 2;

function count(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isInteger(n) || n < 1 || n > 256) {
    throw new InvalidArgumentError('expected a number of modules, 1-256');
  }
  return n;
}

/** `fleet-station provision` (the work: ../provision.ts, loaded when the command runs). */
export function registerProvision(program: Command): void {
  const command = new Command('provision')
    .description(
      'Provision every selected unit at once with a profile: identify, precheck, credential, upload, sslcfg, ' +
        'mqttcfg, readback, open, connect, subscribe, publish, receive, close (docs/provisioning.md).',
    )
    .requiredOption('--profile <file>', 'the provisioning profile (YAML or JSON, see docs/profiles.md)')
    .option('--port <path>', 'a serial port with a module, pseudo-terminals included (repeatable)', collect, [])
    .option('--all', 'every USB serial port (ttyUSB/ttyACM) present')
    .option('--virtual <n>', 'N in-process virtual modules against the embedded MQTT broker', count)
    .option('--manifest <file>', 'import this credential manifest into the ledger first (idempotent)')
    .option('--report <file>', 'write the CSV report of this run to FILE at the end')
    .option('--data-dir <dir>', 'the station data directory (default: FLEET_STATION_DATA or the user data folder)')
    .option('--station <id>', 'this station on the run record and the credential assignments (default: host name)')
    .option('--operator <name>', 'who runs the line, on the run record')
    .option('--work-order <id>', 'the work order, on the run record')
    .option('--retry-failed <run-id>', 'rerun, from the start, only the units that did not pass in that run')
    .option('--json', 'one JSON object per line: every step event, every unit, then a summary')
    .action(async (flags: ProvisionFlags) => {
      const { provision } = await import('../provision');
      process.exitCode = await provision(flags);
    });
  command.exitOverride((error) => {
    process.exit(error.exitCode === 0 ? 0 : EXIT_BAD_INPUT);
  });
  program.addCommand(command);
}
