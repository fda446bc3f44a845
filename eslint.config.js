// Lint for every package: typescript-eslint's recommended rules, plus nx module boundaries so that
// pure packages (bytes, ring, vclock, gossip, protocol) can neither depend on Node-only packages nor import
// Node built-ins: they must run unchanged in browsers and under a deterministic simulator.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import nx from '@nx/eslint-plugin';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/src/gen/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          allow: [],
          depConstraints: [
            { sourceTag: 'type:pure', onlyDependOnLibsWithTags: ['type:pure'], bannedExternalImports: nodeBuiltins },
            { sourceTag: 'type:universal', onlyDependOnLibsWithTags: ['type:pure', 'type:universal'] },
            { sourceTag: 'type:node', onlyDependOnLibsWithTags: ['type:pure', 'type:universal', 'type:node'] },
          ],
        },
      ],
    },
  },
  {
    // nx does not treat Node built-ins as external imports, so the ban on them is spelled out here.
    files: ['packages/{bytes,ring,vclock,gossip,protocol}/src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: nodeBuiltins.map((name) => ({ name, message: 'pure packages must not use Node built-ins' })) }],
    },
  },
  {
    // Tests and benchmarks of pure packages may use Node (timers in benches, fs for fixtures).
    files: ['**/*.test.ts', '**/test/**/*.ts', '**/bench/**/*.ts', '**/test-support/**/*.ts'],
    rules: { '@nx/enforce-module-boundaries': 'off', 'no-restricted-imports': 'off' },
  },
);
