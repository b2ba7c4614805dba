// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import pluginVue from 'eslint-plugin-vue';
import globals from 'globals';

// Time and randomness enter through one seam: src/harness/runtime. Everywhere the harness or a Raft
// implementation runs, these globals would make a sim run depend on the wall clock or an unseeded
// generator, so they are forbidden outside the runtime module itself.
const clockGlobals = [
  ['setTimeout', 'runtime.sleep(ms) or runtime.timer(...)'],
  ['setInterval', 'a loop over runtime.sleep(ms)'],
  ['setImmediate', 'runtime.sleep(0)'],
  ['clearTimeout', 'Timer.stop()'],
  ['clearInterval', 'Timer.stop()'],
  ['queueMicrotask', 'await (microtasks are deterministic, but keep scheduling in the runtime)'],
].map(([name, instead]) => ({ name, message: `use ${instead} from the runtime seam (src/harness/runtime) instead` }));

const clockProperties = [
  { object: 'Date', property: 'now', message: 'use runtime.now() from the runtime seam instead' },
  { object: 'performance', property: 'now', message: 'use runtime.now() from the runtime seam instead' },
  { object: 'Math', property: 'random', message: 'use runtime.random or runtime.stream(name) instead' },
  { object: 'crypto', property: 'randomUUID', message: 'use runtime.stream(name) instead' },
  { object: 'crypto', property: 'getRandomValues', message: 'use runtime.stream(name) instead' },
  { object: 'globalThis', property: 'setTimeout', message: 'use runtime.sleep / runtime.timer instead' },
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'out/**', 'dist/**', '.raftlab/**', 'tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...pluginVue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.vue'] } },
  },
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: { ...globals.node },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: ['src/renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['src/harness/**', 'labs/**'],
    ignores: ['src/harness/runtime/**'],
    rules: {
      'no-restricted-globals': ['error', ...clockGlobals],
      'no-restricted-properties': ['error', ...clockProperties],
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'new Date() reads the wall clock: use runtime.now() from the runtime seam instead',
        },
      ],
    },
  },
);
