/**
 * raftlab's temporary folders: a run process's scratch folder and a grading job's traces. Each name carries the pid
 * of the raftlab process that made it, so what a raftlab killed outright (SIGKILL, a crash) left behind is known by
 * that process being gone, and the next pool that starts or closes removes it.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { processAlive } from './process-alive.ts';

export type ScratchKind = 'run' | 'grade-traces';
const kinds: readonly ScratchKind[] = ['run', 'grade-traces'];
const owned = new RegExp(`^raftlab-(${kinds.join('|')})-(\\d+)-`);

/** A new temporary folder of `kind`, owned by this process. */
export function makeScratch(kind: ScratchKind): string {
  return mkdtempSync(path.join(os.tmpdir(), `raftlab-${kind}-${process.pid}-`));
}

/** Remove the temporary folders whose raftlab process is gone; returns their names. Never throws. */
export function removeOrphanedScratch(dir: string = os.tmpdir()): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = Number(owned.exec(name)?.[2]);
    if (!(pid > 0) || pid === process.pid || processAlive(pid)) continue;
    try {
      rmSync(path.join(dir, name), { recursive: true, force: true });
      removed.push(name);
    } catch {
      // another user's, or going already: not ours to insist on
    }
  }
  return removed;
}
