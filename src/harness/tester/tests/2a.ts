import { raftElectionTimeoutMs } from '../config.ts';
import type { RaftTest } from '../types.ts';

export const tests2A: RaftTest[] = [
  {
    id: 'TestInitialElection2A',
    part: '2A',
    description: 'Test (2A): initial election',
    servers: 3,
    async run({ t, makeConfig, sleep }) {
      const cfg = makeConfig(3, false, false);
      cfg.begin('Test (2A): initial election');

      // is a leader elected?
      await cfg.checkOneLeader();

      // sleep a bit to avoid racing with followers learning of the election, then check that all peers agree on the term.
      await sleep(50);
      const term1 = cfg.checkTerms();
      if (term1 < 1) t.fatalf(`term is ${term1}, but should be at least 1`);

      // does the leader+term stay the same if there is no network failure?
      await sleep(2 * raftElectionTimeoutMs);
      const term2 = cfg.checkTerms();
      if (term1 !== term2) t.print('warning: term changed even though there were no failures');

      // there should still be a leader.
      await cfg.checkOneLeader();
      cfg.end();
    },
  },
  {
    id: 'TestReElection2A',
    part: '2A',
    description: 'Test (2A): election after network failure',
    servers: 3,
    async run({ makeConfig, sleep }) {
      const servers = 3;
      const cfg = makeConfig(servers, false, false);
      cfg.begin('Test (2A): election after network failure');

      const leader1 = await cfg.checkOneLeader();

      // if the leader disconnects, a new one should be elected.
      cfg.disconnect(leader1);
      await cfg.checkOneLeader();

      // if the old leader rejoins, that shouldn't disturb the new leader.
      cfg.connect(leader1);
      const leader2 = await cfg.checkOneLeader();

      // if there's no quorum, no leader should be elected.
      cfg.disconnect(leader2);
      cfg.disconnect((leader2 + 1) % servers);
      await sleep(2 * raftElectionTimeoutMs);
      cfg.checkNoLeader();

      // if a quorum arises, it should elect a leader.
      cfg.connect((leader2 + 1) % servers);
      await cfg.checkOneLeader();

      // re-join of last node shouldn't prevent leader from existing.
      cfg.connect(leader2);
      await cfg.checkOneLeader();
      cfg.end();
    },
  },
  {
    id: 'TestManyElections2A',
    part: '2A',
    description: 'Test (2A): multiple elections',
    servers: 7,
    async run({ makeConfig, random }) {
      const servers = 7;
      const cfg = makeConfig(servers, false, false);
      cfg.begin('Test (2A): multiple elections');

      await cfg.checkOneLeader();

      const iters = 10;
      for (let ii = 1; ii < iters; ii++) {
        // disconnect three nodes (possibly the same one more than once)
        const i1 = random.intn(servers);
        const i2 = random.intn(servers);
        const i3 = random.intn(servers);
        cfg.disconnect(i1);
        cfg.disconnect(i2);
        cfg.disconnect(i3);

        // either the current leader should still be alive, or the remaining four should elect a new one.
        await cfg.checkOneLeader();

        cfg.connect(i1);
        cfg.connect(i2);
        cfg.connect(i3);
      }

      await cfg.checkOneLeader();
      cfg.end();
    },
  },
];
