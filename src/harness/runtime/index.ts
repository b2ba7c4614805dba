export * from './types.ts';
export { RealRuntime } from './real.ts';
export { SimRuntime, defaultSimLimits, type SimLimits, type SimOptions } from './sim.ts';
export { makeRng, streamState } from './prng.ts';
export { defaultInterleave, interleaveMax, readyKinds, type ReadyKind } from './scheduler.ts';
export * from './concurrency.ts';
export { virtualEpochMs } from './virtual-globals.ts';

import { RealRuntime } from './real.ts';
import { SimRuntime, type SimOptions } from './sim.ts';
import type { ClockMode, Runtime } from './types.ts';

/** A fresh runtime for one run on the chosen clock. */
export function makeRuntime(mode: ClockMode, seed: number, simOptions?: SimOptions): Runtime {
  return mode === 'sim' ? new SimRuntime(seed, simOptions) : new RealRuntime(seed, { interleave: simOptions?.interleave });
}
export { wallClockMs } from './wall-clock.ts';
