/** Where in the implementation's own sources something happened, read from a (source-mapped) stack. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The first frame of a stack that is in the implementation's own sources (under `root`, outside node_modules),
 * as `path:line:column` relative to `root`. Stacks are source-mapped, so this names the student's file and line.
 */
export function implementationSite(stack: string | undefined, root: string): string | undefined {
  if (!stack || !root) return undefined;
  const base = path.resolve(root);
  for (const line of stack.split('\n')) {
    const m = /\(?((?:file:\/\/)?[^\s()]+):(\d+):(\d+)\)?\s*$/.exec(line.trim());
    if (!m || !line.trim().startsWith('at ')) continue;
    let file = m[1]!;
    try {
      if (file.startsWith('file://')) file = fileURLToPath(file.replace(/\?.*$/, ''));
    } catch {
      continue;
    }
    const rel = path.relative(base, path.resolve(base, file));
    if (rel.startsWith('..') || path.isAbsolute(rel) || rel.split(path.sep).includes('node_modules')) continue;
    return `${rel.split(path.sep).join('/')}:${m[2]}:${m[3]}`;
  }
  return undefined;
}
