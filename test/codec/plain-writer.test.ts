// The codec's plain-data writer (codec.ts) checks and writes plain data in one pass instead of the walk and msgpackr.
// It must write exactly msgpackr's bytes — byte counts are part of every trace, and a run replays from its seed only
// if they stay the same — and hand everything else to the walk, which warns as before.
import assert from 'node:assert/strict';
import { Packr } from 'msgpackr/pack';
import { Codec, type CodecWarning } from '../../src/harness/codec/index.ts';
import { makeRng } from '../../src/harness/runtime/prng.ts';
import type { Rng } from '../../src/harness/runtime/types.ts';

/** msgpackr with the codec's options: what the walk's path writes. */
const packr = new Packr({ useRecords: false, moreTypes: false, useToJSON: false, variableMapSize: true, copyBuffers: true });
const msgpackrBytes = (value: unknown): Uint8Array => new Uint8Array(packr.pack(value));

function quietCodec(): { codec: Codec; seen: CodecWarning[] } {
  const seen: CodecWarning[] = [];
  return { codec: new Codec({ onWarning: (w) => seen.push(w) }), seen };
}

// Every size boundary of MessagePack's formats, on both sides.
const edgeNumbers = [
  0, 1, 0x1f, 0x20, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER, 2 ** 60,
  -1, -0x20, -0x21, -0x80, -0x81, -0x8000, -0x8001, -(2 ** 31), -(2 ** 31) - 1, -Number.MAX_SAFE_INTEGER,
  0.5, -1.25, 1e-300, Number.MIN_VALUE, Number.MAX_VALUE, 3.141592653589793,
];
// One character of each UTF-8 length: 1, 2, 3 bytes, and a surrogate pair (4).
const alphabet = ['a', 'Z', '0', ' ', '"', 'é', 'ß', '€', '中', '😀'];
const stringLengths = [0, 1, 31, 32, 63, 64, 100, 255, 256, 1000];

function randomString(rng: Rng, length: number): string {
  const oneKind = rng.intn(3) === 0 ? alphabet[rng.intn(alphabet.length)]! : undefined;
  let s = '';
  for (let i = 0; i < length; i++) s += oneKind ?? alphabet[rng.intn(alphabet.length)]!;
  return s;
}

function randomValue(rng: Rng, depth: number): unknown {
  const pick = rng.intn(depth >= 3 ? 5 : 9);
  switch (pick) {
    case 0:
      return edgeNumbers[rng.intn(edgeNumbers.length)]! + (rng.intn(4) === 0 ? rng.intn(3) - 1 : 0);
    case 1:
      return rng.intn(2) === 0 ? rng.intn(300) - 40 : rng.int();
    case 2:
      return randomString(rng, stringLengths[rng.intn(stringLengths.length)]! + rng.intn(2));
    case 3:
      return [true, false, null][rng.intn(3)];
    case 4:
      return rng.float() * 10 ** (rng.intn(40) - 20);
    case 5:
    case 6: {
      const n = [0, 1, 2, 3, 15, 16, 17][rng.intn(7)]!;
      const o: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) o[rng.intn(5) === 0 ? String(rng.intn(100)) : randomString(rng, 1 + rng.intn(12))] = randomValue(rng, depth + 1);
      return o;
    }
    case 7: {
      const n = [0, 1, 2, 15, 16, 17][rng.intn(6)]!;
      return Array.from({ length: n }, () => (rng.intn(2) === 0 ? rng.int() : randomValue(rng, depth + 1)));
    }
    default: {
      const bytes = new Uint8Array([0, 1, 255, 256, 300][rng.intn(5)]!);
      for (let i = 0; i < bytes.length; i++) bytes[i] = rng.intn(256);
      return bytes;
    }
  }
}

/** Change `log` as a Raft's log changes, by `op` (0–4): entries appended, a conflicting suffix cut, a prefix compacted. */
function changeAsALog(rng: Rng, log: unknown[], op: number, entry: (index: number) => unknown): void {
  if (op <= 2) {
    for (let k = rng.intn(4); k >= 0; k--) log.push(entry(log.length));
  } else if (op === 3) {
    log.length = Math.max(60, log.length - 1 - rng.intn(20));
  } else {
    log.splice(0, rng.intn(10));
    while (log.length < 64) log.push(entry(log.length));
  }
}

describe('codec: the plain-data writer', () => {
  it("writes msgpackr's bytes for 3 000 random plain values (seeded), with no warning, and they decode back", () => {
    const { codec, seen } = quietCodec();
    const rng = makeRng(1, 'plain-writer');
    for (let i = 0; i < 3000; i++) {
      const value = { v: randomValue(rng, 0) };
      const bytes = codec.encode(value, 'Args');
      assert.deepEqual(bytes, msgpackrBytes(value), `value ${i}: ${JSON.stringify(value).slice(0, 200)}`);
      assert.deepStrictEqual(codec.decode(bytes), value);
    }
    assert.deepEqual(seen, []);
  });

  it("writes msgpackr's bytes at the limits of each format: strings whose UTF-8 outgrows their header, large arrays, maps and bytes", () => {
    const { codec } = quietCodec();
    const values: unknown[] = [
      '€'.repeat(20), // 20 characters (a fixstr's size), 60 bytes: str8
      '€'.repeat(100), // 100 characters, 300 bytes: str16
      '€'.repeat(30_000), // 30 000 characters, 90 000 bytes: str32
      'a'.repeat(65_535),
      'a'.repeat(65_536),
      '😀'.repeat(40_000),
      Array.from({ length: 65_535 }, (_, i) => i),
      Array.from({ length: 65_536 }, (_, i) => -i * 1.5),
      Object.fromEntries(Array.from({ length: 70_000 }, (_, i) => [`k${i}`, i])),
      new Uint8Array(65_535).fill(7),
      new Uint8Array(65_536).fill(9),
      new Uint8Array(3 * 1024 * 1024).fill(1), // grows the buffer past what it keeps
      { small: 'after the buffer was given back' },
    ];
    for (const value of values) assert.deepEqual(codec.encode(value), msgpackrBytes(value));
  });

  it("writes msgpackr's bytes for arrays of objects built alike, and for every way an element can differ from the one before", () => {
    // The writer reuses the previous element's key bytes while the keys match; each case breaks that differently.
    const { codec, seen } = quietCodec();
    const entry = (i: number) => ({ index: i, term: 1 + (i >> 2), command: i * 7919 });
    const long = 'a key of more than sixteen bytes';
    const manyFields = (n: number, i: number) => Object.fromEntries(Array.from({ length: n }, (_, k) => [`f${k}`, i + k]));
    const values: unknown[] = [
      { log: Array.from({ length: 40 }, (_, i) => entry(i)) },
      { log: [entry(0), entry(1), { index: 2, term: 1, cmd: 'renamed' }, entry(3), { term: 1, index: 4, command: 0 }, entry(5)] },
      { log: [entry(0), entry(1), { index: 2 }, { index: 3, term: 1, command: 3, extra: true }, {}, entry(5)] },
      { log: [{ [long]: 1, b: 2 }, { [long]: 3, b: 4 }, { [long]: 5, c: 6 }] },
      { log: [{ é: 1, ß: '€' }, { é: 2, ß: '中' }, { é: 3, ß: '😀' }] },
      { log: [manyFields(15, 0), manyFields(16, 1), manyFields(17, 2), manyFields(16, 3), manyFields(15, 4)] },
      { log: [{ 2: 'b', 1: 'a', x: 0 }, { 2: 'd', 1: 'c', x: 1 }] },
      { rows: [[entry(0), entry(1)], [entry(2), { nested: [entry(3), entry(4)] }], entry(5)] },
    ];
    for (const value of values) {
      assert.deepEqual(codec.encode(value, 'Args'), msgpackrBytes(value), JSON.stringify(value).slice(0, 120));
      assert.deepStrictEqual(codec.decode(codec.encode(value)), value);
    }
    assert.deepEqual(seen, []);
  });

  it("writes msgpackr's bytes for long arrays of numbers saved again and again as they change (seeded), and warns as before", () => {
    // A long array encoded twice or more has its numbers' bytes kept, and copied while its elements still hold them:
    // each step below changes one of two such arrays as a Raft's log changes, or breaks it in a way the walk warns about.
    const { codec, seen } = quietCodec();
    const rng = makeRng(3, 'plain-writer-runs');
    const number = (): number => (rng.intn(3) === 0 ? edgeNumbers[rng.intn(edgeNumbers.length)]! : rng.intn(3) === 0 ? rng.int() : rng.intn(200) - 20);
    const columns: unknown[][] = [Array.from({ length: 70 }, () => 1), Array.from({ length: 70 }, number)];
    const warned = new Set<string>();
    for (let step = 0; step < 4000; step++) {
      const c = rng.intn(2);
      const column = columns[c]!;
      const at = rng.intn(column.length);
      const op = rng.intn(12);
      switch (op) {
        case 0:
        case 1:
        case 2:
        case 3:
        case 4:
          changeAsALog(rng, column, op, number);
          break;
        case 5:
        case 6:
          column[at] = number(); // changed in place
          break;
        case 7:
          column[at] = [-0, NaN, Infinity][rng.intn(3)]; // warned about, and put right after this save
          break;
        case 8:
          if (rng.intn(8) === 0) column[at] = rng.intn(2) === 0 ? String(column[at]) : { n: column[at] }; // no longer all numbers
          else columns[c] = column.slice(); // a new array of the same numbers
          break;
        default:
          break; // saved again unchanged
      }
      const state = { currentTerm: step, log: { terms: columns[0], commands: columns[1] } };
      seen.length = 0;
      assert.deepEqual(codec.encode(state, 'State'), msgpackrBytes(state), `step ${step}`);
      for (const w of seen) warned.add(w.kind);
      for (const col of columns) {
        for (let i = 0; i < col.length; i++) {
          const e = col[i];
          if (typeof e !== 'number' || !Number.isFinite(e) || Object.is(e, -0)) col[i] = number();
        }
      }
    }
    assert.deepEqual([...warned].sort(), ['negative-zero', 'non-finite']);
  });

  it("writes msgpackr's bytes for long arrays of entry objects saved again and again as they change (seeded), and warns as before", () => {
    // The same for arrays of objects: an element's fields are compared with the ones last written, field by field.
    const { codec, seen } = quietCodec();
    const rng = makeRng(4, 'plain-writer-object-runs');
    const primitive = (): unknown => {
      switch (rng.intn(6)) {
        case 0:
          return edgeNumbers[rng.intn(edgeNumbers.length)]!;
        case 1:
          return randomString(rng, stringLengths[rng.intn(stringLengths.length)]!);
        case 2:
          return [true, false, null][rng.intn(3)];
        default:
          return rng.intn(3) === 0 ? rng.int() : rng.intn(50);
      }
    };
    const entry = (index: number): Record<string, unknown> => ({ index, term: 1 + rng.intn(5), command: primitive() });
    const logs: unknown[][] = [Array.from({ length: 70 }, (_, i) => entry(i)), Array.from({ length: 70 }, (_, i) => ({ term: 1, command: i }))];
    const warned = new Set<string>();
    for (let step = 0; step < 4000; step++) {
      const c = rng.intn(2);
      const log = logs[c]!;
      const at = rng.intn(log.length);
      const element = log[at] as Record<string, unknown>;
      const op = rng.intn(16);
      switch (op) {
        case 0:
        case 1:
        case 2:
        case 3:
        case 4:
          changeAsALog(rng, log, op, entry);
          break;
        case 5:
          element.command = primitive(); // a field changed in place
          break;
        case 6:
          log[at] = { ...element }; // a new object of the same fields
          break;
        case 7:
          if (rng.intn(2) === 0) element.extra = primitive(); // a field more
          else delete element[Object.keys(element)[rng.intn(Object.keys(element).length)]!]; // a field less
          break;
        case 8:
          log[at] = Object.fromEntries(Object.entries(element).reverse()); // the same fields in another order
          break;
        case 9:
          element[Object.keys(element)[0] ?? 'term'] = [-0, NaN][rng.intn(2)]; // warned about, put right after this save
          break;
        case 10:
          if (rng.intn(3) === 0) log[at] = rng.intn(2) === 0 ? 7 : 'not an object'; // no longer all objects
          else element.command = rng.intn(2) === 0 ? { op: 'put', key: primitive() } : [1, 2]; // a field the run cannot hold
          break;
        case 11:
          if (rng.intn(4) === 0) log[at] = Object.fromEntries(Array.from({ length: 15 + rng.intn(3) }, (_, k) => [`f${k}`, k])); // 15 to 17 fields
          else logs[c] = log.slice(); // a new array of the same elements
          break;
        default:
          break; // saved again unchanged
      }
      const state = { currentTerm: step, log: logs[0], other: logs[1] };
      seen.length = 0;
      assert.deepEqual(codec.encode(state, 'State'), msgpackrBytes(state), `step ${step}`);
      for (const w of seen) warned.add(w.kind);
      for (const l of logs) {
        for (let i = 0; i < l.length; i++) {
          const e = l[i];
          if (typeof e !== 'object' || e === null) l[i] = entry(i);
          else for (const [k, v] of Object.entries(e)) if (typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0))) (e as Record<string, unknown>)[k] = 1;
        }
      }
    }
    assert.deepEqual([...warned].sort(), ['negative-zero', 'non-finite']);
  });

  it("writes msgpackr's bytes for long arrays of [term, command] arrays saved again and again as they change (seeded)", () => {
    // The same for entries kept as arrays (the corpus's poll), mixed with objects now and then.
    const { codec, seen } = quietCodec();
    const rng = makeRng(5, 'plain-writer-array-runs');
    const primitive = (): unknown => (rng.intn(4) === 0 ? randomString(rng, rng.intn(40)) : rng.intn(3) === 0 ? rng.int() : rng.intn(50));
    const entry = (): unknown[] => [1 + rng.intn(5), primitive()];
    let log: unknown[] = Array.from({ length: 70 }, entry);
    const warned = new Set<string>();
    for (let step = 0; step < 4000; step++) {
      const at = rng.intn(log.length);
      const element = log[at] as unknown[];
      const op = rng.intn(14);
      switch (op) {
        case 0:
        case 1:
        case 2:
        case 3:
        case 4:
          changeAsALog(rng, log, op, entry);
          break;
        case 5:
          element[rng.intn(2)] = primitive(); // a value changed in place
          break;
        case 6:
          if (rng.intn(2) === 0) element.push(primitive()); // a value more
          else element.pop(); // a value less
          break;
        case 7:
          element[rng.intn(element.length + 1)] = [-0, NaN][rng.intn(2)]; // warned about, put right after this save
          break;
        case 8:
          if (rng.intn(3) === 0) log[at] = { term: element[0], command: element[1] }; // an object in its place
          else if (rng.intn(2) === 0) element[1] = { op: 'put' }; // a value the run cannot hold
          else log[at] = Array.from({ length: 15 + rng.intn(3) }, (_, k) => k); // 15 to 17 values
          break;
        case 9:
          log[at] = [...element]; // a new array of the same values
          break;
        case 10:
          if (rng.intn(4) === 0) log = log.slice(); // a new log of the same entries
          break;
        default:
          break; // saved again unchanged
      }
      const state = { currentTerm: step, log };
      seen.length = 0;
      assert.deepEqual(codec.encode(state, 'State'), msgpackrBytes(state), `step ${step}`);
      for (const w of seen) warned.add(w.kind);
      for (let i = 0; i < log.length; i++) {
        const e = log[i];
        if (!Array.isArray(e) || e.length > 3 || e.some((v) => v === undefined || (v !== null && typeof v === 'object') || (typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0))))) log[i] = entry();
      }
    }
    assert.deepEqual([...warned].sort(), ['negative-zero', 'non-finite', 'undefined']);
  });

  it('compares a long array of objects field by field: a -0 for a 0, a field more, a nested value changed in place', () => {
    const { codec, seen } = quietCodec();
    const saveTwice = (value: unknown): void => {
      codec.encode(value);
      codec.encode(value);
    };
    const zeros = Array.from({ length: 100 }, () => ({ term: 0 }));
    saveTwice({ zeros });
    zeros[50]!.term = -0;
    assert.deepEqual(codec.encode({ zeros }, 'State'), msgpackrBytes({ zeros }));
    assert.deepEqual(seen.map((w) => `${w.kind} ${w.path}`), ['negative-zero State.zeros[].term']);
    const pairs = Array.from({ length: 100 }, () => [0, 0]);
    saveTwice({ pairs });
    pairs[50]![1] = -0;
    seen.length = 0;
    assert.deepEqual(codec.encode({ pairs }, 'State'), msgpackrBytes({ pairs }));
    assert.deepEqual(seen.map((w) => `${w.kind} ${w.path}`), ['negative-zero State.pairs[][]']);
    // A first element with a symbol key, where numbers were, is still looked at for symbols.
    const column: unknown[] = Array.from({ length: 100 }, (_, i) => i);
    saveTwice({ column });
    column[0] = { a: 1, [Symbol('tag')]: 2 };
    seen.length = 0;
    assert.deepEqual(codec.encode({ column }, 'State'), msgpackrBytes({ column }));
    assert.deepEqual(seen.map((w) => `${w.kind} ${w.path}`), ['symbol State.column[][Symbol(tag)]']);
    // An object that reads like the array it replaced ({ 0, 1, length }) is an object all the same.
    const tuples: unknown[] = Array.from({ length: 100 }, (_, i) => [1, i]);
    saveTwice({ tuples });
    tuples[30] = { 0: 1, 1: 30, length: 2 };
    assert.deepEqual(codec.encode({ tuples }), msgpackrBytes({ tuples }));
    const nested = Array.from({ length: 100 }, (_, i): [number, { op: string; key: number }] => [1, { op: 'put', key: i }]);
    saveTwice({ nested });
    nested[40]![1].key = -1;
    assert.deepEqual(codec.encode({ nested }), msgpackrBytes({ nested }));
    // The field added to element 10 has the key and value of element 11's first field, where the last save's ended.
    const log: Array<Record<string, unknown>> = Array.from({ length: 100 }, (_, i) => (i === 10 ? { command: 1 } : { term: 2, command: i }));
    saveTwice({ log });
    log[10]!.term = 2;
    assert.deepEqual(codec.encode({ log }), msgpackrBytes({ log }));
    const puts = Array.from({ length: 100 }, (_, i) => ({ term: 1, command: { op: 'put', key: i } }));
    saveTwice({ puts });
    puts[70]!.command.key = -1;
    assert.deepEqual(codec.encode({ puts }), msgpackrBytes({ puts }));
    // Another object in an element's place is asked for its prototype; the one written before is not asked again.
    class Entry {
      constructor(readonly term: number) {}
    }
    const entries: object[] = Array.from({ length: 100 }, () => ({ term: 1 }));
    saveTwice({ entries });
    entries[20] = new Entry(1);
    Object.setPrototypeOf(entries[30], null);
    seen.length = 0;
    assert.deepEqual(codec.encode({ entries }, 'State'), msgpackrBytes({ entries }));
    assert.deepEqual(seen.map((w) => `${w.kind} ${w.path}`), ['class-instance State.entries[]']);
  });

  it('reads each field of a long array of objects once per encode, and looks for symbol keys on its first object', () => {
    const { codec, seen } = quietCodec();
    const log: Array<Record<string, unknown>> = Array.from({ length: 100 }, (_, i) => ({ index: i, term: 1, command: i * 3 }));
    let reads = 0;
    // A different number at every read: the field the comparison stops at is the one it read, not read again.
    Object.defineProperty(log[80], 'term', { get: () => 1000 + ++reads, enumerable: true, configurable: true });
    for (let n = 1; n <= 4; n++) {
      const expected = log.map((e, i) => (i === 80 ? { index: 80, term: 1000 + n, command: 240 } : e));
      assert.deepEqual(codec.encode({ log }), msgpackrBytes({ log: expected }));
      assert.equal(reads, n);
    }
    const pairs: unknown[][] = Array.from({ length: 100 }, (_, i) => [1, i]);
    let pairReads = 0;
    Object.defineProperty(pairs[60], 1, { get: () => 1000 + ++pairReads, enumerable: true, configurable: true });
    for (let n = 1; n <= 3; n++) {
      assert.deepEqual(codec.encode({ pairs }), msgpackrBytes({ pairs: pairs.map((p, i) => (i === 60 ? [1, 1000 + n] : p)) }));
      assert.equal(pairReads, n);
    }
    const tagged = Symbol('tag');
    (log[0] as Record<symbol, unknown>)[tagged] = 1;
    codec.encode({ log }, 'State');
    assert.deepEqual(seen.map((w) => `${w.kind} ${w.path}`), ['symbol State.log[][Symbol(tag)]']);
  });

  it('reads each element of a long array once per encode, however often the array is saved', () => {
    const { codec } = quietCodec();
    const log: number[] = Array.from({ length: 100 }, (_, i) => i);
    let reads = 0;
    // A different number at every read: the element the comparison stops at is the one it read, not read again.
    Object.defineProperty(log, 80, { get: () => 1000 + ++reads, enumerable: true, configurable: true });
    for (let n = 1; n <= 4; n++) {
      const expected = Array.from({ length: 100 }, (_, i) => (i === 80 ? 1000 + n : i));
      assert.deepEqual(codec.encode({ log }), msgpackrBytes({ log: expected }));
      assert.equal(reads, n);
    }
  });

  it('warns about a -0 that took the place of a 0 in a long array saved before', () => {
    const { codec, seen } = quietCodec();
    const log: number[] = new Array<number>(100).fill(0);
    codec.encode({ log });
    codec.encode({ log });
    log[50] = -0;
    assert.deepEqual(codec.encode({ log }, 'State'), msgpackrBytes({ log }));
    assert.deepEqual(seen.map((w) => `${w.kind} ${w.path}`), ['negative-zero State.log[]']);
  });

  it('an enumerable key on Object.prototype leaves the value to msgpackr, which writes own keys only', () => {
    const { codec } = quietCodec();
    const value = { log: [{ a: 1 }, { a: 2 }] };
    const before = codec.encode(value);
    Object.defineProperty(Object.prototype, 'polluted', { value: 1, enumerable: true, configurable: true });
    try {
      assert.deepEqual(codec.encode(value), before);
    } finally {
      delete (Object.prototype as { polluted?: unknown }).polluted;
    }
    assert.deepEqual(codec.encode(value), before);
  });

  it('leaves to the walk everything it would warn about, so the warnings are as before', () => {
    const { codec, seen } = quietCodec();
    const cases: Array<[unknown, string]> = [
      [{ x: -0 }, 'negative-zero Args.x'],
      [{ xs: [1, NaN] }, 'non-finite Args.xs[]'],
      [{ x: undefined }, 'undefined Args.x'],
      [{ s: 'a\ud800' }, 'lone-surrogate Args.s'],
      [{ t: `${'a'.repeat(100)}\udc00` }, 'lone-surrogate Args.t'],
      [{ m: new Map([[1, 2]]) }, 'map Args.m'],
      [{ d: new Date(0), b: new Uint16Array(2) }, 'typed-array Args.b'],
      [{ f: () => 0 }, 'function Args.f'],
      [JSON.parse('{"__proto__": 1}'), 'proto-key Args.__proto__'],
      [{ e: [{ a: 1, [Symbol('tag')]: 2 }, { a: 2 }] }, 'symbol Args.e[][Symbol(tag)]'],
    ];
    for (const [value, warning] of cases) {
      seen.length = 0;
      const bytes = codec.encode(value, 'Args');
      assert.deepEqual(seen.map((w) => `${w.kind} ${w.path}`), [warning]);
      assert.deepEqual(bytes, msgpackrBytes(value), warning);
    }
  });

  it("looks for symbol keys on an array's first object element only: the others are taken to be built alike", () => {
    const { codec, seen } = quietCodec();
    const value = { e: [{ a: 1 }, { a: 2, [Symbol('tag')]: 3 }] };
    assert.deepEqual(codec.encode(value, 'Args'), msgpackrBytes(value), 'the symbol is dropped, as msgpackr drops it');
    assert.deepEqual(seen, []);
  });

  it('a getter that encodes, or throws, while a value is written is handled as before', () => {
    const { codec } = quietCodec();
    const inner = { n: 1 };
    const value = {
      get nested() {
        return codec.decode(codec.encode(inner));
      },
    };
    assert.deepEqual(codec.encode(value), msgpackrBytes({ nested: inner }));
    const throwing = {
      get bad(): number {
        throw new Error('no');
      },
    };
    assert.throws(() => codec.encode(throwing, 'Args'), (error: Error & { code?: string }) => error.code === 'CODEC_UNENCODABLE' && /Args cannot be encoded: .*no/.test(error.message));
  });

  it('returns bytes of their own: a tight Uint8Array that a later encode leaves unchanged', () => {
    const { codec } = quietCodec();
    const first = codec.encode({ a: 'first' });
    const copy = first.slice();
    codec.encode({ b: 'second, longer, written over the same buffer' });
    assert.equal(Object.getPrototypeOf(first), Uint8Array.prototype);
    assert.equal(first.byteOffset, 0);
    assert.equal(first.buffer.byteLength, first.byteLength);
    assert.deepEqual(first, copy);
  });
});
