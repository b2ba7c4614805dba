/** Where in the implementation's own sources something happened, read from a (source-mapped) stack. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The first frame of a stack that is in the implementation's own sources (under `root`, outside node_modules),
 * as `path:line:column` relative to the implementation's folder (or, for a file outside it, to `root`). Stacks are source-mapped, so this names the student's file and line.
 */
export function implementationSite(stack: string | undefined, root: string, implDir?: string): string | undefined {
  if (!stack || !root) return undefined;
  const base = path.resolve(root);
  const own = implDir ? path.resolve(implDir) : base;
  for (const line of stack.split('\n')) {
    const m = /\(?((?:file:\/\/)?[^\s()]+):(\d+):(\d+)\)?\s*$/.exec(line.trim());
    if (!m || !line.trim().startsWith('at ')) continue;
    let file = m[1]!;
    if (!file.startsWith('/') && !file.startsWith('file://') && !/^[A-Za-z]:[\\/]/.test(file)) continue; // node:fs, native, eval
    try {
      if (file.startsWith('file://')) file = fileURLToPath(file.replace(/\?.*$/, ''));
    } catch {
      continue;
    }
    const rel = path.relative(base, path.resolve(base, file));
    if (rel.startsWith('..') || path.isAbsolute(rel) || rel.split(path.sep).includes('node_modules')) continue;
    // Named from the implementation's own folder when it is in it (raft.ts:120:7), else from the sources' root.
    const fromOwn = path.relative(own, path.resolve(base, file));
    const shown = fromOwn.startsWith('..') ? rel : fromOwn;
    return `${shown.split(path.sep).join('/')}:${m[2]}:${m[3]}`;
  }
  return undefined;
}
