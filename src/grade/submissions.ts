/**
 * The submissions of a class: every subfolder of the submissions folder is one student's implementation. Each is
 * built into a folder of its own under the grade's work folder, and its run processes are started under Node's
 * permission model, allowed to read raftlab and that one build — not the other submissions, not their builds, not
 * the grade's results — and to start no process or thread of their own. The environment they get is empty of
 * anything the grader has (src/runner/pool.ts scrubs it), the queue's address included.
 */
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { ImplLoadError } from '../harness/loader/index.ts';
import { raftlabRoot } from '../harness/paths.ts';
import { buildForRunning, type PreparedTsImpl } from '../runner/impl.ts';
import { submissionIdPattern } from './plan.ts';

/** What a grade's input can be wrong about (a form shows the message next to that field). */
export type GradeInputField = 'submissions' | 'out' | 'tests' | 'rule';

export class GradeInputError extends Error {
  readonly code = 'GRADE_BAD_INPUT';
  constructor(
    message: string,
    readonly field?: GradeInputField,
  ) {
    super(message);
    this.name = 'GradeInputError';
  }
}

export interface Submission {
  id: string;
  dir: string;
  /** Built and ready, or why not (it then fails every run it has, with that message). */
  prepared?: PreparedTsImpl;
  error?: { code: string; message: string };
}

export const inside = (dir: string, root: string): boolean => dir === root || dir.startsWith(root + path.sep);

/** Whether a folder is raftlab's own or inside it (every run process may read raftlab's folder). */
export function insideRaftlab(dir: string): boolean {
  const resolved = path.resolve(dir);
  return raftlabReadRoots().some((root) => inside(resolved, root) || inside(realPathOfExisting(resolved), root));
}

/** The real path of a folder, through its nearest existing ancestor (the folder itself may not exist yet). */
function realPathOfExisting(dir: string): string {
  let at = dir;
  const rest: string[] = [];
  while (!existsSync(at)) {
    const parent = path.dirname(at);
    if (parent === at) return dir;
    rest.unshift(path.basename(at));
    at = parent;
  }
  return path.join(realpathSync(at), ...rest);
}

/** The subfolders of `dir` that hold an implementation, sorted; refuses a folder raftlab's own files would expose. */
export function listSubmissions(dir: string): Array<{ id: string; dir: string }> {
  const root = path.resolve(dir);
  if (!existsSync(root)) throw new GradeInputError(`No such folder: ${root}`, 'submissions');
  if (!statSync(root).isDirectory()) throw new GradeInputError(`${root} is not a folder of submissions`, 'submissions');
  if (insideRaftlab(root)) {
    throw new GradeInputError(`${root} is inside raftlab's own folder, which every submission may read: put the submissions elsewhere`, 'submissions');
  }
  const found = readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
    .map((d) => ({ id: d.name, dir: path.join(root, d.name) }))
    .sort((a, b) => (a.id < b.id ? -1 : 1));
  const bad = found.filter((s) => !submissionIdPattern.test(s.id));
  if (bad.length > 0) throw new GradeInputError(`submission folder names must be letters, digits, '.', '_' or '-': ${bad.map((s) => JSON.stringify(s.id)).join(', ')}`, 'submissions');
  if (found.length === 0) throw new GradeInputError(`${root} holds no submission folders`, 'submissions');
  return found;
}

/**
 * raftlab's folders as the permission model sees them (it checks real paths): its root, and its node_modules where
 * that is a link to a folder elsewhere (a git worktree's, a shared install), which holds raftlab's precompiled code.
 */
function raftlabReadRoots(): string[] {
  const roots = new Set([raftlabRoot, realpathSync(raftlabRoot)]);
  const modules = path.join(raftlabRoot, 'node_modules');
  if (existsSync(modules)) {
    const real = realpathSync(modules);
    if (!inside(real, realpathSync(raftlabRoot))) roots.add(real);
  }
  return [...roots];
}

/** Node flags that confine a submission's run processes to raftlab and its own build. */
export function confinementFlags(buildDir: string): string[] {
  return ['--experimental-permission', ...raftlabReadRoots().map((r) => `--allow-fs-read=${r}`), `--allow-fs-read=${path.resolve(buildDir)}`, '--disable-warning=ExperimentalWarning'];
}

/** The build folder of one submission, under the grade's work folder. */
export const buildDirFor = (workDir: string, submission: string, sourcesHash?: string): string =>
  path.join(workDir, 'builds', sourcesHash ? `${submission}-${sourcesHash.slice(0, 12)}` : submission);

/** Build a submission (never running its code); a folder that does not build is recorded, not thrown. */
export async function buildSubmission(s: { id: string; dir: string }, workDir: string): Promise<Submission> {
  try {
    const prepared = await buildForRunning(s.dir, { outDir: buildDirFor(workDir, s.id) });
    return { ...s, prepared };
  } catch (error) {
    if (error instanceof ImplLoadError) return { ...s, error: { code: error.code, message: error.message } };
    throw error;
  }
}
