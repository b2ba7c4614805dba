// The codec's plain-data reader (read-plain.ts) reads the MessagePack plain data is made of in one pass instead of
// msgpackr. What it reads must be exactly what msgpackr's unpack builds with the codec's options (values, key order,
// prototypes, copies of binary fields), and whatever it does not read it must leave to msgpackr, which reads or
// reports it as before: a decoded RPC or saved state feeds the Raft under test and its trace.
import assert from 'node:assert/strict';
import { Packr } from 'msgpackr/pack';
import { Codec, CodecError } from '../../src/harness/codec/index.ts';
import { SuccessiveReader, readPlain } from '../../src/harness/codec/read-plain.ts';
import { makeRng } from '../../src/harness/runtime/prng.ts';
import type { Rng } from '../../src/harness/runtime/types.ts';

/** msgpackr with the codec's options. */
const packr = new Packr({ useRecords: false, moreTypes: false, useToJSON: false, variableMapSize: true, copyBuffers: true });
const pack = (value: unknown): Uint8Array => new Uint8Array(packr.pack(value));

/** A value as plain data that tells apart what deepStrictEqual does not: key order, -0, a Buffer from a Uint8Array. */
function anatomy(value: unknown): unknown {
  if (value instanceof Uint8Array) return ['bytes', Object.getPrototypeOf(value) === Uint8Array.prototype, value.buffer.byteLength === value.length, [...value]];
  if (Array.isArray(value)) return ['array', value.length, value.map(anatomy)];
  if (value && typeof value === 'object') return ['object', Object.getPrototypeOf(value) === Object.prototype, Object.keys(value).map((k) => [k, anatomy((value as Record<string, unknown>)[k])])];
  if (typeof value === 'number') return ['number', Object.is(value, -0) ? '-0' : String(value)];
  return [typeof value, String(value)];
}

/** readPlain either leaves `bytes` to msgpackr or reads exactly what msgpackr reads. Returns whether it read them. */
function agrees(bytes: Uint8Array, what: string): boolean {
  const plain = readPlain(bytes);
  if (plain === undefined) return false;
  let theirs: unknown;
  try {
    theirs = packr.unpack(bytes);
  } catch (error) {
    assert.fail(`${what}: the plain reader read what msgpackr rejects (${String(error)})`);
  }
  assert.deepEqual(anatomy(plain), anatomy(theirs), what);
  return true;
}

const alphabet = ['a', 'Z', '0', ' ', '"', '\u007f', '\u0000', 'é', '€', '😀', '\ufeff'];
function randomText(rng: Rng, ascii: boolean): string {
  const length = [0, 1, 5, 15, 16, 17, 31, 32, 100, 255, 256][rng.intn(11)]!;
  let s = '';
  for (let i = 0; i < length; i++) s += alphabet[rng.intn(ascii ? 7 : alphabet.length)]!;
  return s;
}
const edgeNumbers = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 2 ** 32 - 1, 2 ** 32, 2 ** 53, -1, -0x20, -0x21, -0x80, -0x81, -0x8000, -0x8001, -(2 ** 31), -(2 ** 31) - 1, 0.5, -0, NaN, Infinity, 1e-300];

/** Anything msgpackr packs with the codec's options, plain or not: undefined, bigints, Dates, Maps, odd keys. */
function randomValue(rng: Rng, depth: number, ascii: boolean): unknown {
  switch (rng.intn(depth >= 3 ? 6 : 11)) {
    case 0:
      return edgeNumbers[rng.intn(edgeNumbers.length)];
    case 1:
      return rng.intn(2) === 0 ? rng.intn(400) - 100 : rng.int();
    case 2:
      return randomText(rng, ascii);
    case 3:
      return [true, false, null, rng.float()][rng.intn(4)];
    case 4: {
      const bytes = new Uint8Array([0, 1, 255, 256][rng.intn(4)]!);
      for (let i = 0; i < bytes.length; i += 7) bytes[i] = rng.intn(256);
      return bytes;
    }
    case 5:
      return rng.intn(8) === 0 ? [undefined, 2n ** 64n - 1n, -(2n ** 63n), new Date(rng.intn(1e12))][rng.intn(4)] : rng.intn(10);
    case 6:
    case 7:
    case 8: {
      const o: Record<string, unknown> = {};
      const n = [0, 1, 3, 15, 16, 17][rng.intn(6)]!;
      for (let i = 0; i < n; i++) {
        const key = rng.intn(6) === 0 ? String(rng.intn(50)) : rng.intn(40) === 0 ? '__proto__' : randomText(rng, ascii).slice(0, 1 + rng.intn(30)) || 'k';
        if (key === '__proto__') Object.defineProperty(o, key, { value: 1, enumerable: true, configurable: true, writable: true });
        else o[key] = randomValue(rng, depth + 1, ascii);
      }
      return o;
    }
    case 9: {
      const n = [0, 1, 15, 16, 17, 40][rng.intn(6)]!;
      return Array.from({ length: n }, (_, i) => (i > 5 && rng.intn(2) === 0 ? rng.int() : randomValue(rng, depth + 1, ascii)));
    }
    default:
      return rng.intn(4) === 0 ? new Map<unknown, unknown>([[rng.intn(5), 'a number key'], [true, 'a boolean key']]) : [{ index: 1, term: 2, command: rng.int() }, { index: 2, term: 2, command: rng.float() }];
  }
}

describe('codec: the plain-data reader', () => {
  for (const ascii of [true, false]) {
    it(`reads what msgpackr reads, or leaves it to msgpackr, for 4 000 random values (seeded), ${ascii ? 'ASCII text' : 'any text'}`, () => {
      const rng = makeRng(1, `plain-reader ${ascii}`);
      let read = 0;
      for (let i = 0; i < 4000; i++) {
        const bytes = pack(randomValue(rng, 0, ascii));
        if (agrees(bytes, `value ${i}`)) read++;
      }
      // Most plain values are read plain; the rest (undefined, bigints, non-ASCII text...) are msgpackr's.
      assert.ok(read > (ascii ? 2000 : 1000), `only ${read} of 4000 were read plain`);
    });
  }

  it('reads corrupted bytes only where msgpackr reads them alike (3 000 flips, cuts and additions, seeded)', () => {
    const rng = makeRng(1, 'plain-reader corrupt');
    let read = 0;
    for (let i = 0; i < 3000; i++) {
      const bytes = pack(randomValue(rng, 0, true));
      let bad: Uint8Array;
      switch (rng.intn(4)) {
        case 0:
          bad = bytes.slice();
          if (bad.length > 0) bad[rng.intn(bad.length)] = rng.intn(256);
          break;
        case 1:
          bad = bytes.slice(0, rng.intn(bytes.length + 1));
          break;
        case 2:
          bad = new Uint8Array([...bytes, rng.intn(256)]);
          break;
        default: {
          const at = rng.intn(bytes.length + 1);
          bad = new Uint8Array([...bytes.subarray(0, at), rng.intn(256), ...bytes.subarray(at)]);
        }
      }
      if (agrees(bad, `corruption ${i}`)) read++;
    }
    assert.ok(read > 300, `only ${read} corruptions were read plain: the test would not see a wrong reading`);
  });

  it('leaves to msgpackr what only it reads: "__proto__", non-string keys, extensions, 64-bit integers, float32, 0xC1', () => {
    const proto = new Uint8Array([0x81, 0xa9, ...Buffer.from('__proto__'), 0x01]);
    const numberKey = new Uint8Array([0x81, 0x07, 0xa1, 0x78]); // { 7: 'x' }
    const float32 = new Uint8Array([0xca, 0x3f, 0xc0, 0x00, 0x00]);
    for (const bytes of [proto, numberKey, float32, pack(undefined), pack(2n ** 64n - 1n), pack(new Date(0)), new Uint8Array([0xc1])]) {
      assert.equal(readPlain(bytes), undefined, [...bytes].join(' '));
    }
    const codec = new Codec({ onWarning: () => {} });
    assert.deepEqual(codec.decode(proto), packr.unpack(proto), 'the codec still decodes them, through msgpackr');
    assert.deepEqual(codec.decode(numberKey), { 7: 'x' });
    assert.throws(() => codec.decode(new Uint8Array([0xc1])), (e: unknown) => e instanceof CodecError && e.code === 'CODEC_CORRUPT');
  });

  it('leaves bytes that end early or run on to msgpackr, which the codec reports', () => {
    const codec = new Codec({ onWarning: () => {} });
    const bytes = pack({ term: 3, log: [1, 2, 3] });
    assert.equal(readPlain(bytes.subarray(0, bytes.length - 1)), undefined);
    assert.equal(readPlain(new Uint8Array([...bytes, 0])), undefined);
    assert.throws(() => codec.decode(bytes.subarray(0, bytes.length - 1)), /truncated/);
    assert.throws(() => codec.decode(new Uint8Array([...bytes, 0])), /trailing bytes/);
    assert.equal(readPlain(new Uint8Array(0)), undefined);
  });

  it('reads deep values up to its depth limit, and leaves deeper ones to msgpackr', () => {
    const nest = (depth: number): unknown => (depth === 0 ? 1 : [nest(depth - 1)]);
    assert.ok(agrees(pack(nest(400)), 'depth 400'));
    assert.equal(readPlain(pack(nest(600))), undefined);
  });

  it('keeps every key apart: thousands of distinct keys sharing cache slots, keys of every length', () => {
    const many = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i]));
    assert.ok(agrees(pack(many), 'many keys'));
    const lengths = Object.fromEntries(Array.from({ length: 40 }, (_, n) => ['abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN'.slice(0, n), n]));
    assert.ok(agrees(pack(lengths), 'keys of 0..39 bytes'));
    // Same length, same first four bytes and last byte: only the middle tells them apart.
    assert.ok(agrees(pack([{ abcdXz: 1 }, { abcdYz: 2 }, { abcdXz: 3 }]), 'keys alike at both ends'));
  });

  it('reads the longest headers: str32, bin32, array32, map32', () => {
    assert.ok(agrees(pack({ text: 'a'.repeat(70_000), bytes: new Uint8Array(70_000).fill(5) }), 'str32 and bin32'));
    assert.ok(agrees(pack(Array.from({ length: 70_000 }, (_, i) => (i % 3 === 0 ? i * 1.5 : i))), 'array32'));
    assert.ok(agrees(pack(Object.fromEntries(Array.from({ length: 70_000 }, (_, i) => [`k${i}`, -i]))), 'map32'));
  });

  it('gives each decode its own binary copies, not views of the message', () => {
    const bytes = pack({ data: new Uint8Array([1, 2, 3]) });
    const value = readPlain(bytes) as { data: Uint8Array };
    bytes.fill(0);
    assert.deepEqual([...value.data], [1, 2, 3]);
    assert.equal(value.data.buffer.byteLength, 3);
  });

  it('reads successive versions of a saved state exactly as a fresh read, however they change (2 000 versions, seeded)', () => {
    const rng = makeRng(1, 'plain-reader successive');
    const reader = new SuccessiveReader();
    const entry = (i: number): unknown => {
      switch (rng.intn(6)) {
        case 0: return { index: i, term: 1 + rng.intn(3), command: rng.int() };
        case 1: return { index: i, term: 1, command: `c${rng.intn(5)}`, tags: [rng.intn(3), { deep: rng.intn(2) }] };
        case 2: return rng.intn(2) === 0 ? [i, rng.intn(3), new Uint8Array([rng.intn(256), 7])] : [i, rng.intn(3)];
        case 3: return { Index: i, Term: 2, Command: rng.float() };
        case 4: return rng.intn(20) === 0 ? { index: i, term: 1, command: 'é' } : i; // 'é' is not plain: the whole read is msgpackr's
        default: return { index: i, term: 1 + rng.intn(3), command: rng.intn(100) };
      }
    };
    let log: unknown[] = Array.from({ length: 40 }, (_, i) => entry(i));
    let other: unknown[] = Array.from({ length: 35 }, () => ({ x: rng.intn(9) }));
    let plain = 0;
    for (let version = 0; version < 2000; version++) {
      switch (rng.intn(8)) {
        case 0: case 1: case 2: log.push(entry(log.length)); break;
        case 3: log = log.slice(0, Math.max(0, log.length - 1 - rng.intn(5))); break;
        case 4: if (log.length > 0) log[rng.intn(log.length)] = entry(rng.intn(100)); break;
        case 5: other = rng.intn(2) === 0 ? other.slice(1) : [...other, { x: rng.intn(9) }]; break;
        case 6: log = log.slice(rng.intn(3)); break; // a snapshot cuts the front: nothing lines up
        default: break; // saved again unchanged
      }
      const state = rng.intn(10) === 0 ? { log, currentTerm: version } : rng.intn(10) === 0 ? [log, other] : { currentTerm: version % 7, votedFor: rng.intn(3), log, other };
      const bytes = pack(state);
      const fresh = readPlain(bytes);
      const read = reader.read(bytes);
      assert.deepEqual(anatomy(read), anatomy(fresh), `version ${version}`);
      if (read !== undefined) plain++;
      // What was handed out is the caller's: changing it changes nothing the reader keeps.
      if (read && typeof read === 'object') {
        const handed = (Array.isArray(read) ? read[0] : (read as { log: unknown[] }).log) as Array<Record<string, unknown> | unknown[]>;
        for (const e of handed.slice(0, 3)) {
          if (Array.isArray(e)) e.length = 0;
          else if (e && typeof e === 'object') { e.term = 'changed'; delete e.index; if (Array.isArray(e.tags)) (e.tags as unknown[]).push('x'); }
        }
        handed.length = Math.max(0, handed.length - 2);
      }
    }
    assert.ok(plain > 1000, `only ${plain} versions were read plain`);
  });

  it('reads again only what changed: an append, an entry changed in the middle, a cut front, a version that is not plain', () => {
    const reader = new SuccessiveReader();
    const entries = Array.from({ length: 100 }, (_, i) => ({ index: i, term: 1 + (i >> 4), command: i * 7919 }));
    const read = (state: unknown, reused: number, what: string) => {
      const bytes = pack(state);
      assert.deepEqual(anatomy(reader.read(bytes)), anatomy(readPlain(bytes)), what);
      assert.equal(reader.reused, reused, what);
    };
    read({ currentTerm: 1, log: entries }, 0, 'the first version');
    read({ currentTerm: 1, log: [...entries, { index: 100, term: 7, command: 1 }] }, 100, 'an append reads one entry');
    read({ currentTerm: 200, log: [...entries, { index: 100, term: 7, command: 1 }] }, 101, 'a longer term before the log shifts it');
    const changed = entries.map((e, i) => (i === 60 ? { ...e, command: -1 } : e));
    read({ currentTerm: 200, log: changed }, 60, 'entries from the changed one on are read');
    const shorter = changed.map((e, i) => (i === 30 ? { index: 30, term: 2 } : e));
    read({ currentTerm: 200, log: shorter }, 30, 'the first differing byte an entry\'s first (its header)');
    for (const k of [1, 2, 3, 5, 8, 13, 21, 34, 55, 89]) {
      read({ currentTerm: 200, log: [...shorter.slice(0, k), 'x', ...shorter.slice(k + 1)] }, k, `entry ${k} replaced`);
      read({ currentTerm: 200, log: shorter }, k, `entry ${k} back`);
    }
    read({ currentTerm: 200, log: changed.slice(10) }, 0, 'a cut front lines nothing up');
    read({ currentTerm: 200, log: [...changed.slice(10), { index: 0, term: 1, command: 'é' }] }, 0, 'not plain: msgpackr reads it');
    read({ currentTerm: 200, log: changed.slice(10) }, 0, 'after a version read by msgpackr, nothing to reuse');
    read({ currentTerm: 200, log: changed.slice(10) }, 90, 'the same again: all of it');
    read({ currentTerm: 200, log: Array.from({ length: 90 }, (_, i) => i) }, 0, 'an array of numbers is read as it comes');
  });

  it('reads a version against the last one even when the caller changes the bytes it gave', () => {
    const reader = new SuccessiveReader();
    const entries = Array.from({ length: 50 }, (_, i) => ({ index: i, term: 1, command: i }));
    const bytes = pack({ log: entries });
    assert.ok(reader.read(bytes));
    bytes.fill(0x90, 10, 200); // the caller reuses its buffer
    const next = pack({ log: [...entries, { index: 50, term: 2, command: 50 }] });
    assert.deepEqual(anatomy(reader.read(next)), anatomy(readPlain(next)));
  });
});

