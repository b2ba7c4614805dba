/**
 * The runtime a node sees (labs/api RaftRuntime): its clock, its own random stream, the codec, and logging tagged
 * with the node. Go's Raft gets these from its runtime and packages. The chaos knob timerQuantumMs is applied here.
 */
import type { LogTopic, RaftRuntime } from '../../../labs/api/index.ts';
import type { ChaosKnobs } from '../chaos.ts';
import type { Codec } from '../codec/index.ts';
import type { Runtime, Timer } from '../runtime/index.ts';

/** One line of an implementation's `runtime.log`, as the trace and `--verbose` see it. */
export interface NodeLogLine {
  readonly atMs: number;
  readonly node: number;
  readonly topic: LogTopic;
  readonly message: string;
  readonly fields: Record<string, unknown> | undefined;
}

export interface NodeRuntimeEnv {
  runtime: Runtime;
  codec: Codec;
  onLog?: ((line: NodeLogLine) => void) | undefined;
  /** Of these, timerQuantumMs puts the node's timers and sleeps on a grid. */
  chaos?: ChaosKnobs | undefined;
}

export function nodeRuntime(i: number, env: NodeRuntimeEnv): RaftRuntime {
  const { runtime: rt, codec, onLog } = env;
  const clock = nodeClock(rt, env.chaos);
  return {
    now: () => clock.now(),
    sleep: (ms) => clock.sleep(ms),
    timer: (callback) => clock.timer(callback),
    random: rt.stream(`raft-${i}`),
    encode: (value) => codec.encode(value, `server ${i} encode`),
    decode: <T,>(bytes: Uint8Array) => codec.decode<T>(bytes),
    log: (topic, message, fields) => onLog?.({ atMs: rt.now(), node: i, topic, message, fields }),
  };
}

/** When a node is, how it sleeps, its timers. */
export type NodeClock = Pick<Runtime, 'now' | 'sleep' | 'timer'>;

/**
 * The nodes' clock under the chaos knob timerQuantumMs: every sleep and timer ends on a grid of that many ms
 * (rounded up), so nodes time out together and split votes become common. Without the knob, the run's own clock.
 */
export function nodeClock(runtime: Runtime, knobs: ChaosKnobs | undefined): NodeClock {
  const quantumMs = knobs?.timerQuantumMs;
  if (!quantumMs) return { now: () => runtime.now(), sleep: (ms) => runtime.sleep(ms), timer: (callback) => runtime.timer(callback) };
  const onGrid = (ms: number): number => Math.ceil((runtime.now() + ms) / quantumMs) * quantumMs - runtime.now();
  return {
    now: () => runtime.now(),
    sleep: (ms) => runtime.sleep(onGrid(ms)),
    timer: (callback): Timer => {
      const timer = runtime.timer(callback);
      return {
        reset: (ms: number) => timer.reset(onGrid(ms)),
        stop: () => timer.stop(),
        get active() {
          return timer.active;
        },
      };
    },
  };
}
