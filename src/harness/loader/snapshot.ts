/**
 * A source snapshot: the implementation's files as they were when a batch started, each with its SHA-256, and the
 * hash of the whole. The build runs from exactly these texts, a trace carries the snapshot's hash, and a bundle
 * carries the snapshot itself, so a run can always be paired with the code that ran — even after the student edits.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const sourcesFormat = 'raftlab-sources/1';

export interface SourceFile {
  /** Relative to the snapshot's root, with forward slashes. */
  path: string;
  sha256: string;
  text: string;
}

export interface SourceSnapshot {
  format: typeof sourcesFormat;
  /** The implementation folder, relative to the root ('.' when it is the root). */
  implDir: string;
  /** The entry file (index.ts or the like), relative to the root. */
  entry: string;
  /** Every file the build read outside node_modules, sorted by path: side-effect and type-free imports included. */
  files: SourceFile[];
  /** Packages bundled from node_modules (name@version); they do not travel in a bundle. */
  packages: string[];
  /** SHA-256 over every (path, file hash) pair: the snapshot's identity. */
  hash: string;
}

export const sha256 = (text: string | Uint8Array): string => createHash('sha256').update(text).digest('hex');

/** The identity of a set of files: independent of the order they were read in and of where they sit on disk. */
export function snapshotHash(files: readonly Pick<SourceFile, 'path' | 'sha256'>[], entry: string, implDir: string): string {
  const h = createHash('sha256').update(`${sourcesFormat}\0${implDir}\0${entry}\0`);
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) h.update(`${f.path}\0${f.sha256}\0`);
  return h.digest('hex');
}

/** A short form of the hash for people: the first 12 hex digits, as git shows commits. */
export const shortHash = (hash: string): string => hash.slice(0, 12);

export type SnapshotProblem = { code: 'SOURCES_MODIFIED'; message: string; files: string[] };

/**
 * Check a snapshot's recorded hashes against its texts: which files were altered after it was made (a tampered
 * bundle). Empty when everything matches.
 */
export function alteredFiles(snapshot: SourceSnapshot): string[] {
  const altered = snapshot.files.filter((f) => sha256(f.text) !== f.sha256).map((f) => f.path);
  if (altered.length === 0 && snapshotHash(snapshot.files, snapshot.entry, snapshot.implDir) !== snapshot.hash) altered.push('(the snapshot hash)');
  return altered;
}

/** Where the snapshot's files are on disk now, under `root`, compared with the snapshot: the paths that differ. */
export function changedOnDisk(snapshot: SourceSnapshot, root: string): { changed: string[]; missing: string[] } {
  const changed: string[] = [];
  const missing: string[] = [];
  for (const file of snapshot.files) {
    const full = path.join(root, ...file.path.split('/'));
    let text: string;
    try {
      if (!statSync(full).isFile()) throw new Error('not a file');
      text = readFileSync(full, 'utf8');
    } catch {
      missing.push(file.path);
      continue;
    }
    if (sha256(text) !== file.sha256) changed.push(file.path);
  }
  return { changed, missing };
}

/** Write the snapshot's files under `dir` (every path already checked to stay inside it); returns the impl folder. */
export function writeSnapshot(snapshot: SourceSnapshot, dir: string): string {
  const root = path.resolve(dir);
  for (const file of snapshot.files) {
    const target = path.resolve(root, ...file.path.split('/'));
    if (!target.startsWith(root + path.sep)) throw new Error(`refusing to write outside ${root}: ${file.path}`);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, file.text);
  }
  const implDir = path.resolve(root, ...snapshot.implDir.split('/'));
  if (implDir !== root && !implDir.startsWith(root + path.sep)) throw new Error(`refusing an implementation folder outside ${root}`);
  return implDir;
}
