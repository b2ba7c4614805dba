/**
 * An implementation made ready to run. A TypeScript one is built once (src/harness/loader), its sources captured, and
 * loaded once in a run process to check that it loads and exports make — never on raftlab's own thread. A Go lab (a
 * 6.824 checkout's src/raft: src/golab) has its test binary built, or found in the build cache, and its tests read
 * from its _test.go files.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildImplementation, ImplLoadError, implementationSite, isReference, probeSuffix, type BuiltImpl, type SourceSnapshot } from '../harness/loader/index.ts';
import { writeAtomic } from '../harness/write-atomic.ts';
import { findTest, selectTests, type LabPart, type RaftTest } from '../harness/tester/index.ts';
import { buildGoLab, looksLikeGoLab, type GoBuild } from '../golab/index.ts';
import { chaosActive, type ChaosKnobs } from '../harness/chaos.ts';
import { WorkerPool, type PoolOptions } from './pool.ts';
import type { GoImplRef, TsImplRef } from './types.ts';

export type PreparedImpl = PreparedTsImpl | PreparedGoImpl;

export interface PreparedTsImpl {
  kind?: 'ts';
  dir: string;
  /** 'reference', or the folder's name. */
  name: string;
  built: BuiltImpl;
  ref: TsImplRef;
  /** Whether it exports describeState (known once probed). */
  describesState?: boolean;
}

export interface PreparedGoImpl {
  kind: 'go';
  dir: string;
  /** The module's folder name and the package's: `src/raft`. */
  name: string;
  go: GoBuild;
  ref: GoImplRef;
  /** The package's tests, as the catalog's tests where the names are the course's. */
  tests: RaftTest[];
}

export interface PrepareOptions {
  /** A Go lab: build with -race. */
  race?: boolean;
  /** TypeScript: where the build goes (grading keeps each submission's own). */
  outDir?: string;
  /** TypeScript: extra flags of the probing run process (grading's permission model). */
  processFlags?: readonly string[];
}

export function implRef(built: BuiltImpl): TsImplRef {
  return {
    file: built.file,
    sourceRoot: built.root,
    sourceDir: path.join(built.root, ...built.snapshot.implDir.split('/')),
    sourcesHash: built.snapshot.hash,
    sourceFiles: built.snapshot.files.length,
  };
}

/** The sources every run of the implementation ran (kept with each trace). */
export const snapshotOf = (prepared: PreparedImpl): SourceSnapshot => (prepared.kind === 'go' ? prepared.go.snapshot : prepared.built.snapshot);

/** Whether a folder is meant as a Go lab (it holds .go files and no index.ts): prepareImpl builds it with go. */
export const isGoLabDir = (dir: string): boolean => looksLikeGoLab(dir);

/** The lab part a test's name ends with (`TestBackup2B` → 2B), or '?' for a test of the student's own. */
export const partOfTestName = (id: string): LabPart => (/(2[A-D])$/.exec(id)?.[1] ?? '?') as LabPart;

const goTest = (id: string): RaftTest =>
  findTest(id) ?? {
    id,
    part: partOfTestName(id),
    description: '',
    servers: 0,
    run: () => Promise.reject(new Error(`${id} runs in the Go test binary, not here`)),
  };

/** Build a Go lab's test binary (or find it built). Throws ImplLoadError (not a lab, no Go, does not build). */
export async function prepareGoImpl(dir: string, options: PrepareOptions = {}): Promise<PreparedGoImpl> {
  const go = await buildGoLab(dir, { race: options.race ?? false });
  const ref: GoImplRef = {
    kind: 'go',
    binary: go.binary,
    lab: go.lab,
    race: go.race,
    goVersion: go.go.version,
    snapshot: go.snapshot,
    sourcesHash: go.snapshot.hash,
    sourceFiles: go.snapshot.files.length,
  };
  const name = `${path.basename(go.lab.moduleDir)}/${path.basename(go.lab.packageDir)}`;
  return { kind: 'go', dir: go.lab.packageDir, name, go, ref, tests: go.tests.map(goTest) };
}

/** Build a TypeScript implementation folder; throws ImplLoadError when it is missing or does not compile. */
export async function buildForRunning(dir: string, options: { outDir?: string } = {}): Promise<PreparedTsImpl> {
  const built = await buildImplementation(dir, options);
  return { dir: built.dir, name: isReference(built.dir) ? 'reference' : path.basename(built.dir), built, ref: implRef(built) };
}

/**
 * Make an implementation ready. TypeScript: build it and load it once in a run process (with the stall watchdog: a
 * module whose top level never returns is reported, not waited for). Go: build its test binary. Throws
 * ImplLoadError when it does not build, load, or has no make.
 */
export async function prepareImpl(dir: string, pool?: Omit<PoolOptions, 'size'>, options: PrepareOptions = {}): Promise<PreparedImpl> {
  return isGoLabDir(dir) ? prepareGoImpl(dir, options) : prepareTsImpl(dir, pool, options);
}

/** A TypeScript implementation, built and probed (what prepareImpl does for one; grading takes only these). */
export async function prepareTsImpl(dir: string, pool?: Omit<PoolOptions, 'size'>, options: PrepareOptions = {}): Promise<PreparedTsImpl> {
  const prepared = await buildForRunning(dir, options);
  const flags = options.processFlags ?? [];
  // The same built module, loaded under the same flags, was found to load before: its probe is not run again (a
  // process start saved). Every run loads the module anew and reports a failure to load as its own.
  const known = knownProbe(prepared.built.file, flags);
  if (known) return { ...prepared, describesState: known.describeState };
  const probePool = new WorkerPool({ ...pool, size: 1 });
  try {
    const probe = await probePool.probe(prepared.built.file, flags);
    if (!probe.ok) {
      const where = implementationSite(probe.stack, prepared.built.root, prepared.ref.sourceDir);
      const entry = path.join(prepared.built.root, ...prepared.built.snapshot.entry.split('/'));
      throw new ImplLoadError((probe.code as ImplLoadError['code']) ?? 'IMPL_LOAD_FAILED', `could not load ${entry}: ${probe.message}${where ? ` (at ${where})` : ''}`);
    }
    const describeState = probe.describeState ?? false;
    rememberProbe(prepared.built.file, flags, describeState);
    return { ...prepared, describesState: describeState };
  } finally {
    await probePool.close();
  }
}

interface ProbeRecord {
  flags: readonly string[];
  describeState: boolean;
}

/** What an earlier probe of this built module under these flags found, if one did and it loaded. */
function knownProbe(file: string, flags: readonly string[]): ProbeRecord | undefined {
  try {
    const record = JSON.parse(readFileSync(`${file}${probeSuffix}`, 'utf8')) as Partial<ProbeRecord>;
    const same = Array.isArray(record.flags) && record.flags.join('\0') === flags.join('\0');
    return same && typeof record.describeState === 'boolean' ? { flags, describeState: record.describeState } : undefined;
  } catch {
    return undefined;
  }
}

function rememberProbe(file: string, flags: readonly string[], describeState: boolean): void {
  const record: ProbeRecord = { flags, describeState };
  try {
    writeAtomic(`${file}${probeSuffix}`, JSON.stringify(record));
  } catch {
    // the build cache cannot be written: the next process probes again
  }
}

/**
 * Why these options cannot run this implementation, or undefined: a Go lab runs the course's own tester and labrpc,
 * so the TypeScript harness's knobs (chaos, persisted-state files) do not reach it, and -race is Go's alone. (The
 * safety checker does: it reads the events raftlab_trace.go prints.)
 */
export function goRunProblem(
  prepared: PreparedImpl,
  options: { chaos?: ChaosKnobs | undefined; persistDir?: string | undefined; race?: boolean | undefined },
): string | undefined {
  if (prepared.kind !== 'go') {
    return options.race ? `--race builds a Go lab with Go's race detector; ${prepared.dir} is a TypeScript implementation` : undefined;
  }
  if (chaosActive(options.chaos)) return `--chaos needs raftlab's simulated network: a Go lab runs the course's own labrpc`;
  if (options.persistDir) return `--persist-dir is for TypeScript implementations: a Go lab's persister is the course's, in memory`;
  return undefined;
}

/**
 * The tests a pattern picks (a regular expression searched in the id, like `go test -run`): the catalog's, or a Go
 * lab's own. Throws TestSelectionError for a bad pattern or one that picks nothing.
 */
export function selectImplTests(prepared: PreparedImpl, pattern: string | undefined): RaftTest[] {
  return prepared.kind === 'go' ? selectTests(pattern, prepared.tests) : selectTests(pattern);
}

/**
 * The implementation and the tests a command runs. A TypeScript implementation's tests are checked first (a typo
 * costs no build); a Go lab's after its build, since they are read from it.
 */
export async function prepareSelection(
  dir: string,
  pattern: string | undefined,
  pool?: Omit<PoolOptions, 'size'>,
  options: PrepareOptions = {},
): Promise<{ prepared: PreparedImpl; tests: RaftTest[] }> {
  if (!isGoLabDir(dir)) {
    const tests = selectTests(pattern);
    return { prepared: await prepareImpl(dir, pool, options), tests };
  }
  const prepared = await prepareGoImpl(dir, options);
  return { prepared, tests: selectImplTests(prepared, pattern) };
}
