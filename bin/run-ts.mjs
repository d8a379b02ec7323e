#!/usr/bin/env node
// Runs a TypeScript entry point (benchmarks, scripts) under Node with tsx's loader: `node bin/run-ts.mjs FILE [ARGS]`.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';

const file = process.argv[2];
if (!file) {
  console.error('usage: node bin/run-ts.mjs FILE.ts [ARGS...]');
  process.exit(2);
}
process.argv.splice(1, 1);
register();
await import(pathToFileURL(path.resolve(file)).href);
