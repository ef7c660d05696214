import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.tmp/', 'test/generator/fixtures/**/out/', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  {
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The runtime is what users ship: it must never pull in build-time tooling.
    files: ['runtime/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/generator/**', '**/cli/**', '**/templates/**'],
              message: 'runtime/ must not import build-time code.',
            },
            {
              group: ['ts-morph', 'handlebars', 'clipanion', 'tsx', 'tsx/*'],
              message: 'runtime/ must stay free of build-time dependencies.',
            },
          ],
        },
      ],
    },
  },
);
