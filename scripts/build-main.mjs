// Bundles the main-process side into dist/main/ with esbuild: the Electron main process and its preload (CJS, as
// Electron loads them), the command line (ESM, top-level await) and the AT parser worker (ESM, started by the
// parser pool from beside the bundle that imports it). Native and runtime-provided modules stay external.
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}dist/main`;

// Native addons, Electron itself, and build-time tools the station only loads on demand.
const external = ['electron', 'serialport', '@serialport/*', 'vite', 'tsx', 'tsx/*', 'fsevents'];

// CJS has no import.meta.url; code that locates files beside itself (the parser pool) gets the bundle's own URL.
const cjsImportMeta = {
  banner: {
    js:
      "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;\n" +
      "const __bundleResolve = (specifier) => require('node:url').pathToFileURL(require.resolve(specifier)).href;",
  },
  define: { 'import.meta.url': '__bundleUrl', 'import.meta.resolve': '__bundleResolve' },
};

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  absWorkingDir: root,
  external,
};

await rm(outdir, { recursive: true, force: true });
await Promise.all([
  build({
    ...common,
    ...cjsImportMeta,
    entryPoints: { 'electron-main': 'main/shell-electron/main.ts' },
    format: 'cjs',
    outExtension: { '.js': '.cjs' },
    outdir,
  }),
  build({
    ...common,
    entryPoints: { preload: 'main/shell-electron/preload.ts' },
    format: 'cjs',
    outExtension: { '.js': '.cjs' },
    outdir,
  }),
  build({
    ...common,
    entryPoints: { cli: 'main/cli/index.ts', 'parser-worker': 'main/at/worker/parser-worker.ts' },
    format: 'esm',
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
    outdir,
  }),
]);
process.stdout.write(`built dist/main: electron-main.cjs, preload.cjs, cli.js, parser-worker.js\n`);
