/**
 * What a grade is asked for, checked once for `raftlab grade` and for the app's Grading page alike: the pass rule as
 * the grader writes it, the settings a grade folder records, and every refusal that can be made before anything is
 * built or written (a folder that is not there, a tests pattern that selects nothing, a grade folder that holds a
 * grade with other settings or other people's files). Each refusal is a GradeInputError naming the field it is about.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { chaosActive, type ChaosKnobs } from '../harness/chaos.ts';
import type { ClockMode } from '../harness/runtime/index.ts';
import { selectTests, TestSelectionError } from '../harness/tester/index.ts';
import { gradeSettingsSchema, resultKey, sameSettings, type GradeSettings, type PassRule } from './plan.ts';
import { readResultsFile } from './store.ts';
import { GradeInputError, inside, insideRaftlab, listSubmissions } from './submissions.ts';

/** `all`, or `rate<=X` with X from 0 to 1: the CLI's --rule. */
export function parsePassRule(rule: string): PassRule | undefined {
  if (rule === 'all') return { kind: 'all' };
  const m = /^rate<=(0(\.\d+)?|1(\.0+)?)$/.exec(rule);
  return m ? { kind: 'rate', maxRate: Number(m[1]) } : undefined;
}

/** A pass rule as --rule takes it. */
export const formatPassRule = (rule: PassRule): string => (rule.kind === 'all' ? 'all' : `rate<=${rule.maxRate}`);

export const passRuleHelp = "'all' (a test passes when all its runs pass) or 'rate<=X' (its failure rate is at most X)";

/** What a grader asks for (the CLI's options, the page's form). */
export interface GradeRequest {
  tests: string;
  count: number;
  seed: number;
  mode: ClockMode;
  check: boolean;
  chaos?: ChaosKnobs | undefined;
  rule: PassRule;
}

/** The settings a grade folder records (grade.json): chaos knobs only when one is on. */
export function gradeSettingsOf(request: GradeRequest): GradeSettings {
  const settings: GradeSettings = {
    tests: request.tests,
    count: request.count,
    baseSeed: request.seed,
    mode: request.mode,
    check: request.check,
    ...(chaosActive(request.chaos) ? { chaos: request.chaos } : {}),
    rule: request.rule,
  };
  const parsed = gradeSettingsSchema.safeParse(settings);
  if (!parsed.success) throw new GradeInputError(`these are not grade settings: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return settings;
}

/** The tests a pattern selects, or why it selects none. */
export function gradeTests(pattern: string): string[] {
  try {
    return selectTests(pattern).map((t) => t.id);
  } catch (error) {
    if (error instanceof TestSelectionError) throw new GradeInputError(error.message, 'tests');
    throw error;
  }
}

/** The settings recorded in a grade folder, or null when it holds none; a grade.json that cannot be read is refused. */
export function recordedSettings(dir: string): GradeSettings | null {
  const file = path.join(dir, 'grade.json');
  if (!existsSync(file)) return null;
  let parsed;
  try {
    parsed = gradeSettingsSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  } catch {
    parsed = undefined;
  }
  if (!parsed?.success) throw new GradeInputError(`${file} is not a grade's settings file (damaged, or not raftlab's)`, 'out');
  return parsed.data as GradeSettings;
}

/** What a grade request will do, as far as can be known without building anything. */
export interface GradePlanPreview {
  submissionsDir: string;
  out: string;
  settings: GradeSettings;
  tests: string[];
  submissions: string[];
  /** The out folder holds this grade already: runs recorded there are not run again. */
  resumes: boolean;
  /** Runs of these submissions, tests and seeds recorded already. */
  recorded: number;
}

/**
 * Every check that can be made before a grade builds or writes anything; throws GradeInputError naming the field.
 * The grade folder must not be inside the submissions (it would be graded as one) nor inside raftlab's folder (every
 * submission may read raftlab's folder, so the builds kept there would be read by all), and it must be new, empty,
 * or a grade with the same settings (which resumes).
 */
export function previewGrade(submissionsFolder: string, outFolder: string, settings: GradeSettings): GradePlanPreview {
  const submissionsDir = path.resolve(submissionsFolder);
  const out = path.resolve(outFolder);
  const tests = gradeTests(settings.tests);
  const found = listSubmissions(submissionsDir);
  if (inside(out, submissionsDir)) throw new GradeInputError(`The grade folder ${out} is inside the submissions folder: it would be graded as a submission; put it elsewhere`, 'out');
  if (inside(submissionsDir, out)) throw new GradeInputError(`The submissions folder is inside the grade folder ${out}: put the grade elsewhere`, 'out');
  if (insideRaftlab(out)) throw new GradeInputError(`The grade folder ${out} is inside raftlab's own folder, which every submission may read (their builds would be read by all): put it elsewhere`, 'out');
  let resumes = false;
  let recorded = 0;
  if (existsSync(out)) {
    if (!statSync(out).isDirectory()) throw new GradeInputError(`${out} is a file, not a folder: the grade needs a folder of its own`, 'out');
    const before = recordedSettings(out);
    if (before) {
      if (!sameSettings(before, settings)) {
        throw new GradeInputError(`${out} holds a grade with other settings (tests ${before.tests}, ${before.count} runs from seed ${before.baseSeed}, ${before.mode} clock${before.check ? ', checked' : ''}, rule ${formatPassRule(before.rule)}): use another folder, or the same settings to resume it`, 'out');
      }
      resumes = true;
      const wanted = new Set<string>();
      for (const s of found) for (const test of tests) for (let i = 0; i < settings.count; i++) wanted.add(resultKey({ submission: s.id, test, seed: settings.baseSeed + i }));
      for (const key of readResultsFile(path.join(out, 'results.ndjson')).results.keys()) if (wanted.has(key)) recorded++;
    } else if (readdirSync(out).some((name) => !name.startsWith('.'))) {
      throw new GradeInputError(`${out} holds other files and no grade (no grade.json): pick a new or empty folder, or a grade folder to resume`, 'out');
    }
  }
  return { submissionsDir, out, settings, tests, submissions: found.map((s) => s.id), resumes, recorded };
}
