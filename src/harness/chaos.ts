/**
 * Chaos knobs: harsher conditions than the course's tests create, to turn a 1-in-500 failure into 1-in-20. Every knob
 * is off by default, and a run with all knobs off is exactly the course's test; the one exception, `interleave`, is
 * the scheduler's level, on (at 1, a realistic machine) unless set. Chaos draws from its own random streams, so it
 * never shifts the network's, the tester's or a node's own choices.
 */
import { defaultInterleave, interleaveMax } from './runtime/scheduler.ts';

export interface ChaosKnobs {
  /** Extra probability (0..1) that a request, and separately a reply, is lost: on reliable networks too. */
  dropRate?: number;
  /** Extra uniform delay, 0..delayMaxMs, before every request reaches its server. */
  delayMaxMs?: number;
  /** Probability (0..1) that a reply is held back 200..2199 ms, as long reordering does, even when that is off. */
  reorderRate?: number;
  /**
   * Election-timeout pressure: every timer and sleep a node arms fires on a grid of this many ms (rounded up), so
   * nodes time out together: split votes and two candidates in one term become common.
   */
  timerQuantumMs?: number;
  /**
   * Random reboots per minute of test time: a running server crashes and restarts from its persisted state at once
   * (a disconnected one stays disconnected), so whatever it did not persist is gone before the next request.
   */
  crashesPerMinute?: number;
  /** Random disconnections per minute of test time; each heals 0.5..2 s later. */
  partitionsPerMinute?: number;
  /**
   * The scheduler's level (src/harness/runtime/scheduler.ts): how far the order and timing of concurrent tasks
   * (goroutine starts, channel hand-offs, RPC deliveries, applyCh) vary. Unlike the other knobs it is on by default:
   * 1 is a realistic machine, 0 turns the scheduler off (hand-offs at once, in a fixed order), more explores further.
   */
  interleave?: number;
}

export type KnobName = keyof ChaosKnobs;

export interface ChaosKnobSpec {
  knob: KnobName;
  min: number;
  max: number;
  /** The value that changes nothing (what a run without the knob has): 0 for every knob but interleave's 1. */
  neutral: number;
  unit: 'probability' | 'ms' | 'per minute' | 'level';
  /** For forms: a short label and what the knob does. */
  label: string;
  hint: string;
}

/**
 * Every knob once, by its short name for the command line (`--chaos drop=0.05,quantum=250`): its range, unit and
 * wording. The CLI's parser, the IPC contract's validation and the app's form all read this one table.
 */
export const chaosKnobSpecs: Readonly<Record<string, ChaosKnobSpec>> = {
  drop: { knob: 'dropRate', min: 0, max: 1, neutral: 0, unit: 'probability', label: 'Drop', hint: 'extra chance that a request, and separately a reply, is lost' },
  delay: { knob: 'delayMaxMs', min: 0, max: 10_000, neutral: 0, unit: 'ms', label: 'Delay up to', hint: 'extra uniform delay before each request reaches its server' },
  reorder: { knob: 'reorderRate', min: 0, max: 1, neutral: 0, unit: 'probability', label: 'Reorder', hint: 'chance that a reply is held back 200–2199 ms' },
  quantum: { knob: 'timerQuantumMs', min: 1, max: 10_000, neutral: 0, unit: 'ms', label: 'Timer grid', hint: 'every node timer fires on this grid, so nodes time out together' },
  crash: { knob: 'crashesPerMinute', min: 0, max: 600, neutral: 0, unit: 'per minute', label: 'Reboots', hint: 'a server crashes and restarts from its persisted state at once' },
  partition: { knob: 'partitionsPerMinute', min: 0, max: 600, neutral: 0, unit: 'per minute', label: 'Partitions', hint: 'a server is cut off, and reconnected 0.5–2 s later' },
  interleave: {
    knob: 'interleave',
    min: 0,
    max: interleaveMax,
    neutral: defaultInterleave,
    unit: 'level',
    label: 'Interleaving',
    hint: 'how much the scheduler varies the order and timing of concurrent tasks: 1 a realistic machine (default), 0 off, more explores further',
  },
};

export class ChaosSpecError extends Error {
  readonly code = 'BAD_CHAOS_SPEC';
  constructor(message: string) {
    super(message);
    this.name = 'ChaosSpecError';
  }
}

/** The knob names, for help texts. */
export const chaosKnobNames = Object.keys(chaosKnobSpecs).join(', ');

const knobsHelp = Object.entries(chaosKnobSpecs)
  .map(([name, s]) => `${name}=${s.unit === 'probability' ? '0..1' : `${s.min}..${s.max} ${s.unit}`}`)
  .join(', ');

/** Parse `drop=0.05,delay=40,reorder=0.2,quantum=250,crash=6,partition=6`. */
export function parseChaos(spec: string): ChaosKnobs {
  const knobs: ChaosKnobs = {};
  for (const part of spec.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [name, value, extra] = part.split('=');
    const s = name !== undefined ? chaosKnobSpecs[name] : undefined;
    const n = Number(value);
    if (!s || value === undefined || extra !== undefined) throw new ChaosSpecError(`unknown chaos knob '${part}'; knobs: ${knobsHelp}`);
    if (!Number.isFinite(n) || n < s.min || n > s.max) {
      throw new ChaosSpecError(`chaos knob ${name} must be ${s.min}..${s.max} (${s.unit}), got '${value}'`);
    }
    knobs[s.knob] = n;
  }
  return knobs;
}

/** The knobs as a spec string (for replay commands and records); '' when none changes anything. */
export function formatChaos(knobs: ChaosKnobs | undefined): string {
  if (!knobs) return '';
  return Object.entries(chaosKnobSpecs)
    .filter(([, s]) => knobs[s.knob] !== undefined && knobs[s.knob] !== s.neutral)
    .map(([name, s]) => `${name}=${knobs[s.knob]}`)
    .join(',');
}

export function chaosActive(knobs: ChaosKnobs | undefined): knobs is ChaosKnobs {
  return formatChaos(knobs) !== '';
}
