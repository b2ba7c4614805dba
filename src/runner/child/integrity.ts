/**
 * What a run may leave behind, and how the run process tells: the built-ins its plumbing and the tester rely on
 * (their own properties, compared by identity), the globals and listeners it has, and the resources that keep
 * its event loop alive (timers, handles). A changed built-in makes the run's verdict untrustworthy; anything else
 * left behind only means the process is not reused.
 */
import { EventEmitter } from 'node:events';

type Descriptors = Map<PropertyKey, PropertyDescriptor>;

export interface ProcessBaseline {
  intrinsics: Array<{ name: string; target: object; own: Descriptors }>;
  globals: Set<PropertyKey>;
  globalValues: Map<string, unknown>;
  listeners: Map<string, number>;
  resources: Map<string, number>;
}

const getOwnPropertyDescriptors = Object.getOwnPropertyDescriptors;
const ownKeys = Reflect.ownKeys;
const getPrototypeOf = Object.getPrototypeOf;

function describe(target: object): Descriptors {
  const all = getOwnPropertyDescriptors(target) as Record<PropertyKey, PropertyDescriptor>;
  const out: Descriptors = new Map();
  for (const key of ownKeys(all)) out.set(key, all[key as string]!);
  return out;
}

const intrinsicTargets = (): Array<[string, object]> => [
  ['Object', Object],
  ['Object.prototype', Object.prototype],
  ['Function.prototype', Function.prototype],
  ['Array', Array],
  ['Array.prototype', Array.prototype],
  ['String.prototype', String.prototype],
  ['Number.prototype', Number.prototype],
  ['Boolean.prototype', Boolean.prototype],
  ['Symbol.prototype', Symbol.prototype],
  ['Promise', Promise],
  ['Promise.prototype', Promise.prototype],
  ['Map.prototype', Map.prototype],
  ['Set.prototype', Set.prototype],
  ['WeakMap.prototype', WeakMap.prototype],
  ['JSON', JSON],
  ['Math', Math],
  ['Reflect', Reflect],
  ['Error.prototype', Error.prototype],
  ['RegExp.prototype', RegExp.prototype],
  ['Date.prototype', Date.prototype],
  ['ArrayBuffer.prototype', ArrayBuffer.prototype],
  ['TypedArray.prototype', getPrototypeOf(Uint8Array.prototype) as object],
  ['Uint8Array.prototype', Uint8Array.prototype],
  ['Buffer.prototype', Buffer.prototype],
  ['EventEmitter.prototype', EventEmitter.prototype],
];

// Globals compared by identity: the clocks (sim runs swap them and put them back), and the objects above.
const watchedGlobals = [
  'setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval', 'clearImmediate', 'queueMicrotask',
  'Date', 'Math', 'JSON', 'Object', 'Array', 'Function', 'Promise', 'Error', 'Map', 'Set', 'Reflect', 'Buffer',
  'process', 'structuredClone',
];

const watchedEvents = ['uncaughtException', 'unhandledRejection', 'exit', 'beforeExit', 'warning', 'message', 'SIGINT', 'SIGTERM'];

function countResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return counts;
}

export function captureIntrinsics(): ProcessBaseline {
  const g = globalThis as Record<string, unknown>;
  return {
    intrinsics: intrinsicTargets().map(([name, target]) => ({ name, target, own: describe(target) })),
    globals: new Set(ownKeys(globalThis)),
    globalValues: new Map(watchedGlobals.map((name) => [name, g[name]])),
    listeners: new Map(watchedEvents.map((event) => [event, process.listenerCount(event)])),
    resources: countResources(),
  };
}

const same = (a: PropertyDescriptor, b: PropertyDescriptor): boolean =>
  a.value === b.value && a.get === b.get && a.set === b.set && a.writable === b.writable && a.configurable === b.configurable;

/** Everything that differs from the baseline, in words; built-in changes start with "built-in". */
export function describeLeftovers(baseline: ProcessBaseline): string[] {
  const out: string[] = [];
  for (const { name, target, own } of baseline.intrinsics) {
    const now = describe(target);
    for (const [key, before] of own) {
      const after = now.get(key);
      if (!after) out.push(`built-in ${name}.${String(key)} deleted`);
      else if (!same(before, after)) out.push(`built-in ${name}.${String(key)} replaced`);
    }
    for (const key of now.keys()) if (!own.has(key)) out.push(`built-in ${name}.${String(key)} added`);
  }
  const g = globalThis as Record<string, unknown>;
  for (const [name, value] of baseline.globalValues) if (g[name] !== value) out.push(`global ${name} ${name in g ? 'replaced' : 'deleted'}`);
  for (const key of ownKeys(globalThis)) if (!baseline.globals.has(key)) out.push(`global ${String(key)} added`);
  for (const [event, count] of baseline.listeners) {
    const now = process.listenerCount(event);
    if (now > count) out.push(`process '${event}' listeners: ${count} before, ${now} after`);
  }
  const resources = countResources();
  for (const [kind, count] of resources) {
    const before = baseline.resources.get(kind) ?? 0;
    if (count > before) out.push(`${count - before} ${kind} left running (a timer, socket or file still open)`);
  }
  return out;
}
