/**
 * `raftlab grade SUBMISSIONS_DIR` and `raftlab worker --queue URL`: a class's submissions × the chosen tests × many
 * seeds, on this machine or on workers (src/grade/), with a report per student and part.
 */
import os from 'node:os';
import { Option, type Command } from 'commander';
import { chaosKnobNames, type ChaosKnobs } from '../harness/chaos.ts';
import type { ClockMode } from '../harness/runtime/index.ts';
import { grade } from '../grade/grade.ts';
import { gradeSettingsOf, parsePassRule, passRuleHelp } from '../grade/options.ts';
import { gradeCountMax, gradeParallelMax } from '../grade/plan.ts';
import { formatReport } from '../grade/report.ts';
import { GradeInputError } from '../grade/submissions.ts';
import { startWorker } from '../grade/worker.ts';
import { integerOption, parseChaosOption } from './test-command.ts';

export interface GradeCommandOptions {
  tests: string;
  count: number;
  seed: number;
  mode: ClockMode;
  check?: boolean;
  chaos?: ChaosKnobs;
  out: string;
  queue?: string;
  parallel?: number;
  rule: string;
}

const queueUrl = (url: string): string | undefined => {
  try {
    const u = new URL(url);
    return u.protocol === 'redis:' || u.protocol === 'rediss:' ? url : undefined;
  } catch {
    return undefined;
  }
};

export async function gradeCommand(dir: string, options: GradeCommandOptions, io = { out: process.stdout, err: process.stderr }): Promise<number> {
  const write = (line: string): void => void io.out.write(line + '\n');
  const rule = parsePassRule(options.rule);
  if (!rule) {
    io.err.write(`raftlab: --rule must be ${passRuleHelp}, got '${options.rule}'\n`);
    return 2;
  }
  if (options.queue && !queueUrl(options.queue)) {
    io.err.write(`raftlab: --queue must be a redis:// or rediss:// address, got '${options.queue}'\n`);
    return 2;
  }
  const interrupt = new AbortController();
  const onSigint = (): void => interrupt.abort();
  process.once('SIGINT', onSigint);
  try {
    const started = Date.now();
    const settings = gradeSettingsOf({ tests: options.tests, count: options.count, seed: options.seed, mode: options.mode, check: !!options.check, chaos: options.chaos, rule });
    const outcome = await grade({
      submissionsDir: dir,
      out: options.out,
      settings,
      parallel: options.parallel ?? Math.max(1, os.availableParallelism?.() ?? os.cpus().length),
      ...(options.queue ? { queue: options.queue } : {}),
      signal: interrupt.signal,
      onNote: (line) => io.err.write(`raftlab: ${line}\n`),
      onProgress: (p) => {
        if (p.done === p.total) write(`  ${p.submission}: ${p.done}/${p.total} runs`);
      },
    });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (outcome.cut) {
      const missing = outcome.report.students.reduce((n, s) => n + s.tests.reduce((m, t) => m + t.missing, 0), 0);
      write(`interrupted: ${outcome.ran} runs this time, in ${seconds} s; ${missing} runs not recorded yet, so no report: the same command resumes`);
      return 130;
    }
    write('');
    for (const line of formatReport(outcome.report)) write(line);
    write('');
    write(`${outcome.ran} runs this time, in ${seconds} s; report: ${outcome.files.slice(0, 2).join(', ')} (+ JUnit per student)`);
    return 0;
  } catch (error) {
    if (error instanceof GradeInputError) {
      io.err.write(`raftlab: ${error.message}\n`);
      return 2;
    }
    throw error;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

export function registerGradeCommands(program: Command): void {
  program
    .command('grade')
    .description('grade a class: every subfolder of DIR is a submission; each runs the tests many times, confined to its own files')
    .argument('<dir>', 'the folder of submissions (one subfolder each)')
    .option('--tests <pattern>', 'which tests (a regular expression over test ids)', '.')
    .option('--count <n>', 'runs of each test per submission; run i uses seed base + i', integerOption('--count', 1, gradeCountMax), 10)
    .option('--seed <n>', 'the first seed', integerOption('--seed', 0), 1)
    .addOption(new Option('--mode <clock>', 'sim (default) or real').choices(['sim', 'real']).default('sim'))
    .option('--check', "the safety checker on every run: a violation fails the run")
    .option('--chaos <knobs>', `harsher conditions (${chaosKnobNames})`, parseChaosOption)
    .option('--rule <rule>', "when a test passes: 'all' its runs pass, or 'rate<=X'", 'all')
    .option('--out <dir>', 'the grade folder: results, traces of failures, report.json, report.csv, junit/ (the same folder resumes)', 'grade')
    .option('--queue <url>', 'redis://host:port: run on `raftlab worker`s instead of this machine')
    .option('--parallel <p>', 'run processes at once on this machine', integerOption('--parallel', 1, gradeParallelMax))
    .action(async (dir: string, options: GradeCommandOptions) => {
      process.exitCode = await gradeCommand(dir, options);
    });

  program
    .command('worker')
    .description('take grade jobs from a queue and run them here (any number of machines)')
    .requiredOption('--queue <url>', 'redis://host:port')
    .option('--parallel <p>', 'run processes at once', integerOption('--parallel', 1, 64))
    .addOption(new Option('--lock-seconds <s>', "how long a job stays a dead worker's before another takes it (default 30)").argParser(integerOption('--lock-seconds', 1, 3600)).hideHelp())
    .action(async (options: { queue: string; parallel?: number; lockSeconds?: number }) => {
      if (!queueUrl(options.queue)) {
        process.stderr.write(`raftlab: --queue must be a redis:// or rediss:// address, got '${options.queue}'\n`);
        process.exitCode = 2;
        return;
      }
      const worker = await startWorker({
        queue: options.queue,
        parallel: options.parallel ?? Math.max(1, os.availableParallelism?.() ?? os.cpus().length),
        ...(options.lockSeconds ? { lockMs: options.lockSeconds * 1000 } : {}),
        onNote: (line) => process.stderr.write(`raftlab worker: ${line}\n`),
      });
      const stop = (): void => void worker.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
