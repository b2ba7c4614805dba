import { snapshotInterval } from '../config.ts';
import type { RaftTest, TestEnv } from '../types.ts';

/** The largest persisted Raft state (bytes) a 2D test tolerates: Raft must trim its log after Snapshot(). */
export const maxLogSizeBytes = 2000;

/**
 * The 2D scenario: 30 rounds of sending more than a snapshot interval of commands while one server is
 * disconnected or crashed (or neither), so that it must catch up by InstallSnapshot.
 */
async function snapcommon(env: TestEnv, name: string, disconnect: boolean, reliable: boolean, crash: boolean): Promise<void> {
  const { makeConfig, random } = env;
  const iters = 30;
  const servers = 3;
  const cfg = makeConfig(servers, !reliable, true);
  cfg.begin(name);

  await cfg.one(random.int(), servers, true);
  let leader1 = await cfg.checkOneLeader();

  for (let i = 0; i < iters; i++) {
    let victim = (leader1 + 1) % servers;
    let sender = leader1;
    if (i % 3 === 1) {
      sender = (leader1 + 1) % servers;
      victim = leader1;
    }

    if (disconnect) {
      cfg.disconnect(victim);
      await cfg.one(random.int(), servers - 1, true);
    }
    if (crash) {
      cfg.crash1(victim);
      await cfg.one(random.int(), servers - 1, true);
    }
    // send enough to get a snapshot
    for (let j = 0; j < snapshotInterval + 1; j++) cfg.rafts[sender]!.start(random.int());
    // let applier threads catch up with the Start()'s
    await cfg.one(random.int(), servers - 1, true);

    if (cfg.logSize() >= maxLogSizeBytes) cfg.t.fatalf('Log size too large');
    if (disconnect) {
      // reconnect a follower, who may be behind and need a snapshot to catch up.
      cfg.connect(victim);
      await cfg.one(random.int(), servers, true);
      leader1 = await cfg.checkOneLeader();
    }
    if (crash) {
      cfg.start1(victim, cfg.applierSnap);
      cfg.connect(victim);
      await cfg.one(random.int(), servers, true);
      leader1 = await cfg.checkOneLeader();
    }
  }
  cfg.end();
}

const snapshotTest = (id: string, description: string, disconnect: boolean, reliable: boolean, crash: boolean): RaftTest => ({
  id,
  part: '2D',
  description,
  servers: 3,
  run: (env) => snapcommon(env, description, disconnect, reliable, crash),
});

export const tests2D: RaftTest[] = [
  snapshotTest('TestSnapshotBasic2D', 'Test (2D): snapshots basic', false, true, false),
  snapshotTest('TestSnapshotInstall2D', 'Test (2D): install snapshots (disconnect)', true, true, false),
  snapshotTest('TestSnapshotInstallUnreliable2D', 'Test (2D): install snapshots (disconnect+unreliable)', true, false, false),
  snapshotTest('TestSnapshotInstallCrash2D', 'Test (2D): install snapshots (crash)', false, true, true),
  snapshotTest('TestSnapshotInstallUnCrash2D', 'Test (2D): install snapshots (unreliable+crash)', false, false, true),
];
