/**
 * Loading a built implementation into this thread: import the built module and take its `make` (and optional
 * `describeState`). The runner does this only inside a run process (src/runner/child/); tests and benchmarks of
 * trusted code call loadImplementation directly.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';
import type { DescribeState, MakeRaft } from '../../../labs/api/index.ts';
import { referenceImplDir } from '../paths.ts';
import { buildImplementation, importMetaUrlName, ImplLoadError, type BuiltImpl } from './build.ts';
import { implementationSite, mapStack } from './site.ts';
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
 * Given by raftlab's bundle loader (src/build/self-build.mjs), which runs raftlab in a vm.Script: there, a bare
 * import() needs Node's experimental vm flags or prints an experimental warning.
 */
declare const __raftlabImport: ((specifier: string) => Promise<Record<string, unknown>>) | undefined;
const importModule = typeof __raftlabImport === 'function' ? __raftlabImport : (specifier: string) => import(specifier) as Promise<Record<string, unknown>>;

/**
 * Import a built module and check its exports. `instance` makes a fresh copy of the module (its top-level state
 * included): each run gets its own, as each `go test` process would.
 */
export async function importBuilt(file: string, instance?: string): Promise<ImplModule> {
  let mod: Record<string, unknown>;
  try {
    if (file.endsWith('.cjs')) mod = instantiate(file);
    else mod = await importModule(pathToFileURL(file).href + (instance ? `?instance=${encodeURIComponent(instance)}` : ''));
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

type ModuleFactory = (exports: object, require: NodeJS.Require, module: { exports: object }, filename: string, dirname: string, importMetaUrl: string) => void;
const factories = new Map<string, ModuleFactory>();

/**
 * A fresh instance of a CommonJS build: its code is compiled once per process (the factory), its top level runs
 * anew for each instance, so module-level state never carries from one run to the next.
 */
function instantiate(file: string): Record<string, unknown> {
  let factory = factories.get(file);
  if (!factory) {
    // The wrapper sits on a line of its own, so the build's source map stays one line off (see mapStack).
    factory = vm.runInThisContext(`(function (exports, require, module, __filename, __dirname, ${importMetaUrlName}) {\n${readFileSync(file, 'utf8')}\n})`, {
      filename: file,
    }) as ModuleFactory;
    factories.set(file, factory);
  }
  const module = { exports: {} as Record<string, unknown> };
  factory.call(module.exports, module.exports, createRequire(file), module, file, path.dirname(file), pathToFileURL(file).href);
  return module.exports;
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
    const site = implementationSite(mapStack(error.cause instanceof Error ? error.cause.stack : undefined), built.root, path.join(built.root, ...built.snapshot.implDir.split('/')));
    const entry = path.join(built.root, ...built.snapshot.entry.split('/'));
    throw new ImplLoadError(error.code, `could not load ${entry}: ${error.message}${site ? ` (at ${site})` : ''}`, { cause: error.cause });
  }
}
