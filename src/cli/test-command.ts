import { randomInt } from 'node:crypto';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { ChaosSpecError, chaosKnobNames, parseChaos, type ChaosKnobs } from '../harness/chaos.ts';
import { ImplLoadError, resolveImpl, type ResolvedImpl } from '../harness/loader/index.ts';
import { raftlabRoot } from '../harness/paths.ts';
import type { ClockMode } from '../harness/runtime/index.ts';
import { TestSelectionError, type NodeLogLine } from '../harness/tester/index.ts';
import { runBatch } from '../runner/batch.ts';
import { goRunProblem, isGoLabDir, prepareSelection } from '../runner/impl.ts';
import { replayCommand } from '../runner/report.ts';
import type { RunRecord } from '../runner/types.ts';
import { describeGroup } from '../golab/index.ts';
import { dslogsTime } from '../trace/dslogs.ts';
import { goTestJson, goTestText, inRunOrder } from './go-test-output.ts';
import { onStopSignals, stopSignals, type StopSignal } from './stop-signals.ts';

export interface TestCommandOptions {
  /** Chaos knobs, parsed from --chaos. */
  chaos?: ChaosKnobs;
  mode: ClockMode;
  seed?: number;
  count: number;
  /** Run processes at once (default 1, as go test runs the lab's tests). */
  parallel?: number;
  impl?: string;
  verbose?: boolean;
  /** Print `go test -json`'s event stream (test2json's) instead of text. */
  json?: boolean;
  persistDir?: string;
  /** Watchdog per run, seconds of wall time (tests use short ones). */
  timeout?: number;
  /** Seconds without progress before a run is stopped (tests use short ones). */
  stall?: number;
  /** A Go lab: build it with the race detector. */
  race?: boolean;
}

/** commander's parser for an integer option with a lower bound: a bad value is a one-line usage error. */
export const integerOption = (name: string, min: number, max = Number.MAX_SAFE_INTEGER) => (value: string): number => {
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}, got '${value}'`);
  }
  return n;
};

/** A log line as `test -v` prints it: dslogs's own line (`TIME TOPIC S<n> message`), as the text export writes it. */
export function formatLog(line: NodeLogLine): string {
  const fields = line.fields !== undefined ? ' ' + JSON.stringify(line.fields) : '';
  return `${dslogsTime(line.atMs)} ${line.topic} S${line.node} ${line.message}${fields}`.replace(/[\r\n]+/g, ' ');
}

/** The implementation a command runs, and a note on stderr when the user may not have meant the reference. */
export function implFor(flag: string | undefined, err: Pick<NodeJS.WritableStream, 'write'>): ResolvedImpl {
  const cwd = path.resolve(process.cwd());
  // Inside a 6.824 checkout's src/raft, that folder is the Go lab to run.
  if ((flag === undefined || flag === '') && isGoLabDir(cwd)) return { dir: cwd, source: 'project' };
  const resolved = resolveImpl(flag);
  const inRaftlab = cwd === raftlabRoot || cwd.startsWith(raftlabRoot + path.sep);
  if (resolved.source === 'reference' && !inRaftlab) {
    err.write('raftlab: no --impl, and no raftlab project here (a package.json with a "raftlab" field, as `raftlab init` makes): testing the reference Raft\n');
  }
  return resolved;
}

/** Why a run failed, with its seed and the command that replays it: the lines under its `--- FAIL:`. */
export function failureDetails(record: RunRecord, implArg: string | undefined, verbose: boolean): string[] {
  const lines: string[] = [];
  if (record.status === 'fail') {
    // A Go failure names the tester's line that reported it, as go test prints it (config.go:345: …).
    for (const [i, message] of record.failureMessages.entries()) lines.push(`${i === 0 && record.location ? `${record.location}: ` : ''}${message}`);
  } else {
    const what = record.status === 'timeout' ? 'timeout' : 'error';
    lines.push(`${what}${record.errorCode ? ` (${record.errorCode})` : ''}${record.site ? ` at ${record.site}` : ''}: ${record.message ?? ''}`);
  }
  if (record.stack && (verbose || record.status === 'error')) {
    // The implementation's frames; raftlab's own and Node's only with -v.
    const frames = record.stack
      .split('\n')
      .slice(1)
      .map((f) => f.trim())
      .filter((f) => f.startsWith('at ') && (verbose || !/node_modules\/\.cache\/raftlab|node:internal|\(node:/.test(f)));
    lines.push(...frames.slice(0, verbose ? undefined : 6));
  }
  // A Go run's console is its debug lines and dumps, all in its trace: shown only with -v, or when nothing else says why.
  const goQuiet = record.lang === 'go' && !verbose && record.errorCode !== 'GO_EXIT' && record.errorCode !== 'GO_SIGNAL';
  if (record.consoleOutput && !goQuiet) {
    lines.push('console output:');
    for (const line of record.consoleOutput.trimEnd().split('\n').slice(-20)) lines.push(`  ${line}`);
    if (record.consoleDroppedBytes) lines.push(`  … ${record.consoleDroppedBytes} more bytes not kept`);
  }
  for (const group of record.goroutines?.groups.slice(0, 8) ?? []) lines.push(describeGroup(group));
  for (const race of record.races ?? []) lines.push(`race: ${race.summary}${race.count > 1 ? ` (${race.count} reports)` : ''}`);
  if (record.lang === 'go') {
    lines.push(`run ${record.seed} of the Go test binary (the wall clock, seeded by crypto/rand: not replayable); run it again: ${replayCommand(record, implArg)}`);
    return lines;
  }
  lines.push(`seed ${record.seed} (${record.mode} clock); replay: ${replayCommand(record, implArg)}`);
  if (record.mode === 'real') lines.push("(a real-clock run follows the machine's timing, so a replay may not fail the same way)");
  return lines;
}

/** The lines `raftlab test` prints for a failed run: its `--- FAIL:` line and the details, indented as Go does. */
export function failureReport(record: RunRecord, implArg: string | undefined, verbose: boolean): string[] {
  return [`--- FAIL: ${record.id} (${(record.testMs / 1000).toFixed(2)}s)`, ...failureDetails(record, implArg, verbose).map((l) => `    ${l}`)];
}

export interface TestCommandIo {
  /** Stop on Ctrl-C or SIGTERM: report what ran and exit 130 or 143 (default true; in-process tests turn it off). */
  handleSigint?: boolean;
}

/**
 * `raftlab test`: the graded tests, printed as `go test` prints them (-v: as `go test -v`; --json: as `go test
 * -json`). Each run happens in a run process with the watchdogs of `raftlab run`, so a Raft that throws, hangs or
 * exits fails that test and the others still run. With --parallel, runs go to several run processes, their lines
 * still in the order of a sequential run. Ctrl-C stops at once: the runs in flight are reported as failed
 * (interrupted), the summary says how many runs were done, exit 130 (SIGTERM: the same, terminated, 143). Returns the
 * exit status.
 */
export async function testCommand(
  pattern: string | undefined,
  options: TestCommandOptions,
  out: Pick<NodeJS.WritableStream, 'write'> = process.stdout,
  err: Pick<NodeJS.WritableStream, 'write'> = process.stderr,
  io: TestCommandIo = {},
): Promise<number> {
  const writeText = (text: string): void => void out.write(text);
  let tests;
  let prepared;
  const pool = {
    ...(options.timeout ? { timeoutMs: () => options.timeout! * 1000 } : {}),
    ...(options.stall ? { stallMs: options.stall * 1000 } : {}),
  };
  try {
    ({ prepared, tests } = await prepareSelection(implFor(options.impl, err).dir, pattern, pool, { race: options.race ?? false }));
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
  const go = prepared.kind === 'go';
  const mode: ClockMode = go ? 'real' : options.mode;
  const baseSeed = options.seed ?? (go ? 1 : randomInt(1, 2 ** 31));
  // One at a time by default, as go test runs the lab's tests: on this project's 2-core machine two sim run processes
  // did not end the suite sooner (docs/benchmarks.md), and on the real clock runs side by side change each other's
  // timing. A sim run replays the same whatever runs beside it, so --parallel is safe there.
  const parallel = options.parallel ?? 1;
  const started = performance.now();
  const total = tests.length * options.count;
  const report = inRunOrder(options.json ? goTestJson(writeText) : goTestText(writeText, !!options.verbose), total);
  let virtualMs = 0;
  let failures = 0;
  let done = 0;
  // The runs in flight, by their place in the batch: test, when each began and its test time at its last progress
  // (virtual on the sim clock), for an interrupt to report.
  const inFlight = new Map<number, { test: string; startedMs: number; testMs: number }>();
  const interrupt = new AbortController();
  let stoppedBy: StopSignal | undefined;
  const onStop = (signal: StopSignal): void => {
    if (stoppedBy) process.exit(stopSignals[signal].status); // a second signal: leave now
    stoppedBy = signal;
    err.write(`raftlab: ${stopSignals[signal].word}; stopping ${inFlight.size > 1 ? `the ${inFlight.size} runs` : 'the run'} in flight\n`);
    interrupt.abort();
  };
  const stopListening = (io.handleSigint ?? true) ? onStopSignals(onStop) : () => {};
  try {
    await runBatch({
      tests,
      count: options.count,
      baseSeed,
      mode,
      implDir: prepared.dir,
      prepared,
      parallel,
      heaviestFirst: true,
      pool,
      signal: interrupt.signal,
      ...(options.chaos ? { chaos: options.chaos } : {}),
      ...(options.persistDir ? { persistDir: options.persistDir } : {}),
      onStart: (task, index) => {
        inFlight.set(index, { test: task.testId, startedMs: performance.now(), testMs: 0 });
        report.run(index, task.testId);
      },
      hooks: (task, index) => ({
        onOutput: (line: string) => report.output(index, task.testId, line),
        onProgress: (testMs: number) => {
          const run = inFlight.get(index);
          if (run) run.testMs = testMs;
        },
        ...(options.verbose ? { onLog: (line: NodeLogLine) => report.output(index, task.testId, formatLog(line)) } : {}),
      }),
      onRun: (record, index) => {
        inFlight.delete(index);
        done++;
        if (options.persistDir) report.output(index, record.id, `    persisted state: ${path.resolve(options.persistDir, `${record.id}-seed${record.seed}`)}/node-*.json`);
        virtualMs += record.testMs;
        const passed = record.status === 'pass';
        if (!passed) failures++;
        report.end(index, record.id, passed, record.testMs / 1000, passed ? [] : failureDetails(record, options.impl, !!options.verbose));
      },
    });
  } finally {
    stopListening();
  }
  const wallSeconds = (performance.now() - started) / 1000;
  const virtual = mode === 'sim' ? `sim: ${(virtualMs / 1000).toFixed(1)}s of virtual time` : undefined;
  if (stoppedBy) {
    const why = `${stopSignals[stoppedBy].word} ${stopSignals[stoppedBy].cause} before it ended`;
    // A stopped run's seconds are on its test's clock, as every other run's: on the sim clock, the virtual time it had
    // reached when it was stopped (the pool's last word on its progress).
    const seconds = (run: { startedMs: number; testMs: number }): number => (mode === 'sim' ? run.testMs : performance.now() - run.startedMs) / 1000;
    for (const [index, run] of [...inFlight].sort(([a], [b]) => a - b)) report.end(index, run.test, false, seconds(run), [why]);
    report.finish(false, wallSeconds, `(${stopSignals[stoppedBy].word}: ${done} of ${total} runs done${failures ? `, ${failures} failed` : ''})`);
    return stopSignals[stoppedBy].status;
  }
  if (failures === 0) {
    report.finish(true, wallSeconds, virtual ? `(${virtual})` : undefined);
    return 0;
  }
  report.finish(false, wallSeconds, `(${failures} of ${total} runs failed${virtual ? `; ${virtual}` : ''})`);
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
    .option('--seed <n>', 'seed of the first run (default: random); run i uses seed + i', integerOption('--seed', 0))
    .option('--count <n>', 'run each test n times', integerOption('--count', 1, 100_000), 1)
    .option('--parallel <p>', 'run processes at once, the heaviest tests first on the sim clock; output stays in test order', integerOption('--parallel', 1, 64), 1)
    .option('--impl <dir>', 'the Raft implementation folder (default: the raftlab project here, else the reference)')
    .option('--persist-dir <dir>', "keep each node's persisted state in readable JSON files: dir/<test>-seed<n>/node-<i>.json")
    .option('--chaos <knobs>', `harsher conditions, e.g. drop=0.05,quantum=250,crash=6 (${chaosKnobNames})`, parseChaosOption)
    .option('--timeout <seconds>', 'wall-clock watchdog per run (default: 150 real, 1800 sim)', integerOption('--timeout', 1))
    .addOption(new Option('--stall <seconds>', 'stop a run that made no progress for this long (default 15)').argParser(integerOption('--stall', 1)).hideHelp())
    .option('-v, --verbose', "as go test -v: === RUN and --- PASS lines, the implementation's log lines (dslogs's format), whole stacks")
    .option('--json', "print go test -json's event stream (test2json's), for gotestsum and other go test tools")
    .option('--race', "a Go lab (--impl a 6.824 checkout's src/raft): build its test binary with the race detector")
    .action(async (pattern: string | undefined, options: TestCommandOptions) => {
      process.exitCode = await testCommand(pattern, options);
    });
}
