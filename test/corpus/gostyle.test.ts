// corpus/gostyle, the Go-shaped Raft (goroutines, one mutex, pipelined nextIndex, an InstallSnapshot handler that
// waits on applyCh): with no faults, only goroutines interleaving as under Go send it down its install path. The
// default scheduler must get it there, and so catch the install-path bug planted in it, which the scheduler switched
// off (raftlab before it had one) never sees. docs/scheduler.md has the 50-seed figures.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyUnifiedDiff } from '../../src/harness/loader/unified-diff.ts';
import { loadImplementation, runTest, selectTests } from '../../src/harness/tester/index.ts';
import type { ChaosKnobs } from '../../src/harness/chaos.ts';
import type { MakeRaft } from '../../labs/api/index.ts';
import { readBugAbout } from '../../src/runner/bug-about.ts';

const gostyleDir = fileURLToPath(new URL('../../labs/corpus/gostyle/', import.meta.url));
const bugDir = fileURLToPath(new URL('../fixtures/corpus-bugs/gostyle-install-keeps-log/', import.meta.url));
const [basic] = selectTests('^TestSnapshotBasic2D$');

/** The run's status and how many InstallSnapshot RPCs it sent. */
async function run(make: MakeRaft, seed: number, chaos?: ChaosKnobs): Promise<{ status: string; installs: number }> {
  let installs = 0;
  const r = await runTest(basic!, {
    mode: 'sim',
    seed,
    make,
    ...(chaos ? { chaos } : {}),
    netObserver: (e) => {
      if (e.type === 'send' && e.method === 'Raft.InstallSnapshot') installs++;
    },
  });
  return { status: r.status, installs };
}

describe('corpus/gostyle and the scheduler: TestSnapshotBasic2D reaches the install path as under Go', function () {
  this.timeout(120_000);
  let scratch: string;
  before(() => (scratch = mkdtempSync(path.join(os.tmpdir(), 'raftlab-gostyle-'))));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it('sends InstallSnapshot in most seeds under the default scheduler, in none with it off', async () => {
    const { make } = await loadImplementation(gostyleDir);
    const seeds = [1, 2, 3, 4, 5, 6, 7, 8];
    const on: Array<{ status: string; installs: number }> = [];
    for (const seed of seeds) on.push(await run(make, seed)); // one sim run at a time per thread
    assert.deepEqual(on.map((r) => r.status), seeds.map(() => 'pass'));
    assert.ok(on.filter((r) => r.installs > 0).length >= seeds.length / 2, JSON.stringify(on));
    for (const seed of [1, 2]) assert.deepEqual(await run(make, seed, { interleave: 0 }), { status: 'pass', installs: 0 });
  });

  it('the bug planted in its install path is caught within the sweep its about.json states, and not with the scheduler off', async () => {
    const about = readBugAbout(bugDir);
    const sources = Object.fromEntries(readdirSync(gostyleDir).map((f) => [f, readFileSync(path.join(gostyleDir, f), 'utf8')]));
    const patched = applyUnifiedDiff(sources, readFileSync(path.join(bugDir, 'bug.patch'), 'utf8'));
    assert.notEqual(patched['raft.ts'], sources['raft.ts']);
    const dir = path.join(scratch, 'gostyle-install-keeps-log');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
    for (const [file, text] of Object.entries(patched)) writeFileSync(path.join(dir, file), text);
    const { make } = await loadImplementation(dir);
    assert.equal(about.catch.tests, '^TestSnapshotBasic2D$');
    let caughtAt: number | undefined;
    for (let seed = 1; seed <= about.catch.seeds && caughtAt === undefined; seed++) {
      if ((await run(make, seed)).status !== 'pass') caughtAt = seed;
    }
    assert.ok(caughtAt !== undefined, `not caught within ${about.catch.seeds} seeds`);
    assert.equal((await run(make, caughtAt, { interleave: 0 })).status, 'pass', 'with the scheduler off the install path is never reached');
  });
});
