// Recorded batches without running anything, for the services' tests and the UI's: through History itself for a
// few, or as batch folders written directly (the format src/runner/history.ts reads) for thousands at once.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { History, testTotals, type BatchSettings, type RunSummary } from '../../src/runner/history.ts';
import type { RunRecord } from '../../src/runner/types.ts';

export interface FakeRun {
  id: string;
  seed: number;
  status?: RunSummary['status'];
  message?: string;
  testMs?: number;
  wallMs?: number;
  traceFile?: string;
}

export const fakeSettings = (over: Partial<BatchSettings> = {}): BatchSettings => ({
  pattern: '^TestInitialElection2A$',
  tests: ['TestInitialElection2A'],
  mode: 'sim',
  baseSeed: 1,
  count: 1,
  parallel: 1,
  implDir: '/impl/a',
  sourcesHash: 'a'.repeat(64),
  argv: ['(test)'],
  ...over,
});

const summary = (r: FakeRun, mode: string): RunSummary => ({
  id: r.id,
  seed: r.seed,
  mode,
  status: r.status ?? 'pass',
  ...(r.message !== undefined ? { message: r.message } : r.status && r.status !== 'pass' ? { message: 'expected one leader, got none' } : {}),
  testMs: r.testMs ?? 1000,
  wallMs: r.wallMs ?? 50,
  completed: true,
  ...(r.traceFile ? { traceFile: r.traceFile } : {}),
});

/** One batch recorded through History, as the app and the CLI record them. */
export function recordBatch(history: History, settings: BatchSettings, runs: FakeRun[], now?: Date): string {
  const recorder = history.startBatch({ ...settings, tests: settings.tests.length ? settings.tests : [...new Set(runs.map((r) => r.id))] }, now);
  for (const r of runs) recorder.recordRun({ ...summary(r, settings.mode), implDir: settings.implDir, dispatchWallMs: 0, freshWorker: false } as unknown as RunRecord);
  const failed = runs.filter((r) => (r.status ?? 'pass') !== 'pass').length;
  recorder.finish({ runs: runs.length, failed, wallMs: runs.length * 50, stopped: false }, now);
  return recorder.id;
}

/** Many ended batches as folders, then the index rebuilt once (History.startBatch rewrites the index each time). */
export function writeBatches(dataDir: string, batches: { id: string; startedAt: string; settings: BatchSettings; runs: FakeRun[] }[]): void {
  const root = path.join(dataDir, 'batches');
  for (const b of batches) {
    const dir = path.join(root, b.id);
    mkdirSync(dir, { recursive: true });
    const runs = b.runs.map((r) => summary(r, b.settings.mode));
    writeFileSync(path.join(dir, 'batch.json'), JSON.stringify({ version: 2, id: b.id, startedAt: b.startedAt, owner: { pid: 1, host: 'test' }, settings: b.settings }));
    writeFileSync(path.join(dir, 'runs.ndjson'), runs.map((r) => JSON.stringify(r) + '\n').join(''));
    const failed = runs.filter((r) => r.status !== 'pass').length;
    writeFileSync(
      path.join(dir, 'end.json'),
      JSON.stringify({ state: 'done', finishedAt: b.startedAt, totals: { runs: runs.length, failed, wallMs: runs.length * 50, stopped: false }, tests: testTotals(runs) }),
    );
  }
  new History(dataDir).rebuildIndex();
}
