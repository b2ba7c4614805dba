import assert from 'node:assert/strict';
import { CodecError } from '../../src/harness/codec/index.ts';
import { ClientEnd, Network, RpcError, Server, Service, makeService, type NetEvent } from '../../src/harness/labrpc/index.ts';
import { makeRuntime, type ClockMode, type Runtime } from '../../src/harness/runtime/index.ts';

/** The original's JunkServer: a few handlers of different shapes, recording what they were given. */
function junkService(rt: Runtime) {
  const log2: number[] = [];
  const log1: string[] = [];
  const service = new Service('JunkServer', {
    Handler1: (args: string) => {
      log1.push(args);
      return Number.parseInt(args, 10);
    },
    Handler2: (args: number) => {
      log2.push(args);
      return `handler2-${args}`;
    },
    Handler3: async (args: number) => {
      await rt.sleep(20_000);
      return -args;
    },
    Handler4: (args: { x: string }) => ({ x: 'pointer' + args.x }),
    Handler5: (args: { x: string }) => ({ x: 'no pointer' + args.x }),
    Handler6: (args: string) => args.length,
    Handler7: (args: number) => 'y'.repeat(args),
  });
  return { service, log1, log2 };
}

interface Fixture {
  rt: Runtime;
  net: Network;
  server: Server;
  junk: ReturnType<typeof junkService>;
  /** A new end named `name`, connected to 'server99' and (by default) enabled. */
  end(name: string, enabled?: boolean): ClientEnd;
}

function fixture(rt: Runtime): Fixture {
  const net = new Network(rt);
  const server = new Server();
  const junk = junkService(rt);
  server.addService(junk.service);
  net.addServer('server99', server);
  return {
    rt,
    net,
    server,
    junk,
    end(name, enabled = true) {
      const e = net.makeEnd(name);
      net.connect(name, 'server99');
      net.enable(name, enabled);
      return e;
    },
  };
}

/** Run `body` on a fresh runtime of each clock. Real mode uses the wall clock, so keep such bodies short. */
function inBothClocks(title: string, body: (f: Fixture) => Promise<void>, modes: ClockMode[] = ['sim', 'real']): void {
  for (const mode of modes) {
    it(`${title} [${mode}]`, async () => {
      const rt = makeRuntime(mode, 1);
      await rt.run(() => body(fixture(rt)));
    });
  }
}

describe('labrpc: the original tests', () => {
  inBothClocks('TestBasic', async ({ end }) => {
    const e = end('end1-99');
    const r = await e.call<string>('JunkServer.Handler2', 111);
    assert.deepEqual(r, { ok: true, reply: 'handler2-111' });
  });

  inBothClocks('TestTypes: handlers get a copy of the arguments, whatever their shape', async ({ end }) => {
    const e = end('end1-99');
    const args = { x: '9' };
    assert.deepEqual(await e.call('JunkServer.Handler4', args), { ok: true, reply: { x: 'pointer9' } });
    assert.deepEqual(await e.call('JunkServer.Handler5', args), { ok: true, reply: { x: 'no pointer9' } });
  });

  inBothClocks('TestDisconnect: a connected but disabled end gets no reply; after enable it works', async ({ end, junk }) => {
    const e = end('end1-99', false);
    assert.deepEqual(await e.call('JunkServer.Handler2', 111), { ok: false });
    assert.equal(junk.log2.length, 0, 'the handler never ran');
  });

  inBothClocks('TestDisconnect (enable)', async ({ net, end }) => {
    const e = end('end1-99', false);
    await e.call('JunkServer.Handler2', 111);
    net.enable('end1-99', true);
    assert.deepEqual(await e.call('JunkServer.Handler1', '9099'), { ok: true, reply: 9099 });
  });

  inBothClocks('TestCounts: 17 calls give a server count of 17', async ({ net, end }) => {
    const e = end('end1-99');
    for (let i = 0; i < 17; i++) {
      const r = await e.call<string>('JunkServer.Handler2', i);
      assert.deepEqual(r, { ok: true, reply: `handler2-${i}` });
    }
    assert.equal(net.getCount('server99'), 17);
    assert.equal(net.getTotalCount(), 17);
  });

  inBothClocks('TestBytes: byte counts land in the original bounds', async ({ net, end }) => {
    const e = end('end1-99');
    const arg = 'x'.repeat(284);
    for (let i = 0; i < 17; i++) assert.deepEqual(await e.call('JunkServer.Handler6', arg), { ok: true, reply: 284 });
    const n0 = net.getTotalBytes();
    assert.ok(n0 >= 4828 && n0 <= 6000, `wrong byte count ${n0}`);
    for (let i = 0; i < 17; i++) assert.deepEqual(await e.call('JunkServer.Handler7', 107), { ok: true, reply: 'y'.repeat(107) });
    const n1 = net.getTotalBytes() - n0;
    assert.ok(n1 >= 1800 && n1 <= 2500, `wrong byte count ${n1}`);
  });

  inBothClocks('TestConcurrentMany: 20 ends x 10 calls, all succeed', async ({ net, end }) => {
    const clients = Array.from({ length: 20 }, async (_, ii) => {
      const e = end(`end-${ii}`);
      let n = 0;
      for (let j = 0; j < 10; j++) {
        const arg = ii * 100 + j;
        const r = await e.call('JunkServer.Handler2', arg);
        assert.deepEqual(r, { ok: true, reply: `handler2-${arg}` });
        n++;
      }
      return n;
    });
    const total = (await Promise.all(clients)).reduce((a, b) => a + b, 0);
    assert.equal(total, 200);
    assert.equal(net.getCount('server99'), 200);
  });

  inBothClocks('TestUnreliable: on an unreliable network some calls fail and some succeed', async ({ net, end }) => {
    net.reliable(false);
    const results = await Promise.all(
      Array.from({ length: 300 }, async (_, ii) => {
        const r = await end(`end-${ii}`).call<string>('JunkServer.Handler2', ii);
        if (r.ok) assert.equal(r.reply, `handler2-${ii}`);
        return r.ok;
      }),
    );
    const ok = results.filter(Boolean).length;
    assert.ok(ok > 0 && ok < 300, `${ok} of 300 succeeded`);
  });

  inBothClocks('TestConcurrentOne: 20 concurrent calls on one end', async ({ net, end, junk }) => {
    const e = end('end1-99');
    const replies = await Promise.all(Array.from({ length: 20 }, (_, ti) => e.call('JunkServer.Handler2', 100 + ti)));
    replies.forEach((r, ti) => assert.deepEqual(r, { ok: true, reply: `handler2-${100 + ti}` }));
    assert.equal(junk.log2.length, 20);
    assert.equal(net.getCount('server99'), 20);
  });

  inBothClocks('TestRegression1: delayed failures do not block a later call', async ({ rt, net, end, junk }) => {
    const e = end('end1-99', false);
    const early = Array.from({ length: 20 }, () => e.call('JunkServer.Handler2', 99));
    await rt.sleep(100);
    net.enable('end1-99', true);
    const t0 = rt.now();
    const r = await e.call('JunkServer.Handler2', 99);
    assert.deepEqual(r, { ok: true, reply: 'handler2-99' });
    const took = rt.now() - t0;
    // On the sim clock the bound is exact (nothing else runs); the real clock only shows it did not wait seconds for
    // the delayed failures (a busy machine may pause any process for tens of milliseconds).
    const bound = rt.mode === 'sim' ? 30 : 2_000;
    assert.ok(took <= bound, `the call took ${took} ms: it waited on the delayed failures`);
    await Promise.all(early);
    assert.equal(junk.log2.length, 1, 'the handler ran exactly once');
    assert.equal(net.getCount('server99'), 1);
  });

  inBothClocks('TestKilled: deleting the server fails a call whose handler is still running', async ({ rt, net, end }) => {
    const e = end('end1-99');
    let done: boolean | undefined;
    const call = e.call('JunkServer.Handler3', 99).then((r) => (done = r.ok));
    await rt.sleep(1000);
    await rt.sleep(100);
    assert.equal(done, undefined, 'Handler3 should not have returned yet');
    net.deleteServer('server99');
    // labrpc notices a dead server within its 100 ms check: on the sim clock that ordering is exact; on the real
    // clock two 100 ms timers would race, so it is given a second.
    const patienceMs = rt.mode === 'sim' ? 100 : 1_000;
    const outcome = await Promise.race([call.then(() => 'returned'), rt.sleep(patienceMs).then(() => 'timeout')]);
    assert.equal(outcome, 'returned', 'Handler3 should return after DeleteServer()');
    assert.equal(done, false);
  });
});

describe('labrpc: behaviour beyond the original tests', () => {
  inBothClocks('arguments and replies are copies: neither side sees the other mutate them', async ({ net }) => {
    const server = new Server();
    let seen: { list: number[] } | undefined;
    server.addService(
      new Service('Echo', {
        Keep: (args: { list: number[] }) => {
          seen = args;
          args.list.push(3);
          return args;
        },
      }),
    );
    net.addServer('echo', server);
    const e = net.makeEnd('to-echo');
    net.connect('to-echo', 'echo');
    net.enable('to-echo', true);
    const args = { list: [1, 2] };
    const pending = e.call<{ list: number[] }>('Echo.Keep', args);
    args.list.push(99); // after the call was made: must not travel
    const r = await pending;
    assert.ok(r.ok);
    assert.deepEqual(seen, { list: [1, 2, 3] });
    assert.deepEqual(args.list, [1, 2, 99]);
    r.reply.list.push(4);
    assert.deepEqual(seen?.list, [1, 2, 3]);
  }, ['sim']);

  inBothClocks('a server disconnected while its handler runs fails the call, though the handler ran', async ({ rt, net }) => {
    let ran = 0;
    const server = new Server();
    server.addService(
      new Service('Slow', {
        Work: async () => {
          await rt.sleep(250);
          ran++;
          return 'done';
        },
      }),
    );
    net.addServer('s', server);
    const e = net.makeEnd('e');
    net.connect('e', 's');
    net.enable('e', true);
    const call = e.call('Slow.Work', null);
    await rt.sleep(50);
    net.enable('e', false);
    assert.deepEqual(await call, { ok: false });
    await rt.sleep(300);
    assert.equal(ran, 1);
  });

  inBothClocks('long delays: a call to a dead peer fails only after 0..7 s', async ({ rt, net, end }) => {
    net.longDelays(true);
    const e = end('e', false);
    const times = await Promise.all(
      Array.from({ length: 40 }, async () => {
        const t0 = rt.now();
        assert.deepEqual(await e.call('JunkServer.Handler2', 1), { ok: false });
        return rt.now() - t0;
      }),
    );
    assert.ok(Math.max(...times) < 7000 + 50 && Math.max(...times) > 1000, `max ${Math.max(...times)}`);
  }, ['sim']);

  inBothClocks('long reordering holds about 2/3 of replies back 200..2199 ms and counts their bytes on delivery', async ({ rt, net, end }) => {
    net.longReordering(true);
    const e = end('e');
    const events: NetEvent[] = [];
    net.observe((ev) => events.push(ev));
    const t0 = rt.now();
    const bytesAfterSend: number[] = [];
    const calls = Array.from({ length: 300 }, (_, i) => e.call('JunkServer.Handler2', i));
    bytesAfterSend.push(net.getTotalBytes());
    const results = await Promise.all(calls);
    assert.ok(results.every((r) => r.ok));
    const delayed = events.filter((ev) => ev.type === 'reply' && ev.delayedMs !== undefined);
    assert.ok(delayed.length > 150 && delayed.length < 250, `${delayed.length} of 300 held back`);
    for (const ev of delayed) {
      if (ev.type !== 'reply') continue;
      assert.ok(ev.delayedMs! >= 200 && ev.delayedMs! <= 2199);
      assert.ok(ev.atMs - t0 >= ev.delayedMs!);
    }
    const replyBytes = events.reduce((sum, ev) => sum + (ev.type === 'reply' ? ev.bytes : 0), 0);
    assert.equal(net.getTotalBytes(), bytesAfterSend[0]! + replyBytes);
  }, ['sim']);

  inBothClocks('every RPC is observed: send, then drop, or deliver, handled and reply / reply-lost', async ({ net, end }) => {
    net.reliable(false);
    const events: NetEvent[] = [];
    net.observe((ev) => events.push(ev));
    await Promise.all(Array.from({ length: 200 }, (_, i) => end(`e${i}`).call('JunkServer.Handler2', i)));
    const byRpc = new Map<number, string[]>();
    for (const ev of events) byRpc.set(ev.rpcId, [...(byRpc.get(ev.rpcId) ?? []), ev.type === 'drop' ? `drop:${ev.reason}` : ev.type === 'reply-lost' ? `reply-lost:${ev.reason}` : ev.type]);
    assert.equal(byRpc.size, 200);
    const shapes = new Set([...byRpc.values()].map((s) => s.join(' ')));
    assert.deepEqual([...shapes].sort(), ['send deliver handled reply', 'send deliver handled reply-lost:reply-lost', 'send drop:request-lost']);
    assert.equal(net.getTotalCount(), 200);
  }, ['sim']);

  inBothClocks('the drop reasons name why a request never reached a handler', async ({ net }) => {
    const events: NetEvent[] = [];
    net.observe((ev) => events.push(ev));
    const unconnected = net.makeEnd('unconnected');
    net.enable('unconnected', true);
    const disabled = net.makeEnd('disabled');
    net.connect('disabled', 'server99');
    const orphan = net.makeEnd('orphan');
    net.connect('orphan', 'nobody');
    net.enable('orphan', true);
    await Promise.all([unconnected, disabled, orphan].map((e) => e.call('JunkServer.Handler2', 1)));
    const reasons = Object.fromEntries(events.flatMap((ev) => (ev.type === 'drop' ? [[ev.endName, ev.reason]] : [])));
    assert.deepEqual(reasons, { unconnected: 'not-connected', disabled: 'end-disabled', orphan: 'no-server' });
  }, ['sim']);

  it('an unknown service or method fails the run with an error naming what exists', async () => {
    for (const [method, pattern] of [
      ['Junk.Handler2', /unknown service 'Junk'.*known services: JunkServer/],
      ['JunkServer.Handler9', /unknown method 'Handler9'.*known methods: JunkServer.Handler1, JunkServer.Handler2/],
      ['NoDot', /must be 'Service.Method'/],
    ] as const) {
      const rt = makeRuntime('sim', 1);
      await assert.rejects(
        rt.run(async () => {
          const f = fixture(rt);
          const r = await f.end('e').call(method, 1);
          assert.deepEqual(r, { ok: false });
          await rt.sleep(1);
        }),
        (e: unknown) => e instanceof RpcError && pattern.test(e.message),
      );
    }
  });

  it('handled marks the moment the handler returned: after its awaits, before a held-back reply; never for a throw', async () => {
    const rt = makeRuntime('sim', 1);
    const events: NetEvent[] = [];
    await assert.rejects(
      rt.run(async () => {
        const f = fixture(rt);
        f.net.observe((ev) => events.push(ev));
        f.net.longReordering(true);
        f.server.addService(new Service('Slow', { Work: async () => { await rt.sleep(30); return 'done'; } }));
        f.server.addService(new Service('Bad', { Boom: () => { throw new Error('planted'); } }));
        const e = f.end('e');
        await Promise.all(Array.from({ length: 20 }, () => e.call('Slow.Work', null)));
        await e.call('Bad.Boom', 1);
        await rt.sleep(1);
      }),
      /planted/,
    );
    const by = (type: string, rpc: number) => events.find((ev) => ev.type === type && ev.rpcId === rpc);
    const slow = events.filter((ev) => ev.type === 'send' && ev.method === 'Slow.Work');
    assert.equal(slow.length, 20);
    let heldBack = 0;
    for (const send of slow) {
      const deliver = by('deliver', send.rpcId)!;
      const handled = by('handled', send.rpcId)!;
      const reply = by('reply', send.rpcId)!;
      assert.equal(handled.atMs - deliver.atMs, 30, 'after the handler slept');
      assert.ok(handled.type === 'handled' && reply.type === 'reply' && handled.bytes === reply.bytes);
      if (reply.delayedMs !== undefined) {
        // Held back after the handler returned, besides the scheduler's hand-off of the reply (microseconds).
        const after = reply.atMs - handled.atMs;
        assert.ok(after >= reply.delayedMs && after < reply.delayedMs + 1, `${after} ms after, held back ${reply.delayedMs} ms`);
        heldBack++;
      }
    }
    assert.ok(heldBack > 0);
    const boom = events.find((ev) => ev.type === 'send' && ev.method === 'Bad.Boom')!;
    assert.equal(by('handled', boom.rpcId), undefined);
    assert.equal((by('reply-lost', boom.rpcId) as { reason?: string } | undefined)?.reason, 'handler-error');
  });

  it('a handler that throws fails the run, naming the RPC', async () => {
    const rt = makeRuntime('sim', 1);
    await assert.rejects(
      rt.run(async () => {
        const f = fixture(rt);
        f.server.addService(new Service('Bad', { Boom: () => { throw new Error('index out of range'); } }));
        await f.end('e').call('Bad.Boom', 1);
        await rt.sleep(1);
      }),
      (e: unknown) => e instanceof RpcError && e.code === 'RPC_HANDLER_THREW' && /Bad\.Boom on server server99 threw: index out of range/.test(e.message),
    );
  });

  it('an unencodable argument is a clear error at the call', async () => {
    const rt = makeRuntime('sim', 1);
    await rt.run(async () => {
      const f = fixture(rt);
      const cyclic: Record<string, unknown> = { term: 1 };
      cyclic.self = cyclic;
      await assert.rejects(f.end('e').call('JunkServer.Handler2', cyclic), (e: unknown) => e instanceof CodecError && e.code === 'CODEC_UNENCODABLE');
      assert.equal(f.net.getTotalCount(), 0);
    });
  });

  it('after cleanup, calls fail at once and are not counted', async () => {
    const rt = makeRuntime('sim', 1);
    await rt.run(async () => {
      const f = fixture(rt);
      const e = f.end('e');
      f.net.cleanup();
      const t0 = rt.now();
      assert.deepEqual(await e.call('JunkServer.Handler2', 1), { ok: false });
      assert.equal(rt.now(), t0);
      assert.equal(f.net.getTotalCount(), 0);
    });
  });

  it('makeEnd refuses a duplicate name; getCount names a missing server; makeService collects the upper-case methods', async () => {
    const rt = makeRuntime('sim', 1);
    await rt.run(async () => {
      const f = fixture(rt);
      f.net.makeEnd('dup');
      assert.throws(() => f.net.makeEnd('dup'), (e: unknown) => e instanceof RpcError && e.code === 'RPC_DUPLICATE_END');
      f.net.deleteServer('server99');
      assert.throws(() => f.net.getCount('server99'), /no server is registered under server99/);
      class Raft {
        term = 3;
        RequestVote(args: { term: number }) {
          return { term: this.term, granted: args.term >= this.term };
        }
        getState() {
          return this.term;
        }
      }
      const svc = makeService('Raft', new Raft());
      assert.deepEqual(svc.methodNames, ['RequestVote']);
      const s = new Server();
      s.addService(svc);
      f.net.addServer(1, s);
      const e = f.net.makeEnd('to1');
      f.net.connect('to1', 1);
      f.net.enable('to1', true);
      assert.deepEqual(await e.call('Raft.RequestVote', { term: 4 }), { ok: true, reply: { term: 3, granted: true } });
      assert.equal(f.net.getCount(1), 1);
    });
  });

  it('a node that lists its rpcMethods exposes only those: its upper-case helpers are not handlers; a wrong name is an error', () => {
    class Raft {
      readonly rpcMethods = ['RequestVote', 'AppendEntries'];
      RequestVote() {
        return { voteGranted: true };
      }
      AppendEntries() {
        return { success: true };
      }
      AssertTrue(ok: boolean) {
        if (!ok) throw new Error('assertion failed');
      }
      ReadSnapshot() {}
    }
    assert.deepEqual(makeService('Raft', new Raft()).methodNames, ['RequestVote', 'AppendEntries']);
    const misnamed = Object.assign(new Raft(), { rpcMethods: ['RequestVote', 'InstallSnapshot'] });
    assert.throws(() => makeService('Raft', misnamed), (e: unknown) => e instanceof RpcError && e.code === 'RPC_BAD_METHOD_LIST' && /InstallSnapshot/.test(e.message));
  });
});

describe('labrpc: determinism in sim mode', () => {
  /** Unreliable + long reordering, many concurrent calls from several ends, with a mid-run disconnect. */
  async function scenario(seed: number): Promise<string[]> {
    const rt = makeRuntime('sim', seed);
    return rt.run(async () => {
      const f = fixture(rt);
      const events: string[] = [];
      f.net.observe((ev) => {
        const { payload: _payload, ...rest } = ev as NetEvent & { payload?: Uint8Array };
        events.push(JSON.stringify(rest));
      });
      f.net.reliable(false);
      f.net.longReordering(true);
      f.net.longDelays(true);
      const ends = Array.from({ length: 5 }, (_, i) => f.end(`end-${i}`));
      const clients = ends.map(async (e, i) => {
        for (let j = 0; j < 40; j++) {
          const r = await e.call('JunkServer.Handler2', i * 1000 + j);
          events.push(`client ${i} call ${j} ${r.ok} @${rt.now()}`);
          await rt.sleep(rt.stream(`client-${i}`).intn(30));
        }
      });
      await rt.sleep(500);
      f.net.enable('end-2', false);
      await rt.sleep(1500);
      f.net.enable('end-2', true);
      await Promise.all(clients);
      events.push(`totals ${f.net.getTotalCount()} ${f.net.getTotalBytes()} ${f.net.getCount('server99')}`);
      return events;
    });
  }

  it('the same seed gives the identical event sequence; another seed differs', async () => {
    const first = await scenario(2021);
    const second = await scenario(2021);
    const other = await scenario(2022);
    assert.ok(first.length > 500, `${first.length} events`);
    assert.deepEqual(second, first);
    assert.notDeepEqual(other, first);
  });
});
