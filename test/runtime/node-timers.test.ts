// raftlab's node:timers and node:timers/promises (what a student's imports of them are bundled as): the same answers
// as Node's own modules off the sim clock, and virtual time on it.
import assert from 'node:assert/strict';
import * as nodePromises from 'node:timers/promises';
import { promisify } from 'node:util';
import { SimRuntime } from '../../src/harness/runtime/index.ts';
import * as shimPromises from '../../src/harness/runtime/node-timers/promises.ts';
import * as shimTimers from '../../src/harness/runtime/node-timers/timers.ts';

type PromisesApi = typeof shimPromises;
const apis: Array<[string, PromisesApi]> = [
  ["Node's", nodePromises as unknown as PromisesApi],
  ["raftlab's", shimPromises],
];

/** What a promise came to: its value, or the name, code and cause of what it threw. */
async function outcome(promise: Promise<unknown>): Promise<unknown> {
  try {
    return { value: await promise };
  } catch (error) {
    const e = error as { name: string; code: string; cause: unknown };
    return { name: e.name, code: e.code, cause: e.cause };
  }
}

describe('node:timers as raftlab bundles it', () => {
  it("timers/promises answers as Node's does: values, aborts before and during the wait, an interval's ticks and break", async () => {
    const answers: unknown[][] = [];
    for (const [, api] of apis) {
      const seen: unknown[] = [];
      seen.push(await outcome(api.setTimeout(5, 'five')));
      seen.push(await outcome(api.setImmediate('now')));
      seen.push(await outcome(api.setTimeout(1)));
      const aborted = new AbortController();
      aborted.abort('before');
      seen.push(await outcome(api.setTimeout(5, 'x', { signal: aborted.signal })));
      const during = new AbortController();
      const pending = outcome(api.setTimeout(10_000, 'x', { signal: during.signal }));
      during.abort('during');
      seen.push(await pending);
      seen.push(await outcome(api.scheduler.wait(2)));
      // Ticks that come while nobody waits are handed out at once afterwards; break clears the interval.
      const ticks: unknown[] = [];
      for await (const v of api.setInterval(2, 'tick')) {
        ticks.push(v);
        if (ticks.length === 1) await new Promise((resolve) => globalThis.setTimeout(resolve, 20));
        if (ticks.length === 4) break;
      }
      seen.push(ticks);
      const stop = new AbortController();
      const iterator = api.setInterval(1_000, 'never', { signal: stop.signal });
      const next = outcome(iterator.next());
      stop.abort('stopped');
      seen.push(await next);
      const e = (await outcome(api.setTimeout(1, 'x', 'not options' as never))) as { name: string; code: string };
      seen.push({ name: e.name, code: e.code }); // a rejection, as Node's, not a throw
      const i = (await outcome(api.setInterval(1, 'x', { signal: 'no' } as never).next())) as { name: string; code: string };
      seen.push({ name: i.name, code: i.code });
      answers.push(seen);
    }
    assert.deepEqual(answers[1], answers[0]);
    assert.deepEqual(answers[0]![3], { name: 'AbortError', code: 'ABORT_ERR', cause: 'before' });
  });

  it('on the sim clock: timers/promises, node:timers and util.promisify(setTimeout) wait virtual time, and count as uses of the globals', async () => {
    const rt = new SimRuntime(1);
    const seen: string[] = [];
    const stats = await rt.run(async () => {
      await shimPromises.setTimeout(36_000_000); // ten hours: real, mocha would have failed the test long before
      seen.push(`promises ${rt.now()}`);
      await new Promise<void>((resolve) => shimTimers.setTimeout(resolve, 250));
      seen.push(`timers ${rt.now()}`);
      await (promisify(shimTimers.setTimeout) as unknown as (ms: number) => Promise<void>)(100);
      await (promisify(globalThis.setTimeout) as unknown as (ms: number) => Promise<void>)(100);
      seen.push(`promisified ${rt.now()}`);
      let n = 0;
      for await (const _ of shimPromises.setInterval(50)) if (++n === 4) break;
      seen.push(`interval ${rt.now()}`);
      const handle = shimTimers.setTimeout(() => seen.push('cleared, yet fired'), 10);
      shimTimers.clearTimeout(handle);
      await shimPromises.scheduler.wait(20);
      return rt.stats();
    });
    assert.deepEqual(seen, ['promises 36000000', 'timers 36000250', 'promisified 36000450', 'interval 36000650']);
    assert.ok((stats.globalUses.setTimeout ?? 0) >= 5 && (stats.globalUses.setInterval ?? 0) === 1, JSON.stringify(stats.globalUses));
  });
});
