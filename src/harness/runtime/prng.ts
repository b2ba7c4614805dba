import { xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import type { Rng } from './types.ts';

const int31Max = 0x7fff_ffff;

/** murmur3's finalizer: a cheap 32-bit avalanche, enough to spread (seed, name) over the generator state. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85eb_ca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2_ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function hashWord(seed: number, name: string, salt: number): number {
  const seedLow = seed >>> 0;
  const seedHigh = Math.floor(seed / 0x1_0000_0000) >>> 0;
  let h = fmix32(salt ^ 0x9e37_79b9);
  h = fmix32(h ^ seedLow);
  h = fmix32(h ^ seedHigh);
  for (let i = 0; i < name.length; i++) h = fmix32(h ^ name.charCodeAt(i));
  return fmix32(h ^ name.length);
}

/**
 * The generator state for stream `name` of run `seed`: four 32-bit words, each an independent hash of
 * (seed, name), so streams with different names are unrelated and a new stream perturbs none of the others.
 */
export function streamState(seed: number, name: string): number[] {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
  const state = [0, 1, 2, 3].map((salt) => hashWord(seed, name, salt) | 0);
  // xoroshiro's all-zero state is a fixed point; it cannot come out of four independent hashes in practice,
  // but a zero state would silently make every draw 0.
  if (state.every((word) => word === 0)) return [1, 0, 0, 0];
  return state;
}

/** A seeded stream backed by pure-rand's xoroshiro128+. */
export function makeRng(seed: number, name: string): Rng {
  const generator = xoroshiro128plusFromState(streamState(seed, name));
  return {
    intn(n: number): number {
      if (!Number.isSafeInteger(n) || n <= 0) throw new RangeError(`intn(n) needs a positive integer, got ${n}`);
      return uniformInt(generator, 0, n - 1);
    },
    int31: () => uniformInt(generator, 0, int31Max),
    int: () => uniformInt(generator, 0, Number.MAX_SAFE_INTEGER),
    float: () => uniformFloat64(generator),
  };
}

/** Streams by name, created on first use and kept, so a name always continues the same sequence. */
export class RngStreams {
  readonly #seed: number;
  readonly #streams = new Map<string, Rng>();
  constructor(seed: number) {
    this.#seed = seed;
  }
  get(name: string): Rng {
    let rng = this.#streams.get(name);
    if (rng === undefined) {
      rng = makeRng(this.#seed, name);
      this.#streams.set(name, rng);
    }
    return rng;
  }
}
