/**
 * `raftlab run`: repeated, parallel, isolated runs of the graded tests on worker threads, with live progress,
 * a closing table (failure rate with its 95 % Wilson interval, durations), failure clusters, JSON and JUnit output,
 * and a results history.
 */
import { randomInt } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { chaosKnobNames, formatChaos, type ChaosKnobs } from '../harness/chaos.ts';
import type { ClockMode } from '../harness/runtime/index.ts';
import { parseChaosOption } from './test-command.ts';
import {
  BugPatchError,
  ImplLoadError,
  TestSelectionError,
  loadImplementation,
  referenceImplDir,
  resolveImplDir,
  selectTests,
} from '../harness/tester/index.ts';
import { runBatch } from '../runner/batch.ts';
import { History, resolveDataDir, type BatchRecorder } from '../runner/history.ts';
import { Progress } from '../runner/progress.ts';
import { batchJson, formatClusters, formatSummaryTable, junitXml, replayCommand } from '../runner/report.ts';
import type { RunRecord, TraceKeep } from '../runner/types.ts';

export interface RunCommandOptions {
  count: number;
  parallel?: number;
  mode: ClockMode;
  seed?: number;
  impl?: string;
  stopOnFail?: boolean;
  json?: string;
  junit?: string;
  /** commander's --no-history sets history: false. */
  history?: boolean;
  data?: string;
  /** Watchdog per run, in seconds of wall time. */
  timeout?: number;
  freshWorkers?: boolean;
  /** Force the TTY progress renderer on or off (tests). */
  tty?: boolean;
  /** Which runs keep their trace file (default: failed). */
  keep?: TraceKeep;
  /** Where trace files go (default: <data>/traces/<batch>). */
  out?: string;
  /** Run the safety checker on every run. */
  check?: boolean;
  /** Chaos knobs, parsed from --chaos. */
  chaos?: ChaosKnobs;
}

export interface RunCommandIo {
  out: Pick<NodeJS.WriteStream, 'write'> & { isTTY?: boolean };
  err: Pick<NodeJS.WriteStream, 'write'>;
  argv: string[];
}

const nonNegativeInt = (name: string, min = 0) => (value: string): number => {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, got '${value}'`);
  return n;
};

function failureLines(record: RunRecord, implArg: string | undefined): string[] {
  const what =
    record.status === 'fail'
      ? record.failureMessages.map((m) => `    ${m}`)
      : [`    ${record.status}${record.errorCode ? ` (${record.errorCode})` : ''}: ${record.message ?? ''}`];
  return [
    `--- ${record.status.toUpperCase()}: ${record.id} seed ${record.seed}`,
    ...what,
    `    replay: ${replayCommand(record, implArg)}`,
    ...(record.traceFile ? [`    trace: ${record.traceFile}  (npx raftlab replay ${JSON.stringify(record.traceFile)})`] : []),
  ];
}

/** Run the batch; returns the exit status (0 all passed, 1 some run failed, 2 bad input). */
export async function runCommand(pattern: string | undefined, options: RunCommandOptions, io?: Partial<RunCommandIo>): Promise<number> {
  const out = io?.out ?? process.stdout;
  const err = io?.err ?? process.stderr;
  const argv = io?.argv ?? process.argv.slice(2);
  const write = (line: string): void => void out.write(line + '\n');
  let tests;
  let implDir;
  try {
    tests = selectTests(pattern);
    // Load it once here to report a bad folder before the batch starts. A planted bug is recorded by its own folder;
    // the workers load its materialized copy.
    implDir = path.resolve(options.impl ?? referenceImplDir);
    await loadImplementation(resolveImplDir(implDir));
  } catch (error) {
    if (error instanceof TestSelectionError || error instanceof ImplLoadError || error instanceof BugPatchError) {
      err.write(`raftlab: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const parallel = options.parallel ?? Math.max(1, (os.availableParallelism?.() ?? os.cpus().length) - 0);
  const baseSeed = options.seed ?? randomInt(1, 2 ** 31);
  const implArg = options.impl;
  const total = tests.length * options.count;

  let recorder: BatchRecorder | undefined;
  if (options.history !== false) {
    try {
      const history = new History(resolveDataDir(options.data), { warn: (m) => void err.write(m + '\n') });
      recorder = history.startBatch({
        pattern: pattern ?? '',
        tests: tests.map((t) => t.id),
        mode: options.mode,
        baseSeed,
        count: options.count,
        parallel,
        implDir,
        argv,
        ...(options.chaos && formatChaos(options.chaos) ? { chaos: options.chaos } : {}),
      });
    } catch (error) {
      err.write(`raftlab: not recording history: ${(error as Error).message}\n`);
    }
  }

  write(
    `raftlab run: ${tests.length} test${tests.length === 1 ? '' : 's'} x ${options.count} = ${total} runs, ` +
      `${options.mode} clock, seeds ${baseSeed}..${baseSeed + options.count - 1}, ${parallel} worker${parallel === 1 ? '' : 's'}` +
      (options.impl ? `, impl ${implDir}` : '') +
      (options.chaos && formatChaos(options.chaos) ? `, chaos ${formatChaos(options.chaos)}` : '') +
      (options.check ? ', safety checker on' : ''),
  );
  const keep = options.keep ?? 'failed';
  const traceDir = path.resolve(options.out ?? path.join(resolveDataDir(options.data), 'traces', recorder?.id ?? `batch-${baseSeed}`));
  const progress = new Progress({ out, testIds: tests.map((t) => t.id), total, ...(options.tty !== undefined ? { tty: options.tty } : {}) });
  const batch = await runBatch({
    tests,
    count: options.count,
    baseSeed,
    mode: options.mode,
    implDir,
    parallel,
    ...(keep !== 'none' ? { trace: { keep, dir: traceDir } } : {}),
    ...(options.check ? { check: true } : {}),
    ...(options.chaos ? { chaos: options.chaos } : {}),
    stopOnFail: options.stopOnFail ?? false,
    pool: {
      ...(options.timeout ? { timeoutMs: () => options.timeout! * 1000 } : {}),
      ...(options.freshWorkers ? { freshWorkerPerRun: true } : {}),
    },
    onRun: (record) => {
      try {
        recorder?.recordRun(record);
      } catch (error) {
        err.write(`raftlab: could not record run in history: ${(error as Error).message}\n`);
        recorder = undefined;
      }
      progress.run(record, failureLines(record, implArg));
    },
  });
  progress.end();
  recorder?.finish({ runs: batch.records.length, failed: batch.failed, wallMs: batch.wallMs, stopped: batch.stopped });

  write('');
  for (const line of formatSummaryTable(batch)) write(line);
  const clusters = formatClusters(batch, implArg);
  if (clusters.length) {
    write('');
    for (const line of clusters) write(line);
  }
  const rate = (batch.records.length / (batch.wallMs / 1000)).toFixed(1);
  write('');
  if (batch.stopped) write(`stopped after the first failure (--stop-on-fail): ${batch.records.length} of ${total} runs done`);
  write(
    `${batch.failed === 0 ? 'PASS' : 'FAIL'}: ${batch.records.length} runs, ${batch.failed} failed, ${(batch.wallMs / 1000).toFixed(1)}s wall (${rate} runs/s)` +
      (recorder ? `; history batch ${recorder.id}` : ''),
  );

  const save = (file: string, text: string): void => {
    const target = path.resolve(file);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, text);
  };
  if (options.json) save(options.json, JSON.stringify(batchJson(batch, { pattern: pattern ?? '', ...(recorder ? { historyId: recorder.id } : {}) }), null, 2) + '\n');
  if (options.junit) save(options.junit, junitXml(batch, implArg));
  return batch.failed === 0 ? 0 : 1;
}

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('run tests many times on parallel worker threads: failure rates, durations, failure clusters (PATTERN as for test)')
    .argument('[pattern]', 'which tests to run (default: all)')
    .option('--count <n>', 'runs per test; run i uses seed base + i', nonNegativeInt('--count', 1), 10)
    .option('--parallel <p>', 'worker threads (default: the number of CPUs)', nonNegativeInt('--parallel', 1))
    .addOption(new Option('--mode <clock>', 'real: wall clock; sim: virtual time, replayable').choices(['sim', 'real']).default('sim'))
    .option('--seed <n>', 'base seed (default: random)', nonNegativeInt('--seed'))
    .option('--impl <dir>', 'the Raft implementation folder (default: the reference, labs/raft)')
    .option('--stop-on-fail', 'stop at the first failing run')
    .option('--json <file>', 'write the batch summary and every run as JSON')
    .option('--junit <file>', 'write JUnit XML (a testsuite per test, a testcase per run)')
    .option('--no-history', 'do not record this batch in the results history')
    .option('--data <dir>', 'the history folder (default: $RAFTLAB_DATA, $XDG_DATA_HOME/raftlab or ~/.local/share/raftlab)')
    .option('--timeout <seconds>', 'wall-clock watchdog per run (default: 150 real, 60 sim)', nonNegativeInt('--timeout', 1))
    .addOption(new Option('--keep <which>', 'which runs keep a trace file').choices(['failed', 'all', 'none']).default('failed'))
    .option('--out <dir>', 'where trace files go (default: <data>/traces/<batch>)')
    .option('--chaos <knobs>', `harsher conditions, e.g. drop=0.05,quantum=250,crash=6 (${chaosKnobNames})`, parseChaosOption)
    .option('--check', "check every run's trace against Raft's safety properties; a violation fails the run")
    .option('--fresh-workers', 'a fresh worker thread for every run (slower; workers are otherwise reused while the impl is unchanged)')
    .action(async (pattern: string | undefined, options: RunCommandOptions) => {
      process.exitCode = await runCommand(pattern, options);
    });
}
