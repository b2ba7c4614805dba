// @ts-check
/**
 * raftlab's own code, precompiled on demand: esbuild bundles an entry point (the CLI, the run process) into ES
 * modules (the entry and the chunks it loads on demand) under node_modules/.cache/raftlab/self/, with packages left
 * to node_modules. A manifest lists every input file with its size and mtime; while none changed, the build is
 * reused, so a start costs a few dozen stat calls instead of compiling TypeScript. Plain JavaScript, because it runs before anything can be
 * compiled (bin/raftlab.js).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
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
  if (!manifest || !existsSync(path.join(outDir, manifest.output))) return false;
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
 * The built module for one entry point: reused while fresh, rebuilt otherwise. Returns its absolute path.
 * @param {keyof typeof selfEntries} name
 * @returns {Promise<string>}
 */
export async function ensureBuilt(name) {
  const manifestFile = path.join(outDir, `${name}.manifest.json`);
  const manifest = readManifest(manifestFile);
  if (fresh(manifest)) return path.join(outDir, manifest.output);

  const esbuild = await import('esbuild');
  // A folder per build, so a process still running an older build keeps its files.
  const stamp = `${name}-${Date.now().toString(36)}-${process.pid}`;
  const buildDir = path.join(outDir, stamp);
  const result = await esbuild.build({
    entryPoints: { [name]: path.join(root, selfEntries[name]) },
    absWorkingDir: root,
    bundle: true,
    // Each command's code is a chunk of its own, loaded when that command runs (src/cli/main.ts).
    splitting: true,
    outdir: buildDir,
    chunkNames: 'chunks/[name]-[hash]',
    outExtension: { '.js': '.mjs' },
    metafile: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Packages are bundled in too (Node's ES module loader resolves, reads and links each of a package's files at
    // every start: zod alone is dozens), except those that must stay files: esbuild (its own binary), the queue's
    // (bullmq reads its Lua scripts from its own folder) and what only the app or the tests use.
    external: ['esbuild', 'bullmq', 'ioredis', 'electron', 'playwright-core'],
    sourcemap: 'linked',
    // No keepNames: nothing is minified, so names survive but where bundling renames a clash (a second `helper`
    // becomes `helper2`), and keepNames's call on every function as it is made cost the sim suite ~4 % of its CPU.
    logLevel: 'silent',
    // The build knows which checkout it is of, even when node_modules (where it lives) is shared by a symlink.
    define: { __RAFTLAB_ROOT__: JSON.stringify(root) },
    banner: { js: "import { createRequire as __raftlabCreateRequire } from 'node:module'; const require = __raftlabCreateRequire(import.meta.url);" },
  });
  const inputs = Object.keys(result.metafile.inputs).map((file) => {
    const st = statSync(path.join(root, file));
    return [file, st.size, st.mtimeMs];
  });
  const output = path.join(stamp, `${name}.mjs`);
  if (!existsSync(path.join(outDir, output))) throw new Error(`raftlab: building ${selfEntries[name]} produced no ${output}`);
  const temp = `${manifestFile}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify({ esbuild: esbuild.version, output, inputs }));
  renameSync(temp, manifestFile);
  prune(name, stamp);
  return path.join(outDir, output);
}
