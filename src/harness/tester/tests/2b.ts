import { raftElectionTimeoutMs } from '../config.ts';
import { fmtV } from '../failure.ts';
import type { Rng } from '../../runtime/index.ts';
import type { RaftTest } from '../types.ts';

const base64url = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** config.go's randstring: n characters of URL-safe base64 (from the tester's seeded stream, not crypto). */
export function randstring(random: Rng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += base64url[random.intn(64)];
  return s;
}

/** Go's %v of an []int: `[1 2 3]`. */
const fmtInts = (xs: readonly unknown[]): string => `[${xs.map(fmtV).join(' ')}]`;

export const tests2B: RaftTest[] = [
  {
    id: 'TestBasicAgree2B',
    part: '2B',
    description: 'Test (2B): basic agreement',
    servers: 3,
    async run({ t, makeConfig }) {
      const servers = 3;
      const cfg = makeConfig(servers, false, false);
      cfg.begin('Test (2B): basic agreement');

      const iters = 3;
      for (let index = 1; index < iters + 1; index++) {
        const { count } = cfg.nCommitted(index);
        if (count > 0) t.fatalf('some have committed before Start()');
        const xindex = await cfg.one(index * 100, servers, false);
        if (xindex !== index) t.fatalf(`got index ${xindex} but expected ${index}`);
      }
      cfg.end();
    },
  },
  {
    id: 'TestRPCBytes2B',
    part: '2B',
    description: 'Test (2B): RPC byte count',
    servers: 3,
    // check, based on counting bytes of RPCs, that each command is sent to each peer just once.
    async run({ t, makeConfig, random }) {
      const servers = 3;
      const cfg = makeConfig(servers, false, false);
      cfg.begin('Test (2B): RPC byte count');

      await cfg.one(99, servers, false);
      const bytes0 = cfg.bytesTotal();

      const iters = 10;
      let sent = 0;
      for (let index = 2; index < iters + 2; index++) {
        const cmd = randstring(random, 5000);
        const xindex = await cfg.one(cmd, servers, false);
        if (xindex !== index) t.fatalf(`got index ${xindex} but expected ${index}`);
        sent += cmd.length;
      }

      const got = cfg.bytesTotal() - bytes0;
      const expected = servers * sent;
      if (got > expected + 50000) t.fatalf(`too many RPC bytes; got ${got}, expected ${expected}`);
      cfg.end();
    },
  },
  {
    id: 'TestFailAgree2B',
    part: '2B',
    description: 'Test (2B): agreement despite follower disconnection',
    servers: 3,
    async run({ makeConfig, sleep }) {
      const servers = 3;
      const cfg = makeConfig(servers, false, false);
      cfg.begin('Test (2B): agreement despite follower disconnection');

      await cfg.one(101, servers, false);

      // disconnect one follower from the network.
      const leader = await cfg.checkOneLeader();
      cfg.disconnect((leader + 1) % servers);

      // the leader and remaining follower should be able to agree despite the disconnected follower.
      await cfg.one(102, servers - 1, false);
      await cfg.one(103, servers - 1, false);
      await sleep(raftElectionTimeoutMs);
      await cfg.one(104, servers - 1, false);
      await cfg.one(105, servers - 1, false);

      // re-connect
      cfg.connect((leader + 1) % servers);

      // the full set of servers should preserve previous agreements, and be able to agree on new commands.
      await cfg.one(106, servers, true);
      await sleep(raftElectionTimeoutMs);
      await cfg.one(107, servers, true);
      cfg.end();
    },
  },
  {
    id: 'TestFailNoAgree2B',
    part: '2B',
    description: 'Test (2B): no agreement if too many followers disconnect',
    servers: 5,
    async run({ t, makeConfig, sleep }) {
      const servers = 5;
      const cfg = makeConfig(servers, false, false);
      cfg.begin('Test (2B): no agreement if too many followers disconnect');

      await cfg.one(10, servers, false);

      // 3 of 5 followers disconnect
      const leader = await cfg.checkOneLeader();
      cfg.disconnect((leader + 1) % servers);
      cfg.disconnect((leader + 2) % servers);
      cfg.disconnect((leader + 3) % servers);

      const { index, isLeader: ok } = cfg.rafts[leader]!.start(20);
      if (!ok) t.fatalf('leader rejected Start()');
      if (index !== 2) t.fatalf(`expected index 2, got ${index}`);

      await sleep(2 * raftElectionTimeoutMs);

      const { count: n } = cfg.nCommitted(index);
      if (n > 0) t.fatalf(`${n} committed but no majority`);

      // repair
      cfg.connect((leader + 1) % servers);
      cfg.connect((leader + 2) % servers);
      cfg.connect((leader + 3) % servers);

      // the disconnected majority may have chosen a leader from among their own ranks, forgetting index 2.
      const leader2 = await cfg.checkOneLeader();
      const { index: index2, isLeader: ok2 } = cfg.rafts[leader2]!.start(30);
      if (!ok2) t.fatalf('leader2 rejected Start()');
      if (index2 < 2 || index2 > 3) t.fatalf(`unexpected index ${index2}`);

      await cfg.one(1000, servers, true);
      cfg.end();
    },
  },
  {
    id: 'TestConcurrentStarts2B',
    part: '2B',
    description: 'Test (2B): concurrent Start()s',
    servers: 3,
    async run({ t, makeConfig, sleep }) {
      const servers = 3;
      const cfg = makeConfig(servers, false, false);
      cfg.begin('Test (2B): concurrent Start()s');

      let success = false;
      tries: for (let attempt = 0; attempt < 5; attempt++) {
        if (attempt > 0) await sleep(3000); // give solution some time to settle
        const leader = await cfg.checkOneLeader();
        const { term, isLeader: ok } = cfg.rafts[leader]!.start(1);
        if (!ok) continue; // leader moved on really quickly

        const iters = 5;
        // Go starts these from 5 goroutines at once; here they run back to back, with no await between them.
        const is: number[] = [];
        for (let ii = 0; ii < iters; ii++) {
          const r = cfg.rafts[leader]!.start(100 + ii);
          if (r.term !== term || !r.isLeader) continue;
          is.push(r.index);
        }

        for (let j = 0; j < servers; j++) {
          if (cfg.rafts[j]!.getState().term !== term) continue tries; // term changed -- can't expect low RPC counts
        }

        let failed = false;
        const cmds: number[] = [];
        for (const index of is) {
          const cmd = await cfg.wait(index, servers, term);
          if (typeof cmd === 'number' && Number.isInteger(cmd)) {
            if (cmd === -1) {
              failed = true; // peers have moved on to later terms so we can't expect all Start()s to have succeeded
              break;
            }
            cmds.push(cmd);
          } else {
            t.fatalf(`value ${fmtV(cmd)} is not an int`);
          }
        }
        if (failed) continue;

        for (let ii = 0; ii < iters; ii++) {
          const x = 100 + ii;
          if (!cmds.includes(x)) t.fatalf(`cmd ${x} missing in ${fmtInts(cmds)}`);
        }
        success = true;
        break;
      }
      if (!success) t.fatalf('term changed too often');
      cfg.end();
    },
  },
  {
    id: 'TestRejoin2B',
    part: '2B',
    description: 'Test (2B): rejoin of partitioned leader',
    servers: 3,
    async run({ makeConfig }) {
      const servers = 3;
      const cfg = makeConfig(servers, false, false);
      cfg.begin('Test (2B): rejoin of partitioned leader');

      await cfg.one(101, servers, true);

      // leader network failure
      const leader1 = await cfg.checkOneLeader();
      cfg.disconnect(leader1);

      // make old leader try to agree on some entries
      cfg.rafts[leader1]!.start(102);
      cfg.rafts[leader1]!.start(103);
      cfg.rafts[leader1]!.start(104);

      // new leader commits, also for index=2
      await cfg.one(103, 2, true);

      // new leader network failure
      const leader2 = await cfg.checkOneLeader();
      cfg.disconnect(leader2);

      // old leader connected again
      cfg.connect(leader1);
      await cfg.one(104, 2, true);

      // all together now
      cfg.connect(leader2);
      await cfg.one(105, servers, true);
      cfg.end();
    },
  },
  {
    id: 'TestBackup2B',
    part: '2B',
    description: 'Test (2B): leader backs up quickly over incorrect follower logs',
    servers: 5,
    async run({ makeConfig, random, sleep }) {
      const servers = 5;
      const cfg = makeConfig(servers, false, false);
      cfg.begin('Test (2B): leader backs up quickly over incorrect follower logs');

      await cfg.one(random.int(), servers, true);

      // put leader and one follower in a partition
      const leader1 = await cfg.checkOneLeader();
      cfg.disconnect((leader1 + 2) % servers);
      cfg.disconnect((leader1 + 3) % servers);
      cfg.disconnect((leader1 + 4) % servers);

      // submit lots of commands that won't commit
      for (let i = 0; i < 50; i++) cfg.rafts[leader1]!.start(random.int());

      await sleep(raftElectionTimeoutMs / 2);

      cfg.disconnect((leader1 + 0) % servers);
      cfg.disconnect((leader1 + 1) % servers);

      // allow other partition to recover
      cfg.connect((leader1 + 2) % servers);
      cfg.connect((leader1 + 3) % servers);
      cfg.connect((leader1 + 4) % servers);

      // lots of successful commands to new group.
      for (let i = 0; i < 50; i++) await cfg.one(random.int(), 3, true);

      // now another partitioned leader and one follower
      const leader2 = await cfg.checkOneLeader();
      let other = (leader1 + 2) % servers;
      if (leader2 === other) other = (leader2 + 1) % servers;
      cfg.disconnect(other);

      // lots more commands that won't commit
      for (let i = 0; i < 50; i++) cfg.rafts[leader2]!.start(random.int());

      await sleep(raftElectionTimeoutMs / 2);

      // bring original leader back to life,
      for (let i = 0; i < servers; i++) cfg.disconnect(i);
      cfg.connect((leader1 + 0) % servers);
      cfg.connect((leader1 + 1) % servers);
      cfg.connect(other);

      // lots of successful commands to new group.
      for (let i = 0; i < 50; i++) await cfg.one(random.int(), 3, true);

      // now everyone
      for (let i = 0; i < servers; i++) cfg.connect(i);
      await cfg.one(random.int(), servers, true);
      cfg.end();
    },
  },
  {
    id: 'TestCount2B',
    part: '2B',
    description: "Test (2B): RPC counts aren't too high",
    servers: 3,
    async run({ t, makeConfig, random, sleep }) {
      const servers = 3;
      const cfg = makeConfig(servers, false, false);
      cfg.begin("Test (2B): RPC counts aren't too high");

      const rpcs = (): number => {
        let n = 0;
        for (let j = 0; j < servers; j++) n += cfg.rpcCount(j);
        return n;
      };

      await cfg.checkOneLeader();
      let total1 = rpcs();
      if (total1 > 30 || total1 < 1) t.fatalf(`too many or few RPCs (${total1}) to elect initial leader`);

      let total2 = 0;
      let success = false;
      tries: for (let attempt = 0; attempt < 5; attempt++) {
        if (attempt > 0) await sleep(3000); // give solution some time to settle
        const leader = await cfg.checkOneLeader();
        total1 = rpcs();

        const iters = 10;
        const { index: starti, term, isLeader: ok } = cfg.rafts[leader]!.start(1);
        if (!ok) continue; // leader moved on really quickly
        const cmds: number[] = [];
        for (let i = 1; i < iters + 2; i++) {
          const x = random.int31();
          cmds.push(x);
          const r = cfg.rafts[leader]!.start(x);
          if (r.term !== term) continue tries; // Term changed while starting
          if (!r.isLeader) continue tries; // No longer the leader, so term has changed
          if (starti + i !== r.index) t.fatalf('Start() failed');
        }

        for (let i = 1; i < iters + 1; i++) {
          const cmd = await cfg.wait(starti + i, servers, term);
          if (cmd !== cmds[i - 1]) {
            if (cmd === -1) continue tries; // term changed -- try again
            t.fatalf(`wrong value ${fmtV(cmd)} committed for index ${starti + i}; expected ${fmtInts(cmds)}`);
          }
        }

        let failed = false;
        total2 = 0;
        for (let j = 0; j < servers; j++) {
          if (cfg.rafts[j]!.getState().term !== term) failed = true; // term changed -- can't expect low RPC counts
          total2 += cfg.rpcCount(j);
        }
        if (failed) continue;

        if (total2 - total1 > (iters + 1 + 3) * 3) t.fatalf(`too many RPCs (${total2 - total1}) for ${iters} entries`);
        success = true;
        break;
      }
      if (!success) t.fatalf('term changed too often');

      await sleep(raftElectionTimeoutMs);

      let total3 = 0;
      for (let j = 0; j < servers; j++) total3 += cfg.rpcCount(j);
      if (total3 - total2 > 3 * 20) t.fatalf(`too many RPCs (${total3 - total2}) for 1 second of idleness`);
      cfg.end();
    },
  },
];
