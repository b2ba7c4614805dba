/**
 * `raftlab run`: repeated, parallel, isolated runs of the graded tests on worker threads, with live progress,
 * a closing table (failure rate with its 95 % Wilson interval, durations), failure clusters, JSON and JUnit output,
 * and a results history.
 */
import { randomInt } from 'node:crypto';
import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { chaosKnobNames, formatChaos, type ChaosKnobs } from '../harness/chaos.ts';
import type { ClockMode } from '../harness/runtime/index.ts';
import { implFor, integerOption, parseChaosOption } from './test-command.ts';
import { ImplLoadError } from '../harness/loader/index.ts';
import { TestSelectionError } from '../harness/tester/index.ts';
import { runBatch } from '../runner/batch.ts';
import { goRunProblem, prepareSelection, type PreparedImpl } from '../runner/impl.ts';
import { History, resolveDataDir, writeAtomic, type BatchRecorder } from '../runner/history.ts';
import { Progress } from '../runner/progress.ts';
import { batchJson, formatClusters, formatPathsTable, formatSummaryTable, junitXml, replayCommand } from '../runner/report.ts';
import type { RunRecord, TraceKeep } from '../runner/types.ts';
import { traceCommandLine } from '../runner/commands.ts';
import { onStopSignals, stopSignals, type StopSignal } from './stop-signals.ts';

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
  /** Seconds without progress before a run is stopped. */
  stall?: number;
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
  /** A Go lab: build it with the race detector. */
  race?: boolean;
}

export interface RunCommandIo {
  out: Pick<NodeJS.WriteStream, 'write'> & { isTTY?: boolean };
  err: Pick<NodeJS.WriteStream, 'write'>;
  argv: string[];
  /** Stop on Ctrl-C or SIGTERM and write the partial reports (default true; tests that run in-process turn it off). */
  handleSigint?: boolean;
}

/** Why a report file cannot be written there, checked before a batch runs (so no batch is lost to a typo). */
export function outputFileProblem(file: string): string | undefined {
  const target = path.resolve(file);
  try {
    if (statSync(target).isDirectory()) return 'is a folder, not a file';
  } catch {
    // does not exist yet: fine, if its folder can hold it
  }
  try {
    mkdirSync(path.dirname(target), { recursive: true });
    accessSync(path.dirname(target), constants.W_OK);
  } catch (error) {
    return `its folder cannot be written (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
  }
  return undefined;
}

function failureLines(record: RunRecord, implArg: string | undefined): string[] {
  const what =
    record.status === 'fail'
      ? record.failureMessages.map((m) => `    ${m}`)
      : [`    ${record.status}${record.errorCode ? ` (${record.errorCode})` : ''}${record.site ? ` at ${record.site}` : ''}: ${record.message ?? ''}`];
  const races = (record.races ?? []).map((r) => `    race: ${r.summary}${r.count > 1 ? ` (${r.count} reports)` : ''}`);
  return [
    `--- ${record.status.toUpperCase()}: ${record.id} ${record.lang === 'go' ? 'run' : 'seed'} ${record.seed}`,
    ...what,
    ...races,
    `    ${record.lang === 'go' ? 'rerun' : 'replay'}: ${replayCommand(record, implArg)}`,
    ...(record.traceFile ? [`    trace: ${record.traceFile}  (${traceCommandLine(record.traceFile, record.lang)})`] : []),
  ];
}

/** Run the batch; returns the exit status (0 all passed, 1 some run failed, 2 bad input). */
export async function runCommand(pattern: string | undefined, options: RunCommandOptions, io?: Partial<RunCommandIo>): Promise<number> {
  const out = io?.out ?? process.stdout;
  const err = io?.err ?? process.stderr;
  const argv = io?.argv ?? process.argv.slice(2);
  const write = (line: string): void => void out.write(line + '\n');
  let tests;
  let prepared: PreparedImpl;
  const poolOptions = {
    ...(options.timeout ? { timeoutMs: () => options.timeout! * 1000 } : {}),
    ...(options.stall ? { stallMs: options.stall * 1000 } : {}),
    ...(options.freshWorkers ? { freshWorkerPerRun: true } : {}),
  };
  try {
    ({ prepared, tests } = await prepareSelection(implFor(options.impl, err).dir, pattern, poolOptions, { race: options.race ?? false }));
  } catch (error) {
    if (error instanceof TestSelectionError || error instanceof ImplLoadError) {
      err.write(`raftlab: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const unsupported = goRunProblem(prepared, options);
  if (unsupported) {
    err.write(`raftlab: ${unsupported}\n`);
    return 2;
  }
  const go = prepared.kind === 'go' ? prepared : undefined;
  const mode: ClockMode = go ? 'real' : options.mode;
  const parallel = options.parallel ?? Math.max(1, (os.availableParallelism?.() ?? os.cpus().length) - 0);
  for (const [flag, file] of [['--json', options.json], ['--junit', options.junit]] as const) {
    const problem = file === undefined ? undefined : outputFileProblem(file);
    if (problem) {
      err.write(`raftlab: ${flag} ${file}: ${problem}\n`);
      return 2;
    }
  }
  const implDir = prepared.dir;
  // A Go run has no seed (Go seeds its tester from crypto/rand): its number, from 1, names it.
  const baseSeed = options.seed ?? (go ? 1 : randomInt(1, 2 ** 31));
  const implArg = options.impl;
  const total = tests.length * options.count;

  let recorder: BatchRecorder | undefined;
  if (options.history !== false) {
    try {
      const history = new History(resolveDataDir(options.data), { warn: (m) => void err.write(m + '\n') });
      recorder = history.startBatch({
        pattern: pattern ?? '',
        tests: tests.map((t) => t.id),
        mode,
        baseSeed,
        count: options.count,
        parallel,
        implDir,
        sourcesHash: prepared.ref.sourcesHash,
        argv,
        ...(options.chaos && formatChaos(options.chaos) ? { chaos: options.chaos } : {}),
        ...(options.check ? { check: true } : {}),
        ...(go ? { lang: 'go' as const, ...(go.ref.race ? { race: true } : {}) } : {}),
      });
    } catch (error) {
      err.write(`raftlab: not recording history: ${(error as Error).message}\n`);
    }
  }

  write(
    `raftlab run: ${tests.length} test${tests.length === 1 ? '' : 's'} x ${options.count} = ${total} runs, ` +
      (go
        ? `the Go test binary (${go.ref.goVersion}${go.ref.race ? ', -race' : ''}, ${go.go.compiled ? `built in ${(go.go.buildMs / 1000).toFixed(1)}s` : 'cached build'}) on the wall clock, runs ${baseSeed}..${baseSeed + options.count - 1}`
        : `${options.mode} clock, seeds ${baseSeed}..${baseSeed + options.count - 1}`) +
      `, ${parallel} worker${parallel === 1 ? '' : 's'}` +
      (options.impl ? `, impl ${implDir}` : '') +
      (options.chaos && formatChaos(options.chaos) ? `, chaos ${formatChaos(options.chaos)}` : '') +
      (options.check ? `, safety checker on${go ? " (over raftlab_trace.go's events: without them it has nothing to check)" : ''}` : ''),
  );
  const keep = options.keep ?? 'failed';
  const traceDir = path.resolve(options.out ?? path.join(resolveDataDir(options.data), 'traces', recorder?.id ?? `batch-${baseSeed}`));
  const progress = new Progress({ out, testIds: tests.map((t) => t.id), total, ...(options.tty !== undefined ? { tty: options.tty } : {}) });
  // Ctrl-C (or SIGTERM) stops dispatching; the runs done so far still get their table, --json and --junit.
  const interrupt = new AbortController();
  let stoppedBy: StopSignal | undefined;
  const onStop = (signal: StopSignal): void => {
    if (stoppedBy) process.exit(stopSignals[signal].status); // a second signal: leave now
    stoppedBy = signal;
    err.write(`\nraftlab: ${stopSignals[signal].word}; writing what the finished runs say\n`);
    interrupt.abort();
  };
  const stopListening = (io?.handleSigint ?? true) ? onStopSignals(onStop) : () => {};
  const batch = await runBatch({
    tests,
    count: options.count,
    baseSeed,
    mode,
    implDir,
    prepared,
    parallel,
    ...(keep !== 'none' ? { trace: { keep, dir: traceDir } } : {}),
    ...(options.check ? { check: true } : {}),
    ...(options.chaos ? { chaos: options.chaos } : {}),
    stopOnFail: options.stopOnFail ?? false,
    signal: interrupt.signal,
    pool: poolOptions,
    onRun: (record) => {
      try {
        recorder?.recordRun(record);
      } catch (error) {
        err.write(`raftlab: could not record the run in history (${(error as Error).message}); the batch goes on without it\n`);
        recorder = undefined;
      }
      if (record.traceError) err.write(`raftlab: ${record.traceError}\n`);
      progress.run(record, failureLines(record, implArg));
    },
  });
  stopListening();
  progress.end();
  try {
    recorder?.finish({ runs: batch.records.length, failed: batch.failed, wallMs: batch.wallMs, stopped: batch.stopped || interrupt.signal.aborted });
  } catch (error) {
    err.write(`raftlab: could not record the batch's end in history (${(error as Error).message})\n`);
  }

  write('');
  for (const line of formatSummaryTable(batch)) write(line);
  const paths = formatPathsTable(batch);
  if (paths.length) {
    write('');
    for (const line of paths) write(line);
  }
  const clusters = formatClusters(batch, implArg);
  if (clusters.length) {
    write('');
    for (const line of clusters) write(line);
  }
  const rate = (batch.records.length / (batch.wallMs / 1000)).toFixed(1);
  write('');
  if (stoppedBy) write(`${stopSignals[stoppedBy].word}: ${batch.records.length} of ${total} runs done`);
  else if (batch.stopped) write(`stopped after the first failure (--stop-on-fail): ${batch.records.length} of ${total} runs done`);
  write(
    `${batch.failed === 0 ? 'PASS' : 'FAIL'}: ${batch.records.length} runs, ${batch.failed} failed, ${(batch.wallMs / 1000).toFixed(1)}s wall (${rate} runs/s)` +
      (recorder ? `; history batch ${recorder.id}` : ''),
  );

  let saved = true;
  const save = (file: string, text: string): void => {
    try {
      writeAtomic(path.resolve(file), text);
    } catch (error) {
      err.write(`raftlab: could not write ${file}: ${(error as Error).message}\n`);
      saved = false;
    }
  };
  if (options.json) save(options.json, JSON.stringify(batchJson(batch, { pattern: pattern ?? '', ...(recorder ? { historyId: recorder.id } : {}) }), null, 2) + '\n');
  if (options.junit) {
    const notRunReason = stoppedBy ? `not run: the batch was ${stopSignals[stoppedBy].word} ${stopSignals[stoppedBy].cause} before this run` : 'not run: the batch stopped after the first failure (--stop-on-fail)';
    save(options.junit, junitXml(batch, implArg, { notRunReason }));
  }
  if (stoppedBy) return stopSignals[stoppedBy].status;
  return batch.failed === 0 && saved ? 0 : 1;
}

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('run tests many times in parallel run processes: failure rates, durations, failure clusters (PATTERN as for test)')
    .argument('[pattern]', 'which tests to run (default: all)')
    .option('--count <n>', 'runs per test; run i uses seed base + i', integerOption('--count', 1, 1_000_000), 10)
    .option('--parallel <p>', 'run processes at once (default: the number of CPUs)', integerOption('--parallel', 1, 64))
    .addOption(new Option('--mode <clock>', 'real: wall clock; sim: virtual time, replayable').choices(['sim', 'real']).default('sim'))
    .option('--seed <n>', 'base seed (default: random)', integerOption('--seed', 0))
    .option('--impl <dir>', 'the Raft implementation folder (default: the raftlab project here, else the reference)')
    .option('--stop-on-fail', 'stop at the first failing run')
    .option('--json <file>', 'write the batch summary and every run as JSON')
    .option('--junit <file>', 'write JUnit XML (a testsuite per test, a testcase per run)')
    .option('--no-history', 'do not record this batch in the results history')
    .option('--data <dir>', 'the history folder (default: $RAFTLAB_DATA, $XDG_DATA_HOME/raftlab or ~/.local/share/raftlab)')
    .option('--timeout <seconds>', 'wall-clock watchdog per run (default: 150 real, 1800 sim)', integerOption('--timeout', 1))
    .addOption(new Option('--stall <seconds>', 'stop a run that made no progress for this long (default 15)').argParser(integerOption('--stall', 1)).hideHelp())
    .addOption(new Option('--keep <which>', 'which runs keep a trace file').choices(['failed', 'all', 'none']).default('failed'))
    .option('--out <dir>', 'where trace files go (default: <data>/traces/<batch>)')
    .option('--chaos <knobs>', `harsher conditions, e.g. drop=0.05,quantum=250,crash=6 (${chaosKnobNames})`, parseChaosOption)
    .option('--check', "check every run's trace against Raft's safety properties; a violation fails the run")
    .option('--fresh-workers', 'a fresh run process for every run (slower; a process is otherwise reused while it is left clean)')
    .option('--race', 'a Go lab (--impl a 6.824 checkout\'s src/raft): build its test binary with the race detector')
    .action(async (pattern: string | undefined, options: RunCommandOptions) => {
      process.exitCode = await runCommand(pattern, options);
    });
}
