import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/dist/',
      'generator/templates/',
      'node_modules/',
      'coverage/',
      '.tmp/',
      'test/generator/fixtures/**/out/',
      '**/*.d.ts',
    ],
  },
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
  ...dependencyRules(),
  errorContract(),
);

/**
 * Every error the runtime and the CLI throw on purpose is an ArqError with a stable `code`, listed in
 * docs/errors.md (docs/architecture.md). test/unit/error-contract.test.ts lints a probe that breaks the rule.
 */
function errorContract() {
  const message = 'Throw an ArqError subclass with a stable code (runtime/errors.ts), listed in docs/errors.md.';
  const builtIn = '[callee.name=/^(Error|TypeError|RangeError)$/]';
  return {
    files: ['runtime/**/*.ts', 'cli/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: `ThrowStatement > NewExpression${builtIn}`, message },
        { selector: `ThrowStatement > CallExpression${builtIn}`, message },
      ],
    },
  };
}

/**
 * The five dependency directions of docs/architecture.md, one entry per folder. test/unit/dependency-rules.test.ts
 * writes a probe file that breaks each rule and checks that lint refuses it.
 */
function dependencyRules() {
  const buildTimeCode = ['**/generator/**', '**/cli/**', '**/templates/**'];
  const rule = (files, patterns) => ({ files, rules: { 'no-restricted-imports': ['error', { patterns }] } });
  return [
    // The runtime is what users ship: it must never pull in build-time tooling or one project's generated code.
    rule(
      ['runtime/**/*.ts'],
      [
        {
          group: [...buildTimeCode, '**/generated/**'],
          message: 'runtime/ must not import build-time or generated code.',
        },
        {
          group: ['ts-morph', 'handlebars', 'clipanion', 'tsx', 'tsx/*'],
          message: 'runtime/ must stay free of build-time dependencies.',
        },
      ],
    ),
    // Generated code runs in the user's app: the runtime and the schema file only.
    rule(
      ['generated/**/*.ts'],
      [{ group: buildTimeCode, message: 'generated/ may import only the runtime and the job schema.' }],
    ),
    // The generator reads the schema, never the user's handlers (they may not exist yet, and may not compile).
    // It is its own package (arq-gen): it reaches the runtime through the installed rabbitmq-arq only.
    rule(
      ['generator/**/*.ts'],
      [
        {
          group: ['**/handlers/**', '**/generated/**'],
          message: 'generator/ must not import handlers or generated code.',
        },
        {
          group: ['**/runtime/**', '**/cli/**'],
          message:
            "generator/ is the arq-gen package: import the runtime as 'rabbitmq-arq' or 'rabbitmq-arq/internal'.",
        },
      ],
    ),
    // The operator CLI ships in the runtime package, which must not carry the generator's build tools.
    rule(
      ['cli/**/*.ts'],
      [
        {
          group: ['**/generator/**', '**/templates/**'],
          message: 'cli/ ships in rabbitmq-arq: it must not import the generator.',
        },
        { group: ['ts-morph', 'handlebars'], message: 'cli/ ships in rabbitmq-arq: it must stay free of build tools.' },
      ],
    ),
  ];
}
