/**
 * The runtime a node sees (labs/api RaftRuntime): its clock, its own random stream, the codec, and logging tagged
 * with the node. Go's Raft gets these from its runtime and packages. The chaos knob timerQuantumMs is applied here.
 */
import type { LogTopic, RaftRuntime, Random } from '../../../labs/api/index.ts';
import type { ChaosKnobs } from '../chaos.ts';
import type { Codec } from '../codec/index.ts';
import { TimerHandle, concurrency, type Rng, type Runtime, type Timer } from '../runtime/index.ts';
import { ImplementationError } from './failure.ts';
import { messageOf } from '../thrown.ts';

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
  const seam = { spawn: rt.spawn.bind(rt), wake: rt.wake.bind(rt), now: () => rt.now(), timer: clock.timer };
  // A panic in a goroutine ends a Go program; here it ends the run, naming the server.
  const onPanic = (error: unknown): void => rt.fail(new ImplementationError(`server ${i}: a goroutine (runtime.go) threw: ${messageOf(error)}`, error));
  return {
    now: () => clock.now(),
    sleep: (ms) => clock.sleep(ms),
    timer: (callback) => clock.timer(callback),
    random: goRandom(rt.stream(`raft-${i}`)),
    encode: (value) => codec.encode(value, `server ${i} encode`),
    decode: <T,>(bytes: Uint8Array) => codec.decode<T>(bytes),
    log: (topic, message, fields) => onLog?.({ atMs: rt.now(), node: i, topic, message, fields }),
    ...concurrency(seam, rt.stream(`select-${i}`), onPanic),
  };
}

/** math/rand's functions over one seeded stream. intn and float draw exactly as the stream does. */
export function goRandom(rng: Rng): Random {
  const intn = (n: number): number => rng.intn(n);
  return {
    intn,
    float: () => rng.float(),
    int: () => rng.int(),
    int63: () => rng.int(),
    int31: () => rng.int31(),
    int31n: intn,
    int63n: intn,
    float64: () => rng.float(),
    // Go's algorithm (rand.Perm), so a permutation is built the way a Go port expects.
    perm(n: number): number[] {
      const m = new Array<number>(n);
      for (let i = 0; i < n; i++) {
        const j = rng.intn(i + 1);
        m[i] = m[j]!;
        m[j] = i;
      }
      return m;
    },
    shuffle(n: number, swap: (i: number, j: number) => void): void {
      for (let i = n - 1; i > 0; i--) swap(i, rng.intn(i + 1));
    },
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
      return new TimerHandle(
        (ms) => timer.reset(onGrid(ms)),
        () => timer.stop(),
        () => timer.active,
      );
    },
  };
}
