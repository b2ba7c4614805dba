/**
 * Planted bugs as patches of the reference: a bug folder (`labs/bugs/<name>/`) holds `bug.patch`, a unified diff
 * against `labs/raft/` (paths relative to it), and `about.json`. The bug's Raft is the reference with the patch
 * applied, written out to a folder that loadImplementation() loads like any other.
 *
 * Whatever loads an implementation the user named goes through resolveImplDir(), which turns a bug folder into its
 * materialized copy (cached on disk by the patched sources' hash) and leaves any other folder as it is.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { threadId } from 'node:worker_threads';
import { apiEntry, referenceImplDir } from '../paths.ts';
import { PatchApplyError, PatchParseError, applyUnifiedDiff } from './unified-diff.ts';

/** The patch file that makes a folder a planted bug. */
export const bugPatchFile = 'bug.patch';

const apiDir = path.dirname(apiEntry);

export type BugPatchErrorCode = 'BUG_PATCH_MISSING' | 'BUG_PATCH_MALFORMED' | 'BUG_PATCH_DOES_NOT_APPLY';

/** A bug whose patch is missing, malformed, or no longer applies to the reference; the message names bug and hunk. */
export class BugPatchError extends Error {
  readonly code: BugPatchErrorCode;
  readonly bug: string;
  constructor(code: BugPatchErrorCode, bug: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BugPatchError';
    this.code = code;
    this.bug = bug;
  }
}

/** Whether `dir` is a planted bug's folder (it holds a bug.patch). */
export function isBugDir(dir: string): boolean {
  return existsSync(path.join(dir, bugPatchFile));
}

/** Every file under `dir` (no dot-files, no node_modules), by path relative to it with `/` separators. */
function readTree(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) files[path.relative(dir, full).split(path.sep).join('/')] = readFileSync(full, 'utf8');
    }
  };
  walk(dir);
  return files;
}

function writeTree(dir: string, files: Readonly<Record<string, string>>): void {
  for (const [relative, text] of Object.entries(files)) {
    const target = path.resolve(dir, relative);
    if (!target.startsWith(path.resolve(dir) + path.sep)) throw new RangeError(`a file outside ${dir}: ${relative}`);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, text);
  }
}

/**
 * The reference's source files with the bug's patch applied, by path relative to labs/raft (every file of the
 * reference, patched or not). Throws BugPatchError when the patch is missing, malformed or no longer applies.
 */
export function patchedReferenceSources(bugDir: string): Record<string, string> {
  const bug = path.basename(path.resolve(bugDir));
  const patchFile = path.join(bugDir, bugPatchFile);
  if (!existsSync(patchFile)) throw new BugPatchError('BUG_PATCH_MISSING', bug, `planted bug ${bug}: ${patchFile} does not exist`);
  try {
    return applyUnifiedDiff(readTree(referenceImplDir), readFileSync(patchFile, 'utf8'));
  } catch (error) {
    if (error instanceof PatchParseError) {
      throw new BugPatchError('BUG_PATCH_MALFORMED', bug, `planted bug ${bug}: ${bugPatchFile} is not a unified diff: ${error.message}`, { cause: error });
    }
    if (error instanceof PatchApplyError) {
      throw new BugPatchError('BUG_PATCH_DOES_NOT_APPLY', bug, `planted bug ${bug}: ${bugPatchFile} no longer applies to labs/raft: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
}

/**
 * Write the bug's Raft (the patched reference) into `outDir`, with a package.json marking the files as ES modules as
 * the project's own does, so that loadImplementation(outDir) loads it.
 */
export function materializeBug(bugDir: string, outDir: string): void {
  writeBug(outDir, patchedReferenceSources(bugDir));
}

function writeBug(outDir: string, files: Readonly<Record<string, string>>): void {
  writeTree(outDir, { 'package.json': '{ "type": "module" }\n', ...files });
}

/** Where materialized bugs are kept: one folder per bug and hash of its patched sources. */
export const materializedBugsRoot = path.join(os.tmpdir(), 'raftlab-bugs');

/**
 * The folder to load for an implementation folder: a bug folder becomes its materialized copy (written once per
 * content hash under materializedBugsRoot, next to a copy of labs/api so its type imports resolve); any other folder
 * is returned as it is. Safe to call from several processes at once.
 */
export function resolveImplDir(dir: string): string {
  if (!isBugDir(dir)) return dir;
  const bug = path.basename(path.resolve(dir));
  const files = patchedReferenceSources(dir);
  const api = readTree(apiDir);
  const hash = createHash('sha256');
  for (const [relative, text] of [...Object.entries(files).map(([f, t]) => [`raft/${f}`, t]), ...Object.entries(api).map(([f, t]) => [`api/${f}`, t])]) {
    hash.update(`${relative}\0${text}\0`);
  }
  const home = path.join(materializedBugsRoot, `${bug}-${hash.digest('hex').slice(0, 16)}`);
  const implDir = path.join(home, 'raft');
  if (existsSync(path.join(implDir, 'index.ts'))) return implDir;
  // Write aside and rename into place, so a concurrent reader never sees half a folder.
  const staging = `${home}.${process.pid}-${threadId}.tmp`;
  rmSync(staging, { recursive: true, force: true });
  writeBug(path.join(staging, 'raft'), files);
  writeTree(path.join(staging, 'api'), api);
  try {
    renameSync(staging, home);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    // Another process got there first with the same contents.
    if (!existsSync(path.join(implDir, 'index.ts'))) throw error;
  }
  return implDir;
}
