import { randomInt } from 'node:crypto';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { ChaosSpecError, chaosKnobNames, parseChaos, type ChaosKnobs } from '../harness/chaos.ts';
import type { ClockMode } from '../harness/runtime/index.ts';
import { replayCommand } from '../runner/report.ts';
import {
  BugPatchError,
  ImplLoadError,
  TestSelectionError,
  loadImplementation,
  referenceImplDir,
  resolveImplDir,
  runTest,
  selectTests,
  type NodeLogLine,
} from '../harness/tester/index.ts';

export interface TestCommandOptions {
  /** Chaos knobs, parsed from --chaos. */
  chaos?: ChaosKnobs;
  mode: ClockMode;
  seed?: number;
  count: number;
  impl?: string;
  verbose?: boolean;
  persistDir?: string;
}

const parsePositiveInt = (name: string) => (value: string): number => {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got '${value}'`);
  return n;
};

function formatLog(line: NodeLogLine): string {
  const fields = line.fields ? ' ' + JSON.stringify(line.fields) : '';
  return `${String(Math.round(line.atMs)).padStart(7)} ${line.topic} S${line.node} ${line.message}${fields}`;
}

/** `raftlab test`: the graded tests, printed as `go test` prints them. Returns the exit status. */
export async function testCommand(
  pattern: string | undefined,
  options: TestCommandOptions,
  out: Pick<NodeJS.WritableStream, 'write'> = process.stdout,
): Promise<number> {
  const write = (line: string): void => void out.write(line + '\n');
  let tests;
  let impl;
  try {
    tests = selectTests(pattern);
    impl = await loadImplementation(resolveImplDir(options.impl ?? referenceImplDir));
  } catch (error) {
    if (error instanceof TestSelectionError || error instanceof ImplLoadError || error instanceof BugPatchError) {
      process.stderr.write(`raftlab: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const baseSeed = options.seed ?? randomInt(1, 2 ** 31);
  const started = performance.now();
  let virtualMs = 0;
  let failures = 0;
  for (let i = 0; i < options.count; i++) {
    for (const test of tests) {
      const seed = baseSeed + i;
      // One folder per run, so a later run never overwrites what an earlier one persisted.
      const persistDir = options.persistDir ? path.resolve(options.persistDir, `${test.id}-seed${seed}`) : undefined;
      const result = await runTest(test, {
        mode: options.mode,
        seed,
        make: impl.make,
        onOutput: write,
        ...(options.chaos ? { chaos: options.chaos } : {}),
        ...(options.verbose ? { onLog: (line: NodeLogLine) => write(formatLog(line)) } : {}),
        ...(persistDir ? { persistDir } : {}),
      });
      if (persistDir) write(`    persisted state: ${persistDir}/node-*.json`);
      virtualMs += result.testMs;
      if (result.status !== 'pass') {
        failures++;
        write(`--- FAIL: ${result.id} (${(result.testMs / 1000).toFixed(2)}s)`);
        if (result.status === 'error') write(`    error${result.errorCode ? ` (${result.errorCode})` : ''}: ${result.message ?? ''}`);
        else for (const message of result.failureMessages) write(`    ${message}`);
        if (result.stack && options.verbose) write(result.stack.split('\n').map((l) => `    ${l}`).join('\n'));
        write(`    seed ${result.seed} (${result.mode} clock); replay: ${replayCommand(result, options.impl)}`);
        if (result.mode === 'real') write('    (a real-clock run follows the machine\'s timing, so a replay may not fail the same way)');
      }
    }
  }
  const wallSeconds = ((performance.now() - started) / 1000).toFixed(3);
  const clockNote = options.mode === 'sim' ? ` (sim: ${(virtualMs / 1000).toFixed(1)}s of virtual time)` : '';
  if (failures === 0) {
    write('PASS');
    write(`ok  raft  ${wallSeconds}s${clockNote}`);
    return 0;
  }
  write('FAIL');
  write(`FAIL  raft  ${wallSeconds}s${clockNote}  (${failures} failed)`);
  return 1;
}

/** commander's parser for --chaos: a bad spec is a usage error naming the knobs. */
export function parseChaosOption(spec: string): ChaosKnobs {
  try {
    return parseChaos(spec);
  } catch (error) {
    if (error instanceof ChaosSpecError) throw new InvalidArgumentError(error.message);
    throw error;
  }
}

export function registerTestCommand(program: Command): void {
  program
    .command('test')
    .description('run the graded tests (PATTERN: a regular expression over test ids, e.g. 2A, TestBackup2B, 2[AB])')
    .argument('[pattern]', 'which tests to run (default: all)')
    .addOption(new Option('--mode <clock>', 'real: wall clock, as the course grades; sim: virtual time, replayable').choices(['sim', 'real']).default('sim'))
    .option('--seed <n>', 'seed of the first run (default: random); run i uses seed + i', parsePositiveInt('--seed'))
    .option('--count <n>', 'run each test n times', parsePositiveInt('--count'), 1)
    .option('--impl <dir>', 'the Raft implementation folder (default: the reference, labs/raft)')
    .option('--persist-dir <dir>', "keep each node's persisted state in readable JSON files: dir/<test>-seed<n>/node-<i>.json")
    .option('--chaos <knobs>', `harsher conditions, e.g. drop=0.05,quantum=250,crash=6 (${chaosKnobNames})`, parseChaosOption)
    .option('-v, --verbose', "print the implementation's log lines, and stacks of errors")
    .action(async (pattern: string | undefined, options: TestCommandOptions) => {
      process.exitCode = await testCommand(pattern, options);
    });
}

export function registerListCommand(program: Command): void {
  program
    .command('list')
    .description('list the graded tests: id, part, servers, description')
    .argument('[pattern]', 'only tests whose id matches this regular expression')
    .action((pattern: string | undefined) => {
      try {
        for (const test of selectTests(pattern)) {
          process.stdout.write(`${test.id.padEnd(34)} ${test.part}  ${test.servers}  ${test.description}\n`);
        }
      } catch (error) {
        if (!(error instanceof TestSelectionError)) throw error;
        process.stderr.write(`raftlab: ${error.message}\n`);
        process.exitCode = 2;
      }
    });
}
