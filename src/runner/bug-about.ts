/**
 * The catalog of planted bugs (`labs/bugs/<name>/`): each folder's `about.json` says what the bug is, for students
 * (title, explanation), and which sweep is stated to catch it (mocha holds each bug to its own; `npm run catalog`
 * measures them). Read and checked here, where the checker's invariants and the tests are known.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import * as z from 'zod';
import { invariants, type InvariantId } from '../checker/index.ts';
import { parseChaos } from '../harness/chaos.ts';
import { isBugDir, selectTests } from '../harness/tester/index.ts';

export { bugsDir } from '../harness/paths.ts';
import { bugsDir } from '../harness/paths.ts';
export const bugAboutFile = 'about.json';

export interface BugAbout {
  title: string;
  explanation: string;
  /** The sweep stated to catch it. */
  catch: {
    /** A regular expression over test ids, as for `raftlab run`. */
    tests: string;
    /** Seeds 1..seeds of each matching test, on the sim clock, with the checker on. */
    seeds: number;
    /** Chaos knobs (`raftlab run --chaos`), when the sweep needs them. */
    chaos?: string;
    /** The invariant the checker must name, for a bug that breaks a safety property. */
    invariant?: InvariantId;
  };
}

const invariantIds = Object.keys(invariants) as [InvariantId, ...InvariantId[]];

const schema = z.strictObject({
  title: z.string().min(6),
  explanation: z.string().min(41),
  catch: z.strictObject({
    tests: z.string().min(1),
    seeds: z.number().int().positive(),
    chaos: z.string().min(1).optional(),
    invariant: z.enum(invariantIds).optional(),
  }),
});

/** An about.json that cannot be used; the message names the file and what is wrong. */
export class BugAboutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BugAboutError';
  }
}

/** The bug's about.json, checked: its shape, its test pattern (it must select a test) and its chaos knobs. */
export function readBugAbout(bugDir: string): BugAbout {
  const file = path.join(bugDir, bugAboutFile);
  if (!existsSync(file)) throw new BugAboutError(`${file} does not exist`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new BugAboutError(`${file} is not JSON: ${(error as Error).message}`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ');
    throw new BugAboutError(`${file}: ${issues}`);
  }
  const about = parsed.data;
  try {
    selectTests(about.catch.tests);
    if (about.catch.chaos) parseChaos(about.catch.chaos);
  } catch (error) {
    throw new BugAboutError(`${file}: catch: ${(error as Error).message}`);
  }
  return about;
}

/** The names of the planted bugs under `dir` (folders holding a bug.patch), sorted. */
export function listBugs(dir: string = bugsDir): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && isBugDir(path.join(dir, d.name)))
    .map((d) => d.name)
    .sort();
}
