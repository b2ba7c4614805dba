/**
 * A bundle: one file with everything needed to replay a run elsewhere — the trace, the seed and clock, the command,
 * the implementation's sources **as they ran** (the snapshot the trace carries, each file with its SHA-256), and
 * the raftlab and Node versions. Format: gzip'd JSON `{ format: 'raftlab-bundle/2', ... }`.
 *
 * A bundle comes from someone else, so nothing in it is trusted: it is validated against a schema before anything
 * is written (names, sizes, paths that stay inside the folder it unpacks to), its sources are checked against their
 * recorded hashes, and it always replays from its own unpacked copy.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import * as z from 'zod';
import { chaosKnobsSchema } from '../harness/chaos-schema.ts';
import {
  alteredFiles,
  buildImplementation,
  changedOnDisk,
  sha256,
  shortHash,
  snapshotHash,
  sourceSnapshotSchema,
  sourcesFormat,
  type SourceSnapshot,
} from '../harness/loader/index.ts';
import { raftlabVersion, referenceImplDir } from '../harness/paths.ts';
import { findTest } from '../harness/tester/index.ts';
import { readTraceHeader, readTraceIndex, readTraceSources, type TraceHeader } from '../trace/index.ts';

export const bundleFormat = 'raftlab-bundle/2';
/** A bundle larger than this (compressed or not) is refused before it is parsed. */
export const bundleMaxBytes = 64 * 1024 * 1024;

export type BundleErrorCode = 'BUNDLE_CORRUPT' | 'BUNDLE_INVALID' | 'BUNDLE_MODIFIED' | 'BUNDLE_TOO_LARGE' | 'BUNDLE_NO_IMPL';

export class BundleError extends Error {
  readonly code: BundleErrorCode;
  constructor(code: BundleErrorCode, message: string) {
    super(message);
    this.name = 'BundleError';
    this.code = code;
  }
}

const runSchema = z.object({
  test: z.string().regex(/^Test[A-Za-z0-9]+$/, 'a graded test id').refine((id) => !!findTest(id), 'a test this raftlab has'),
  seed: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  mode: z.enum(['sim', 'real']),
  status: z.enum(['pass', 'fail', 'error', 'timeout']),
  message: z.string().max(100_000).optional(),
  chaos: chaosKnobsSchema.optional(),
  checked: z.boolean().optional(),
});

export const bundleSchema = z.object({
  format: z.literal(bundleFormat),
  createdBy: z.object({ raftlab: z.string().max(50), node: z.string().max(50) }),
  run: runSchema,
  command: z.string().max(2_000),
  impl: z.object({ name: z.string().max(200) }),
  sources: sourceSnapshotSchema,
  /** The trace file, base64. */
  trace: z.string().max(bundleMaxBytes),
});

export type Bundle = z.infer<typeof bundleSchema>;

/** The root folder a snapshot's paths start from, given where its implementation folder is on disk. */
export function snapshotRoot(snapshot: Pick<SourceSnapshot, 'implDir'>, implDir: string): string {
  return snapshot.implDir === '.' ? path.resolve(implDir) : path.resolve(implDir, ...snapshot.implDir.split('/').map(() => '..'));
}

export interface CreatedBundle {
  bytes: Buffer;
  /** Said to the user: e.g. that the files on disk differ from the ones the run used. */
  warnings: string[];
}

/**
 * Bundle a trace file with the sources that produced it. Traces carry their snapshot; for one that does not (from
 * an older raftlab), the implementation folder is read as it is now, and a warning says so.
 */
export async function createBundle(traceFile: string, implDir?: string): Promise<CreatedBundle> {
  const index = await readTraceIndex(traceFile);
  const header = await readTraceHeader(traceFile, index);
  const named = path.resolve(implDir ?? (header.impl === 'reference' ? referenceImplDir : header.impl));
  const warnings: string[] = [];
  let sources = await readTraceSources(traceFile, index);
  if (sources) {
    const { changed, missing } = changedOnDisk(sources, snapshotRoot(sources, named));
    if (changed.length + missing.length > 0) {
      warnings.push(
        `the sources in ${named} changed since this run (${[...changed.map((f) => `${f} edited`), ...missing.map((f) => `${f} gone`)].join(', ')}): ` +
          'the bundle carries them as they were when the run started',
      );
    }
  } else {
    try {
      sources = (await buildImplementation(named)).snapshot;
    } catch (error) {
      throw new BundleError('BUNDLE_NO_IMPL', `${traceFile} does not carry its sources and ${named} cannot be read (${(error as Error).message}); pass --impl DIR`);
    }
    warnings.push(`${traceFile} does not carry its sources (an older raftlab made it): the bundle has ${named} as it is now`);
  }
  const bundle: Bundle = {
    format: bundleFormat,
    createdBy: { raftlab: raftlabVersion, node: process.version },
    run: {
      test: header.test,
      seed: header.seed,
      mode: header.mode,
      status: header.status,
      ...(header.message !== undefined ? { message: header.message } : {}),
      ...(header.chaos ? { chaos: header.chaos } : {}),
      ...(header.checked ? { checked: true } : {}),
    },
    command: `npx raftlab replay <this bundle>`,
    impl: { name: header.impl === 'reference' && !implDir ? 'reference' : path.basename(named) },
    sources,
    trace: readFileSync(traceFile).toString('base64'),
  };
  return { bytes: gzipSync(JSON.stringify(bundle)), warnings };
}

/** raftlab 0.1's bundles: files by path, no hashes. Read so they still replay, with their hashes computed here. */
const legacySchema = z.object({
  format: z.literal('raftlab-bundle/1'),
  createdBy: z.object({ raftlab: z.string().max(50), node: z.string().max(50) }),
  run: runSchema.pick({ test: true, seed: true, mode: true, status: true, message: true }),
  command: z.string().max(2_000),
  impl: z.object({ name: z.string().max(200), dir: z.string().max(500), files: z.record(z.string(), z.string()) }),
  trace: z.string().max(bundleMaxBytes),
});

function fromLegacy(legacy: z.infer<typeof legacySchema>): unknown {
  const files = Object.entries(legacy.impl.files).map(([p, text]) => ({ path: p, sha256: sha256(text), text }));
  const entry = legacy.impl.dir === '.' ? 'index.ts' : `${legacy.impl.dir}/index.ts`;
  return {
    ...legacy,
    format: bundleFormat,
    impl: { name: legacy.impl.name },
    sources: { format: sourcesFormat, implDir: legacy.impl.dir, entry, files, packages: [], hash: snapshotHash(files, entry, legacy.impl.dir) },
  };
}

/**
 * The bundle in `file`, validated; undefined when the file is not a bundle at all (e.g. a trace file). A bundle
 * whose sources do not match their recorded hashes is BUNDLE_MODIFIED unless `allowModified`.
 */
export function readBundle(file: string, options: { allowModified?: boolean } = {}): Bundle | undefined {
  let raw: Buffer;
  try {
    raw = readFileSync(file);
  } catch {
    return undefined;
  }
  if (raw.length > bundleMaxBytes) throw new BundleError('BUNDLE_TOO_LARGE', `${file} is larger than a bundle may be (${bundleMaxBytes / 1024 / 1024} MB)`);
  let text: string;
  try {
    text = gunzipSync(raw, { maxOutputLength: bundleMaxBytes * 2 }).toString('utf8');
  } catch {
    return undefined;
  }
  if (!/^\{"format":"raftlab-bundle\/[12]"/.test(text)) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new BundleError('BUNDLE_CORRUPT', `${file} is a corrupt raftlab bundle: ${(error as Error).message}`);
  }
  if ((json as { format?: string }).format === 'raftlab-bundle/1') {
    const legacy = legacySchema.safeParse(json);
    if (!legacy.success) throw new BundleError('BUNDLE_INVALID', `${file} is not a valid raftlab bundle: ${issueText(legacy.error)}`);
    json = fromLegacy(legacy.data);
  }
  const parsed = bundleSchema.safeParse(json);
  if (!parsed.success) throw new BundleError('BUNDLE_INVALID', `${file} is not a valid raftlab bundle: ${issueText(parsed.error)}`);
  const altered = alteredFiles(parsed.data.sources);
  if (altered.length > 0 && !options.allowModified) {
    throw new BundleError(
      'BUNDLE_MODIFIED',
      `${file} was modified after it was made: ${altered.join(', ')} ${altered.length === 1 ? 'does' : 'do'} not match the recorded hash (replay --allow-modified runs it anyway)`,
    );
  }
  return parsed.data;
}

function issueText(error: z.ZodError): string {
  const first = error.issues[0];
  return first ? `${first.path.join('.') || '(top)'}: ${first.message}` : 'malformed';
}

/** A short description for people: `reference (9 files, sources 1a2b3c4d5e6f)`. */
export function describeSources(name: string, snapshot: Pick<SourceSnapshot, 'files' | 'hash'>): string {
  return `${name} (${snapshot.files.length} file${snapshot.files.length === 1 ? '' : 's'}, sources ${shortHash(snapshot.hash)})`;
}

export type { TraceHeader };
