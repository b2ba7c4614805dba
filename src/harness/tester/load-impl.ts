import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { DescribeState, MakeRaft } from '../../../labs/api/index.ts';

/** The reference implementation's folder. */
export const referenceImplDir = fileURLToPath(new URL('../../../labs/raft/', import.meta.url));

export type ImplLoadErrorCode = 'IMPL_NOT_FOUND' | 'IMPL_LOAD_FAILED' | 'IMPL_NO_MAKE';

/** An implementation folder that cannot be used; the message says which and why. */
export class ImplLoadError extends Error {
  readonly code: ImplLoadErrorCode;
  constructor(code: ImplLoadErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ImplLoadError';
    this.code = code;
  }
}

export interface LoadedImpl {
  dir: string;
  make: MakeRaft;
  /** The folder's optional `describeState` export (labs/api: DescribeState), for runTest's options. */
  describeState?: DescribeState | undefined;
}

/**
 * Load a Raft implementation: a folder whose index.ts exports `make`. TypeScript loads through tsx, which the CLI
 * and the test runner register, so there is no build step.
 */
export async function loadImplementation(dir: string = referenceImplDir): Promise<LoadedImpl> {
  const absolute = path.resolve(dir);
  const entry = ['index.ts', 'index.js', 'index.mts'].map((f) => path.join(absolute, f)).find((f) => existsSync(f));
  if (!existsSync(absolute) || !statSync(absolute).isDirectory()) {
    throw new ImplLoadError('IMPL_NOT_FOUND', `implementation folder ${absolute} does not exist`);
  }
  if (!entry) throw new ImplLoadError('IMPL_NOT_FOUND', `implementation folder ${absolute} has no index.ts`);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(entry).href)) as Record<string, unknown>;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ImplLoadError('IMPL_LOAD_FAILED', `could not load ${entry}: ${message}`, { cause: error });
  }
  const make = mod.make ?? (mod.default as Record<string, unknown> | undefined)?.make;
  if (typeof make !== 'function') {
    throw new ImplLoadError('IMPL_NO_MAKE', `${entry} must export a function named make (export const make: MakeRaft = ...)`);
  }
  const describeState = mod.describeState ?? (mod.default as Record<string, unknown> | undefined)?.describeState;
  if (describeState !== undefined && typeof describeState !== 'function') {
    throw new ImplLoadError('IMPL_LOAD_FAILED', `${entry} exports describeState, but not as a function (labs/api: DescribeState)`);
  }
  return { dir: absolute, make: make as MakeRaft, ...(describeState ? { describeState: describeState as DescribeState } : {}) };
}
