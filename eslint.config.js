// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.services/', '.tap/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // The web console: plain browser modules, no build step.
    files: ['console/**/*.js'],
    languageOptions: {
      globals: Object.fromEntries(
        [
          'window',
          'document',
          'location',
          'fetch',
          'sessionStorage',
          'setTimeout',
          'clearTimeout',
          'setInterval',
          'clearInterval',
          'CustomEvent',
          'CSS',
          'Node',
        ].map((g) => [g, 'readonly']),
      ),
    },
  },
  {
    files: ['bin/**/*.js'],
    languageOptions: { globals: { URL: 'readonly', process: 'readonly', console: 'readonly' } },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Type-aware rules for what a runtime full of background work gets wrong most: a promise
    // nobody awaits or catches, a promise where a callback expects a plain value, an await on a
    // value that is not a promise.
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          // tap queues subtests itself: t.test() needs no await.
          allowForKnownSafeCalls: [{ from: 'package', package: '@tapjs/test', name: 'test' }],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  {
    // Plugins see the runtime only through its API, so the engine can change without breaking them.
    files: ['connectors/**', 'transforms/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)runtime/(?!api(/|\\.js$|$))',
              message: 'Connectors and transforms may import only runtime/api (the plugin contract).',
            },
          ],
        },
      ],
    },
  },
  {
    // The engine knows nothing of the application: the commands, the demo, the generator and the
    // built-in plugins sit above it and are wired together in cli/.
    files: ['runtime/**'],
    ignores: ['runtime/api/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)(cli|demo|connectors|transforms|generator)(/|$)',
              message: 'runtime/ imports nothing from cli/, connectors/, transforms/ or generator/: wire plugins in cli/.',
            },
          ],
        },
      ],
    },
  },
  {
    // The contract depends on nothing in the engine, so plugins cannot reach it transitively.
    files: ['runtime/api/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^\\.\\./', message: 'runtime/api must not import from the rest of runtime/.' }] }],
    },
  },
);
