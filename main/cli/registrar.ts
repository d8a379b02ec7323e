import type { Command } from 'commander';

/** A sub-command module adds itself to the program. */
export type CommandRegistrar = (program: Command) => void;
