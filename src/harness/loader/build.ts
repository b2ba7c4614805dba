/**
 * Building an implementation folder: esbuild bundles its entry (index.ts, .mts, .js) and every local file it
 * imports — TypeScript or JavaScript, side-effect imports included — into one ES module in raftlab's build cache,
 * with an inline source map so stacks name the student's own file and line. The build reads each file once,
 * through a plugin that also records it, so the snapshot (src/harness/loader/snapshot.ts) is exactly what was
 * compiled. Building never runs the implementation's code: that happens only in a run process.
 *
 * `raftlab/api` (and `raftlab`) resolve to this raftlab's API wherever the folder is, so a student's folder needs
 * neither raftlab's sources beside it nor a build step.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, unlinkSync, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as esbuild from 'esbuild';
import { apiEntry, cacheDir, raftlabRoot, raftlabVersion } from '../paths.ts';
import { writeAtomic } from '../write-atomic.ts';
import { BugPatchError, resolveImplDir } from './bug-patch.ts';
import { sha256, snapshotHash, sourcesFormat, type SourceFile, type SourceSnapshot } from './snapshot.ts';

export type ImplLoadErrorCode =
  | 'IMPL_NOT_FOUND'
  | 'IMPL_BUILD_FAILED'
  | 'IMPL_LOAD_FAILED'
  | 'IMPL_NO_MAKE'
  | 'IMPL_TOO_LARGE'
  // A Go lab (src/golab): a folder that is not a 6.824 checkout's src/raft, no Go toolchain, one too old to build it.
  | 'GO_NOT_A_LAB'
  | 'GO_TOOLCHAIN_MISSING'
  | 'GO_TOOLCHAIN_TOO_OLD';

/** An implementation folder that cannot be used; the message says which and why, in one line where it can. */
export class ImplLoadError extends Error {
  readonly code: ImplLoadErrorCode;
  constructor(code: ImplLoadErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ImplLoadError';
    this.code = code;
  }
}

/** The entry files an implementation folder may have, in the order they are looked for. */
export const entryNames = ['index.ts', 'index.mts', 'index.js', 'index.mjs'] as const;

/** Sources larger than this in total are refused: a Raft is a few thousand lines, not a node_modules. */
export const sourcesMaxBytes = 8 * 1024 * 1024;

export interface BuiltImpl {
  /** The implementation folder, absolute, as named (a planted bug's own folder, not its patched copy). */
  dir: string;
  /** The built module (an ES module file in the build cache). */
  file: string;
  /** SHA-256 of the built module's text. */
  buildHash: string;
  snapshot: SourceSnapshot;
  /** Absolute folder the snapshot's relative paths start from. */
  root: string;
}

const loaders: Record<string, esbuild.Loader> = {
  '.ts': 'ts',
  '.mts': 'ts',
  '.cts': 'ts',
  '.js': 'js',
  '.mjs': 'js',
  '.cjs': 'js',
  '.json': 'json',
};

// ESM output cannot `require`; CommonJS code a student bundles (or its packages) still may.
/** What `import.meta.url` becomes in a CommonJS build: the run process passes the built file's URL under this name. */
export const importMetaUrlName = '__raftlabImportMetaUrl';

const banner = "import { createRequire as __raftlabCreateRequire } from 'node:module'; const require = __raftlabCreateRequire(import.meta.url);";

function findEntry(dir: string): string {
  let info;
  try {
    info = statSync(dir);
  } catch {
    throw new ImplLoadError('IMPL_NOT_FOUND', `implementation folder ${dir} does not exist`);
  }
  if (!info.isDirectory()) throw new ImplLoadError('IMPL_NOT_FOUND', `${dir} is not a folder`);
  const entry = entryNames.map((name) => path.join(dir, name)).find((file) => existsSync(file));
  if (!entry) throw new ImplLoadError('IMPL_NOT_FOUND', `implementation folder ${dir} has no index.ts (or index.mts / index.js) exporting make (a Go lab: the src/raft folder of a 6.824 checkout)`);
  return entry;
}

function commonRoot(paths: readonly string[]): string {
  let root = paths[0]!;
  for (const p of paths) {
    while (root !== path.dirname(root) && path.relative(root, p).startsWith('..')) root = path.dirname(root);
  }
  return root;
}

const posix = (p: string): string => p.split(path.sep).join('/');

function formatBuildErrors(errors: readonly esbuild.Message[], dir: string): string {
  const shown = errors.slice(0, 5).map((m) => {
    const where = m.location ? `${path.relative(dir, path.resolve(dir, m.location.file)) || m.location.file}:${m.location.line}:${m.location.column + 1}: ` : '';
    return `${where}${m.text}`;
  });
  const more = errors.length > shown.length ? ` (and ${errors.length - shown.length} more)` : '';
  return shown.join('; ') + more;
}

/** The package a file in node_modules belongs to, as name@version. */
function packageOf(file: string): string | undefined {
  const parts = file.split(path.sep);
  const at = parts.lastIndexOf('node_modules');
  const name = parts[at + 1]?.startsWith('@') ? `${parts[at + 1]}/${parts[at + 2]}` : parts[at + 1];
  if (at < 0 || !name) return undefined;
  try {
    const pkgFile = path.join(parts.slice(0, at + 1).join(path.sep), ...name.split('/'), 'package.json');
    return `${name}@${(JSON.parse(readFileSync(pkgFile, 'utf8')) as { version?: string }).version ?? '?'}`;
  } catch {
    return name;
  }
}

interface CacheEntry {
  built: BuiltImpl;
  /** Every file the build read, with what it looked like then: a changed one means rebuild. */
  stamps: Array<{ file: string; mtimeMs: number; size: number }>;
}

const cache = new Map<string, CacheEntry>();

/** The build cache's record of a folder's last build, for the next process. */
const manifestFormat = 'raftlab-impl-build/1';
/** How a folder is built: this file's source (a build made by other code is not reused). */
const buildRecipe = path.join(raftlabRoot, 'src', 'harness', 'loader', 'build.ts');
/** What a student's `node:timers` and `node:timers/promises` become (runtime/node-timers). */
const nodeTimerShims = {
  timers: path.join(raftlabRoot, 'src', 'harness', 'runtime', 'node-timers', 'timers.ts'),
  promises: path.join(raftlabRoot, 'src', 'harness', 'runtime', 'node-timers', 'promises.ts'),
};

function manifestFile(outDir: string, cacheKey: string): string {
  return path.join(outDir, 'manifests', `${sha256(cacheKey).slice(0, 24)}.json`);
}

/**
 * The last build of a folder made by any process, while nothing it was made from has changed: every file it read
 * (the student's, the packages it bundled, raftlab's API), and every folder those are in (a new file there could
 * change what an import resolves to). A start of the CLI then needs no esbuild at all.
 */
function persistedBuild(file: string): CacheEntry | undefined {
  let saved: { format?: unknown; raftlab?: unknown; entry?: CacheEntry };
  try {
    saved = JSON.parse(readFileSync(file, 'utf8')) as typeof saved;
  } catch {
    return undefined;
  }
  if (saved.format !== manifestFormat || saved.raftlab !== raftlabVersion || !saved.entry) return undefined;
  const entry = saved.entry;
  if (!Array.isArray(entry.stamps) || typeof entry.built?.file !== 'string' || !stillFresh(entry)) return undefined;
  return entry;
}

function persistBuild(file: string, entry: CacheEntry): void {
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeAtomic(file, JSON.stringify({ format: manifestFormat, raftlab: raftlabVersion, entry }));
  } catch {
    // a cache that cannot be written is rebuilt next time
  }
}

function stampOf(file: string): CacheEntry['stamps'][number] | undefined {
  try {
    const st = statSync(file);
    return { file, mtimeMs: st.mtimeMs, size: st.size };
  } catch {
    return undefined;
  }
}

function stillFresh(entry: CacheEntry): boolean {
  if (!existsSync(entry.built.file)) return false;
  for (const stamp of entry.stamps) {
    try {
      const st = statSync(stamp.file);
      if (st.mtimeMs !== stamp.mtimeMs || st.size !== stamp.size) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/** Keep the build cache bounded: the newest `keep` built modules stay. */
function pruneBuilds(dir: string, keep = 300): void {
  let files: Array<{ file: string; mtimeMs: number }>;
  try {
    files = readdirSync(dir)
      .filter((f) => f.endsWith('.mjs') || f.endsWith('.cjs'))
      .map((f) => ({ file: path.join(dir, f), mtimeMs: statSync(path.join(dir, f)).mtimeMs }));
  } catch {
    return;
  }
  if (files.length <= keep) return;
  files.sort((a, b) => b.mtimeMs - a.mtimeMs);
  for (const { file } of files.slice(keep)) {
    for (const gone of [file, `${file}${probeSuffix}`]) {
      try {
        unlinkSync(gone);
      } catch {
        // another process may have pruned it (a build may have no probe record)
      }
    }
  }
}

/** Beside a built module: what loading it in a run process found (src/runner/impl.ts), for the next process. */
export const probeSuffix = '.probe.json';

/** Builds waiting on esbuild's service process. */
let buildsInFlight = 0;

/**
 * Build an implementation folder (absolute or relative to the working directory) into one ES module. Reuses the
 * previous build while none of the files it read has changed. Throws ImplLoadError for a folder that is missing,
 * has no entry, or does not compile (with file:line of the first errors).
 */
export async function buildImplementation(dir: string, options: { outDir?: string } = {}): Promise<BuiltImpl> {
  const named = path.resolve(dir);
  // A planted bug (a folder with bug.patch) builds from the reference with its patch applied.
  let absolute: string;
  try {
    absolute = resolveImplDir(named);
  } catch (error) {
    if (error instanceof BugPatchError) throw new ImplLoadError('IMPL_BUILD_FAILED', error.message, { cause: error });
    throw error;
  }
  // Builds for grading go to a folder of the submission's own (the only one its run processes may read).
  const outDir = path.resolve(options.outDir ?? path.join(cacheDir(), 'impl'));
  const cacheKey = `${absolute}\0${outDir}`;
  const cached = cache.get(cacheKey);
  if (cached && stillFresh(cached)) return { ...cached.built, dir: named };
  const manifest = manifestFile(outDir, cacheKey);
  const persisted = persistedBuild(manifest);
  if (persisted) {
    cache.set(cacheKey, persisted);
    return { ...persisted.built, dir: named };
  }

  const entry = findEntry(absolute);
  const read = new Map<string, string>();
  const stamps: CacheEntry['stamps'] = [];
  let total = 0;
  const recorder: esbuild.Plugin = {
    name: 'raftlab-sources',
    setup(build) {
      // The API, wherever the student's folder is: this raftlab's own labs/api.
      build.onResolve({ filter: /^raftlab(\/api)?$/ }, () => ({ path: apiEntry, namespace: 'raftlab-api' }));
      build.onLoad({ filter: /.*/, namespace: 'raftlab-api' }, async (args) => ({
        contents: await readFile(args.path, 'utf8'),
        loader: 'ts',
        resolveDir: path.dirname(args.path),
      }));
      // node:timers and node:timers/promises: raftlab's, which call the global timers when called, and so wait virtual
      // time in a sim run (Node's own bind the real timers on load). For the student's code and its packages alike.
      build.onResolve({ filter: /^(node:)?timers(\/promises)?$/ }, (args) => ({
        path: args.path.endsWith('promises') ? nodeTimerShims.promises : nodeTimerShims.timers,
        namespace: 'raftlab-node-timers',
      }));
      build.onResolve({ filter: /.*/, namespace: 'raftlab-node-timers' }, (args) => {
        if (args.path !== './promises.ts') throw new Error(`raftlab's node:timers imports ${args.path}`);
        return { path: nodeTimerShims.promises, namespace: 'raftlab-node-timers' };
      });
      build.onLoad({ filter: /.*/, namespace: 'raftlab-node-timers' }, async (args) => ({ contents: await readFile(args.path, 'utf8'), loader: 'ts' }));
      build.onLoad({ filter: /.*/, namespace: 'file' }, async (args) => {
        const loader = loaders[path.extname(args.path)];
        if (args.path.split(path.sep).includes('node_modules')) return undefined;
        const text = await readFile(args.path, 'utf8');
        const st = statSync(args.path);
        total += text.length;
        if (total > sourcesMaxBytes) {
          throw new ImplLoadError('IMPL_TOO_LARGE', `the sources of ${absolute} pass ${sourcesMaxBytes / 1024 / 1024} MB; is a data file imported?`);
        }
        read.set(args.path, text);
        stamps.push({ file: args.path, mtimeMs: st.mtimeMs, size: st.size });
        return { contents: text, ...(loader ? { loader } : {}) };
      });
    },
  };

  // Loaded on first build: commands that build nothing (list, check, export) never pay for it. Required, not
  // imported: raftlab's own bundle runs in a vm.Script, whose import() would need an experimental flag.
  const { build, stop } = createRequire(import.meta.url)('esbuild') as typeof esbuild;
  // CommonJS first: a run process compiles it once and runs its top level afresh for every run (a new ES module
  // instance costs a file read, a compile and a link each time). Only a module with top-level await needs ESM.
  const attempt = (format: 'cjs' | 'esm') => {
    read.clear();
    stamps.length = 0;
    total = 0;
    return build({
      entryPoints: [entry],
      absWorkingDir: absolute,
      bundle: true,
      write: false,
      metafile: true,
      format,
      platform: 'node',
      target: 'node20',
      sourcemap: 'external',
      sourcesContent: false,
      keepNames: true,
      logLevel: 'silent',
      outfile: path.join(outDir, format === 'cjs' ? 'impl.cjs' : 'impl.mjs'),
      ...(format === 'cjs' ? { define: { 'import.meta.url': importMetaUrlName } } : { banner: { js: banner } }),
      plugins: [recorder],
    });
  };
  let result: esbuild.BuildResult<{ metafile: true; write: false }>;
  let format: 'cjs' | 'esm' = 'cjs';
  buildsInFlight++;
  try {
    try {
      result = await attempt('cjs');
    } catch (error) {
      const failure = error as esbuild.BuildFailure;
      if (!failure.errors?.some((m) => /top-level await/i.test(m.text))) throw error;
      format = 'esm';
      result = await attempt('esm');
    }
  } catch (error) {
    const failure = error as esbuild.BuildFailure;
    const cause = failure.errors?.find((m) => m.detail instanceof ImplLoadError)?.detail as ImplLoadError | undefined;
    if (cause) throw cause;
    if (Array.isArray(failure.errors) && failure.errors.length > 0) {
      throw new ImplLoadError('IMPL_BUILD_FAILED', `${absolute} does not compile: ${formatBuildErrors(failure.errors, absolute)}`, { cause: error });
    }
    throw error;
  } finally {
    // esbuild's service process pings this one every second or so for as long as it lives: over a real-clock run
    // that is CPU for nothing. It is stopped once no build is in flight (the next build starts it again).
    if (--buildsInFlight === 0) void stop();
  }

  // raftlab's own modules (namespaces raftlab-api, raftlab-node-timers) are not the student's: stamped below instead.
  const inputs = Object.keys(result.metafile.inputs).map((p) => (/^raftlab-[\w-]+:/.test(p) ? undefined : path.resolve(absolute, p)));
  const packages = [...new Set(inputs.filter((p): p is string => !!p && p.split(path.sep).includes('node_modules')).map(packageOf))]
    .filter((p): p is string => !!p)
    .sort();
  const root = commonRoot([absolute, ...read.keys()]);
  const files: SourceFile[] = [...read.entries()]
    .map(([file, text]) => ({ path: posix(path.relative(root, file)), sha256: sha256(text), text }))
    .sort((a, b) => (a.path < b.path ? -1 : 1));
  const implDir = posix(path.relative(root, absolute)) || '.';
  const entryRel = posix(path.relative(root, entry));
  const snapshot: SourceSnapshot = {
    format: sourcesFormat,
    implDir,
    entry: entryRel,
    files,
    packages,
    hash: snapshotHash(files, entryRel, implDir),
  };

  const output = result.outputFiles.find((f) => f.path.endsWith(format === 'cjs' ? '.cjs' : '.mjs'))!;
  // The source map goes inline, naming each source by its absolute path, so a stack reads /home/you/raft/raft.ts:120.
  const mapFile = result.outputFiles.find((f) => f.path.endsWith('.map'));
  let code = output.text.replace(/\n\/\/# sourceMappingURL=[^\n]*\n?$/, '\n');
  if (mapFile) {
    const map = JSON.parse(mapFile.text) as { sources: string[] };
    map.sources = map.sources.map((source) => (source.includes(':') && !source.startsWith('.') ? source : path.resolve(outDir, source)));
    code += `//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(map)).toString('base64')}\n`;
  }
  const buildHash = sha256(code);
  const file = path.join(outDir, `${buildHash.slice(0, 24)}.${format === 'cjs' ? 'cjs' : 'mjs'}`);
  if (!existsSync(file)) {
    mkdirSync(outDir, { recursive: true });
    writeAtomic(file, code);
    if (!options.outDir) pruneBuilds(outDir);
  }
  const built: BuiltImpl = { dir: named, file, buildHash, snapshot, root };
  cache.set(cacheKey, { built, stamps });
  // For the next process: also what the build read that the snapshot leaves out (packages, raftlab's API), the
  // folders of all of it, and how raftlab builds (this file, in a checkout whose version has not moved).
  const alsoRead = [apiEntry, buildRecipe, nodeTimerShims.timers, nodeTimerShims.promises, ...inputs.filter((p): p is string => !!p && p.split(path.sep).includes('node_modules'))];
  const folders = [...new Set([absolute, ...[...read.keys(), ...alsoRead].map((f) => path.dirname(f))])];
  const extra = [...alsoRead, ...folders].map(stampOf);
  if (extra.every((stamp) => stamp !== undefined)) persistBuild(manifest, { built, stamps: [...stamps, ...extra] });
  return built;
}
