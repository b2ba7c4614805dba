/**
 * A source snapshot as a zod schema, for snapshots that come from outside (a bundle, a grading queue): every path
 * relative and inside its folder, sizes bounded. Apart from snapshot.ts so that a run process never loads zod.
 */
import * as z from 'zod';
import { sourcesFormat } from './snapshot.ts';

// A relative path that stays inside its folder: no absolute paths, no '..', no empty or odd segments.
const safeRelativePath = z
  .string()
  .min(1)
  .max(500)
  .refine((p) => !p.includes('\\') && !p.includes('\0') && !p.startsWith('/') && !/^[a-zA-Z]:/.test(p), 'must be a relative path with forward slashes')
  .refine((p) => p === '.' || p.split('/').every((s) => s !== '' && s !== '.' && s !== '..'), 'must not leave its folder');

export const sourceSnapshotSchema = z.object({
  format: z.literal(sourcesFormat),
  implDir: safeRelativePath,
  entry: safeRelativePath,
  files: z
    .array(z.object({ path: safeRelativePath, sha256: z.string().regex(/^[0-9a-f]{64}$/), text: z.string().max(8 * 1024 * 1024) }))
    .min(1)
    .max(2_000),
  packages: z.array(z.string().max(200)).max(500),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
});

