import { Command } from 'commander';
import { registerCredentials } from './credentials';
import { registerDecode } from './decode';
import { registerProfile } from './profile';
import { registerProvision } from './provision';
import type { CommandRegistrar } from './registrar';
import { registerReport } from './report';
import { registerServe } from './serve';
import { registerSim } from './sim';

/**
 * The `fleet-station` command line. Each sub-command lives in its own module and registers itself here;
 * production lines script these, so their flags and `--json` output are a stable interface (see README.md).
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
