// @ts-check
/**
 * raftlab's own code, precompiled on demand: esbuild bundles an entry point (the CLI, the run process) into one
 * CommonJS file under node_modules/.cache/raftlab/self/, with packages left to node_modules. A manifest lists every
 * input file with its size and mtime; while none changed, the build is reused, so a start costs a few dozen stat calls
 * instead of compiling TypeScript. Plain JavaScript, because it runs before anything can be compiled (bin/raftlab.js).
 *
 * Beside the bundle, a small loader runs it with a V8 code cache: the bytecode of every function the first process
 * of a kind compiled (each CLI command, each run process's V8 flags, its own cache), written when that process exits.
 * A start then deserializes bytecode instead of parsing and compiling the bundle's functions again: `raftlab test`
 * of one sim test took ~0.3 s of CPU, ~70 ms of it compiling raftlab (docs/benchmarks.md). V8 checks each cache
 * against the source and its own version and flags, and a cache it refuses is written anew. With Node's source maps
 * on (`--enable-source-maps`), the loader requires the bundle instead, so that stacks name raftlab's sources.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** raftlab's folder: up from this file (or from the build of it that bundles it) to raftlab's package.json. */
function findRoot() {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      if (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).name === 'raftlab') return dir;
    } catch {
      // no package.json here, or not raftlab's
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`raftlab: cannot find raftlab's package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

// The CLI's build bundles this file: there, esbuild's define names the checkout it was built from (a shared,
// symlinked node_modules would otherwise lead the walk to another checkout).
// eslint-disable-next-line no-undef
const root = typeof __RAFTLAB_ROOT__ === 'string' ? __RAFTLAB_ROOT__ : findRoot();
// One folder per raftlab checkout: two checkouts may share a node_modules (a symlink), never a build.
const outDir = path.join(root, 'node_modules', '.cache', 'raftlab', 'self', createHash('sha256').update(root).digest('hex').slice(0, 12));

/** The entry points raftlab builds of itself. */
export const selfEntries = {
  cli: 'src/cli/main.ts',
  child: 'src/runner/child/main.ts',
};

/**
 * @param {{ inputs: Array<[string, number, number]>, esbuild: string, output: string } | undefined} manifest
 */
function fresh(manifest) {
  if (!manifest || !existsSync(path.join(outDir, manifest.output))) return false; // the loader, written after the bundle
  for (const [file, size, mtimeMs] of manifest.inputs) {
    try {
      const st = statSync(path.join(root, file));
      if (st.size !== size || st.mtimeMs !== mtimeMs) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/** @param {string} file */
function readManifest(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Remove older builds of an entry point, keeping the newest few (a process started a moment ago may still be
 * loading one).
 * @param {string} name
 * @param {string} current the current build's folder
 */
function prune(name, current) {
  const builds = readdirSync(outDir)
    .filter((f) => f.startsWith(`${name}-`) && f !== current)
    .map((f) => ({ f, mtimeMs: statSync(path.join(outDir, f)).mtimeMs }))
    .sort((a, b) => b.mtimeMs - a.mtimeMs);
  for (const { f } of builds.slice(2)) rmSync(path.join(outDir, f), { recursive: true, force: true });
}

/**
 * The loader of an entry point's bundle (CommonJS, beside it): runs the bundle with a V8 code cache, one per kind of
 * process — per CLI command, per set of Node flags (a run process's differ by clock) — and writes the cache, when it
 * had none V8 took, as the process exits, with every function it compiled by then. The cache keeps what the first
 * process to write it compiled, so a process that did only part of its kind's work writes none: a CLI command refused
 * as bad input (exit 2), and a run process that only probed an implementation (the bundle says so through
 * `__raftlabSkipCodeCache`; a sim run process that took a probe's cache compiled 195 KB of bytecode past it, against
 * 120 KB past a run's, and a sim test through `raftlab test` took 144 against 131 ms of CPU). A cache that cannot be
 * read or written (a confined run process may write only its scratch folder) is no cache: the bundle is compiled as
 * usual.
 * @param {keyof typeof selfEntries} name
 */
function loaderSource(name) {
  return `'use strict';
// Generated by raftlab's src/build/self-build.mjs: runs ${name}.bundle.cjs with a V8 code cache.
const { readFileSync, renameSync, writeFileSync } = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const vm = require('node:vm');
const bundle = path.join(__dirname, '${name}.bundle.cjs');
if (process.sourceMapsEnabled) {
  require(bundle); // Node maps stacks of what it loads itself, not of a vm.Script
} else {
  const command = ${name === 'cli' ? "/^[a-z]+$/.test(process.argv[2] ?? '') ? process.argv[2] : ''" : "''"};
  let hash = 0x811c9dc5;
  for (const ch of JSON.stringify([process.version, process.execArgv, command])) hash = Math.imul(hash ^ ch.charCodeAt(0), 0x01000193);
  const cacheFile = path.join(__dirname, \`${name}.\${(hash >>> 0).toString(36)}.v8cache\`);
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    // none yet
  }
  // Module.wrap's parameters and two more: an import() of this file's, for what the bundle imports at run time (a
  // student's ES module build; the script's own would need --experimental-vm-modules), and the bundle's way to say
  // that this process's work is not its kind's (src/build/self-build.mjs says why).
  const wrapped = '(function (exports, require, module, __filename, __dirname, __raftlabImport, __raftlabSkipCodeCache) { ' + readFileSync(bundle, 'utf8') + '\\n})';
  const script = new vm.Script(wrapped, { filename: bundle, cachedData });
  let skip = false;
  if (cachedData === undefined || script.cachedDataRejected) {
    process.once('exit', (code) => {
      if (skip${name === 'cli' ? ' || code === 2' : ''}) return; // bad input, or only a probe: not this kind's usual work
      const temp = \`\${cacheFile}.\${process.pid}.tmp\`;
      try {
        writeFileSync(temp, script.createCachedData());
        renameSync(temp, cacheFile);
      } catch {
        // a folder this process may not write: the next process tries again
      }
    });
  }
  const loaded = new Module(bundle, module);
  loaded.filename = bundle;
  loaded.paths = Module._nodeModulePaths(__dirname);
  script.runInThisContext()(loaded.exports, Module.createRequire(bundle), loaded, bundle, __dirname, (specifier) => import(specifier), () => {
    skip = true;
  });
}
`;
}

/**
 * The built module for one entry point: reused while fresh, rebuilt otherwise. Returns its absolute path.
 * @param {keyof typeof selfEntries} name
 * @returns {Promise<string>}
 */
export async function ensureBuilt(name) {
  const manifestFile = path.join(outDir, `${name}.manifest.json`);
  const manifest = readManifest(manifestFile);
  if (fresh(manifest)) return path.join(outDir, manifest.output);

  // Required, not imported: in the CLI's bundle this runs in a vm.Script, whose import() needs an experimental flag.
  /** @type {typeof import('esbuild')} */
  const esbuild = createRequire(import.meta.url)('esbuild');
  // A folder per build, so a process still running an older build keeps its files.
  const stamp = `${name}-${Date.now().toString(36)}-${process.pid}`;
  const buildDir = path.join(outDir, stamp);
  const result = await esbuild.build({
    entryPoints: { [`${name}.bundle`]: path.join(root, selfEntries[name]) },
    absWorkingDir: root,
    bundle: true,
    // One file: the code cache holds only what ran, so a command's code that does not run costs nothing but its bytes.
    // Each command's modules still start only when it runs (src/cli/main.ts's dynamic imports).
    outdir: buildDir,
    outExtension: { '.js': '.cjs' },
    metafile: true,
    // CommonJS, for the code cache (Node 20's ES module loader takes none); Node's own source maps then need require.
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    // Packages are bundled in too (Node resolves, reads and compiles each of a package's files at every start: zod
    // alone is dozens), except those that must stay files: esbuild (its own binary), the queue's (bullmq reads its Lua
    // scripts from its own folder) and what only the app or the tests use.
    external: ['esbuild', 'bullmq', 'ioredis', 'electron', 'playwright-core'],
    sourcemap: 'linked',
    // No keepNames: nothing is minified, so names survive but where bundling renames a clash (a second `helper`
    // becomes `helper2`), and keepNames's call on every function as it is made cost the sim suite ~4 % of its CPU.
    logLevel: 'silent',
    // The build knows which checkout it is of, even when node_modules (where it lives) is shared by a symlink.
    define: { __RAFTLAB_ROOT__: JSON.stringify(root), 'import.meta.url': '__raftlabImportMetaUrl' },
    // The sources are ES modules, strict throughout: so is their bundle.
    banner: { js: "'use strict';\nvar __raftlabImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  });
  // This file too, though only the CLI's bundle holds it: it writes every build's loader.
  const inputs = [...new Set([...Object.keys(result.metafile.inputs), 'src/build/self-build.mjs'])].map((file) => {
    const st = statSync(path.join(root, file));
    return [file, st.size, st.mtimeMs];
  });
  const bundle = path.join(buildDir, `${name}.bundle.cjs`);
  if (!existsSync(bundle)) throw new Error(`raftlab: building ${selfEntries[name]} produced no ${bundle}`);
  const output = path.join(stamp, `${name}.cjs`);
  writeFileSync(path.join(outDir, output), loaderSource(name));
  const temp = `${manifestFile}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify({ esbuild: esbuild.version, output, inputs }));
  renameSync(temp, manifestFile);
  prune(name, stamp);
  return path.join(outDir, output);
}
