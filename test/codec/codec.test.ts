// Ports labgob's own tests in spirit (spec §1.4): TestGOB (clean round trips leave the warning count alone),
// TestCapital (a value the wire cannot carry raises the count by exactly one), plus what a TypeScript port
// needs on top: the exact shape each flagged kind arrives in, errors for unencodable and corrupt data,
// isolation between sender and receiver, and real byte counts.
import assert from 'node:assert/strict';
import { Codec, CodecError, MAX_DEPTH, clone } from '../../src/harness/codec/index.ts';
import type { CodecWarning, CodecWarningKind } from '../../src/harness/codec/index.ts';

/** A codec that records warnings instead of printing them. */
function quietCodec(): { codec: Codec; seen: CodecWarning[] } {
  const seen: CodecWarning[] = [];
  return { codec: new Codec({ onWarning: (w) => seen.push(w) }), seen };
}

function assertUnencodable(fn: () => unknown, path: string, messagePart: RegExp): CodecError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof CodecError, `expected a CodecError, got ${String(caught)}`);
  assert.equal(caught.code, 'CODEC_UNENCODABLE');
  assert.equal(caught.path, path);
  assert.match(caught.message, messagePart);
  return caught;
}

function assertCorrupt(codec: Codec, bytes: Uint8Array, messagePart?: RegExp): void {
  let caught: unknown;
  try {
    codec.decode(bytes);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof CodecError, `expected a CodecError for ${bytes.length} bytes, got ${String(caught)}`);
  assert.equal(caught.code, 'CODEC_CORRUPT');
  assert.equal(caught.path, undefined);
  assert.match(caught.message, new RegExp(`\\b${bytes.byteLength} bytes\\b`));
  if (messagePart) assert.match(caught.message, messagePart);
}

describe('codec', () => {
  describe('clean values round-trip without warnings (TestGOB)', () => {
    it('round-trips integers exactly, up to ±(2^53-1)', () => {
      const { codec } = quietCodec();
      const ints = [0, 1, -1, 31, 127, 128, -32, -33, 255, 256, 65535, 65536, 2 ** 31 - 1, -(2 ** 31), 2 ** 32, -(2 ** 32) - 1];
      ints.push(2 ** 53 - 1, -(2 ** 53 - 1), Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER);
      for (const n of ints) {
        const back = clone(codec, n);
        assert.equal(typeof back, 'number', `${n} came back as ${typeof back}`);
        assert.ok(Object.is(back, n), `${n} came back as ${back}`);
      }
      assert.deepEqual(clone(codec, { ints }), { ints });
      assert.equal(codec.warningCount, 0);
    });

    it('round-trips floats bit-exactly', () => {
      const { codec } = quietCodec();
      for (const x of [0.1, 0.1 + 0.2, 1.5, -2.75, 1 / 3, 1e300, -1e-300, 5e-324, Number.MAX_VALUE, Number.EPSILON, 2 ** 53 + 2]) {
        assert.ok(Object.is(clone(codec, x), x), `${x}`);
      }
      assert.equal(codec.warningCount, 0);
    });

    it('round-trips strings, booleans and null', () => {
      const { codec } = quietCodec();
      for (const v of ['', 'x', 'hello world', 'héllo ☃ 😀 中文', 'a'.repeat(70_000), true, false, null]) {
        assert.equal(clone(codec, v), v);
      }
      assert.equal(codec.warningCount, 0);
    });

    it('round-trips nested objects and arrays (an AppendEntries and a persisted state)', () => {
      const { codec } = quietCodec();
      const args = {
        term: 12,
        leaderId: 3,
        prevLogIndex: 40,
        prevLogTerm: 11,
        entries: [
          { term: 11, command: 101 },
          { term: 12, command: 'put x 1' },
          { term: 12, command: { op: 'Append', key: 'k', value: 'v', clientId: 2 ** 40, seq: 7 } },
          { term: 12, command: null },
        ],
        leaderCommit: 39,
      };
      const back = clone(codec, args, 'AppendEntriesArgs');
      assert.deepStrictEqual(back, args);
      assert.equal(Object.getPrototypeOf(back), Object.prototype);
      assert.ok(Array.isArray(back.entries), 'entries is an array');
      const state = { currentTerm: 5, votedFor: -1, log: [[], [1, [2, [3, []]]]], lastIncluded: { index: 0, term: 0 } };
      assert.deepStrictEqual(clone(codec, state, 'RaftState'), state);
      assert.deepStrictEqual(clone(codec, {}), {});
      assert.deepStrictEqual(clone(codec, []), []);
      assert.equal(codec.warningCount, 0);
    });

    it('carries Uint8Array as a plain Uint8Array with its own memory (not a Buffer)', () => {
      const { codec } = quietCodec();
      const backing = new Uint8Array([9, 9, 1, 2, 3, 250, 9]);
      const snapshot = backing.subarray(2, 6); // a view with an offset: only its own bytes travel
      const back = clone(codec, { snapshot, empty: new Uint8Array(0) });
      assert.equal(back.snapshot.constructor, Uint8Array);
      assert.equal(back.empty.constructor, Uint8Array);
      assert.deepStrictEqual([...back.snapshot], [1, 2, 3, 250]);
      assert.equal(back.snapshot.byteOffset, 0);
      assert.equal(back.snapshot.buffer.byteLength, 4);
      assert.equal(back.empty.length, 0);
      const top = clone(codec, snapshot);
      assert.equal(top.constructor, Uint8Array);
      assert.deepStrictEqual([...top], [1, 2, 3, 250]);
      assert.equal(codec.warningCount, 0);
    });

    it('carries Date as a Date, millisecond-exact, without a warning', () => {
      const { codec } = quietCodec();
      for (const ms of [0, 1_600_000_000_123, -1, 8.64e15, Number.NaN]) {
        const back = clone(codec, { at: new Date(ms) });
        assert.ok(back.at instanceof Date, `${ms}: not a Date`);
        assert.ok(Object.is(back.at.getTime(), new Date(ms).getTime()), `${ms}`);
      }
      assert.equal(codec.warningCount, 0);
    });

    it('carries a bare top-level undefined silently (there is no field to omit)', () => {
      const { codec } = quietCodec();
      assert.equal(clone(codec, undefined), undefined);
      assert.equal(codec.warningCount, 0);
    });

    it('returns encoded bytes as a plain, tight Uint8Array', () => {
      const codec = new Codec();
      const bytes = codec.encode({ term: 1 });
      assert.equal(bytes.constructor, Uint8Array);
      assert.equal(bytes.byteOffset, 0);
      assert.equal(bytes.buffer.byteLength, bytes.byteLength);
    });

    it('decodes from a Buffer and from a view with an offset', () => {
      const codec = new Codec();
      const bytes = codec.encode({ term: 3, blob: new Uint8Array([1, 2]) });
      const padded = new Uint8Array(bytes.length + 10);
      padded.set(bytes, 5);
      for (const input of [Buffer.from(bytes), padded.subarray(5, 5 + bytes.length)]) {
        const back = codec.decode<{ term: number; blob: Uint8Array }>(input);
        assert.equal(back.term, 3);
        assert.equal(back.blob.constructor, Uint8Array);
        assert.deepStrictEqual([...back.blob], [1, 2]);
      }
      assert.equal(Object.hasOwn(padded, 'dataView'), false, 'decode must not decorate the caller’s array');
    });
  });

  describe('flagged kinds: one warning per shape, exact arrival (TestCapital)', () => {
    interface Case {
      name: string;
      kind: CodecWarningKind;
      path: string;
      make: () => unknown;
      arrives: (back: unknown) => void;
    }
    class Point {
      x = 1;
      y = 2;
      get sum(): number {
        return this.x + this.y;
      }
    }
    class Log extends Array<number> {}
    class Stamp extends Date {}
    class Registry extends Map<string, number> {
      owner = 'me';
    }
    const get = (back: unknown, key: string): unknown => (back as Record<string, unknown>)[key];

    const cases: Case[] = [
      {
        name: 'a class instance becomes a plain object of its own fields',
        kind: 'class-instance',
        path: 'Args.p',
        make: () => ({ p: new Point() }),
        arrives: (back) => {
          const p = get(back, 'p');
          assert.deepStrictEqual(p, { x: 1, y: 2 });
          assert.equal(Object.getPrototypeOf(p), Object.prototype);
          assert.equal((p as { sum?: number }).sum, undefined);
        },
      },
      {
        name: 'an Error becomes [name, message, cause]',
        kind: 'class-instance',
        path: 'Args.err',
        make: () => ({ err: new TypeError('boom') }),
        arrives: (back) => assert.deepStrictEqual(get(back, 'err'), ['TypeError', 'boom', undefined]),
      },
      {
        name: 'a RegExp becomes [source, flags]',
        kind: 'class-instance',
        path: 'Args.re',
        make: () => ({ re: /a+b/gi }),
        arrives: (back) => assert.deepStrictEqual(get(back, 're'), ['a+b', 'gi']),
      },
      {
        name: 'a null-prototype object becomes a plain object',
        kind: 'class-instance',
        path: 'Args.dict',
        make: () => ({ dict: Object.assign(Object.create(null) as object, { a: 1 }) }),
        arrives: (back) => {
          assert.deepStrictEqual({ ...(get(back, 'dict') as object) }, { a: 1 });
          assert.equal(Object.getPrototypeOf(get(back, 'dict')), Object.prototype);
        },
      },
      {
        name: 'an Array subclass becomes a plain Array',
        kind: 'class-instance',
        path: 'Args.log',
        make: () => ({ log: Log.from([1, 2]) }),
        arrives: (back) => {
          assert.deepStrictEqual(get(back, 'log'), [1, 2]);
          assert.equal(Object.getPrototypeOf(get(back, 'log')), Array.prototype);
        },
      },
      {
        name: 'a Date subclass becomes a plain Date',
        kind: 'class-instance',
        path: 'Args.at',
        make: () => ({ at: new Stamp(1234) }),
        arrives: (back) => {
          const at = get(back, 'at') as Date;
          assert.equal(Object.getPrototypeOf(at), Date.prototype);
          assert.equal(at.getTime(), 1234);
        },
      },
      {
        name: 'a Map subclass keeps only its own fields: the entries are lost',
        kind: 'class-instance',
        path: 'Args.reg',
        make: () => ({ reg: new Registry([['a', 1]]) }),
        arrives: (back) => assert.deepStrictEqual(get(back, 'reg'), { owner: 'me' }),
      },
      {
        name: 'a Map becomes a plain object with string keys',
        kind: 'map',
        path: 'Args.m',
        make: () => ({ m: new Map<unknown, unknown>([[1, 'one'], ['b', { deep: 2 }], [null, true]]) }),
        arrives: (back) => assert.deepStrictEqual(get(back, 'm'), { '1': 'one', b: { deep: 2 }, null: true }),
      },
      {
        name: 'a Set becomes an array',
        kind: 'set',
        path: 'Args.peers',
        make: () => ({ peers: new Set([3, 1, 2]) }),
        arrives: (back) => assert.deepStrictEqual(get(back, 'peers'), [3, 1, 2]),
      },
      {
        name: 'a function field arrives as undefined, key kept',
        kind: 'function',
        path: 'Args.cb',
        make: () => ({ cb: () => 1, n: 1 }),
        arrives: (back) => {
          assert.ok(Object.hasOwn(back as object, 'cb'));
          assert.equal(get(back, 'cb'), undefined);
          assert.equal(get(back, 'n'), 1);
        },
      },
      {
        name: 'an undefined field arrives as undefined, key kept',
        kind: 'undefined',
        path: 'Args.votedFor',
        make: () => ({ term: 1, votedFor: undefined }),
        arrives: (back) => {
          assert.ok(Object.hasOwn(back as object, 'votedFor'));
          assert.equal(get(back, 'votedFor'), undefined);
        },
      },
      {
        name: 'an undefined array element arrives as undefined',
        kind: 'undefined',
        path: 'Args.xs[]',
        make: () => ({ xs: [1, undefined, 3] }),
        arrives: (back) => {
          const xs = get(back, 'xs') as unknown[];
          assert.equal(xs.length, 3);
          assert.ok(1 in xs, 'index 1 is an element');
          assert.equal(xs[1], undefined);
        },
      },
      {
        name: 'a symbol-keyed property is dropped',
        kind: 'symbol',
        path: 'Args.meta[Symbol(tag)]',
        make: () => ({ meta: { a: 1, [Symbol('tag')]: 'hidden' } }),
        arrives: (back) => {
          const meta = get(back, 'meta') as object;
          assert.deepStrictEqual(meta, { a: 1 });
          assert.equal(Object.getOwnPropertySymbols(meta).length, 0);
        },
      },
      {
        name: 'a bigint arrives as a bigint (64-bit range)',
        kind: 'bigint',
        path: 'Args.big',
        make: () => ({ big: 5n }),
        arrives: (back) => {
          assert.equal(typeof get(back, 'big'), 'bigint');
          assert.equal(get(back, 'big'), 5n);
        },
      },
      {
        name: 'NaN arrives as NaN',
        kind: 'non-finite',
        path: 'Args.x',
        make: () => ({ x: Number.NaN }),
        arrives: (back) => assert.ok(Number.isNaN(get(back, 'x'))),
      },
      {
        name: 'Infinity and -Infinity arrive unchanged',
        kind: 'non-finite',
        path: 'Args.xs[]',
        make: () => ({ xs: [Infinity, -Infinity] }),
        arrives: (back) => assert.deepStrictEqual(get(back, 'xs'), [Infinity, -Infinity]),
      },
      {
        name: '-0 arrives as 0',
        kind: 'negative-zero',
        path: 'Args.z',
        make: () => ({ z: -0 }),
        arrives: (back) => assert.ok(Object.is(get(back, 'z'), 0)),
      },
      {
        name: 'a sparse array comes back dense, holes as undefined',
        kind: 'sparse-array',
        path: 'Args.xs',
        // eslint-disable-next-line no-sparse-arrays
        make: () => ({ xs: [1, , 3] }),
        arrives: (back) => {
          const xs = get(back, 'xs') as unknown[];
          assert.equal(xs.length, 3);
          assert.ok(1 in xs, 'the hole is now an element');
          assert.equal(xs[1], undefined);
        },
      },
      {
        name: 'a typed array arrives as a plain Uint8Array of its bytes',
        kind: 'typed-array',
        path: 'Args.t',
        make: () => ({ t: new Int16Array([1, -1]) }),
        arrives: (back) => {
          const t = get(back, 't') as Uint8Array;
          assert.equal(t.constructor, Uint8Array);
          const expected = new Uint8Array(new Int16Array([1, -1]).buffer); // platform byte order
          assert.deepStrictEqual([...t], [...expected]);
        },
      },
      {
        name: 'a Buffer arrives as a plain Uint8Array',
        kind: 'typed-array',
        path: 'Args.buf',
        make: () => ({ buf: Buffer.from([7, 8]) }),
        arrives: (back) => {
          const buf = get(back, 'buf') as Uint8Array;
          assert.equal(buf.constructor, Uint8Array);
          assert.deepStrictEqual([...buf], [7, 8]);
        },
      },
      {
        name: 'an ArrayBuffer arrives as a Uint8Array',
        kind: 'typed-array',
        path: 'Args.ab',
        make: () => ({ ab: new Uint8Array([4, 5, 6]).buffer }),
        arrives: (back) => assert.deepStrictEqual([...(get(back, 'ab') as Uint8Array)], [4, 5, 6]),
      },
      {
        name: 'an own "__proto__" key arrives renamed "__proto_"',
        kind: 'proto-key',
        path: 'Args.o.__proto__',
        make: () => ({ o: JSON.parse('{"__proto__": 1, "a": 2}') as unknown }),
        arrives: (back) => {
          const o = get(back, 'o') as object;
          assert.deepStrictEqual(Object.keys(o).sort(), ['__proto_', 'a']);
          assert.equal(Object.getPrototypeOf(o), Object.prototype);
        },
      },
      {
        name: 'a lone surrogate in a string arrives as U+FFFD',
        kind: 'lone-surrogate',
        path: 'Args.s',
        make: () => ({ s: 'a\uD800b' }),
        arrives: (back) => assert.equal(get(back, 's'), 'a\uFFFDb'),
      },
      {
        name: 'a lone surrogate in a key arrives as U+FFFD',
        kind: 'lone-surrogate',
        path: 'Args.o["k\\udc00"]',
        make: () => ({ o: { 'k\uDC00': 1 } }),
        arrives: (back) => assert.deepStrictEqual(get(back, 'o'), { 'k\uFFFD': 1 }),
      },
    ];

    for (const c of cases) {
      it(`${c.kind}: ${c.name}`, () => {
        const { codec, seen } = quietCodec();
        const before = codec.warningCount;
        const back = codec.decode(codec.encode(c.make(), 'Args'));
        assert.equal(codec.warningCount, before + 1, `warnings: ${JSON.stringify(codec.warnings)}`);
        const warning = codec.warnings[0];
        assert.ok(warning, 'a warning was recorded');
        assert.equal(warning.kind, c.kind);
        assert.equal(warning.path, c.path);
        assert.ok(warning.message.includes(c.path), warning.message);
        assert.deepStrictEqual(seen, [warning]);
        c.arrives(back);
        // Same shape again: no new warning.
        codec.encode(c.make(), 'Args');
        assert.equal(codec.warningCount, before + 1);
        assert.equal(seen.length, 1);
      });
    }

    it('reports a shape once however many array elements share it; a different path counts again', () => {
      const { codec, seen } = quietCodec();
      const entries = (n: number) => Array.from({ length: n }, (_, i) => ({ term: i, command: () => i }));
      codec.encode({ term: 1, entries: entries(3) }, 'AppendEntriesArgs');
      assert.equal(codec.warningCount, 1);
      assert.equal(codec.warnings[0]?.path, 'AppendEntriesArgs.entries[].command');
      codec.encode({ term: 2, entries: entries(50) }, 'AppendEntriesArgs');
      assert.equal(codec.warningCount, 1);
      codec.encode({ term: 2, entries: entries(1) }, 'InstallSnapshotArgs');
      assert.equal(codec.warningCount, 2);
      codec.encode({ term: 2, entries: entries(1), extra: () => 0 }, 'AppendEntriesArgs');
      assert.equal(codec.warningCount, 3);
      codec.encode({ term: 2, entries: [{ term: 1, command: undefined }] }, 'AppendEntriesArgs');
      assert.equal(codec.warningCount, 4, 'a different kind at the same path counts');
      assert.deepStrictEqual(
        seen.map((w) => `${w.kind} ${w.path}`),
        [
          'function AppendEntriesArgs.entries[].command',
          'function InstallSnapshotArgs.entries[].command',
          'function AppendEntriesArgs.extra',
          'undefined AppendEntriesArgs.entries[].command',
        ],
      );
      assert.deepStrictEqual(codec.warnings, seen);
    });

    it('counts warnings per Codec instance', () => {
      const a = quietCodec().codec;
      const b = quietCodec().codec;
      a.encode({ f: () => 0 });
      assert.equal(a.warningCount, 1);
      assert.equal(b.warningCount, 0);
      b.encode({ f: () => 0 });
      assert.equal(b.warningCount, 1);
    });

    it('names paths through Map values, Set elements and odd keys', () => {
      const { codec } = quietCodec();
      codec.encode({ m: new Map([['k', { z: -0 }]]), s: new Set([Number.NaN]), 'two words': undefined }, 'X');
      assert.deepStrictEqual(
        codec.warnings.map((w) => `${w.kind} ${w.path}`),
        ['map X.m', 'negative-zero X.m{}.z', 'set X.s', 'non-finite X.s[]', 'undefined X["two words"]'],
      );
    });

    it('prints each distinct warning to stderr once by default', () => {
      const printed: unknown[] = [];
      const original = console.error;
      console.error = (...args: unknown[]) => printed.push(args.join(' '));
      try {
        const codec = new Codec();
        codec.encode({ entries: [{ cb: () => 1 }, { cb: () => 2 }] }, 'Args');
        codec.encode({ entries: [{ cb: () => 3 }] }, 'Args');
      } finally {
        console.error = original;
      }
      assert.equal(printed.length, 1);
      assert.match(String(printed[0]), /^codec warning: Args\.entries\[\]\.cb is a function/);
    });

    it('lets onWarning make warnings fatal', () => {
      const codec = new Codec({
        onWarning: (w) => {
          throw new Error(`fatal: ${w.path}`);
        },
      });
      assert.throws(() => codec.encode({ x: new Set() }, 'Args'), /fatal: Args\.x/);
    });
  });

  describe('the check walks exactly what is sent', () => {
    it('ignores toJSON: a class instance is sent as its own fields', () => {
      const { codec } = quietCodec();
      class Money {
        cents = 150;
        toJSON(): string {
          return '$1.50';
        }
      }
      const back = clone(codec, { price: new Money() }, 'Args');
      assert.deepStrictEqual(back.price, { cents: 150 });
      assert.deepStrictEqual(
        codec.warnings.map((w) => `${w.kind} ${w.path}`),
        ['class-instance Args.price'],
      );
    });

    it('skips inherited fields of an instance, as the packer does', () => {
      const { codec } = quietCodec();
      const instance = Object.create({ inheritedHook: () => 0 }) as Record<string, unknown>;
      instance.own = 1;
      const back = clone(codec, { instance }, 'Args');
      assert.deepStrictEqual(back.instance, { own: 1 });
      assert.deepStrictEqual(
        codec.warnings.map((w) => `${w.kind} ${w.path}`),
        ['class-instance Args.instance'],
      );
    });

    it('follows an Error cause, which is sent', () => {
      const { codec } = quietCodec();
      const back = clone(codec, { err: new Error('outer', { cause: { retry: () => 0 } }) }, 'Args');
      assert.deepStrictEqual(back.err, ['Error', 'outer', { retry: undefined }]);
      assert.deepStrictEqual(
        codec.warnings.map((w) => `${w.kind} ${w.path}`),
        ['class-instance Args.err', 'function Args.err.cause.retry'],
      );
    });
  });

  describe('unencodable values throw CodecError CODEC_UNENCODABLE', () => {
    it('refuses a direct self-reference, naming the path', () => {
      const codec = new Codec();
      const node: Record<string, unknown> = { id: 1 };
      node.self = node;
      const error = assertUnencodable(() => codec.encode(node, 'Node'), 'Node.self', /refers back to Node\b.*cycle/);
      assert.ok(!(error.cause instanceof RangeError), 'not a stack overflow');
    });

    it('refuses a cycle through arrays, naming the normalised path and its target', () => {
      const codec = new Codec();
      const state: { log: { term: number; owner?: unknown }[] } = { log: [{ term: 1 }, { term: 2 }] };
      state.log[1]!.owner = state.log;
      assertUnencodable(() => codec.encode(state, 'RaftState'), 'RaftState.log[].owner', /refers back to RaftState\.log\b/);
    });

    it('refuses cycles through Map values and Set elements', () => {
      const { codec } = quietCodec();
      const m = new Map<string, unknown>();
      m.set('me', { m });
      assertUnencodable(() => codec.encode({ m }, 'X'), 'X.m{}.m', /cycle/);
      const s = new Set<unknown>();
      s.add([s]);
      assertUnencodable(() => codec.encode({ s }, 'X'), 'X.s[][]', /cycle/);
    });

    it(`refuses nesting deeper than ${MAX_DEPTH} levels, and accepts ${MAX_DEPTH}`, () => {
      const codec = new Codec();
      const nest = (levels: number): unknown => {
        let v: unknown = 0;
        for (let i = 0; i < levels; i++) v = { d: v };
        return v;
      };
      assert.deepStrictEqual(clone(codec, nest(MAX_DEPTH)), nest(MAX_DEPTH));
      let caught: unknown;
      try {
        codec.encode(nest(MAX_DEPTH + 1), 'Deep');
      } catch (error) {
        caught = error;
      }
      assert.ok(caught instanceof CodecError, `expected a CodecError, got ${String(caught)}`);
      assert.equal(caught.code, 'CODEC_UNENCODABLE');
      assert.match(caught.message, /nested more than 500 levels/);
      assert.equal(caught.path, `Deep${'.d'.repeat(MAX_DEPTH)}`);
      assert.throws(() => codec.encode(nest(10_000)), (e: unknown) => e instanceof CodecError && e.code === 'CODEC_UNENCODABLE');
    });

    it('refuses symbol values', () => {
      const codec = new Codec();
      assertUnencodable(() => codec.encode({ tags: [Symbol('x')] }, 'Args'), 'Args.tags[]', /symbol/);
    });

    it('refuses bigints beyond 64 bits (and accepts the 64-bit extremes)', () => {
      const { codec } = quietCodec();
      assert.equal(clone(codec, { b: 2n ** 64n - 1n }).b, 2n ** 64n - 1n);
      assert.equal(clone(codec, { b: -(2n ** 63n) }).b, -(2n ** 63n));
      assertUnencodable(() => codec.encode({ b: 2n ** 64n }, 'Args'), 'Args.b', /bigint/);
      assertUnencodable(() => codec.encode({ b: -(2n ** 63n) - 1n }, 'Args'), 'Args.b', /bigint/);
    });

    it('refuses Map keys that are objects (msgpackr would encode bytes its own decoder rejects)', () => {
      const { codec } = quietCodec();
      assertUnencodable(() => codec.encode({ m: new Map([[{ id: 1 }, 'x']]) }, 'Args'), 'Args.m{key}', /Map key/);
    });

    it('wraps a throwing getter instead of leaking it raw', () => {
      const codec = new Codec();
      const value = {
        get broken(): number {
          throw new Error('getter exploded');
        },
      };
      assertUnencodable(() => codec.encode(value, 'Args'), 'Args', /getter exploded/);
    });
  });

  describe('corrupt bytes throw CodecError CODEC_CORRUPT', () => {
    const codec = new Codec();
    const good = codec.encode(
      { term: 3, entries: [{ term: 2, command: 'put k ' + 'v'.repeat(100) }, { term: 3, command: 2 ** 40 }], blob: new Uint8Array(20) },
      'Args',
    );

    it('rejects every truncation of a valid encoding, stating the byte length', () => {
      for (let n = 0; n < good.length; n++) assertCorrupt(codec, good.slice(0, n), n === 0 ? undefined : /truncated/);
      assert.doesNotThrow(() => codec.decode(good));
    });

    it('rejects trailing bytes', () => {
      const longer = new Uint8Array(good.length + 1);
      longer.set(good);
      assertCorrupt(codec, longer, /trailing/);
    });

    it('rejects the never-used byte 0xC1 and non-byte input', () => {
      assertCorrupt(codec, new Uint8Array([0xc1]), /0xC1/);
      assert.throws(
        () => codec.decode('not bytes' as unknown as Uint8Array),
        (e: unknown) => e instanceof CodecError && e.code === 'CODEC_CORRUPT',
      );
    });

    it('rejects an unknown extension type', () => {
      assertCorrupt(codec, new Uint8Array([0xd4, 0x2a, 0x00]));
    });
  });

  describe('isolation: the receiver shares nothing with the sender', () => {
    it('decoded objects, arrays and bytes are independent of the input', () => {
      const { codec } = quietCodec();
      const input = { entries: [{ term: 1, command: { k: 'a' } }], snapshot: new Uint8Array([1, 2, 3]) };
      const back = clone(codec, input);
      back.entries[0]!.command.k = 'changed';
      back.entries.push({ term: 9, command: { k: 'z' } });
      back.snapshot[0] = 99;
      assert.deepStrictEqual(input, { entries: [{ term: 1, command: { k: 'a' } }], snapshot: new Uint8Array([1, 2, 3]) });
      input.entries[0]!.term = 42;
      input.snapshot[1] = 77;
      assert.equal(back.entries[0]!.term, 1);
      assert.equal(back.snapshot[1], 2);
    });

    it('two decodes of the same bytes share nothing, with each other or with the bytes', () => {
      const { codec } = quietCodec();
      const bytes = codec.encode({ snapshot: new Uint8Array([5, 6, 7]), list: [1] });
      const a = codec.decode<{ snapshot: Uint8Array; list: number[] }>(bytes);
      const b = codec.decode<{ snapshot: Uint8Array; list: number[] }>(bytes);
      a.snapshot[0] = 0;
      a.list.push(2);
      assert.deepStrictEqual([...b.snapshot], [5, 6, 7]);
      assert.deepStrictEqual(b.list, [1]);
      assert.notEqual(a.snapshot.buffer, bytes.buffer);
      bytes.fill(0);
      assert.deepStrictEqual([...b.snapshot], [5, 6, 7]);
    });

    it('encoded bytes stay unchanged by later encodes', () => {
      const codec = new Codec();
      const first = codec.encode({ term: 1, s: 'first' });
      const copy = Uint8Array.from(first);
      for (let i = 0; i < 2000; i++) codec.encode({ term: i, s: 'x'.repeat(i % 300) });
      assert.deepStrictEqual(first, copy);
      assert.deepStrictEqual(codec.decode(first), { term: 1, s: 'first' });
    });
  });

  describe('sizes are real', () => {
    it('a 5000-char string encodes to between 5000 and 5010 bytes', () => {
      const n = new Codec().encode('x'.repeat(5000)).byteLength;
      assert.ok(n >= 5000 && n <= 5010, `${n} bytes`);
    });

    it('a 1000-byte Uint8Array encodes to between 1000 and 1010 bytes', () => {
      const n = new Codec().encode(new Uint8Array(1000)).byteLength;
      assert.ok(n >= 1000 && n <= 1010, `${n} bytes`);
    });

    it('size grows with content: 100 log entries cost more than 10', () => {
      const codec = new Codec();
      const args = (n: number) => ({ term: 1, entries: Array.from({ length: n }, (_, i) => ({ term: 1, command: i })) });
      const small = codec.encode(args(10)).byteLength;
      const large = codec.encode(args(100)).byteLength;
      assert.ok(large > small * 5, `${small} vs ${large}`);
      assert.ok(large < 2000, `${large} bytes for 100 small entries`);
    });
  });

  describe('clone', () => {
    it('is a deep copy through the wire format, passing rootName into warning paths', () => {
      const { codec } = quietCodec();
      const value = { a: [1, { b: 'c' }] };
      const copy = clone(codec, value, 'Thing');
      assert.deepStrictEqual(copy, value);
      assert.notEqual(copy, value);
      assert.notEqual(copy.a, value.a);
      clone(codec, { s: new Set([1]) }, 'Thing');
      assert.equal(codec.warnings[0]?.path, 'Thing.s');
    });
  });
});
