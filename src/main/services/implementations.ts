/**
 * Which folder an implementation choice names: the reference, the skeleton, a planted bug (labs/bugs/<name>), or a
 * folder the user typed — absolute, relative to the folder the app was started from, or starting with `~` (as the
 * CLI's --impl takes it). A folder that cannot run is refused in words, before anything runs.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BugPatchError, isBugDir, referenceImplDir, resolveImplDir } from '../../harness/tester/index.ts';
import { entryNames, expandPath } from '../../harness/loader/index.ts';
import { readBugAbout } from '../../runner/bug-about.ts';
import { buildForRunning, isGoLabDir } from '../../runner/impl.ts';
import { goSnapshot, inspectGoLab } from '../../golab/index.ts';
import { ImplLoadError } from '../../harness/loader/index.ts';
import type { ImplChoice, ImplResolution } from '../../shared/ipc.ts';
import { InputError } from '../rpc.ts';

export const skeletonImplDir = fileURLToPath(new URL('../../../labs/skeleton/', import.meta.url));

/** `go`: a 6.824 checkout's src/raft, run by the course's Go tester (src/golab). */
export type ImplKind = 'reference' | 'skeleton' | 'bug' | 'folder' | 'go';

export interface ResolvedImplChoice {
  /** Absolute; what batches record and the run processes load (through the loader, which patches a bug). */
  dir: string;
  kind: ImplKind;
}

export class Implementations {
  /** `cwd`: what a relative folder is relative to (the folder the app was started from). */
  constructor(readonly cwd: string = process.cwd()) {}

  /** The folder a choice names, checked; throws InputError saying what is wrong with it. */
  resolve(impl: ImplChoice): ResolvedImplChoice {
    if (impl === 'reference') return { dir: path.resolve(referenceImplDir), kind: 'reference' };
    if (impl === 'skeleton') return { dir: path.resolve(skeletonImplDir), kind: 'skeleton' };
    const typed = impl.trim();
    if (typed === '') throw new InputError('Type the path of your implementation folder.');
    const dir = expandPath(typed, this.cwd);
    let info;
    try {
      info = statSync(dir);
    } catch {
      throw new InputError(`No such folder: ${dir}`);
    }
    if (!info.isDirectory()) throw new InputError(`Not a folder: ${dir}`);
    if (path.resolve(dir) === path.resolve(referenceImplDir)) return { dir: path.resolve(referenceImplDir), kind: 'reference' };
    if (isGoLabDir(dir)) {
      try {
        inspectGoLab(dir);
      } catch (error) {
        if (error instanceof ImplLoadError) throw new InputError(error.message);
        throw error;
      }
      return { dir, kind: 'go' };
    }
    if (isBugDir(dir)) {
      try {
        resolveImplDir(dir);
      } catch (error) {
        if (error instanceof BugPatchError) throw new InputError(error.message);
        throw error;
      }
      return { dir, kind: 'bug' };
    }
    if (!entryNames.some((name) => existsSync(path.join(dir, name)))) {
      throw new InputError(`${dir} has no index.ts exporting make (see labs/api/index.ts)`);
    }
    return { dir, kind: 'folder' };
  }

  /** What a choice names, for the form: the folder, and a planted bug's name and title. */
  describe(impl: ImplChoice): ImplResolution {
    const resolved = this.resolve(impl);
    return { ...resolved, ...(resolved.kind === 'bug' ? { bug: bugOf(resolved.dir) } : {}) };
  }

  /** The folder a choice names, or undefined when it names none that can run. */
  tryResolve(impl: ImplChoice): ResolvedImplChoice | undefined {
    try {
      return this.resolve(impl);
    } catch (error) {
      if (error instanceof InputError) return undefined;
      throw error;
    }
  }

  /**
   * The hash of the folder's sources as they are now (its code version), or undefined when it does not build. The
   * loader reuses its build while no file changed, so asking again is cheap.
   */
  async sourcesHash(dir: string): Promise<string | undefined> {
    try {
      // A Go lab's sources are hashed as they are read: no build needed to know its code version.
      if (isGoLabDir(dir)) return goSnapshot(inspectGoLab(dir)).hash;
      return (await buildForRunning(dir)).ref.sourcesHash;
    } catch {
      return undefined;
    }
  }
}

/** A planted bug's name and title (its folder's name when about.json cannot be read). */
export function bugOf(dir: string): { name: string; title: string } {
  const name = path.basename(dir);
  try {
    return { name, title: readBugAbout(dir).title };
  } catch {
    return { name, title: name };
  }
}
