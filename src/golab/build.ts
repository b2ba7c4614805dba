/**
 * Building a Go lab: `go test -c` (with `-race` when asked) compiles the raft package's test binary once per change of
 * its sources; every run then starts that binary, never `go test` (which would recompile, or at least re-check, each
 * time). Binaries are cached in raftlab's build cache under a key of the source snapshot's hash, the folder, the Go
 * version and the race flag, so a second batch over unchanged code — in this process or another — builds nothing.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createHash, randomBytes } from 'node:crypto';
import { ImplLoadError } from '../harness/loader/build.ts';
import type { SourceSnapshot } from '../harness/loader/snapshot.ts';
import { cacheDir } from '../harness/paths.ts';
import { goSnapshot, goTestNames, inspectGoLab, type GoLab } from './lab.ts';
import { findGo, type GoToolchain } from './toolchain.ts';

export interface GoBuild {
  lab: GoLab;
  /** The test binary. */
  binary: string;
  race: boolean;
  go: GoToolchain;
  snapshot: SourceSnapshot;
  /** The package's tests (`func TestX(t *testing.T)`), in file order. */
  tests: string[];
  /** Whether this call compiled (false: the cached binary). */
  compiled: boolean;
  buildMs: number;
}

export interface GoBuildOptions {
  race?: boolean;
  /** The environment `go` runs in (default: raftlab's own: the toolchain needs HOME, GOPATH, GOCACHE, …). */
  env?: NodeJS.ProcessEnv;
}

/** Bumped when what goes into a cached build changes. */
const buildFormat = 'raftlab-go-build/1';
const binaryName = 'raft.test';

/** go's compile errors as `file:line:col: message`, paths relative to the raft folder; headers (`# 6.824/raft`) dropped. */
export function formatGoBuildErrors(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l && !l.startsWith('#'));
  const errors = lines.map((l) => l.replace(/^\.\//, '')).filter((l) => /^\S+\.go:\d+(:\d+)?: /.test(l));
  const shown = (errors.length > 0 ? errors : lines).slice(0, 5);
  const more = errors.length > shown.length ? ` (and ${errors.length - shown.length} more)` : '';
  return shown.join('; ') + more;
}

function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<{ ok: boolean; stderr: string; error?: Error }> {
  return new Promise((resolve) => {
    execFile(command, args, { ...options, timeout: 15 * 60_000, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' }, (error, _stdout, stderr) => {
      resolve(error ? { ok: false, stderr, error } : { ok: true, stderr });
    });
  });
}

/** Keep the cache of Go builds bounded: the newest `keep` stay. */
function pruneGoBuilds(dir: string, keep = 40): void {
  let entries: Array<{ dir: string; mtimeMs: number }>;
  try {
    entries = readdirSync(dir)
      .filter((name) => /^[0-9a-f]{32}$/.test(name))
      .map((name) => ({ dir: path.join(dir, name), mtimeMs: statSync(path.join(dir, name)).mtimeMs }));
  } catch {
    return;
  }
  entries.sort((a, b) => b.mtimeMs - a.mtimeMs);
  for (const entry of entries.slice(keep)) rmSync(entry.dir, { recursive: true, force: true });
}

/**
 * Build (or find built) the test binary of a Go lab folder. Throws ImplLoadError: GO_NOT_A_LAB, GO_TOOLCHAIN_MISSING,
 * GO_TOOLCHAIN_TOO_OLD, or IMPL_BUILD_FAILED with the compiler's first errors as file:line:col.
 */
export async function buildGoLab(dir: string, options: GoBuildOptions = {}): Promise<GoBuild> {
  const started = performance.now();
  const lab = inspectGoLab(dir);
  const env = options.env ?? process.env;
  const go = await findGo(env);
  const race = options.race ?? false;
  const snapshot = goSnapshot(lab);
  const tests = goTestNames(lab);
  // The binary's tracebacks name the files where they were compiled: a copy of the same sources elsewhere is another build.
  const key = createHash('sha256')
    .update(`${buildFormat}\0${snapshot.hash}\0${lab.packageDir}\0${go.command}\0${go.version}\0${race ? 'race' : ''}`)
    .digest('hex')
    .slice(0, 32);
  const root = path.join(cacheDir(), 'go');
  const target = path.join(root, key);
  const binary = path.join(target, binaryName);
  if (existsSync(binary)) {
    const now = new Date();
    try {
      utimesSync(target, now, now); // newest-used stays when pruning
    } catch {
      // another process pruned it meanwhile: build again below
    }
    if (existsSync(binary)) return { lab, binary, race, go, snapshot, tests, compiled: false, buildMs: performance.now() - started };
  }
  const temp = path.join(root, `${key}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  mkdirSync(temp, { recursive: true });
  try {
    const args = ['test', '-c', '-o', path.join(temp, binaryName), ...(race ? ['-race'] : []), '.'];
    // GOTOOLCHAIN=local: a newer go.mod must not make go 1.21+ download another toolchain in the middle of a batch.
    const result = await run(go.command, args, { cwd: lab.packageDir, env: { GOTOOLCHAIN: 'local', ...env } });
    if (!result.ok || !existsSync(path.join(temp, binaryName))) {
      const why = formatGoBuildErrors(result.stderr) || result.error?.message || 'no binary was written';
      throw new ImplLoadError('IMPL_BUILD_FAILED', `${lab.packageDir} does not build (go test -c${race ? ' -race' : ''}): ${why}`);
    }
    try {
      renameSync(temp, target);
    } catch (error) {
      // Another process built the same sources first: its binary is as good as ours.
      if (!existsSync(binary)) throw error;
    }
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
  pruneGoBuilds(root);
  return { lab, binary, race, go, snapshot, tests, compiled: true, buildMs: performance.now() - started };
}
