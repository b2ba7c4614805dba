/**
 * `node:timers` as a student's Raft (or a package it bundles) sees it: each function calls the global of the same
 * name at the moment of the call, so that during a sim run it is the virtual one (virtual-globals.ts), as for code
 * that calls the global directly. Node's module holds its own timers, which would run on the wall clock in a sim run.
 * Imports nothing but its promises half: it is bundled into the student's code (build.ts).
 */
import * as promises from './promises.ts';

type Global = Record<'setTimeout' | 'clearTimeout' | 'setInterval' | 'clearInterval' | 'setImmediate' | 'clearImmediate', (...args: unknown[]) => unknown>;
const g = (): Global => globalThis as unknown as Global;

/** What util.promisify looks for: the global setTimeout and setImmediate carry it, so these do too. */
const promisifyCustom = Symbol.for('nodejs.util.promisify.custom');

export function setTimeout(...args: unknown[]): unknown {
  return g().setTimeout(...args);
}
export function clearTimeout(handle?: unknown): void {
  g().clearTimeout(handle);
}
export function setInterval(...args: unknown[]): unknown {
  return g().setInterval(...args);
}
export function clearInterval(handle?: unknown): void {
  g().clearInterval(handle);
}
export function setImmediate(...args: unknown[]): unknown {
  return g().setImmediate(...args);
}
export function clearImmediate(handle?: unknown): void {
  g().clearImmediate(handle);
}
Object.defineProperty(setTimeout, promisifyCustom, { value: promises.setTimeout });
Object.defineProperty(setImmediate, promisifyCustom, { value: promises.setImmediate });

export { promises };
export default { setTimeout, clearTimeout, setInterval, clearInterval, setImmediate, clearImmediate, promises };
