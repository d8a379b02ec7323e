import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import { REPO_ROOT } from './station-cli';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The bundled command line the tests run (`dist/.test-cli-PID-XXXXXX/cli.js`), built once per test run. */
    cliBundle: string;
  }
}

/**
 * vitest's global setup: bundles the command line once (esbuild, the build's own script) for the test run. The
 * tests start `fleet-station` from it rather than through tsx's loader: the same sources, as `npm run build`
 * bundles them, started in about half the CPU time (tsx compiles and loads each of the ~300 modules in every
 * process and every parser worker). Each run gets its own folder, so runs side by side do not share one.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dist = join(REPO_ROOT, 'dist');
  await mkdir(dist, { recursive: true });
  // A run that was killed left its bundle behind: removed once its process is gone.
  for (const name of await readdir(dist)) {
    const pid = /^\.test-cli-(\d+)-/.exec(name)?.[1];
    if (pid !== undefined && !alive(Number(pid))) await rm(join(dist, name), { recursive: true, force: true });
  }
  const dir = await mkdtemp(join(dist, `.test-cli-${String(process.pid)}-`));
  await promisify(execFile)(process.execPath, ['scripts/build-main.mjs', '--cli-only', dir], { cwd: REPO_ROOT });
  project.provide('cliBundle', join(dir, 'cli.js'));
  return () => rm(dir, { recursive: true, force: true });
}

/** Whether a process with this id still runs (signal 0 checks without sending anything). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
