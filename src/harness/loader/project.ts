/**
 * Which implementation a command means. `--impl DIR` (absolute, relative to the working directory, or starting
 * with `~`) wins; otherwise the nearest package.json above the working directory that has a `raftlab` field
 * (`"raftlab": { "impl": "." }`, as `raftlab init` writes it) names the student's folder; otherwise the reference.
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { raftlabRoot, referenceImplDir } from '../paths.ts';

export type ImplSource = 'flag' | 'project' | 'reference';

export interface ResolvedImpl {
  dir: string;
  source: ImplSource;
  /** The package.json that named it (source 'project'). */
  projectFile?: string;
}

/** A path as a person types it: `~` and `~/x` are the home folder; relative paths are from `cwd`. */
export function expandPath(input: string, cwd = process.cwd()): string {
  const home = os.homedir();
  const expanded = input === '~' ? home : input.startsWith('~/') ? path.join(home, input.slice(2)) : input;
  return path.resolve(cwd, expanded);
}

/** The nearest package.json at or above `cwd` (but not raftlab's own), when it names a raftlab implementation. */
export function findProjectImpl(cwd = process.cwd()): ResolvedImpl | undefined {
  let dir = path.resolve(cwd);
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      if (path.resolve(dir) === path.resolve(raftlabRoot)) return undefined;
      let pkg: { raftlab?: { impl?: unknown } };
      try {
        pkg = JSON.parse(readFileSync(file, 'utf8')) as typeof pkg;
      } catch {
        return undefined;
      }
      const impl = pkg.raftlab?.impl;
      return typeof impl === 'string' ? { dir: path.resolve(dir, impl), source: 'project', projectFile: file } : undefined;
    }
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

export function resolveImpl(flag: string | undefined, cwd = process.cwd()): ResolvedImpl {
  if (flag !== undefined && flag !== '') return { dir: expandPath(flag, cwd), source: 'flag' };
  return findProjectImpl(cwd) ?? { dir: path.resolve(referenceImplDir), source: 'reference' };
}

/** Whether a folder is the reference Raft. */
export const isReference = (dir: string): boolean => path.resolve(dir) === path.resolve(referenceImplDir);
