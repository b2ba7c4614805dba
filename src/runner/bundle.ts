/**
 * A bundle: one file with everything a TA needs to replay a run elsewhere — the trace, the seed and clock, the
 * command, the implementation's source files (with the local files they import), and the raftlab and Node versions.
 * Format: gzip'd JSON `{ format: 'raftlab-bundle/1', ... }`.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { BugPatchError, referenceImplDir, resolveImplDir } from '../harness/tester/index.ts';
import { readTraceHeader, type TraceHeader } from './trace/index.ts';

export const bundleFormat = 'raftlab-bundle/1';
/** Source files larger than this in total are not bundled: a bundle is for sharing, not for node_modules. */
export const bundleSourceMaxBytes = 4 * 1024 * 1024;

export interface Bundle {
  format: typeof bundleFormat;
  createdBy: { raftlab: string; node: string };
  run: Pick<TraceHeader, 'test' | 'seed' | 'mode' | 'status' | 'message'>;
  /** The command that replays the run from the extracted bundle (`npx raftlab replay BUNDLE` does it for you). */
  command: string;
  impl: {
    /** 'reference', or the folder's name. */
    name: string;
    /** Where the implementation folder sits among `files` (a relative path). */
    dir: string;
    /** Source files by path relative to a common root: the folder's own files and the local files they import. */
    files: Record<string, string>;
  };
  /** The trace file, base64. */
  trace: string;
}

export class BundleError extends Error {
  readonly code: 'BUNDLE_CORRUPT' | 'BUNDLE_TOO_LARGE' | 'BUNDLE_NO_IMPL';
  constructor(code: BundleError['code'], message: string) {
    super(message);
    this.name = 'BundleError';
    this.code = code;
  }
}

const sourceExtensions = ['.ts', '.mts', '.js', '.mjs', '.json'];
// Value imports only: `import type` / `export type` vanish when TypeScript runs, so their files need not travel.
const importPattern = /(?:import|export)\s+(?!type\s)[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

/** The implementation's source files plus every local file they import, transitively (absolute paths). */
export function collectSources(implDir: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    if (!/\.(ts|mts|js|mjs)$/.test(file)) return;
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(importPattern)) {
      const target = path.resolve(path.dirname(file), (match[1] ?? match[2])!);
      const candidates = [target, ...sourceExtensions.map((ext) => target + ext), path.join(target, 'index.ts')];
      const found = candidates.find((c) => existsSync(c) && statSync(c).isFile());
      if (found && !found.includes(`${path.sep}node_modules${path.sep}`)) visit(found);
    }
  };
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (sourceExtensions.includes(path.extname(entry.name))) visit(full);
    }
  };
  walk(implDir);
  return [...seen].sort();
}

function commonRoot(files: readonly string[]): string {
  let root = path.dirname(files[0]!);
  for (const file of files) {
    while (path.relative(root, file).startsWith('..')) root = path.dirname(root);
  }
  return root;
}

const raftlabVersion = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Bundle a trace file with the implementation that produced it. */
export async function createBundle(traceFile: string, implDir?: string): Promise<Buffer> {
  const header = await readTraceHeader(traceFile);
  const dir = path.resolve(implDir ?? (header.impl === 'reference' ? referenceImplDir : header.impl));
  if (!existsSync(dir)) {
    throw new BundleError('BUNDLE_NO_IMPL', `the implementation ${dir} named by ${traceFile} is not here; pass --impl DIR`);
  }
  // A planted bug travels as the code it ran: the reference with its patch applied.
  let sourceDir: string;
  try {
    sourceDir = resolveImplDir(dir);
  } catch (error) {
    if (error instanceof BugPatchError) throw new BundleError('BUNDLE_NO_IMPL', error.message);
    throw error;
  }
  const sources = collectSources(sourceDir);
  if (sources.length === 0) throw new BundleError('BUNDLE_NO_IMPL', `${dir} holds no source files`);
  const root = commonRoot([...sources, path.join(sourceDir, 'index.ts')]);
  // A bug's files go in a folder named after it, as if it were a folder of its own.
  const prefix = sourceDir === dir ? '' : path.basename(dir);
  const files: Record<string, string> = {};
  let total = 0;
  for (const file of sources) {
    const text = readFileSync(file, 'utf8');
    total += text.length;
    if (total > bundleSourceMaxBytes) {
      throw new BundleError('BUNDLE_TOO_LARGE', `the sources under ${root} exceed ${bundleSourceMaxBytes} bytes; bundle a smaller folder`);
    }
    files[path.posix.join(prefix, path.relative(root, file).split(path.sep).join('/'))] = text;
  }
  const bundle: Bundle = {
    format: bundleFormat,
    createdBy: { raftlab: raftlabVersion, node: process.version },
    run: { test: header.test, seed: header.seed, mode: header.mode, status: header.status, message: header.message },
    command: `npx raftlab test '^${header.test}$' --mode ${header.mode} --seed ${header.seed} --impl <extracted impl folder>`,
    impl: {
      name: header.impl === 'reference' && !implDir ? 'reference' : path.basename(dir),
      dir: path.posix.join(prefix, path.relative(root, sourceDir).split(path.sep).join('/')) || '.',
      files,
    },
    trace: readFileSync(traceFile).toString('base64'),
  };
  return gzipSync(JSON.stringify(bundle));
}

/** The bundle in `file`, or undefined when the file is not a bundle (e.g. a trace file). */
export function readBundle(file: string): Bundle | undefined {
  let text: string;
  try {
    text = gunzipSync(readFileSync(file)).toString('utf8');
  } catch {
    return undefined;
  }
  if (!text.startsWith(`{"format":"${bundleFormat}"`)) return undefined;
  let bundle: Bundle;
  try {
    bundle = JSON.parse(text) as Bundle;
  } catch (error) {
    throw new BundleError('BUNDLE_CORRUPT', `${file} is a corrupt raftlab bundle: ${(error as Error).message}`);
  }
  if (!bundle.impl?.files || typeof bundle.trace !== 'string' || typeof bundle.impl.dir !== 'string') {
    throw new BundleError('BUNDLE_CORRUPT', `${file} is a corrupt raftlab bundle: it lacks its implementation or trace`);
  }
  return bundle;
}

/** Unpack a bundle under `dir`: the implementation's sources and the trace file. */
export function extractBundle(bundle: Bundle, dir: string): { implDir: string; traceFile: string } {
  for (const [relative, text] of Object.entries(bundle.impl.files)) {
    const target = path.resolve(dir, 'src', relative);
    if (!target.startsWith(path.resolve(dir) + path.sep)) {
      throw new BundleError('BUNDLE_CORRUPT', `the bundle names a file outside its folder: ${relative}`);
    }
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, text);
  }
  const traceFile = path.join(dir, `${bundle.run.test}-seed${bundle.run.seed}-${bundle.run.mode}.trace.gz`);
  writeFileSync(traceFile, Buffer.from(bundle.trace, 'base64'));
  return { implDir: path.resolve(dir, 'src', bundle.impl.dir), traceFile };
}
