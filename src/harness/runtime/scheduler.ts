/**
 * The sim scheduler's model of a machine: how long a task that has become ready waits before it runs. In Go a
 * goroutine that is started, or woken by a channel, mutex or condition variable, runs a few microseconds later, on
 * whichever core is free; an RPC crosses labrpc's goroutines and labgob in tens of microseconds; and now and then a
 * task waits much longer (its core is busy, the garbage collector runs). Drawing each ready task's delay from the
 * run's own seeded stream puts concurrent tasks in a random order, the same for the same seed, and makes RPCs sent
 * a few microseconds apart overtake one another as they do under the Go tester.
 *
 * The level (the chaos knob `interleave`) scales it: 0 is off (hand-offs run at once and goroutines start in the
 * order they were made, at no cost in virtual time: the runs raftlab made before it had a scheduler), 1 the
 * realistic machine (the default), higher levels stretch every delay and make long waits more frequent and longer.
 */
import type { ReadyKind, Rng } from './types.ts';

export type { ReadyKind };

export const readyKinds: readonly ReadyKind[] = ['go', 'chan', 'mutex', 'cond', 'waitgroup', 'rpc-request', 'rpc-reply', 'apply'];

/** The default level: a realistic machine. */
export const defaultInterleave = 1;
/** The knob's range (src/harness/chaos.ts). */
export const interleaveMax = 20;

/**
 * Mean wait of a ready task at level 1, in microseconds, by kind: a goroutine's start and a wake-up by a channel,
 * mutex, cond or WaitGroup take a few; one way through labrpc (request to handler, or reply to caller) tens.
 */
export const readyMeanUs: Readonly<Record<ReadyKind, number>> = {
  go: 5,
  chan: 3,
  mutex: 3,
  cond: 3,
  waitgroup: 3,
  apply: 3,
  'rpc-request': 30,
  'rpc-reply': 30,
};

/** At level 1, one ready task in 50 waits longer (its core was busy, a GC pause): up to another 500 µs. */
export const stallChanceAtLevel1 = 0.02;
export const stallMaxUsAtLevel1 = 500;

/**
 * The wait of one ready task of `kind` at `level` (> 0), in whole microseconds: exponential with the kind's mean,
 * plus, with the stall chance, a uniform stall. Two or three draws from the scheduler's own stream.
 */
export function readyDelayUs(kind: ReadyKind, level: number, rng: Rng): number {
  const meanUs = readyMeanUs[kind] * level;
  // Exponential by inversion; 1 - u is in (0, 1], so the log is finite.
  let delayUs = Math.round(-meanUs * Math.log(1 - rng.float()));
  const stallChance = Math.min(0.5, stallChanceAtLevel1 * level);
  if (rng.float() < stallChance) delayUs += rng.intn(Math.max(1, Math.round(stallMaxUsAtLevel1 * level)));
  return delayUs;
}
