#!/usr/bin/env node
// The `fleet-station` command line. The TypeScript sources run directly through tsx's loader, so the command
// works straight after `npm install`, without a build step.
//
// The project runs on Node 24 (the runtime of Electron 45), installed with it as the `node` package. `npm`
// scripts and `npx` put that Node first on PATH; started any other way on an older Node, this re-runs itself on
// the project's own Node rather than failing later (better-sqlite3 13 crashes on Node 20).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  const projectNode = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url));
  if (!existsSync(projectNode)) {
    console.error(`fleet-station needs Node.js 24 or later (this is ${process.version}); run \`npm install\` first.`);
    process.exit(2);
  }
  const child = spawn(projectNode, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
      return;
    }
    process.exit(code ?? 1);
  });
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../main/cli/index.ts');
}
