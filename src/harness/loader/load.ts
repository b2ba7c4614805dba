/**
 * Loading a built implementation into this thread: import the built module and take its `make` (and optional
 * `describeState`). The runner does this only inside a run process (src/runner/child/); tests and benchmarks of
 * trusted code call loadImplementation directly.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DescribeState, MakeRaft } from '../../../labs/api/index.ts';
import { referenceImplDir } from '../paths.ts';
import { buildImplementation, ImplLoadError, type BuiltImpl } from './build.ts';
import { implementationSite } from './site.ts';
import { describeThrown } from '../thrown.ts';

export { describeThrown };

/** What an implementation module gives the tester. */
export interface ImplModule {
  make: MakeRaft;
  /** The optional export that tells the checker what the persisted state means (labs/api). */
  describeState?: DescribeState;
}

export interface LoadedImpl extends ImplModule {
  dir: string;
  built: BuiltImpl;
}

/**
 * Import a built module and check its exports. `instance` makes a fresh copy of the module (its top-level state
 * included): each run gets its own, as each `go test` process would.
 */
export async function importBuilt(file: string, instance?: string): Promise<ImplModule> {
  let mod: Record<string, unknown>;
  const url = pathToFileURL(file).href + (instance ? `?instance=${encodeURIComponent(instance)}` : '');
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (error) {
    throw new ImplLoadError('IMPL_LOAD_FAILED', `the implementation threw while loading: ${describeThrown(error)}`, { cause: error });
  }
  const make = mod.make ?? (mod.default as Record<string, unknown> | undefined)?.make;
  if (typeof make !== 'function') {
    throw new ImplLoadError('IMPL_NO_MAKE', 'the implementation must export a function named make (export const make: MakeRaft = ...)');
  }
  const describeState = mod.describeState ?? (mod.default as Record<string, unknown> | undefined)?.describeState;
  if (describeState !== undefined && typeof describeState !== 'function') {
    throw new ImplLoadError('IMPL_LOAD_FAILED', 'the implementation exports describeState, but not as a function (see labs/api: export const describeState: DescribeState = …)');
  }
  return { make: make as MakeRaft, ...(describeState ? { describeState: describeState as ImplModule['describeState'] } : {}) };
}

const loaded = new Map<string, Promise<ImplModule>>();

/**
 * Build and load an implementation folder in this thread (trusted code only: tests, benchmarks). The module is
 * imported once per build; a changed folder is rebuilt and imported anew.
 */
export async function loadImplementation(dir: string = referenceImplDir): Promise<LoadedImpl> {
  process.setSourceMapsEnabled(true);
  const built = await buildImplementation(dir);
  let mod = loaded.get(built.file);
  if (!mod) {
    mod = importBuilt(built.file);
    loaded.set(built.file, mod);
    mod.catch(() => loaded.delete(built.file));
  }
  try {
    return { ...(await mod), dir: built.dir, built };
  } catch (error) {
    if (!(error instanceof ImplLoadError)) throw error;
    const site = implementationSite(error.cause instanceof Error ? error.cause.stack : undefined, built.root, path.join(built.root, ...built.snapshot.implDir.split('/')));
    const entry = path.join(built.root, ...built.snapshot.entry.split('/'));
    throw new ImplLoadError(error.code, `could not load ${entry}: ${error.message}${site ? ` (at ${site})` : ''}`, { cause: error.cause });
  }
}
