/** Where in the implementation's own sources something happened, read from a (source-mapped) stack. */
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const maps = new Map<string, SourceMap | null>();

/** The inline source map of a built implementation (src/harness/loader/build.ts), read once per file. */
function sourceMapOf(file: string): SourceMap | null {
  let map = maps.get(file);
  if (map !== undefined) return map;
  map = null;
  try {
    const m = /\/\/# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)\s*$/.exec(readFileSync(file, 'utf8'));
    if (m) map = new SourceMap(JSON.parse(Buffer.from(m[1]!, 'base64').toString('utf8')) as ConstructorParameters<typeof SourceMap>[0]);
  } catch {
    // not a build of ours
  }
  maps.set(file, map);
  return map;
}

/**
 * A stack with the frames of built implementations (CommonJS builds, which Node's own source-map support does not
 * see: they run through vm) pointed back at the student's file, line and column. Other frames are left as they are.
 */
export function mapStack(stack: string | undefined): string | undefined {
  if (!stack) return stack;
  return stack.replace(/((?:file:\/\/)?\/[^\s():]+\.cjs):(\d+):(\d+)/g, (whole, file: string, line: string, column: string) => {
    const path_ = file.startsWith('file://') ? fileURLToPath(file) : file;
    const map = sourceMapOf(path_);
    // The factory's wrapper is the module's first line: generated line n is the build's line n - 1.
    const entry = map?.findEntry(Number(line) - 2, Number(column) - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number } | undefined;
    if (!entry?.originalSource || entry.originalLine === undefined || entry.originalColumn === undefined) return whole;
    return `${entry.originalSource}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  });
}

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
