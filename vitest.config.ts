import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['main/**/*.test.ts', 'shared/**/*.test.ts', 'renderer/**/*.test.ts', 'bench/**/*.test.ts'],
    // Integration tests open pseudo-terminals and brokers: give them room.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Bundles the command line once for the run: the tests start `fleet-station` from it (main/testing/station-cli.ts).
    globalSetup: ['main/testing/cli-bundle.global.ts'],
    // One fork per worker runs file after file (no fresh process and module graph per file): starting a fork and
    // importing the shared modules again for each of the 100 files cost about a third of the suite's CPU time.
    // No test file relies on a fresh process: none changes process-wide state without restoring it (fake timers,
    // process listeners are undone in their own hooks), and each one starts its own modules, brokers and ptys.
    isolate: false,
    // Many files wait on child processes, pseudo-terminals, sockets and protocol timeouts rather than compute: one
    // worker more than the cores keeps the CPU busy while one of them waits (measured in docs/testing.md).
    maxWorkers: availableParallelism() + 1,
    reporters: ['default'],
  },
});
