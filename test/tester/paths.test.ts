// What a run exercised (src/harness/tester/paths.ts): counted by the network and the tester's applier, carried in
// the run's result, summed per test by the batch. Counts from real runs of the reference and corpus/gostyle, whose
// paths are known: a 2A election, a follower that falls behind in TestBackup2B, gostyle's install path in 2D.
import assert from 'node:assert/strict';
import { emptyPathCounts, loadImplementation, PathCounter, runTest, selectTests } from '../../src/harness/tester/index.ts';
import { summarizeTests } from '../../src/runner/batch.ts';

const one = (pattern: string) => selectTests(pattern)[0]!;

describe('tester: what a run exercised', function () {
  this.timeout(120_000);

  it('counts elections by (candidate, term), and AppendEntries rejections by reason, from the calls as they were made', () => {
    const c = new PathCounter();
    c.sent(0, 'Raft.RequestVote', { term: 1 });
    c.sent(0, 'Raft.RequestVote', { Term: 1 }); // the same candidacy, to another peer, Go-style field names
    c.sent(1, 'Raft.RequestVote', { term: 1 });
    c.sent(0, 'Raft.RequestVote', { term: 2 });
    const stale = c.sent(0, 'Raft.AppendEntries', { term: 2 });
    const mismatch = c.sent(0, 'Raft.AppendEntries', { term: 2 });
    const ok = c.sent(0, 'Raft.AppendEntries', { term: 2 });
    stale!({ term: 3, success: false });
    mismatch!({ Term: 2, Success: false });
    ok!({ term: 2, success: true });
    assert.equal(c.sent(2, 'Raft.InstallSnapshot', { term: 2 }), undefined);
    assert.equal(c.sent(2, 'Raft.Whatever', {}), undefined, 'other RPCs are not counted');
    c.snapshotTaken();
    c.snapshotInstalled();
    assert.deepEqual(c.counts, { electionsStarted: 3, appendEntriesRejected: { staleTerm: 1, logMismatch: 1 }, installSnapshotSent: 1, snapshotsInstalled: 1, snapshotsTaken: 1 });
  });

  it('a run carries its counts: the reference elects in 2A, backs up a follower in 2B; gostyle installs snapshots in 2D', async () => {
    const { make: reference } = await loadImplementation();
    const election = await runTest(one('^TestInitialElection2A$'), { mode: 'sim', seed: 1, make: reference });
    assert.equal(election.status, 'pass');
    assert.ok(election.paths!.electionsStarted >= 1);
    assert.deepEqual([election.paths!.installSnapshotSent, election.paths!.snapshotsTaken], [0, 0]);

    const backup = await runTest(one('^TestBackup2B$'), { mode: 'sim', seed: 1, make: reference });
    assert.equal(backup.status, 'pass');
    assert.ok(backup.paths!.appendEntriesRejected.logMismatch > 0, JSON.stringify(backup.paths));
    assert.ok(backup.paths!.appendEntriesRejected.staleTerm > 0, 'the old leader of a partition hears of the newer term');

    const { make: gostyle } = await loadImplementation('labs/corpus/gostyle');
    const basic = await runTest(one('^TestSnapshotBasic2D$'), { mode: 'sim', seed: 1, make: gostyle });
    assert.equal(basic.status, 'pass');
    const p = basic.paths!;
    assert.ok(p.installSnapshotSent > 0 && p.snapshotsInstalled > 0 && p.snapshotsTaken > 0, JSON.stringify(p));
  });

  it('a batch sums them per test, and counts the runs that reached InstallSnapshot', () => {
    const counts = (installs: number) => ({ ...emptyPathCounts(), electionsStarted: 1, installSnapshotSent: installs });
    const run = (paths?: ReturnType<typeof counts>) => ({ id: 'TestSnapshotBasic2D', status: 'pass' as const, completed: true, testMs: 1, wallMs: 1, ...(paths ? { paths } : {}) });
    const [t] = summarizeTests(['TestSnapshotBasic2D'], [run(counts(0)), run(counts(5)), run()]);
    assert.deepEqual(t!.paths, { total: { ...emptyPathCounts(), electionsStarted: 2, installSnapshotSent: 5 }, runsCounted: 2, runsWithInstallSnapshot: 1 });
    assert.equal(summarizeTests(['TestSnapshotBasic2D'], [run()])[0]!.paths, undefined, 'no counts, no row');
  });
});
