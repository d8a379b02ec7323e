import type { Command } from 'commander';
import { FAULT_HELP } from '../../emulator/sim-options';
import type { SimFlags } from '../sim';
import { collect } from './options';

/** `fleet-station sim --count N` (the work: ../sim.ts, loaded when the command runs). */
export function registerSim(program: Command): void {
  program
    .command('sim')
    .description('Run virtual Quectel modules on pseudo-terminals (one socat pty pair per module) until stopped.')
    .option('--count <n>', 'number of modules (1-256)', '1')
    .option('--host-map <host=ip:port>', 'send MQTT for HOST to IP:PORT instead (repeatable)', collect, [])
    .option('--baud <rate>', 'UART speed the modules pace their output at', '115200')
    .option('--seed <n>', 'identity seed: the same seed gives the same IMEIs', '0')
    .option('--json', 'one JSON object per module per line')
    .option('--fault <spec>', 'inject a fault (repeatable, see below)', collect, [])
    .addHelpText('after', `\n${FAULT_HELP}\n`)
    .action(async (flags: SimFlags) => {
      const { simCommand } = await import('../sim');
      await simCommand(flags);
    });
}
