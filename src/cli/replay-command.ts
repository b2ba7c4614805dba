import type { Command } from 'commander';
import { formatReplay, replay, reproduced, ReplayInputError, type ReplayOptions, type ReplayReport } from '../runner/replay.ts';

export { firstDifference } from '../runner/replay.ts';

export interface ReplayCommandOptions {
  /** Replay against another implementation folder than the one the trace names. */
  impl?: string;
  asRecorded?: boolean;
  allowModified?: boolean;
}

/**
 * `raftlab replay FILE`: re-run a saved run and say whether its outcome recurred and, on the sim clock, whether the
 * trace is identical. Exit status 0 when it reproduced, 1 when not, 2 for bad input.
 */
export async function replayCommand(
  file: string,
  options: ReplayCommandOptions = {},
  out: Pick<NodeJS.WritableStream, 'write'> = process.stdout,
  err: Pick<NodeJS.WritableStream, 'write'> = process.stderr,
  extra: Pick<ReplayOptions, 'pool'> = {},
): Promise<{ status: number; report?: ReplayReport }> {
  let report: ReplayReport;
  try {
    report = await replay(file, { ...options, ...extra });
  } catch (error) {
    if (error instanceof ReplayInputError) {
      err.write(`raftlab: ${error.message}\n`);
      return { status: 2 };
    }
    throw error;
  }
  for (const line of formatReplay(report)) out.write(line + '\n');
  return { status: reproduced(report) ? 0 : 1, report };
}

export function registerReplayCommand(program: Command): void {
  program
    .command('replay')
    .description('re-run a saved run from its trace file or bundle (test, seed, clock, implementation) and compare')
    .argument('<file>', 'a raftlab trace file (.trace.gz) or bundle (.bundle.gz)')
    .option('--impl <dir>', 'replay against this implementation folder instead of the recorded one')
    .option('--as-recorded', 'replay the sources the run had (the trace carries them), not the folder as it is now')
    .option('--allow-modified', 'replay a bundle even if its sources do not match their recorded hashes')
    .action(async (file: string, options: ReplayCommandOptions) => {
      process.exitCode = (await replayCommand(file, options)).status;
    });
}
