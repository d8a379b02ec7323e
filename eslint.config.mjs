// Lint rules, including the layer rules of the architecture (VS Code style): each folder may import only
// from the layers below it. The per-folder tsconfig files enforce the same split for platform APIs.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const noElectron = { name: 'electron', message: 'Only main/shell-electron/ may import electron.' };
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
  // shared/: pure code, imports only shared/.
  {
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [noElectron],
          patterns: [
            {
              group: ['**/main/**', '**/renderer/**', '../main/*', '../renderer/*'],
              message: 'shared/ imports only shared/.',
            },
            { group: nodeBuiltins, message: 'shared/ runs in the renderer too: no Node built-ins.' },
          ],
        },
      ],
    },
  },
  // renderer/: imports renderer/ and shared/ only; talks to main through the contract.
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.tsx'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': [
        'error',
        {
          paths: [noElectron],
          patterns: [
            { group: ['**/main/**', '../../main/*'], message: 'renderer/ knows only the contract in shared/.' },
            { group: nodeBuiltins, message: 'renderer/ has no Node.' },
          ],
        },
      ],
    },
  },
  // main/: never imports renderer/, and only the Electron shell imports electron.
  {
    files: ['main/**/*.ts'],
    ignores: ['main/shell-electron/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [noElectron],
          patterns: [{ group: ['**/renderer/**'], message: 'main/ never imports renderer/.' }],
        },
      ],
    },
  },
  // Pure AT parsing code (runs inside worker threads): no I/O, no Node built-ins beyond none.
  {
    files: ['main/at/parser/**/*.ts'],
    ignores: ['main/at/parser/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [noElectron, { name: 'serialport', message: 'Parsing code is pure: no I/O.' }],
          patterns: [
            { group: nodeBuiltins, message: 'Parsing code is pure: no Node built-ins.' },
            {
              group: ['**/engine/**', '**/transport/**', '**/emulator/**', '**/core/**'],
              message: 'Parsing code imports only pure code.',
            },
          ],
        },
      ],
    },
  },
  // The station core meets the emulator only through a transport.
  {
    files: ['main/core/**/*.ts', 'main/at/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [noElectron],
          patterns: [
            { group: ['**/emulator/**'], message: 'The core meets virtual modules only through a transport.' },
          ],
        },
      ],
    },
  },
  prettier,
);
