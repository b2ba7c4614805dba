import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { RealRuntime, RuntimeError, SimRuntime, makeRng, virtualEpochMs, type Runtime } from '../../src/harness/runtime/index.ts';

/** A small concurrent scenario whose event order depends on timers and random draws. */
async function scenario(rt: Runtime): Promise<string[]> {
  const events: string[] = [];
  const worker = async (name: string) => {
    const rng = rt.stream(`worker-${name}`);
    for (let i = 0; i < 20; i++) {
      await rt.sleep(rng.intn(50));
      events.push(`${rt.now()} ${name}${i}`);
    }
  };
  await Promise.all(['a', 'b', 'c'].map(worker));
  return events;
}

describe('runtime: sim clock', () => {
  it('advances virtual time without waiting and fires timers in due order, ties by arming order', async () => {
    const rt = new SimRuntime(1);
    const order: string[] = [];
    await rt.run(async () => {
      rt.after(300, () => order.push(`late@${rt.now()}`));
      rt.after(100, () => order.push(`first@${rt.now()}`));
      rt.after(100, () => order.push(`second@${rt.now()}`));
      // Ten hours: were the sleep real, mocha's timeout would fail the test long before it ended.
      await rt.sleep(36_000_000);
    });
    assert.deepEqual(order, ['first@100', 'second@100', 'late@300']);
    assert.equal(rt.now(), 36_000_000);
  });

  it('timers can be reset and stopped', async () => {
    const rt = new SimRuntime(1);
    const fired: number[] = [];
    await rt.run(async () => {
      const t = rt.timer(() => fired.push(rt.now()));
      assert.equal(t.active, false);
      t.reset(100);
      assert.equal(t.active, true);
      await rt.sleep(50);
      t.reset(100); // pushes the deadline to 150
      await rt.sleep(200);
      t.reset(10);
      t.stop();
      await rt.sleep(100);
      assert.equal(t.active, false);
    });
    assert.deepEqual(fired, [150]);
  });

  it('a stopped timer, or a cancelled schedule, lets go of what its callback reaches while its entry still waits in the queue', async () => {
    // A cancelled entry stays queued until its time (labrpc's dead-check timer of an answered RPC: 100 ms); what its
    // callback reaches (the whole call) must not stay with it, or every call outlives two scavenges and is promoted.
    setFlagsFromString('--expose-gc');
    const collect = runInNewContext('gc') as () => void;
    const rt = new SimRuntime(1);
    // Each arms a callback that reaches `state`, and returns what disarms it; nothing else keeps `state`.
    const arms = {
      timer: (callback: () => void) => {
        const t = rt.timer(callback);
        t.reset(100);
        return () => t.stop();
      },
      schedule: (callback: () => void) => {
        const entry = rt.schedule(100, callback);
        return () => entry.cancel();
      },
    };
    const reach = (arm: (callback: () => void) => () => void, disarm: boolean): WeakRef<object> => {
      const state = { call: new Array<number>(1000).fill(7) };
      const stop = arm(() => void state.call.length);
      if (disarm) stop();
      return new WeakRef(state);
    };
    const stopped = [reach(arms.timer, true), reach(arms.schedule, true)];
    const armed = [reach(arms.timer, false), reach(arms.schedule, false)];
    await new Promise((resolve) => setImmediate(resolve)); // a WeakRef holds its target to the end of the job
    collect();
    assert.deepEqual(stopped.map((ref) => ref.deref() === undefined), [true, true]);
    // The same reach, still armed, is kept (the queue holds it): the check can tell.
    assert.deepEqual(armed.map((ref) => ref.deref() === undefined), [false, false]);
    assert.equal(rt.closed, false);
  });

  it('under random arming, resets and stops (seeded), fires exactly what a sorted list of armed timers says, in its order', async () => {
    // The model: every armed timer as (due, arming order); the next to fire is the least. The queue is a heap that
    // takes stopped timers out at once, from anywhere in it; this drives it through every shape a run makes.
    const rng = makeRng(11, 'timer-queue');
    const rt = new SimRuntime(1);
    type Armed = { dueUs: number; order: number };
    const armed = new Map<number, Armed>();
    let order = 0;
    let fired = 0;
    let stopped = 0;
    const timers: { reset(ms: number): void; stop(): void; readonly active: boolean }[] = [];
    const arm = (id: number): void => {
      const delayMs = rng.intn(4) === 0 ? 0 : rng.intn(40); // many ties at one instant
      timers[id]!.reset(delayMs);
      armed.set(id, { dueUs: Math.round(rt.now() * 1000) + delayMs * 1000, order: order++ });
    };
    const expectedNext = (): number => {
      let best: [number, Armed] | undefined;
      for (const entry of armed) if (!best || entry[1].dueUs < best[1].dueUs || (entry[1].dueUs === best[1].dueUs && entry[1].order < best[1].order)) best = entry;
      return best![0];
    };
    const poke = (): void => {
      // What a timer's callback does to the others: re-arm some (a move in the heap), stop some (a removal).
      for (let k = 0; k < 3; k++) {
        const other = rng.intn(timers.length);
        const what = rng.intn(3);
        if (what === 0) arm(other);
        else if (what === 1) {
          if (armed.delete(other)) stopped++;
          timers[other]!.stop();
        }
      }
    };
    await rt.run(async () => {
      for (let id = 0; id < 200; id++) {
        const me = id;
        timers.push(
          rt.timer(() => {
            assert.equal(me, expectedNext(), `at ${rt.now()} ms`);
            armed.delete(me);
            fired++;
            if (fired < 5000) {
              if (rng.intn(2) === 0) arm(me);
              poke();
            }
          }),
        );
      }
      for (let id = 0; id < 200; id++) arm(id);
      while (armed.size > 0) await rt.sleep(1000);
    });
    assert.ok(fired >= 5000 && stopped > 1000, `fired ${fired}, stopped ${stopped}`);
    assert.ok(timers.every((t) => !t.active));
  });

  it('the same seed gives the same run, event for event; another seed differs', async () => {
    const run = async (seed: number) => {
      const rt = new SimRuntime(seed);
      return rt.run(() => scenario(rt));
    };
    const first = await run(7);
    const second = await run(7);
    const other = await run(8);
    assert.equal(first.length, 60);
    assert.deepEqual(second, first);
    assert.notDeepEqual(other, first);
  });

  it('streams are independent: draws on one never shift another', () => {
    const plain = makeRng(5, 'network');
    const expected = Array.from({ length: 10 }, () => plain.intn(1000));
    const rt = new SimRuntime(5);
    rt.stream('node-0').intn(10); // an extra consumer drawing first
    rt.stream('node-1').float();
    const network = rt.stream('network');
    assert.deepEqual(Array.from({ length: 10 }, () => network.intn(1000)), expected);
    assert.equal(rt.stream('network'), network, 'a name returns the same stream');
    assert.notDeepEqual(
      Array.from({ length: 10 }, () => makeRng(5, 'other').intn(1000)),
      expected,
    );
  });

  it('random draws stay in range', () => {
    const rng = makeRng(3, 'range');
    for (let i = 0; i < 2000; i++) {
      const x = rng.intn(27);
      assert.ok(Number.isInteger(x) && x >= 0 && x < 27);
      const f = rng.float();
      assert.ok(f >= 0 && f < 1);
      const big = rng.int();
      assert.ok(Number.isSafeInteger(big) && big >= 0);
      const i31 = rng.int31();
      assert.ok(i31 >= 0 && i31 < 2 ** 31);
    }
    assert.throws(() => rng.intn(0), RangeError);
  });

  it('fails with SIM_DEADLOCK when the run waits on something nothing will ever resolve', async () => {
    const rt = new SimRuntime(1);
    await assert.rejects(
      rt.run(async () => {
        await rt.sleep(10);
        await new Promise(() => {});
      }),
      (e: unknown) => e instanceof RuntimeError && e.code === 'SIM_DEADLOCK' && /t=0\.010 s/.test(e.message),
    );
  });

  it('fails with SIM_NO_PROGRESS on a loop that re-arms at 0 ms forever', async () => {
    const rt = new SimRuntime(1, { limits: { eventsPerInstantMax: 1000 } });
    await assert.rejects(
      rt.run(async () => {
        for (;;) await rt.sleep(0);
      }),
      (e: unknown) => e instanceof RuntimeError && e.code === 'SIM_NO_PROGRESS' && /1000 events at t=0\.000 s/.test(e.message),
    );
  });

  it('delays in whole microseconds, from a fractional now(): a grid is hit exactly, a deadline re-armed for is reached', async () => {
    const rt = new SimRuntime(1, { limits: { eventsPerInstantMax: 1000 } });
    await rt.run(async () => {
      await rt.sleep(0.003); // now() is fractional, as after the scheduler's hand-offs
      // Onto a 250 ms grid: 250 - 0.003 is 249.99699999999999 in floating point, and still lands on 250.
      await rt.sleep(Math.ceil(rt.now() / 250) * 250 - rt.now());
      assert.equal(rt.now(), 250);
      // A loop that sleeps until a deadline a float's noise away (deadline - now() > 0, far below a microsecond):
      // each sleep moves time, so it gets there instead of spinning at one instant.
      const deadline = rt.now() + 1e-10;
      while (rt.now() < deadline) await rt.sleep(deadline - rt.now());
      assert.equal(rt.now(), 250.001);
    });
  });

  it('an exception in a timer callback fails the run with that exception', async () => {
    const rt = new SimRuntime(1);
    await assert.rejects(
      rt.run(async () => {
        rt.after(5, () => {
          throw new Error('boom in callback');
        });
        await rt.sleep(1000);
      }),
      /boom in callback/,
    );
  });

  it('after the run, sleeps never resolve and timers never fire', async () => {
    const rt = new SimRuntime(1);
    let fired = false;
    await rt.run(async () => {
      rt.after(100, () => (fired = true));
    });
    assert.equal(rt.closed, true);
    rt.after(0, () => (fired = true));
    const late = await Promise.race([rt.sleep(0).then(() => 'resolved'), new Promise((r) => setImmediate(() => r('pending')))]);
    assert.equal(late, 'pending');
    assert.equal(fired, false);
  });

  it('refuses to run twice, and refuses a second concurrent sim run in one thread', async () => {
    const rt = new SimRuntime(1);
    await rt.run(async () => {});
    await assert.rejects(rt.run(async () => {}), (e: unknown) => e instanceof RuntimeError && e.code === 'RUNTIME_REUSED');
    const outer = new SimRuntime(2);
    await outer.run(async () => {
      await assert.rejects(new SimRuntime(3).run(async () => {}), (e: unknown) => e instanceof RuntimeError && e.code === 'SIM_ALREADY_RUNNING');
    });
  });

  it("lets every continuation of an instant run before time moves on: promise chains and a student's process.nextTick", async () => {
    const realNextTick = process.nextTick;
    const rt = new SimRuntime(1);
    const seen: Array<[string, number]> = [];
    await rt.run(async () => {
      // Many events, so that most settles are ticks and some are whole turns of the event loop.
      for (let i = 0; i < 300; i++) {
        rt.after(i + 1, () => {
          const at = rt.now();
          process.nextTick((tag: string) => {
            let depth = 0;
            const deeper = (): void => {
              if (++depth < 50) process.nextTick(deeper);
              else void Promise.resolve().then(() => seen.push([tag, at - rt.now()]));
            };
            deeper();
          }, `tick ${i}`);
          void (async () => {
            for (let hop = 0; hop < 50; hop++) await null;
            seen.push([`chain ${i}`, at - rt.now()]);
          })();
        });
      }
      await rt.sleep(400);
    });
    assert.equal(seen.length, 600);
    assert.deepEqual(seen.filter(([, late]) => late !== 0), [], 'nothing ran after time had moved on');
    assert.equal(process.nextTick, realNextTick, 'process.nextTick is given back when the run ends');
  });

  it('a promise rejected at the last event, and handled by nobody, still fails the run (settled in a tick or not)', async () => {
    // As a run process does (runner/child/main.ts): an unhandled rejection fails the run in flight.
    const others = process.listeners('unhandledRejection');
    process.removeAllListeners('unhandledRejection');
    let rt: SimRuntime | undefined;
    const failRun = (reason: unknown): void => rt?.fail(reason);
    process.on('unhandledRejection', failRun);
    try {
      for (const events of [1, 2, 63, 64, 65]) {
        rt = new SimRuntime(1);
        const run = rt;
        await assert.rejects(
          run.run(async () => {
            for (let i = 0; i < events; i++) await run.sleep(1);
            void Promise.reject(new Error(`late, after ${events} events`));
          }),
          new RegExp(`late, after ${events} events`),
        );
      }
    } finally {
      process.off('unhandledRejection', failRun);
      for (const listener of others) process.on('unhandledRejection', listener);
    }
  });

  it('virtualizes setTimeout, setInterval, Date, performance.now and Math.random for code that uses them directly', async () => {
    const realSetTimeout = globalThis.setTimeout;
    const realRandom = Math.random;
    const once = async (seed: number) => {
      const rt = new SimRuntime(seed);
      const seen = await rt.run(
        () =>
          new Promise<number[]>((resolve) => {
            const out: number[] = [];
            let ticks = 0;
            const interval = setInterval(() => {
              out.push(Date.now() - virtualEpochMs);
              if (++ticks === 3) clearInterval(interval);
            }, 40);
            setTimeout(() => {
              out.push(performance.now(), Math.floor(Math.random() * 1e9), new Date().getTime() - virtualEpochMs);
              resolve(out);
            }, 1000);
          }),
      );
      return { seen, uses: rt.stats().globalUses };
    };
    const first = await once(11);
    assert.deepEqual(first.seen.slice(0, 4), [40, 80, 120, 1000]);
    assert.equal(first.seen[5], 1000);
    assert.deepEqual((await once(11)).seen, first.seen);
    assert.notEqual((await once(12)).seen[4], first.seen[4]);
    assert.deepEqual(first.uses, { setInterval: 1, setTimeout: 1, 'Date.now': 3, 'performance.now': 1, 'Math.random': 1, 'new Date()': 1 });
    assert.equal(globalThis.setTimeout, realSetTimeout, 'globals restored after the run');
    assert.equal(Math.random, realRandom);
    assert.ok(Date.now() > Date.UTC(2025, 0, 1));
  });
});

describe('runtime: real clock', () => {
  it('waits on the wall clock and clears its timers when the run ends', async () => {
    const rt = new RealRuntime(1);
    let fired = 0;
    const result = await rt.run(async () => {
      const start = rt.now();
      await rt.sleep(30);
      assert.ok(rt.now() - start >= 25, `slept ${rt.now() - start} ms`);
      rt.after(5, () => fired++);
      rt.after(60_000, () => fired++); // must not keep the process alive after the run
      await rt.sleep(20);
      return 'done';
    });
    assert.equal(result, 'done');
    assert.equal(fired, 1);
    assert.equal(rt.closed, true);
  });

  it("never fires a timer before it is due, as Go's never do (Node's own fire up to a millisecond early now and then)", async () => {
    const rt = new RealRuntime(1);
    const early: number[] = [];
    await rt.run(async () => {
      for (let i = 0; i < 300; i++) {
        const armedAtMs = rt.now();
        await new Promise<void>((resolve) => rt.after(2, resolve));
        const waitedMs = rt.now() - armedAtMs;
        if (waitedMs < 2) early.push(waitedMs);
      }
    });
    assert.deepEqual(early, [], `${early.length} of 300 two-millisecond timers fired early`);
  });

  it('sleeps once per timer: none wakes early to sleep again, wherever in its millisecond it was armed', async () => {
    const rt = new RealRuntime(1);
    const realSetTimeout = globalThis.setTimeout;
    let arms = 0;
    globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
      arms++;
      return realSetTimeout(...args);
    }) as typeof setTimeout;
    const timers = 100;
    // Something else wakes the loop every millisecond, as a Raft's other timers and RPCs do: the loop then looks at
    // its timers as soon as its whole-millisecond clock allows, which is when one armed for its delay alone is early.
    const ticker = setInterval(() => {}, 1);
    try {
      await rt.run(async () => {
        for (let i = 0; i < timers; i++) {
          // Arm at a different point of the millisecond each time (the runtime's seeded randomness picks it).
          const armAtMs = Math.floor(rt.now()) + 1 + rt.random.float();
          while (rt.now() < armAtMs) {
            // spin: a sleep would start the next millisecond afresh
          }
          await new Promise<void>((resolve) => rt.after(3, resolve));
        }
      });
    } finally {
      clearInterval(ticker);
      globalThis.setTimeout = realSetTimeout;
    }
    assert.equal(arms - timers, 0, `${arms - timers} of ${timers} timers woke early and slept again`);
  });

  it('fail() from a callback rejects the run', async () => {
    const rt = new RealRuntime(1);
    await assert.rejects(
      rt.run(async () => {
        rt.after(1, () => {
          throw new Error('handler bug');
        });
        await rt.sleep(10_000);
      }),
      /handler bug/,
    );
  });

  it('draws the same seeded numbers as a sim run of the same seed', () => {
    const real = new RealRuntime(9).stream('tester');
    const sim = new SimRuntime(9).stream('tester');
    assert.deepEqual([real.intn(100), real.intn(100), real.float()], [sim.intn(100), sim.intn(100), sim.float()]);
  });
});
