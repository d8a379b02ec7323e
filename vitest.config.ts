import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['main/**/*.test.ts', 'shared/**/*.test.ts', 'renderer/**/*.test.ts', 'bench/**/*.test.ts'],
    // Integration tests open pseudo-terminals and brokers: give them room, and keep files in separate forks.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Most test files wait on child processes, pseudo-terminals and sockets rather than compute: two files at a
    // time even on a 2-core machine (vitest's default, one fewer than the cores, would run them one by one).
    maxWorkers: Math.max(2, availableParallelism() - 1),
    reporters: ['default'],
  },
});
