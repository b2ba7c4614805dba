/** The command lines raftlab prints for people to copy: one place builds each. */
import { formatChaos } from '../harness/chaos.ts';
import type { RunRecord } from './types.ts';

/** Quote an argument for a POSIX shell when it needs it. */
export const shellQuote = (arg: string): string => (/^[A-Za-z0-9_./:=@%+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);

/**
 * The exact command that runs one run again: its test, clock, seed, implementation and chaos knobs. A Go lab's run
 * cannot be replayed (Go seeds its tester from crypto/rand, on the wall clock): its command runs the test again, 20 times.
 */
export function testCommandLine(run: Pick<RunRecord, 'id' | 'mode' | 'seed' | 'chaos'> & Pick<RunRecord, 'lang' | 'race'>, implArg: string | undefined): string {
  const impl = implArg ? ` --impl ${JSON.stringify(implArg)}` : '';
  if (run.lang === 'go') return `npx raftlab run '^${run.id}$' --count 20${impl}${run.race ? ' --race' : ''}`;
  const chaos = formatChaos(run.chaos);
  return `npx raftlab test '^${run.id}$' --mode ${run.mode} --seed ${run.seed}${impl}${chaos ? ` --chaos ${chaos}` : ''}`;
}

/** What to do with a kept trace: replay it, or for a Go lab's run (not replayable) read it as dslogs-like text. */
export function traceCommandLine(file: string, lang: RunRecord['lang']): string {
  return lang === 'go' ? `npx raftlab export ${JSON.stringify(file)} --format text` : replayCommandLine(file);
}

/** The command that replays a trace file or a bundle. */
export function replayCommandLine(file: string): string {
  return `npx raftlab replay ${JSON.stringify(file)}`;
}
