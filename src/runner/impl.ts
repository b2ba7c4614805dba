/**
 * An implementation made ready to run: built once (src/harness/loader), its sources captured, and loaded once in a
 * run process to check that it loads and exports make — never on raftlab's own thread.
 */
import path from 'node:path';
import { buildImplementation, ImplLoadError, implementationSite, isReference, type BuiltImpl } from '../harness/loader/index.ts';
import { WorkerPool, type PoolOptions } from './pool.ts';
import type { ImplRef } from './types.ts';

export interface PreparedImpl {
  dir: string;
  /** 'reference', or the folder's name. */
  name: string;
  built: BuiltImpl;
  ref: ImplRef;
  /** Whether it exports describeState (known once probed). */
  describesState?: boolean;
}

export function implRef(built: BuiltImpl): ImplRef {
  return {
    file: built.file,
    sourceRoot: built.root,
    sourceDir: path.join(built.root, ...built.snapshot.implDir.split('/')),
    sourcesHash: built.snapshot.hash,
    sourceFiles: built.snapshot.files.length,
  };
}

/** Build an implementation folder; throws ImplLoadError when it is missing or does not compile. */
export async function buildForRunning(dir: string, options: { outDir?: string } = {}): Promise<PreparedImpl> {
  const built = await buildImplementation(dir, options);
  return { dir: built.dir, name: isReference(built.dir) ? 'reference' : path.basename(built.dir), built, ref: implRef(built) };
}

/**
 * Build it and load it once in a run process (with the stall watchdog: a module whose top level never returns is
 * reported, not waited for). Throws ImplLoadError when it does not load or has no make.
 */
export async function prepareImpl(
  dir: string,
  pool?: Omit<PoolOptions, 'size'>,
  options: { outDir?: string; processFlags?: readonly string[] } = {},
): Promise<PreparedImpl> {
  const prepared = await buildForRunning(dir, options);
  const probePool = new WorkerPool({ ...pool, size: 1 });
  try {
    const probe = await probePool.probe(prepared.built.file, options.processFlags);
    if (!probe.ok) {
      const where = implementationSite(probe.stack, prepared.built.root, prepared.ref.sourceDir);
      const entry = path.join(prepared.built.root, ...prepared.built.snapshot.entry.split('/'));
      throw new ImplLoadError((probe.code as ImplLoadError['code']) ?? 'IMPL_LOAD_FAILED', `could not load ${entry}: ${probe.message}${where ? ` (at ${where})` : ''}`);
    }
    return { ...prepared, describesState: probe.describeState ?? false };
  } finally {
    await probePool.close();
  }
}
