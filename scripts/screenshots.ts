// The screenshots of the README and docs/grading.md, taken from the real app at 1920×1080: the renderer built with the app's Vite config,
// served by the web server over a fresh data folder, in Debian's Chromium. The history is made by running batches:
// a student's folder at two code versions (first with the up-to-date check missing from RequestVote, then fixed),
// a planted bug, a batch caught mid-run; then a class graded on the Grading page. Writes docs/screenshots/*.png.
//
//   npm run screenshots        (needs /usr/bin/chromium, or RAFTLAB_CHROMIUM)
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { patchedReferenceSources } from '../src/harness/loader/index.ts';
import { openAppInBrowser } from '../test/ui/app-in-browser.ts';

const out = path.resolve('docs/screenshots');
mkdirSync(out, { recursive: true });

/** A student's Raft folder outside the repository: the reference's files (or a bug's), importing raftlab/api. */
function writeStudentFolder(dir: string, files: Record<string, string>, note: string): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    writeFileSync(path.join(dir, name), text.replaceAll("'../api/index.ts'", "'raftlab/api'") + (name === 'raft.ts' ? `\n// ${note}\n` : ''));
  }
  writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
}

const home = mkdtempSync(path.join(tmpdir(), 'raftlab-shots-'));
const student = path.join(home, '6.824', 'raft');
const bugDir = path.resolve('labs/bugs/vote-without-up-to-date-check');
const app = await openAppInBrowser({ width: 1920, height: 1080 });
const { page, services } = app;
const shot = async (name: string) => {
  await page.waitForTimeout(400);
  await page.screenshot({ path: path.join(out, `${name}.png`) });
  console.log(`docs/screenshots/${name}.png`);
};
const run = async (tests: string[], count: number, seed: number, extra: Partial<Parameters<typeof services.batches.start>[0]> = {}) => {
  const view = await services.batches.start({ tests, count, parallel: 2, mode: 'sim', seed, impl: student, stopOnFail: false, ...extra });
  return (await services.batches.whenDone(view.id))!;
};
const twoB = ['TestBasicAgree2B', 'TestFailAgree2B', 'TestBackup2B', 'TestRejoin2B'];

try {
  // Version 1: RequestVote without the up-to-date check (the mistake of labs/bugs/vote-without-up-to-date-check).
  writeStudentFolder(student, patchedReferenceSources(bugDir), 'version 1');
  await run(['TestInitialElection2A', 'TestReElection2A', 'TestManyElections2A'], 6, 1);
  for (const seed of [1, 20, 40]) await run(twoB, 6, seed);
  await run(['TestBackup2B'], 4, 100, { chaos: { dropRate: 0.1 } });
  // Version 2: fixed.
  writeStudentFolder(student, readReference(), 'version 2: the up-to-date check');
  for (const seed of [60, 80]) await run(twoB, 6, seed);
  const failing = await services.batches.start({ tests: twoB, count: 8, parallel: 2, mode: 'sim', seed: 1, impl: bugDir, stopOnFail: false, check: true });
  const failed = (await services.batches.whenDone(failing.id))!;

  await page.goto(app.server.appUrl);
  await page.getByTestId('test-TestInitialElection2A').waitFor();
  // The form on the student's folder: the catalog's rates for this code version.
  await page.getByTestId('impl-folder').check();
  await page.getByTestId('impl-folder-path').fill(student);
  await page.getByTestId('impl-folder-path').dispatchEvent('change');
  await page.getByTestId('impl-folder-resolved').waitFor();
  for (const t of twoB) await page.getByTestId(`pick-${t}`).check();
  await page.getByTestId('rate-TestBackup2B').filter({ hasText: /of 12/ }).waitFor();
  await shot('catalog');

  // A batch caught while it runs: live rates with their intervals, the runs in flight, the time left.
  await page.getByTestId('run-count').fill('40');
  await page.getByTestId('run-seed').fill('200');
  await page.getByTestId('run-start').click();
  await page.getByTestId('in-flight-run').first().waitFor();
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="batch-done"]')?.textContent) >= 24);
  await shot('run-in-progress');
  await page.getByTestId('run-cancel').click();
  await page.getByTestId('batch-state').filter({ hasText: 'cancelled' }).waitFor();

  // A planted bug's results, read back from History: clusters and kept traces.
  await page.goto(`${app.server.url}#/batch?id=${failed.id}`);
  await page.getByTestId('cluster').first().waitFor();
  await shot('results');

  await page.goto(`${app.server.url}#/history`);
  await page.getByTestId('history-impl').selectOption(student);
  await page.getByTestId('series-TestBackup2B').waitFor();
  await shot('history');

  const trace = failed.results!.clusters.find((c) => c.test === 'TestBackup2B')!.failures[0]!.traceFile!;
  await page.goto(`${app.server.url}#/trace?file=${encodeURIComponent(trace)}`);
  await page.locator('[data-testid="trace-viewer"][data-loaded="true"]').waitFor({ timeout: 30_000 });
  await page.locator('[data-testid="trace-viewer"][data-failure]').waitFor({ timeout: 30_000 });
  await shot('trace-viewer');

  await page.goto(`${app.server.url}#/bugs?name=vote-without-up-to-date-check`);
  await page.getByTestId('bug-detail').waitFor();
  await shot('bugs');

  // A class graded from the Grading page: correct Rafts (the reference and two of the corpus), the skeleton, and
  // planted bugs, as students would hand them in; the matrix, with a failing cell's runs open.
  const klass = path.join(home, 'class');
  const students: Record<string, string> = {
    alice: 'labs/raft',
    bob: 'labs/skeleton',
    carol: 'labs/bugs/votedfor-not-persisted',
    dave: 'labs/corpus/poll',
    erin: 'labs/bugs/vote-without-up-to-date-check',
    frank: 'labs/bugs/heartbeat-10ms',
    grace: 'labs/corpus/queue',
  };
  for (const [who, from] of Object.entries(students)) cpSync(path.resolve(from), path.join(klass, who), { recursive: true });
  await page.goto(`${app.server.url}#/grading`);
  await page.getByTestId('grade-submissions').fill(klass);
  await page.getByTestId('grade-tests').fill('2A|TestBasicAgree2B|TestFailAgree2B|TestBackup2B|TestCount2B');
  await page.getByTestId('grade-count').fill('8');
  await page.getByTestId('grade-check-safety').check();
  await page.getByTestId('grade-plan').filter({ hasText: '= 392 runs' }).waitFor();
  await page.getByTestId('grade-start').click();
  await page.getByTestId('grade-live-state').filter({ hasText: 'done' }).waitFor({ timeout: 300_000 });
  await page.locator('[data-testid="grade-state"]', { hasText: 'complete' }).waitFor();
  await page.getByTestId('cell-erin-TestBackup2B').click();
  await page.getByTestId('grade-failed-run').first().waitFor();
  await shot('grading');
  if (app.problems.length) console.error(app.problems.join('\n'));
} finally {
  await app.close();
  rmSync(home, { recursive: true, force: true });
}

/** The reference's own files (version 2: the mistake fixed). */
function readReference(): Record<string, string> {
  const dir = path.resolve('labs/raft');
  return Object.fromEntries(readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => [f, readFileSync(path.join(dir, f), 'utf8')]));
}
