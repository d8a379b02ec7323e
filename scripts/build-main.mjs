// Bundles the main-process side into dist/main/ with esbuild: the Electron main process and its preload (CJS, as
// Electron loads them), the command line (ESM, top-level await) and the AT parser worker (ESM, started by the
// parser pool from beside the bundle that imports it). Native and runtime-provided modules stay external.
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

// `--cli-only DIR`: the command line and its worker alone, into DIR (the tests run the command line from such a
// bundle, built once per test run: see main/testing/cli-bundle.global.ts). DIR must be two levels below the
// repository, as dist/main is, so the bundle finds dist/renderer where the built command line does.
const cliOnly = process.argv.indexOf('--cli-only');
const outdir = cliOnly >= 0 ? process.argv[cliOnly + 1] : `${root}dist/main`;
if (outdir === undefined) throw new Error('--cli-only needs the folder to write to');

// Native addons, Electron itself, and build-time tools the station only loads on demand.
const external = ['electron', 'serialport', '@serialport/*', 'better-sqlite3', 'vite', 'tsx', 'tsx/*', 'fsevents'];

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

// The command line runs beside its node_modules (from a checkout or an installed package): its packages stay
// external and load as installed, so they behave exactly as under `npx fleet-station` (Node, for one, warns about
// deprecated calls only from code outside node_modules).
const cli = {
  ...common,
  packages: 'external',
  entryPoints: { cli: 'main/cli/index.ts', 'parser-worker': 'main/at/worker/parser-worker.ts' },
  format: 'esm',
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
  outdir,
};

await rm(outdir, { recursive: true, force: true });
if (cliOnly >= 0) {
  await build(cli);
  process.exit(0);
}
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
  build(cli),
]);
process.stdout.write(`built dist/main: electron-main.cjs, preload.cjs, cli.js, parser-worker.js\n`);
