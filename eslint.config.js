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

// Layers point one way: labs/api (and the trace schema, plain types) -> harness -> trace -> checker / golab / runner ->
// cli / main (and shared, the IPC contract) -> renderer. Each block names what its files may not import: an upward
// import is a lint error (test/lint/layers.test.ts shows one). Import cycles are refused by `npm run cycles`.
const upward = (layer, ...names) => ({
  group: names.flatMap((n) => [`**/${n}/*`, `**/${n}/**`]),
  message: `${layer} must not import from ${names.join(', ')}: layers point one way (labs/api -> harness -> trace -> checker/runner -> cli/main -> renderer)`,
});
const typesOnly = (layer, names, except = []) => ({
  group: [...names.flatMap((n) => [`**/${n}/*`, `**/${n}/**`]), ...except.map((e) => `!**/${e}`)],
  allowTypeImports: true,
  message: `${layer} may import only types from ${names.join(', ')}`,
});
const layers = [
  { files: ['labs/api/**'], patterns: [{ group: ['../*', '../**'], message: 'the student API stands alone: it imports nothing of raftlab' }] },
  {
    files: ['labs/raft/**', 'labs/skeleton/**', 'labs/corpus/**'],
    patterns: [
      { group: ['**/src/**'], message: "a Raft implementation uses only the student API (labs/api, or 'raftlab/api')" },
      { group: ['../../raft/**', '../raft/**', '**/labs/raft/**'], message: 'the corpus and the skeleton are written apart from the reference' },
    ],
  },
  {
    files: ['src/harness/**'],
    patterns: [upward('the harness', 'runner', 'checker', 'golab', 'cli', 'main', 'renderer', 'shared'), typesOnly('the harness', ['trace'])],
  },
  { files: ['src/trace/**'], patterns: [upward('the trace module', 'runner', 'checker', 'golab', 'cli', 'main', 'renderer', 'shared')] },
  { files: ['src/checker/**'], patterns: [upward('the checker', 'runner', 'golab', 'cli', 'main', 'renderer', 'shared')] },
  // Go labs (build cache, process, output reading) sit beside the checker: the runner drives them.
  { files: ['src/golab/**'], patterns: [upward('the Go lab module', 'runner', 'checker', 'grade', 'cli', 'main', 'renderer', 'shared')] },
  { files: ['src/runner/**'], patterns: [upward('the runner', 'cli', 'main', 'renderer', 'shared', 'grade')] },
  { files: ['src/grade/**'], patterns: [upward('grading', 'cli', 'main', 'renderer', 'shared')] },
  { files: ['src/cli/**'], patterns: [upward('the CLI', 'main', 'renderer')] },
  { files: ['src/main/**'], patterns: [upward('the app back end', 'cli', 'renderer')] },
  { files: ['src/shared/**'], patterns: [upward('the IPC contract', 'cli', 'main', 'renderer'), typesOnly('the IPC contract', ['runner', 'checker'])] },
  {
    // The renderer's own trace/ folder is the viewer; src/trace is reached from two or more levels up.
    files: ['src/renderer/**'],
    patterns: [
      {
        group: [
          ...['harness', 'runner', 'checker', 'golab', 'main', 'cli', 'build'].flatMap((n) => [`**/${n}/*`, `**/${n}/**`]),
          ...['../../', '../../../', '../../../../'].map((up) => `${up}trace/*`),
          ...['describe.ts', 'stable-logs.ts', 'events.ts', 'schema.ts', 'page-text.ts'].flatMap((f) => ['../../', '../../../', '../../../../'].map((up) => `!${up}trace/${f}`)),
        ],
        allowTypeImports: true,
        message: "the renderer imports values only from src/shared and src/trace's browser-safe modules (describe, stable-logs, events, schema, page-text); from anywhere else, types only",
      },
    ],
  },
].map(({ files, patterns }) => ({ files, rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns }] } }));

// esbuild cannot tree-shake zod's namespace reached through the named `z` (or the default): raftlab's own build then
// carries all of zod's locales, ~600 KB more for the CLI to compile at every start.
const zodImports = [
  {
    selector: "ImportDeclaration[source.value='zod'] > :matches(ImportSpecifier[imported.name='z'], ImportDefaultSpecifier)",
    message: "import * as z from 'zod': the named z (or the default) pulls every zod locale into raftlab's build",
  },
];

/** raftlab's own code (tests may build odd objects on purpose). */
const productSyntax = [
  ...zodImports,
  {
    // Measured: such a literal made for every RPC (a timer's `get active`) kept each call alive until a full collection.
    selector: "ObjectExpression > Property[kind=/^(get|set)$/]",
    message: 'a getter or setter in an object literal gives every object a hidden class of its own, which V8 keeps (with all the accessor reaches) until a full collection: use a class',
  },
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
      'no-restricted-syntax': ['error', ...zodImports],
    },
  },
  {
    files: ['src/**', 'labs/**'],
    rules: { 'no-restricted-syntax': ['error', ...productSyntax] },
  },
  {
    // CommonJS on purpose: the CLI's start (bin/package.json, src/build/self-fresh.cjs) skips Node's ES module loader.
    files: ['bin/**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['src/renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
  ...layers,
  {
    files: ['src/harness/**', 'labs/**'],
    ignores: ['src/harness/runtime/**'],
    rules: {
      'no-restricted-globals': ['error', ...clockGlobals],
      'no-restricted-properties': ['error', ...clockProperties],
      // This block's no-restricted-syntax replaces the one every file gets, so it repeats those rules.
      'no-restricted-syntax': [
        'error',
        ...productSyntax,
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'new Date() reads the wall clock: use runtime.now() from the runtime seam instead',
        },
      ],
    },
  },
);
