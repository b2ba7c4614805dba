/**
 * Where raftlab's own files are. raftlab runs from its TypeScript sources (tests), from a build of them under
 * node_modules/.cache (the CLI, the run processes) and from electron-vite's out/ (the app), so paths are found by
 * walking up to raftlab's package.json rather than counted relative to one file.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface PackageJson {
  name: string;
  version: string;
  description: string;
}

// Set by raftlab's own build (src/build/self-build.mjs) to the checkout it was built from; undefined from sources.
declare const __RAFTLAB_ROOT__: string | undefined;

function findRoot(): string {
  if (typeof __RAFTLAB_ROOT__ === 'string') return __RAFTLAB_ROOT__;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        if ((JSON.parse(readFileSync(file, 'utf8')) as Partial<PackageJson>).name === 'raftlab') return dir;
      } catch {
        // not ours; keep looking
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`raftlab: cannot find raftlab's package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** raftlab's own folder (the one with its package.json). */
export const raftlabRoot = findRoot();
export const raftlabPackage = JSON.parse(readFileSync(path.join(raftlabRoot, 'package.json'), 'utf8')) as PackageJson;
export const raftlabVersion = raftlabPackage.version;

/** The student-facing API (`import type { … } from 'raftlab/api'`). */
export const apiEntry = path.join(raftlabRoot, 'labs', 'api', 'index.ts');
/** The reference Raft's folder. */
export const referenceImplDir = path.join(raftlabRoot, 'labs', 'raft') + path.sep;
/** The student skeleton's folder (what `raftlab init` copies). */
export const skeletonImplDir = path.join(raftlabRoot, 'labs', 'skeleton') + path.sep;
/** The planted bugs. */
export const bugsDir = path.join(raftlabRoot, 'labs', 'bugs') + path.sep;

/**
 * raftlab's build cache: built implementations and raftlab's own precompiled entry points. Inside raftlab's
 * node_modules so that the precompiled code resolves its packages from there; RAFTLAB_CACHE moves it.
 */
export function cacheDir(): string {
  return process.env.RAFTLAB_CACHE ? path.resolve(process.env.RAFTLAB_CACHE) : path.join(raftlabRoot, 'node_modules', '.cache', 'raftlab');
}
