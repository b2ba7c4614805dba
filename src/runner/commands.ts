/** The command lines raftlab prints for people to copy: one place builds each. */
import { formatChaos } from '../harness/chaos.ts';
import type { RunRecord } from './types.ts';

/** Quote an argument for a POSIX shell when it needs it. */
export const shellQuote = (arg: string): string => (/^[A-Za-z0-9_./:=@%+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);

/** The exact command that runs one run again: its test, clock, seed, implementation and chaos knobs. */
export function testCommandLine(run: Pick<RunRecord, 'id' | 'mode' | 'seed' | 'chaos'>, implArg: string | undefined): string {
  const impl = implArg ? ` --impl ${JSON.stringify(implArg)}` : '';
  const chaos = formatChaos(run.chaos);
  return `npx raftlab test '^${run.id}$' --mode ${run.mode} --seed ${run.seed}${impl}${chaos ? ` --chaos ${chaos}` : ''}`;
}

/** The command that replays a trace file or a bundle. */
export function replayCommandLine(file: string): string {
  return `npx raftlab replay ${JSON.stringify(file)}`;
}
