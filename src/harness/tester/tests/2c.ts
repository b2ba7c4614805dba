import { raftElectionTimeoutMs, type Config } from '../config.ts';
import type { RaftTest, TestEnv } from '../types.ts';

/** test_test.go's Figure 8 sleep: 10 % of the time up to half an election timeout, otherwise 0-12 ms. */
async function figure8Sleep({ random, sleep }: TestEnv): Promise<void> {
  if (random.intn(1000) < 100) await sleep(random.intn(raftElectionTimeoutMs / 2));
  else await sleep(random.intn(13));
}

/** 3 clients submit commands to every server while servers crash, restart and reconnect at random. */
async function internalChurn(env: TestEnv, unreliable: boolean): Promise<void> {
  const { t, makeConfig, random, sleep, go } = env;
  const servers = 5;
  const cfg: Config = makeConfig(servers, unreliable, false);
  cfg.begin(unreliable ? 'Test (2C): unreliable churn' : 'Test (2C): churn');

  let stop = false;
  const cfn = async (me: number): Promise<number[]> => {
    const values: number[] = [];
    while (!stop) {
      const x = random.int();
      let index = -1;
      let ok = false;
      for (let i = 0; i < servers; i++) {
        // try them all, maybe one of them is a leader
        const rf = cfg.rafts[i];
        if (rf) {
          const r = rf.start(x);
          if (r.isLeader) {
            ok = true;
            index = r.index;
          }
        }
      }
      if (ok) {
        // maybe leader will commit our value, maybe not. but don't wait forever.
        for (const to of [10, 20, 50, 100, 200]) {
          const { count, cmd } = cfg.nCommitted(index);
          if (count > 0) {
            if (typeof cmd === 'number' && Number.isInteger(cmd)) {
              if (cmd === x) values.push(x);
            } else {
              t.fatalf('wrong command type');
            }
            break;
          }
          await sleep(to);
        }
      } else {
        await sleep(79 + me * 17);
      }
    }
    return values;
  };

  const ncli = 3;
  // A client that failed yields undefined, like the Go client sending a nil list.
  const clients = Array.from({ length: ncli }, (_, i) => go(() => cfn(i)));

  for (let iters = 0; iters < 20; iters++) {
    if (random.intn(1000) < 200) {
      const i = random.intn(servers);
      cfg.disconnect(i);
    }
    if (random.intn(1000) < 500) {
      const i = random.intn(servers);
      if (!cfg.rafts[i]) cfg.start1(i, cfg.applier);
      cfg.connect(i);
    }
    if (random.intn(1000) < 200) {
      const i = random.intn(servers);
      if (cfg.rafts[i]) cfg.crash1(i);
    }
    // Make crash/restart infrequent enough that the Rafts can usually get something done, yet often enough to
    // see more than one crash of the same server.
    await sleep((raftElectionTimeoutMs * 7) / 10);
  }

  await sleep(raftElectionTimeoutMs);
  cfg.setUnreliable(false);
  for (let i = 0; i < servers; i++) {
    if (!cfg.rafts[i]) cfg.start1(i, cfg.applier);
    cfg.connect(i);
  }

  stop = true;

  const values: number[] = [];
  for (const client of clients) {
    const vv = await client;
    if (vv === undefined) t.fatalf('client failed');
    else values.push(...vv);
  }

  await sleep(raftElectionTimeoutMs);

  const lastIndex = await cfg.one(random.int(), servers, true);

  // The original pre-fills this list with lastIndex+1 zeros; harmless, and kept.
  const really: number[] = Array.from({ length: lastIndex + 1 }, () => 0);
  for (let index = 1; index <= lastIndex; index++) {
    const v = await cfg.wait(index, servers, -1);
    if (typeof v === 'number' && Number.isInteger(v)) really.push(v);
    else t.fatalf('not an int');
  }

  for (const v1 of values) {
    if (!really.includes(v1)) t.fatalf("didn't find a value");
  }
  cfg.end();
}

export const tests2C: RaftTest[] = [
  {
    id: 'TestPersist12C',
    part: '2C',
    description: 'Test (2C): basic persistence',
    servers: 3,
    async run({ makeConfig }) {
      const servers = 3;
      const cfg = makeConfig(servers, false, false);
      cfg.begin('Test (2C): basic persistence');

      await cfg.one(11, servers, true);

      // crash and re-start all
      for (let i = 0; i < servers; i++) cfg.start1(i, cfg.applier);
      for (let i = 0; i < servers; i++) {
        cfg.disconnect(i);
        cfg.connect(i);
      }

      await cfg.one(12, servers, true);

      const leader1 = await cfg.checkOneLeader();
      cfg.disconnect(leader1);
      cfg.start1(leader1, cfg.applier);
      cfg.connect(leader1);

      await cfg.one(13, servers, true);

      const leader2 = await cfg.checkOneLeader();
      cfg.disconnect(leader2);
      await cfg.one(14, servers - 1, true);
      cfg.start1(leader2, cfg.applier);
      cfg.connect(leader2);

      await cfg.wait(4, servers, -1); // wait for leader2 to join before killing i3

      const i3 = ((await cfg.checkOneLeader()) + 1) % servers;
      cfg.disconnect(i3);
      await cfg.one(15, servers - 1, true);
      cfg.start1(i3, cfg.applier);
      cfg.connect(i3);

      await cfg.one(16, servers, true);
      cfg.end();
    },
  },
  {
    id: 'TestPersist22C',
    part: '2C',
    description: 'Test (2C): more persistence',
    servers: 5,
    async run({ makeConfig, sleep }) {
      const servers = 5;
      const cfg = makeConfig(servers, false, false);
      cfg.begin('Test (2C): more persistence');

      let index = 1;
      for (let iters = 0; iters < 5; iters++) {
        await cfg.one(10 + index, servers, true);
        index++;

        const leader1 = await cfg.checkOneLeader();

        cfg.disconnect((leader1 + 1) % servers);
        cfg.disconnect((leader1 + 2) % servers);

        await cfg.one(10 + index, servers - 2, true);
        index++;

        cfg.disconnect((leader1 + 0) % servers);
        cfg.disconnect((leader1 + 3) % servers);
        cfg.disconnect((leader1 + 4) % servers);

        cfg.start1((leader1 + 1) % servers, cfg.applier);
        cfg.start1((leader1 + 2) % servers, cfg.applier);
        cfg.connect((leader1 + 1) % servers);
        cfg.connect((leader1 + 2) % servers);

        await sleep(raftElectionTimeoutMs);

        cfg.start1((leader1 + 3) % servers, cfg.applier);
        cfg.connect((leader1 + 3) % servers);

        await cfg.one(10 + index, servers - 2, true);
        index++;

        cfg.connect((leader1 + 4) % servers);
        cfg.connect((leader1 + 0) % servers);
      }

      await cfg.one(1000, servers, true);
      cfg.end();
    },
  },
  {
    id: 'TestPersist32C',
    part: '2C',
    description: 'Test (2C): partitioned leader and one follower crash, leader restarts',
    servers: 3,
    async run({ makeConfig }) {
      const servers = 3;
      const cfg = makeConfig(servers, false, false);
      cfg.begin('Test (2C): partitioned leader and one follower crash, leader restarts');

      await cfg.one(101, 3, true);

      const leader = await cfg.checkOneLeader();
      cfg.disconnect((leader + 2) % servers);

      await cfg.one(102, 2, true);

      cfg.crash1((leader + 0) % servers);
      cfg.crash1((leader + 1) % servers);
      cfg.connect((leader + 2) % servers);
      cfg.start1((leader + 0) % servers, cfg.applier);
      cfg.connect((leader + 0) % servers);

      await cfg.one(103, 2, true);

      cfg.start1((leader + 1) % servers, cfg.applier);
      cfg.connect((leader + 1) % servers);

      await cfg.one(104, servers, true);
      cfg.end();
    },
  },
  {
    id: 'TestFigure82C',
    part: '2C',
    description: 'Test (2C): Figure 8',
    servers: 5,
    // Test the scenarios described in Figure 8 of the extended Raft paper. Each iteration asks a leader, if there
    // is one, to insert a command in the Raft log. If there is a leader, that leader will fail quickly with a high
    // probability (perhaps without committing the command), or crash after a while with low probability (most
    // likely committing the command). If the number of alive servers isn't enough to form a majority, perhaps
    // start a new server. The leader in a new term may try to finish replicating log entries that haven't been
    // committed yet.
    async run(env) {
      const { makeConfig, random } = env;
      const servers = 5;
      const cfg = makeConfig(servers, false, false);
      cfg.begin('Test (2C): Figure 8');

      await cfg.one(random.int(), 1, true);

      let nup = servers;
      for (let iters = 0; iters < 1000; iters++) {
        let leader = -1;
        for (let i = 0; i < servers; i++) {
          const rf = cfg.rafts[i];
          if (rf && rf.start(random.int()).isLeader) leader = i;
        }

        await figure8Sleep(env);

        if (leader !== -1) {
          cfg.crash1(leader);
          nup -= 1;
        }

        if (nup < 3) {
          const s = random.intn(servers);
          if (!cfg.rafts[s]) {
            cfg.start1(s, cfg.applier);
            cfg.connect(s);
            nup += 1;
          }
        }
      }

      for (let i = 0; i < servers; i++) {
        if (!cfg.rafts[i]) {
          cfg.start1(i, cfg.applier);
          cfg.connect(i);
        }
      }

      await cfg.one(random.int(), servers, true);
      cfg.end();
    },
  },
  {
    id: 'TestUnreliableAgree2C',
    part: '2C',
    description: 'Test (2C): unreliable agreement',
    servers: 5,
    async run({ makeConfig, go }) {
      const servers = 5;
      const cfg = makeConfig(servers, true, false);
      cfg.begin('Test (2C): unreliable agreement');

      const wg: Array<Promise<unknown>> = [];
      for (let iters = 1; iters < 50; iters++) {
        for (let j = 0; j < 4; j++) wg.push(go(() => cfg.one(100 * iters + j, 1, true)));
        await cfg.one(iters, 1, true);
      }

      cfg.setUnreliable(false);

      await Promise.all(wg);

      await cfg.one(100, servers, true);
      cfg.end();
    },
  },
  {
    id: 'TestFigure8Unreliable2C',
    part: '2C',
    description: 'Test (2C): Figure 8 (unreliable)',
    servers: 5,
    async run(env) {
      const { makeConfig, random } = env;
      const servers = 5;
      const cfg = makeConfig(servers, true, false);
      cfg.begin('Test (2C): Figure 8 (unreliable)');

      await cfg.one(random.intn(10000), 1, true);

      let nup = servers;
      for (let iters = 0; iters < 1000; iters++) {
        if (iters === 200) cfg.setLongReordering(true);
        let leader = -1;
        for (let i = 0; i < servers; i++) {
          const { isLeader } = cfg.rafts[i]!.start(random.intn(10000));
          if (isLeader && cfg.connected[i]) leader = i;
        }

        await figure8Sleep(env);

        if (leader !== -1 && random.intn(1000) < raftElectionTimeoutMs / 2) {
          cfg.disconnect(leader);
          nup -= 1;
        }

        if (nup < 3) {
          const s = random.intn(servers);
          if (!cfg.connected[s]) {
            cfg.connect(s);
            nup += 1;
          }
        }
      }

      for (let i = 0; i < servers; i++) {
        if (!cfg.connected[i]) cfg.connect(i);
      }

      await cfg.one(random.intn(10000), servers, true);
      cfg.end();
    },
  },
  {
    id: 'TestReliableChurn2C',
    part: '2C',
    description: 'Test (2C): churn',
    servers: 5,
    run: (env) => internalChurn(env, false),
  },
  {
    id: 'TestUnreliableChurn2C',
    part: '2C',
    description: 'Test (2C): unreliable churn',
    servers: 5,
    run: (env) => internalChurn(env, true),
  },
];
