// Lint, including the layer rules of ARCHITECTURE.md (what may import what).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)].filter((m) => !m.startsWith('_'));
const restrict = (names, patterns, message) => ({
  'no-restricted-imports': ['error', { paths: names.map((name) => ({ name, message })), patterns: patterns.map((group) => ({ group: [group], message })) }],
});

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'release/**', 'test-results/**', 'test/output/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'off',
    },
  },
  {
    files: ['shared/**/*.ts'],
    rules: restrict(['electron', 'react', ...nodeBuiltins], ['node:*', 'electron/*', '../main/*', '../server/*', '../renderer/*'],
      'shared/ is pure TypeScript: no node:*, no DOM, no electron, no other layer.'),
  },
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.tsx'],
    languageOptions: { globals: { ...globals.browser } },
    rules: restrict(['electron', 'axios', ...nodeBuiltins], ['node:*', 'electron/*', '**/main/**', '**/server/**'],
      'renderer/ talks to main only through the typed API (window.warden); no node, no electron, no direct PBX access.'),
  },
  {
    files: ['server/**/*.ts'],
    rules: restrict(['electron'], ['electron/*', '**/main/**', '**/renderer/**'], 'server/ imports shared/ only.'),
  },
  {
    files: ['main/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.mjs'],
    ignores: ['main/electron/**'],
    rules: restrict(['electron'], ['electron/*'], 'Only main/electron/ may import electron.'),
  },
  {
    files: ['main/core/**/*.ts'],
    rules: restrict(['electron'], ['electron/*', '**/renderer/**', '../electron/*', '../browser/*'],
      'main/core is plain Node services: no electron, no composition roots.'),
  },
);
