// Go's concurrency on the runtime seam (src/harness/runtime/concurrency.ts, labs/api): each primitive keeps Go's
// semantics on both clocks, and on the sim clock at every scheduler level.
import assert from 'node:assert/strict';
import type { RaftRuntime } from '../../labs/api/index.ts';
import { ConcurrencyError, RealRuntime, SimRuntime, concurrency, type Runtime } from '../../src/harness/runtime/index.ts';
import { goRandom } from '../../src/harness/tester/node-runtime.ts';

type Go = Pick<RaftRuntime, 'go' | 'mutex' | 'cond' | 'chan' | 'select' | 'after' | 'waitGroup' | 'sleep' | 'now'>;

const clocks: Array<[string, () => Runtime]> = [
  ['sim, scheduler off', () => new SimRuntime(1, { interleave: 0 })],
  ['sim, realistic machine', () => new SimRuntime(1, { interleave: 1 })],
  ['sim, explore ×20', () => new SimRuntime(3, { interleave: 20 })],
  ['real', () => new RealRuntime(1)],
];

/** Run `body` with Go's primitives on each clock. */
function onEveryClock(title: string, body: (go: Go) => Promise<void>): void {
  for (const [clock, make] of clocks) {
    it(`${title} [${clock}]`, async () => {
      const rt = make();
      const go: Go = { ...concurrency(rt, rt.stream('select'), (error) => rt.fail(error)), sleep: (ms) => rt.sleep(ms), now: () => rt.now() };
      await rt.run(() => body(go));
    });
  }
}

const panics = (code: string) => (error: unknown) => error instanceof ConcurrencyError && error.code === code;

describe('concurrency: goroutines', () => {
  onEveryClock('go(fn) starts fn later, once the caller yields, never inside it; a throw fails the run', async (rt) => {
    const order: string[] = [];
    rt.go(() => order.push('goroutine'));
    order.push('caller, after go');
    assert.deepEqual(order, ['caller, after go']);
    await rt.sleep(100);
    assert.deepEqual(order, ['caller, after go', 'goroutine']);
  });

  it('a goroutine that throws ends the run with its error', async () => {
    const rt = new SimRuntime(1);
    const go = concurrency(rt, rt.stream('select'), (error) => rt.fail(error));
    await assert.rejects(
      rt.run(async () => {
        go.go(async () => {
          await rt.sleep(5);
          throw new Error('index out of range');
        });
        await rt.sleep(100);
      }),
      /index out of range/,
    );
  });
});

describe('concurrency: sync.Mutex and sync.Cond', () => {
  onEveryClock('a mutex excludes across awaits; unlock of an unlocked mutex and lockSync while held throw', async (rt) => {
    const mu = rt.mutex();
    let inside = 0;
    let most = 0;
    const worker = async () => {
      for (let i = 0; i < 5; i++) {
        await mu.lock();
        inside++;
        most = Math.max(most, inside);
        await rt.sleep(2); // held across an await: nobody else gets in
        assert.throws(() => mu.lockSync(), panics('MUTEX_HELD'));
        assert.equal(mu.tryLock(), false);
        inside--;
        mu.unlock();
      }
    };
    const wg = rt.waitGroup();
    for (let w = 0; w < 3; w++) {
      wg.add(1);
      rt.go(async () => {
        await worker();
        wg.done();
      });
    }
    await wg.wait();
    assert.equal(most, 1);
    assert.equal(mu.locked, false);
    mu.lockSync();
    mu.unlock();
    assert.throws(() => mu.unlock(), panics('UNLOCK_OF_UNLOCKED_MUTEX'));
  });

  onEveryClock('a cond: wait releases the mutex; a signal with nobody waiting is lost; broadcast wakes every waiter', async (rt) => {
    const mu = rt.mutex();
    const cond = rt.cond(mu);
    cond.signal(); // lost: nobody waits
    let ready = false;
    const woke: number[] = [];
    for (let w = 0; w < 3; w++) {
      rt.go(async () => {
        await mu.lock();
        while (!ready) await cond.wait();
        woke.push(w);
        mu.unlock();
      });
    }
    await rt.sleep(100);
    assert.equal(mu.locked, false, 'the waiters released the mutex');
    assert.deepEqual(woke, [], 'the early signal was lost');
    await mu.lock();
    cond.signal(); // wakes one, which finds ready false and waits again
    mu.unlock();
    await rt.sleep(100);
    assert.deepEqual(woke, []);
    await mu.lock();
    ready = true;
    cond.broadcast();
    mu.unlock();
    await rt.sleep(100);
    assert.deepEqual([...woke].sort(), [0, 1, 2]);
    await assert.rejects(cond.wait(), panics('UNLOCK_OF_UNLOCKED_MUTEX'), 'wait without holding the mutex');
  });
});

describe('concurrency: channels, select, time.After, WaitGroup', () => {
  onEveryClock('an unbuffered send waits for its receiver; values arrive in order', async (rt) => {
    const ch = rt.chan<number>();
    const sent: number[] = [];
    rt.go(async () => {
      for (let i = 1; i <= 3; i++) {
        await ch.send(i);
        sent.push(i);
      }
    });
    await rt.sleep(100);
    assert.deepEqual(sent, [], 'no receiver yet');
    assert.equal(await ch.recv(), 1);
    assert.equal(await ch.recv(), 2);
    assert.equal(await ch.recv(), 3);
    await rt.sleep(100);
    assert.deepEqual(sent, [1, 2, 3]);
    assert.equal(ch.capacity, 0);
  });

  onEveryClock('a buffered channel holds capacity values; close drains it, then ok is false; Go panics throw', async (rt) => {
    const ch = rt.chan<string>(2);
    await ch.send('a');
    await ch.send('b');
    assert.equal(ch.length, 2);
    let third = false;
    const blocked = ch.send('c').then(() => (third = true));
    await rt.sleep(100);
    assert.equal(third, false, 'the buffer is full');
    assert.equal(await ch.recv(), 'a');
    await blocked;
    ch.close();
    const got: string[] = [];
    for await (const v of ch) got.push(v);
    assert.deepEqual(got, ['b', 'c']);
    assert.deepEqual(await ch.recvOk(), [undefined, false]);
    assert.equal(await ch.recv(), undefined);
    assert.throws(() => void ch.send('d'), panics('SEND_ON_CLOSED_CHANNEL'));
    assert.throws(() => ch.close(), panics('CLOSE_OF_CLOSED_CHANNEL'));
    // A parked receiver is released by close with ok false.
    const other = rt.chan<number>();
    const waiting = other.recvOk();
    other.close();
    assert.deepEqual(await waiting, [undefined, false]);
  });

  onEveryClock('select takes a ready case, waits for the first, withdraws the rest; default; time.After; nil cases', async (rt) => {
    const a = rt.chan<number>();
    const b = rt.chan<string>(1);
    await b.send('ready');
    const first = await rt.select([{ recv: a }, { recv: b }]);
    assert.equal(first.index, 1);
    assert.equal(first.value, 'ready');
    assert.equal((await rt.select([{ recv: a }, { recv: null }], { default: true })).index, -1);
    // Nothing ready: the timer's case wins, and the select's receiver leaves `a`.
    const timedOut = await rt.select([{ recv: a }, { recv: rt.after(50) }]);
    assert.equal(timedOut.index, 1);
    assert.ok(rt.now() >= 50);
    assert.equal((await rt.select([{ send: a, value: 1 }], { default: true })).index, -1, 'nobody receives on a any more');
    // A send case goes ahead when a receiver comes.
    rt.go(async () => assert.equal(await a.recv(), 7));
    const sent = await rt.select([{ send: a, value: 7 }, { recv: rt.after(1000) }]);
    assert.equal(sent.index, 0);
    const wg = rt.waitGroup();
    wg.add(2);
    rt.go(() => wg.done());
    rt.go(() => wg.done());
    await wg.wait();
    assert.throws(() => wg.done(), panics('NEGATIVE_WAITGROUP'));
  });

  it('select chooses among ready cases at random, the same way for the same seed', async () => {
    const picks = async (seed: number) => {
      const rt = new SimRuntime(seed);
      const go = concurrency(rt, rt.stream('select'), (error) => rt.fail(error));
      return rt.run(async () => {
        const chosen: number[] = [];
        for (let i = 0; i < 40; i++) {
          const x = go.chan<number>(1);
          const y = go.chan<number>(1);
          await x.send(0);
          await y.send(1);
          chosen.push((await go.select([{ recv: x }, { recv: y }])).index);
        }
        return chosen.join('');
      });
    };
    const once = await picks(5);
    assert.equal(await picks(5), once);
    assert.match(once, /0/);
    assert.match(once, /1/);
  });

  it("math/rand's names: perm is a permutation, int is a non-negative safe integer, draws are seeded", () => {
    const r = goRandom(new SimRuntime(9).stream('x'));
    assert.deepEqual([...r.perm(10)].sort((p, q) => p - q), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const n = r.int();
    assert.ok(Number.isSafeInteger(n) && n >= 0);
    assert.ok(r.int31() < 2 ** 31 && r.int63n(5) < 5 && r.float64() < 1);
    const order = [0, 1, 2, 3];
    r.shuffle(order.length, (i, j) => ([order[i], order[j]] = [order[j]!, order[i]!]));
    assert.deepEqual([...order].sort(), [0, 1, 2, 3]);
    assert.equal(goRandom(new SimRuntime(9).stream('x')).intn(1000), goRandom(new SimRuntime(9).stream('x')).intn(1000));
  });
});
