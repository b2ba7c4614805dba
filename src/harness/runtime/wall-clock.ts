import { performance } from 'node:perf_hooks';

// Captured at load, before any sim run can virtualize performance.now.
const realNow = performance.now.bind(performance);

/**
 * The machine's clock, for measuring how long something took (a run's wall time, a benchmark). Never for anything
 * a run's outcome depends on: that is what `Runtime.now()` is for.
 */
export function wallClockMs(): number {
  return realNow();
}
