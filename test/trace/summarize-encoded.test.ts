// The recorder summarizes RPC payloads straight from their bytes (src/trace/summarize-encoded.ts). Its answer must be
// the full path's — summarize(codec.decode(bytes)) — to the key order, or none at all: a trace records it, and a run's
// trace is the same from the same seed only if it is.
import assert from 'node:assert/strict';
import { inspect, isDeepStrictEqual } from 'node:util';
import { Packr } from 'msgpackr/pack';
import { Codec } from '../../src/harness/codec/index.ts';
import { makeRng } from '../../src/harness/runtime/prng.ts';
import type { Rng } from '../../src/harness/runtime/types.ts';
import { defaultSummarizeLimits, summarize, wholeValueLimits, type SummarizeLimits } from '../../src/trace/events.ts';
import { summarizeEncoded } from '../../src/trace/summarize-encoded.ts';

const codec = new Codec({ onWarning: () => {} });
/** msgpackr with the codec's options and no plain-data writer: the bytes the codec writes for what it warns about. */
const packr = new Packr({ useRecords: false, moreTypes: false, useToJSON: false, variableMapSize: true, copyBuffers: true });

/** The full path, as the recorder takes it. */
function fullPath(bytes: Uint8Array, limits: SummarizeLimits): unknown {
  let decoded: unknown;
  try {
    decoded = codec.decode(bytes);
  } catch {
    return { $undecodable: bytes.length };
  }
  return summarize(decoded, limits);
}

/** Same value, same key order (deepStrictEqual does not see the order of keys; JSON.stringify does not see -0). */
function assertSame(fast: unknown, full: unknown, what: string): void {
  assert.deepStrictEqual(fast, full, what);
  assert.equal(JSON.stringify(fast), JSON.stringify(full), what);
}

const asciiAlphabet = ['a', 'Z', '_', ' ', '"', '\\', '~', '\n'];
const otherAlphabet = ['é', '€', '😀', '0', '7'];

function randomText(rng: Rng, ascii: boolean): string {
  const length = [0, 1, 5, 31, 32, 95, 96, 97, 200, 300][rng.intn(10)]!;
  let s = '';
  for (let i = 0; i < length; i++) {
    const pool = ascii || rng.intn(8) !== 0 ? asciiAlphabet : otherAlphabet;
    s += pool[rng.intn(pool.length)]!;
  }
  return s;
}

function randomKey(rng: Rng, ascii: boolean): string {
  switch (rng.intn(ascii ? 12 : 8)) {
    case 0:
      return ascii ? 'term' : String(rng.intn(20)); // a digit first: objects list these keys first
    case 1:
      return 'Term';
    case 2:
      return ascii ? 'entries' : '7x';
    default:
      return randomText(rng, ascii).slice(0, 1 + rng.intn(12)) || 'k';
  }
}

function randomValue(rng: Rng, depth: number, ascii: boolean): unknown {
  switch (rng.intn(depth >= 6 ? 6 : 10)) {
    case 0:
      return [0, 1, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, -1, -32, -33, -128, -129, -32768, -32769, -(2 ** 31), -(2 ** 31) - 1, 2 ** 53][rng.intn(20)];
    case 1:
      return rng.intn(2) === 0 ? rng.intn(1000) - 100 : rng.int();
    case 2:
      return (rng.float() - 0.5) * 10 ** (rng.intn(30) - 10);
    case 3:
      return randomText(rng, ascii);
    case 4:
      return [true, false, null][rng.intn(3)];
    case 5: {
      const bytes = new Uint8Array([0, 1, 300][rng.intn(3)]!);
      for (let i = 0; i < bytes.length; i++) bytes[i] = rng.intn(256);
      return bytes;
    }
    case 6:
    case 7: {
      const o: Record<string, unknown> = {};
      const n = depth < 2 ? [0, 1, 3, 15, 16, 17][rng.intn(6)]! : rng.intn(4);
      for (let i = 0; i < n; i++) o[randomKey(rng, ascii)] = randomValue(rng, depth + 1, ascii);
      return o;
    }
    default: {
      // Long arrays only near the top, with plain numbers past their first items (as a log's entries are).
      const n = [0, 1, 3, 7, 8, 9, 20, depth < 2 ? 300 : 10][rng.intn(8)]!;
      return Array.from({ length: n }, (_, i) => (i > 12 || rng.intn(3) === 0 ? rng.int() : randomValue(rng, depth + 1, ascii)));
    }
  }
}

/** A log of entries as an AppendEntries carries it. */
function appendEntries(rng: Rng, entries: number): unknown {
  return {
    term: 3, leaderId: 1, prevLogIndex: 10, prevLogTerm: 2, leaderCommit: 9,
    entries: Array.from({ length: entries }, (_, i) => ({ index: 11 + i, term: 3, command: rng.intn(2) === 0 ? rng.int() : `cmd-${i}` })),
  };
}

describe('trace: summarizing a payload from its bytes', () => {
  for (const [name, limits] of [['the default limits', defaultSummarizeLimits], ['whole values (export --full)', wholeValueLimits]] as const) {
    it(`answers as the full path does, or not at all, for 4 000 random values (seeded), with ${name}`, () => {
      const rng = makeRng(7, `summarize-encoded ${name}`);
      let answered = 0;
      let asciiCases = 0;
      let asciiAnswered = 0;
      for (let i = 0; i < 4000; i++) {
        const ascii = rng.intn(2) === 0;
        const value = randomValue(rng, 0, ascii);
        const bytes = codec.encode(value);
        const fast = summarizeEncoded(bytes, limits);
        if (ascii) asciiCases++;
        if (fast === undefined) continue;
        answered++;
        if (ascii) asciiAnswered++;
        const full = fullPath(bytes, limits);
        if (!isDeepStrictEqual(fast.value, full) || JSON.stringify(fast.value) !== JSON.stringify(full)) {
          assertSame(fast.value, full, `value ${i}: ${inspect(value, { depth: 3 }).slice(0, 300)}`);
        }
      }
      // Plain ASCII data is what it is for: it must answer for it nearly always (a reader that always gave up would pass the check above).
      assert.ok(asciiAnswered > 0.9 * asciiCases, `answered ${asciiAnswered} of ${asciiCases} plain ASCII values`);
      assert.ok(answered < 4000, 'some values (non-ASCII text, digit-first keys) are left to the full path');
    });
  }

  it('answers for the RPCs a Raft sends: an AppendEntries of 1 000 entries is its first 3 and a count', () => {
    const rng = makeRng(1, 'summarize-encoded rpcs');
    for (const entries of [0, 1, 8, 9, 1000]) {
      const bytes = codec.encode(appendEntries(rng, entries));
      const fast = summarizeEncoded(bytes, defaultSummarizeLimits);
      assert.ok(fast, `${entries} entries`);
      assertSame(fast.value, fullPath(bytes, defaultSummarizeLimits), `${entries} entries`);
    }
    const fast = summarizeEncoded(codec.encode(appendEntries(rng, 1000)), defaultSummarizeLimits)!.value as { entries: { $len: number; head: unknown[] } };
    assert.equal(fast.entries.$len, 1000);
    assert.deepEqual(fast.entries.head.map((e) => (e as { index: number }).index), [11, 12, 13]);
    assert.deepEqual(summarizeEncoded(codec.encode({ term: 4, voteGranted: true }), defaultSummarizeLimits), { value: { term: 4, voteGranted: true } });
  });

  it('leaves to the full path what it does not read, wherever it is, even in the part a summary drops', () => {
    const cases: Array<[string, unknown]> = [
      ['a digit-first key', { b: 1, '1': 2 }],
      ['__proto__', undefined],
      ['non-ASCII text', { s: 'é' }],
      ['non-ASCII text past the kept head of a long array', { entries: [1, 2, 3, 4, 5, 6, 7, 8, 9, 'é'] }],
      ['a non-finite number', { x: Number.NaN }],
      ['a 64-bit integer', { x: 2n ** 60n }],
      ['an extension (a Date)', { when: new Date(0) }],
      ['undefined', { x: undefined }],
    ];
    for (const [what, value] of cases) {
      if (value === undefined) continue;
      const bytes = new Uint8Array(packr.pack(value));
      assert.equal(summarizeEncoded(bytes, defaultSummarizeLimits), undefined, what);
    }
    // A key "__proto__", written by hand.
    const proto = [...new TextEncoder().encode('__proto__')];
    assert.equal(summarizeEncoded(new Uint8Array([0x81, 0xa0 | proto.length, ...proto, 0x01]), defaultSummarizeLimits), undefined, '__proto__');
    // 0xC1 (never used) and a 32-bit float, alone and inside a dropped tail.
    assert.equal(summarizeEncoded(new Uint8Array([0xc1]), defaultSummarizeLimits), undefined);
    assert.equal(summarizeEncoded(new Uint8Array([0x9a, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0xca, 0, 0, 0, 0]), defaultSummarizeLimits), undefined);
  });

  it('reads a repeated key as the full path does: its first place, its last value', () => {
    const bytes = new Uint8Array([0x83, 0xa1, 0x61, 0x01, 0xa1, 0x62, 0x02, 0xa1, 0x61, 0x03]);
    const fast = summarizeEncoded(bytes, defaultSummarizeLimits);
    assert.ok(fast);
    assertSame(fast.value, fullPath(bytes, defaultSummarizeLimits), 'a repeated key');
    assertSame(fast.value, { a: 3, b: 2 }, 'a repeated key');
  });

  it('gives no answer for truncated bytes or bytes past the value, and none that the full path would not give (seeded corruption)', () => {
    const rng = makeRng(3, 'summarize-encoded corruption');
    const bytes = codec.encode(appendEntries(rng, 12));
    for (let cut = 0; cut < bytes.length; cut++) assert.equal(summarizeEncoded(bytes.subarray(0, cut), defaultSummarizeLimits), undefined, `cut at ${cut}`);
    assert.equal(summarizeEncoded(new Uint8Array([...bytes, 0]), defaultSummarizeLimits), undefined, 'a trailing byte');
    for (let i = 0; i < 3000; i++) {
      const corrupt = bytes.slice();
      for (let k = 1 + rng.intn(3); k > 0; k--) corrupt[rng.intn(corrupt.length)] = rng.intn(256);
      const fast = summarizeEncoded(corrupt, defaultSummarizeLimits);
      if (fast) assertSame(fast.value, fullPath(corrupt, defaultSummarizeLimits), `corruption ${i}`);
    }
  });
});
