import { Command } from 'commander';
import { registerCredentials } from './commands/credentials';
import { registerDecode } from './commands/decode';
import { registerProfile } from './commands/profile';
import { registerProvision } from './commands/provision';
import { registerReport } from './commands/report';
import { registerServe } from './commands/serve';
import { registerSim } from './commands/sim';
import type { CommandRegistrar } from './registrar';

/**
 * The `fleet-station` command line. Each sub-command's flags and help are declared in commands/ (commander and
 * nothing heavy); its work lives in its own module, imported only when that command runs, so `--help`,
 * `--version` and every command start without loading the others (the store, the emulator, the web shell...).
 * Production lines script these, so their flags and `--json` output are a stable interface (see README.md).
 */
const registrars: readonly CommandRegistrar[] = [
  registerCredentials,
  registerDecode,
  registerProfile,
  registerProvision,
  registerReport,
  registerServe,
  registerSim,
];

const program = new Command('fleet-station')
  .description('Provision and diagnose fleets of Quectel ECx00U/EGx00U LTE modules over USB serial.')
  .version('0.1.0')
  .showHelpAfterError();

for (const register of registrars) register(program);

await program.parseAsync(process.argv);
