// Lint rules, including the layer rules of the architecture (VS Code style): each folder may import only
// from the layers below it. The per-folder tsconfig files enforce the same split for platform APIs.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import reactHooks from 'eslint-plugin-react-hooks';
import boundaries from 'eslint-plugin-boundaries';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const noElectron = { name: 'electron', message: 'Only main/shell-electron/ may import electron.' };

/**
 * The layers, as an allow-list: every source folder is one element, and each element lists the elements it may
 * import (besides itself). Anything not listed is an error, and so is a source file in a folder that is not
 * listed here (boundaries/no-unknown-files): a new folder joins the table before it can hold code. More specific
 * patterns come first. Tests, fixtures, e2e/ and bench/ may import anything; production code never imports them.
 */
const layers = [
  { type: 'shared', pattern: 'shared/**', allow: [] },
  { type: 'renderer', pattern: 'renderer/**', allow: ['shared'] },
  { type: 'base', pattern: 'main/base/**', allow: [] },
  { type: 'platform', pattern: 'main/platform/**', allow: ['base'] },
  { type: 'catalogue', pattern: 'main/catalogue/**', allow: ['base'] },
  // The parser runs in worker threads: pure code only (its Node built-ins are refused below as well).
  { type: 'parser', pattern: 'main/at/parser/**', allow: ['at-vocab', 'catalogue', 'base'] },
  // The AT vocabulary: event, request and error types shared by the parser, engine, commands and decoder.
  { type: 'at-vocab', pattern: 'main/at/vocab/**', allow: ['catalogue', 'base'] },
  {
    type: 'at',
    pattern: 'main/at/**',
    allow: ['at-vocab', 'parser', 'catalogue', 'transport', 'platform', 'base'],
  },
  { type: 'transport', pattern: 'main/transport/**', allow: ['platform', 'base'] },
  { type: 'cloud', pattern: 'main/cloud/**', allow: ['base'] },
  { type: 'broker', pattern: 'main/broker/**', allow: ['base'] },
  {
    type: 'emulator',
    pattern: 'main/emulator/**',
    allow: ['at', 'at-vocab', 'parser', 'catalogue', 'cloud', 'transport', 'platform', 'base'],
  },
  {
    type: 'store',
    pattern: 'main/store/**',
    allow: ['catalogue', 'base'],
  },
  {
    type: 'core',
    pattern: 'main/core/**',
    allow: ['at', 'at-vocab', 'parser', 'catalogue', 'transport', 'store', 'platform', 'base', 'shared'],
  },
  {
    type: 'provisioning',
    pattern: 'main/provisioning/**',
    allow: ['core', 'at', 'at-vocab', 'parser', 'catalogue', 'cloud', 'store', 'base', 'shared'],
  },
  { type: 'reports', pattern: 'main/reports/**', allow: ['store', 'catalogue', 'base', 'shared'] },
  { type: 'shell-web', pattern: 'main/shell-web/**', allow: ['core', 'transport', 'base', 'shared'] },
  // The composition root: wires every service; the only production code that meets the emulator.
  {
    type: 'app',
    pattern: 'main/app/**',
    allow: [
      'core',
      'provisioning',
      'store',
      'reports',
      'at',
      'at-vocab',
      'parser',
      'catalogue',
      'transport',
      'cloud',
      'broker',
      'emulator',
      'shell-web',
      'platform',
      'base',
      'shared',
    ],
  },
  {
    type: 'shell-electron',
    pattern: 'main/shell-electron/**',
    allow: ['app', 'core', 'shell-web', 'transport', 'platform', 'base', 'shared'],
  },
  {
    type: 'cli',
    pattern: 'main/cli/**',
    allow: [
      'app',
      'core',
      'provisioning',
      'store',
      'reports',
      'at',
      'at-vocab',
      'parser',
      'catalogue',
      'transport',
      'cloud',
      'broker',
      'emulator',
      'platform',
      'base',
      'shared',
    ],
  },
  // Test helpers (real brokers, certificates, processes, virtual modules on ptys, scripted transports): used by
  // tests, e2e/ and bench/ only; no production folder imports them.
  {
    type: 'testing',
    pattern: 'main/testing/**',
    allow: ['emulator', 'transport', 'at', 'at-vocab', 'parser', 'catalogue', 'base'],
  },
];
const testFiles = ['**/*.test.ts', '**/fixtures/**', 'e2e/**', 'bench/**'];
const nodeBuiltins = ['node:*', 'fs', 'path', 'os', 'child_process', 'net', 'tls', 'worker_threads', 'crypto'];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'release/', 'test-results/', 'playwright-report/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-confusing-void-expression': 'off',
      '@typescript-eslint/no-unnecessary-condition': ['error', { allowConstantLoopConditions: true }],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { ...globals.node },
    },
  },
  // The layer table above, enforced on every production source file.
  {
    files: ['main/**/*.ts', 'shared/**/*.ts', 'renderer/**/*.ts', 'renderer/**/*.tsx'],
    ignores: testFiles,
    plugins: { boundaries },
    settings: {
      'boundaries/elements': layers.map(({ type, pattern }) => ({ type, pattern, partialMatch: false })),
      'boundaries/include': ['main/**', 'shared/**', 'renderer/**'],
      'boundaries/ignore': testFiles,
      'import/resolver': { typescript: { alwaysTryTypes: true } },
    },
    rules: {
      'boundaries/dependencies': [
        'error',
        {
          default: 'disallow',
          message:
            '{{from.element.type}} may not import {{to.element.type}} (see the layer table in eslint.config.mjs)',
          policies: layers.map(({ type, allow }) => ({
            from: { element: { type } },
            allow: { to: { element: { types: { anyOf: [type, ...allow] } } } },
          })),
        },
      ],
      'boundaries/no-unknown-files': 'error',
      'boundaries/no-unknown-dependencies': 'error',
    },
  },
  // Beyond the layer table: which packages and platform APIs each kind of code may use.
  // shared/ runs in the renderer too, and the parser and catalogue run inside worker threads: no Node, no I/O.
  {
    files: ['shared/**/*.ts', 'main/base/**/*.ts', 'main/catalogue/**/*.ts', 'main/at/parser/**/*.ts'],
    ignores: testFiles,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [noElectron, { name: 'serialport', message: 'Pure code: no I/O.' }],
          patterns: [{ group: nodeBuiltins, message: 'Pure code (renderer, worker threads): no Node built-ins.' }],
        },
      ],
    },
  },
  // renderer/: no Node; talks to main through the contract only.
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.tsx'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': [
        'error',
        {
          paths: [noElectron],
          patterns: [{ group: nodeBuiltins, message: 'renderer/ has no Node.' }],
        },
      ],
    },
  },
  // Only the Electron shell imports electron.
  {
    files: ['main/**/*.ts'],
    ignores: ['main/shell-electron/**', 'main/base/**', 'main/catalogue/**', 'main/at/parser/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [noElectron] }] },
  },
  prettier,
);
