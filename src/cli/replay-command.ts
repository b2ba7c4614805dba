import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { ImplLoadError, findTest, loadImplementation, referenceImplDir, runTest } from '../harness/tester/index.ts';
import { formatChaos } from '../harness/chaos.ts';
import { BundleError, extractBundle, readBundle } from '../runner/bundle.ts';
import { TraceFileError, createTraceRecorder, readTraceEvents, readTraceHeader, type TraceEvent } from '../runner/trace/index.ts';

export interface ReplayCommandOptions {
  /** Replay against another implementation folder than the one the trace names. */
  impl?: string;
}

export interface ReplayOutcome {
  /** The replay ended as the recorded run did: same status and message. */
  recurred: boolean;
  /** Sim only: the replay's events equal the recorded ones, one for one. */
  identical: boolean | undefined;
  /** Sim only, when not identical: the index of the first event that differs. */
  firstDifference: number | undefined;
}

/** The first index where two event sequences differ, or undefined if they are equal. */
export function firstDifference(a: readonly TraceEvent[], b: readonly TraceEvent[]): number | undefined {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (i >= a.length || i >= b.length || JSON.stringify(a[i]) !== JSON.stringify(b[i])) return i;
  }
  return undefined;
}

/**
 * `raftlab replay FILE`: re-run a saved run (its test, seed, clock and implementation) and say whether its outcome
 * recurred and, on the sim clock, whether the trace is identical. Exit status 0 when it reproduced, 1 when not,
 * 2 for bad input.
 */
export async function replayCommand(
  file: string,
  options: ReplayCommandOptions = {},
  out: Pick<NodeJS.WritableStream, 'write'> = process.stdout,
  err: Pick<NodeJS.WritableStream, 'write'> = process.stderr,
): Promise<{ status: number; outcome?: ReplayOutcome }> {
  const write = (line: string): void => void out.write(line + '\n');
  // A bundle carries its implementation and trace: unpack them and replay from there.
  let bundle;
  try {
    bundle = readBundle(file);
  } catch (error) {
    if (!(error instanceof BundleError)) throw error;
    err.write(`raftlab: ${error.message}\n`);
    return { status: 2 };
  }
  if (bundle) {
    const unpacked = extractBundle(bundle, mkdtempSync(path.join(tmpdir(), 'raftlab-bundle-')));
    write(`bundle from raftlab ${bundle.createdBy.raftlab} on Node ${bundle.createdBy.node}; implementation unpacked to ${unpacked.implDir}`);
    file = unpacked.traceFile;
    options = { impl: options.impl ?? unpacked.implDir };
  }
  let header;
  try {
    header = await readTraceHeader(file);
  } catch (error) {
    if (error instanceof TraceFileError) {
      err.write(`raftlab: ${error.message}\n`);
      return { status: 2 };
    }
    throw error;
  }
  const test = findTest(header.test);
  if (!test) {
    err.write(`raftlab: ${file} records test ${header.test}, which this raftlab does not have\n`);
    return { status: 2 };
  }
  const implDir = options.impl ?? (header.impl === 'reference' ? referenceImplDir : header.impl);
  if (!existsSync(implDir)) {
    err.write(`raftlab: the implementation ${implDir} named by ${file} is not here; pass --impl DIR to replay against another folder\n`);
    return { status: 2 };
  }
  let make;
  let describeState;
  try {
    ({ make, describeState } = await loadImplementation(implDir));
  } catch (error) {
    if (error instanceof ImplLoadError) {
      err.write(`raftlab: ${error.message}\n`);
      return { status: 2 };
    }
    throw error;
  }

  write(`replaying ${header.test}, seed ${header.seed}, ${header.mode} clock, impl ${header.impl === 'reference' && !options.impl ? 'reference' : path.resolve(implDir)}`);
  write(`recorded: ${header.status}${header.message ? ` -- ${header.message}` : ''}`);
  const recorder = createTraceRecorder();
  // The recorded chaos knobs are part of the run: a replay turns them on again.
  if (header.chaos) write(`chaos knobs: ${formatChaos(header.chaos)}`);
  const recorded: TraceEvent[] = [];
  for await (const event of readTraceEvents(file)) recorded.push(event);
  // Read saved states as the recording did: through the implementation's describeState, or by field names.
  const firstSave = recorded.find((e) => e.kind === 'persist');
  const describe = !firstSave || firstSave.source === 'describeState' ? describeState : undefined;
  const result = await runTest(test, {
    mode: header.mode, seed: header.seed, make, describeState: describe, ...(header.chaos ? { chaos: header.chaos } : {}), ...recorder.options,
  });
  write(`replayed: ${result.status}${result.message ? ` -- ${result.message}` : ''}`);

  const recurred = result.status === header.status && (result.message ?? '') === (header.message ?? '');
  let identical: boolean | undefined;
  let difference: number | undefined;
  if (header.mode === 'sim') {
    difference = firstDifference(recorded, recorder.events);
    identical = difference === undefined;
  }
  write(recurred ? (header.status === 'pass' ? 'the run passed again' : 'the failure recurred') : 'the outcome did NOT recur');
  if (identical === true) write(`the trace is identical: ${recorder.events.length} events`);
  else if (identical === false) {
    write(`the trace differs from event ${difference} on (recorded ${recorded.length} events, replayed ${recorder.events.length}):`);
    write(`  recorded: ${JSON.stringify(recorded[difference!] ?? '(end)')}`);
    write(`  replayed: ${JSON.stringify(recorder.events[difference!] ?? '(end)')}`);
    write('  (the implementation, raftlab or the test changed since it was recorded)');
  } else {
    write("(a real-clock run follows the machine's timing: its trace cannot be compared event for event)");
  }
  const reproduced = recurred && identical !== false;
  return { status: reproduced ? 0 : 1, outcome: { recurred, identical, firstDifference: difference } };
}

export function registerReplayCommand(program: Command): void {
  program
    .command('replay')
    .description("re-run a saved run from its trace file (test, seed, clock, implementation) and compare")
    .argument('<file>', 'a raftlab trace file (.trace.gz) or bundle (.bundle.gz)')
    .option('--impl <dir>', 'replay against this implementation folder instead of the recorded one')
    .action(async (file: string, options: ReplayCommandOptions) => {
      process.exitCode = (await replayCommand(file, options)).status;
    });
}
