import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { track } from './processes';

/**
 * The `fleet-station` command line as a child process, as a production line scripts it: its exit code (or the
 * signal that killed it), its standard output and error, and its output lines as they come, so a test can react
 * to an event (`--json` lines) while the command runs: kill it, unplug a unit, stop the broker.
 */

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** `fleet-station` as installed: the sources through tsx's loader (what `npx fleet-station` runs). */
export const BIN = fileURLToPath(new URL('../../bin/fleet-station.mjs', import.meta.url));

/**
 * The script the tests start `fleet-station` from, with the project's Node (`process.execPath`): the command line
 * bundled once for the test run by vitest's global setup (cli-bundle.global.ts), the same sources as `npm run build`
 * ships. BIN's own behaviour (re-running itself on Node 24, loading the sources) is tested through BIN.
 */
export function cliScript(): string {
  return inject('cliBundle');
}

export interface CliResult {
  /** The exit code, or null when a signal ended the process. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliRun {
  readonly child: ChildProcessWithoutNullStreams;
  /** Resolves when the process has exited and its output is complete. */
  readonly done: Promise<CliResult>;
}

export interface CliOptions {
  /** Added to the environment (which never carries the caller's FLEET_STATION_DATA). */
  readonly env?: Readonly<Record<string, string>>;
  /** Told of every complete line of standard output as it comes. */
  readonly onLine?: (line: string, child: ChildProcessWithoutNullStreams) => void;
}

/** Starts `fleet-station <args>`. */
export function startCli(args: readonly string[], options: CliOptions = {}): CliRun {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  if (options.env?.FLEET_STATION_DATA === undefined) delete env.FLEET_STATION_DATA;
  const child = spawn(process.execPath, [cliScript(), ...args], { cwd: REPO_ROOT, env });
  track(child);
  const done = new Promise<CliResult>((resolve) => {
    let stdout = '';
    let stderr = '';
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      stdout += text;
      pending += text;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) options.onLine?.(line, child);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

/** Runs `fleet-station <args>` to its end. */
export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return startCli(args, options).done;
}

/**
 * The JSON objects of `--json` output, one per complete line (strict: a line that is not a JSON object throws). What
 * follows the last line break is left out: the line a killed process was writing.
 */
export function jsonLines(stdout: string): Record<string, unknown>[] {
  const lines = stdout.split('\n').slice(0, -1);
  return lines
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const value: unknown = JSON.parse(line);
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw new Error(`not a JSON object: ${line}`);
      }
      return Object.fromEntries(Object.entries(value));
    });
}
