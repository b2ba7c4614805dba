// The codec: raftlab's counterpart of labgob (spec §1). Every RPC argument, reply and persisted Raft state
// passes through encode/decode, so peers never share objects and byte counts are real.
//
// Wire format: standard MessagePack via msgpackr (no records, no shared structures, no msgpackr-only type
// extensions except the 3-byte `undefined`, see below). Before packing, one walk over the value looks for
// values MessagePack cannot carry faithfully and warns about each once per shape, the way labgob warns
// about lower-case struct fields that gob silently drops. Plain data, which is nearly everything a Raft sends and
// saves, skips both: one pass checks and writes it, to the same bytes (the plain-data writer, at the end).
//
// What each flagged kind becomes after encode+decode (the tests assert exactly this):
//   class-instance  a plain object of the instance's own enumerable string-keyed fields (prototype, methods,
//                   getters on the prototype and non-enumerable fields are gone). msgpackr special-cases a few
//                   built-ins: Error -> [name, message, cause]; RegExp -> [source, flags]; a Date subclass ->
//                   a plain Date; an Array subclass -> a plain Array; a null-prototype object -> a plain object;
//                   a Map subclass -> its own fields only, entries lost.
//   map             a plain object; keys become strings (1 and '1' collide). Object keys are refused (below).
//   set             an array of its elements (any Set subclass too).
//   function        undefined (the field is kept, its value is undefined); functions in arrays -> undefined.
//   undefined       undefined, key kept: msgpackr writes MessagePack ext type 0 (fixext1 d4 00 00), which is not
//                   plain data to any other MessagePack reader, and gob/JSON have no such value.
//   symbol          a symbol-keyed (enumerable) property is dropped. Symbol *values* cannot be encoded at all.
//                   Looked for on every object except an array's elements after its first (see plainFields).
//   bigint          a bigint again (MessagePack int64/uint64); beyond 64 bits it cannot be encoded at all.
//   non-finite      NaN / Infinity / -Infinity arrive unchanged (float64); flagged because they nearly always
//                   mean a bug and JSON (the UI, logs) turns them into null.
//   negative-zero   0: msgpackr writes -0 as the integer 0.
//   sparse-array    each hole becomes an explicit undefined element (the array comes back dense).
//   typed-array     a plain Uint8Array of the underlying bytes (Buffer, Int32Array, DataView, ArrayBuffer...).
//   proto-key       an own "__proto__" key arrives renamed "__proto_" (msgpackr's prototype-pollution guard).
//   lone-surrogate  each unpaired UTF-16 surrogate becomes U+FFFD (strings travel as UTF-8), in values and keys.
// Not flagged, and faithful: numbers (integers and floats are exact; -0 aside), strings, booleans, null,
// plain objects, arrays, Uint8Array (arrives as a plain Uint8Array with its own memory) and Date (MessagePack
// timestamp ext -1, millisecond-exact, invalid dates included). Not flagged and not faithful, by choice:
// shared references arrive as separate copies (gob flattens pointers the same way), non-enumerable and
// inherited properties are skipped, extra non-index properties on arrays are dropped.
//
// Cannot be encoded at all -> CodecError('CODEC_UNENCODABLE'): cycles, nesting deeper than MAX_DEPTH, symbol
// values, bigints beyond 64 bits, Map keys that are objects (msgpackr encodes them, but its own decoder then
// rejects the bytes), and anything else msgpackr throws on.

// msgpackr's pure JavaScript build: its main entry also loads a native string extractor (msgpackr-extract), ~6 MB
// more in every run process for no gain on Raft's messages, and a native addon a confined process may not load.
import { Packr } from 'msgpackr/pack';
import { readPlain, type SuccessiveReader } from './read-plain.ts';
import * as msgpackrUnpack from 'msgpackr/unpack';
import { messageOf } from '../thrown.ts';

/** msgpackr's marker for the never-used byte 0xC1 (exported at run time; its unpack typings leave it out). */
const C1: unknown = (msgpackrUnpack as unknown as { C1?: unknown }).C1;
if (typeof C1 !== 'object' || C1 === null) throw new Error("msgpackr/unpack no longer exports C1: the codec cannot tell byte 0xC1 from a value");

export type CodecWarningKind =
  | 'class-instance'
  | 'map'
  | 'set'
  | 'function'
  | 'undefined'
  | 'symbol'
  | 'bigint'
  | 'non-finite'
  | 'negative-zero'
  | 'sparse-array'
  | 'typed-array'
  | 'proto-key'
  | 'lone-surrogate';

export interface CodecWarning {
  readonly kind: CodecWarningKind;
  /** Field path with array indices normalised to `[]`, e.g. `AppendEntriesArgs.entries[].command`. */
  readonly path: string;
  readonly message: string;
}

export type CodecErrorCode = 'CODEC_UNENCODABLE' | 'CODEC_CORRUPT';

export class CodecError extends Error {
  readonly code: CodecErrorCode;
  /** The offending field path (normalised like warning paths); undefined for decode errors. */
  readonly path: string | undefined;

  constructor(code: CodecErrorCode, message: string, path?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CodecError';
    this.code = code;
    this.path = path;
  }
}

export interface CodecOptions {
  /** Called once per distinct warning. Default: print the message to stderr. If it throws, encode throws. */
  onWarning?: (warning: CodecWarning) => void;
}

/**
 * Deeper than this is refused. msgpackr's recursive packer overflows V8's default stack at roughly 1200
 * levels; 500 leaves room for the caller's own stack and is far beyond any RPC or Raft state.
 */
export const MAX_DEPTH = 500;

// Path segment markers in the key stack (strings there are object keys).
const SEG_ELEMENT = 0; // array element, Set element, AggregateError.errors element: printed []
const SEG_MAP_VALUE = 1; // printed {}
const SEG_MAP_KEY = 2; // printed {key}
type Segment = string | number;

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

function formatPath(root: string, segments: readonly Segment[], length: number): string {
  let path = root;
  for (let i = 0; i < length; i++) {
    const segment = segments[i];
    if (segment === SEG_ELEMENT) path += '[]';
    else if (segment === SEG_MAP_VALUE) path += '{}';
    else if (segment === SEG_MAP_KEY) path += '{key}';
    else if (typeof segment === 'string') path += IDENTIFIER.test(segment) ? `.${segment}` : `[${JSON.stringify(segment)}]`;
  }
  return path;
}

// String.prototype.isWellFormed is ES2024 (Node 20+); the project's lib is ES2023. It is O(1) for one-byte
// strings, so checking every string costs little.
const isWellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed();

const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;

function constructorName(proto: object): string {
  const ctor: unknown = (proto as { constructor?: unknown }).constructor;
  return typeof ctor === 'function' && ctor.name !== '' ? ctor.name : 'anonymous class';
}

function withArticle(noun: string): string {
  return `${/^[AEIOUaeiou]/.test(noun) ? 'an' : 'a'} ${noun}`;
}

function errorText(error: unknown): string {
  return messageOf(error);
}

export class Codec {
  /** The distinct warnings emitted so far, in order. */
  readonly warnings: readonly CodecWarning[];

  private readonly emitted: CodecWarning[] = [];
  private readonly seen = new Set<string>();
  private readonly pending: CodecWarning[] = [];
  private readonly onWarning: (warning: CodecWarning) => void;
  private readonly packr: Packr;
  // The walk's current path, one segment per depth. Reused across encodes so the walk allocates nothing.
  private readonly keys: Segment[] = new Array<Segment>(MAX_DEPTH + 1).fill('');
  private rootName = 'value';
  private root: unknown = undefined;

  constructor(options?: CodecOptions) {
    this.warnings = this.emitted;
    this.onWarning = options?.onWarning ?? ((warning) => console.error(warning.message));
    this.packr = new Packr({
      useRecords: false, // plain MessagePack maps, no msgpackr record extension
      moreTypes: false, // no msgpackr-only extensions for Set/Error/RegExp/typed arrays
      useToJSON: false, // encode what the walk checked, not whatever a toJSON returns
      variableMapSize: true, // fixmap/map16/map32 headers: ~10% smaller, and no 65 535-key limit
      copyBuffers: true, // decoded Uint8Arrays own their memory instead of aliasing the encoded bytes
    });
  }

  /** Like labgob's errorCount: the number of warnings emitted (each distinct kind+path counts once). */
  get warningCount(): number {
    return this.emitted.length;
  }

  encode(value: unknown, rootName = 'value'): Uint8Array {
    // Plain data (nearly every RPC and saved state) is checked and written in one pass; anything else, or anything
    // that warns, takes the walk and msgpackr below, which write the same bytes.
    const plain = writePlain(value);
    if (plain !== undefined) return plain;
    this.rootName = rootName;
    this.root = value;
    try {
      this.walk(value, 0);
    } catch (error) {
      if (error instanceof CodecError) throw error;
      // A throwing getter, or the caller's stack nearly exhausted.
      throw new CodecError('CODEC_UNENCODABLE', `${rootName} cannot be encoded: ${errorText(error)}`, rootName, {
        cause: error,
      });
    } finally {
      this.root = undefined;
      if (this.pending.length !== 0) this.flushWarnings();
    }
    let packed: Uint8Array;
    try {
      packed = this.packr.pack(value);
    } catch (error) {
      throw new CodecError(
        'CODEC_UNENCODABLE',
        `${rootName} cannot be encoded as MessagePack: ${errorText(error)}`,
        rootName,
        { cause: error },
      );
    }
    // msgpackr returns a Buffer view into a slab shared with other messages; copying into a plain, tight
    // Uint8Array keeps one peer's bytes from exposing another's via .buffer and lets Buffer-only semantics
    // (Buffer#slice is a view, not a copy) never leak out.
    return new Uint8Array(packed);
  }

  /**
   * `successive`: read `bytes` as the next version of the value that reader read last (a node's saves), reusing
   * what is unchanged; the value is the same.
   */
  decode<T = unknown>(bytes: Uint8Array, successive?: SuccessiveReader): T {
    if (!(bytes instanceof Uint8Array)) {
      throw new CodecError('CODEC_CORRUPT', `cannot decode: expected a Uint8Array, got ${typeof bytes}`);
    }
    const length = bytes.byteLength;
    // A fresh plain view: msgpackr caches a DataView on its input, and a plain source makes the copied
    // binary fields plain Uint8Arrays rather than Buffers.
    const source = new Uint8Array(bytes.buffer, bytes.byteOffset, length);
    // Plain data (nearly every RPC and saved state) is read in one pass; anything else takes msgpackr, which
    // builds the same values.
    const plain = successive ? successive.read(source) : readPlain(source);
    if (plain !== undefined) return plain as T;
    let value: unknown;
    try {
      value = this.packr.unpack(source);
    } catch (error) {
      const incomplete = (error as { incomplete?: unknown } | null)?.incomplete === true;
      const reason = incomplete
        ? 'truncated: the data ends before the value is complete'
        : /end of buffer not reached/.test(errorText(error))
          ? 'trailing bytes after the value'
          : `malformed (${errorText(error)})`;
      throw new CodecError('CODEC_CORRUPT', `cannot decode ${length} bytes as MessagePack: ${reason}`, undefined, {
        cause: error,
      });
    }
    // msgpackr returns a marker object for the never-used byte 0xC1 instead of throwing. Only the top level is
    // checked: MessagePack has no checksum, so corruption that stays well-formed is undetectable anyway.
    if (value === C1) {
      throw new CodecError('CODEC_CORRUPT', `cannot decode ${length} bytes as MessagePack: malformed (byte 0xC1)`);
    }
    return value as T;
  }

  // ---- the check walk ------------------------------------------------------------------------------------
  // keys[0..depth-1] is the path to `value`. The common path allocates nothing except the (empty) array
  // Object.getOwnPropertySymbols returns per object; paths and messages are built only for a finding.
  // Cycles are not tracked (that would need a Set per encode): they show up as depth MAX_DEPTH, and only
  // then does failDeep look for one.

  private walk(value: unknown, depth: number): void {
    switch (typeof value) {
      case 'number':
        if (value === 0) {
          if (1 / value < 0) this.warn('negative-zero', depth, '');
        } else if (value - value !== 0) {
          this.warn('non-finite', depth, String(value));
        }
        return;
      case 'string':
        if (!isWellFormed(value)) this.warn('lone-surrogate', depth, 'value');
        return;
      case 'object':
        if (value !== null) this.walkObject(value, depth);
        return;
      case 'boolean':
        return;
      case 'undefined':
        // A bare undefined at the top is unambiguous (there is no field to omit), so only nested ones warn.
        if (depth > 0) this.warn('undefined', depth, '');
        return;
      case 'function':
        this.warn('function', depth, value.name);
        return;
      case 'bigint':
        if (value < INT64_MIN || value > UINT64_MAX) {
          this.fail(depth, `is the bigint ${value}, which does not fit in MessagePack's 64-bit integers; use a number or a string`);
        }
        this.warn('bigint', depth, '');
        return;
      case 'symbol':
        this.fail(depth, `is the symbol ${String(value)}, which MessagePack cannot carry; use a string`);
    }
  }

  private walkObject(obj: object, depth: number): void {
    if (depth >= MAX_DEPTH) this.failDeep();
    const proto: unknown = Object.getPrototypeOf(obj);
    if (proto === Object.prototype) this.walkFields(obj, depth, false);
    else if (proto === Array.prototype) this.walkArray(obj as unknown[], depth);
    else if (proto !== Uint8Array.prototype && proto !== Date.prototype) this.walkExotic(obj, proto as object | null, depth);
  }

  private walkFields(obj: object, depth: number, ownOnly: boolean): void {
    const keys = this.keys;
    const record = obj as Record<string, unknown>;
    for (const key in record) {
      if (ownOnly && !Object.hasOwn(record, key)) continue; // msgpackr skips inherited keys too
      keys[depth] = key;
      if (key === '__proto__') this.warn('proto-key', depth + 1, '');
      if (!isWellFormed(key)) this.warn('lone-surrogate', depth + 1, 'key');
      this.walk(record[key], depth + 1);
    }
    // The only way to see symbol keys, at ~50 ns per object (~15% of a 100-entry AppendEntries round trip).
    const symbols = Object.getOwnPropertySymbols(obj);
    if (symbols.length !== 0) {
      for (const symbol of symbols) {
        if (Object.prototype.propertyIsEnumerable.call(obj, symbol)) {
          this.warn('symbol', depth, String(symbol), `[${String(symbol)}]`);
        }
      }
    }
  }

  private walkArray(array: readonly unknown[], depth: number): void {
    this.keys[depth] = SEG_ELEMENT;
    for (let i = 0, n = array.length; i < n; i++) {
      const element = array[i];
      // Arrays of numbers (terms, commands) are the bulk of what Rafts persist: check them here, without a call.
      if (typeof element === 'number') {
        if (element === 0 ? 1 / element < 0 : element - element !== 0) this.walk(element, depth + 1);
      } else if (element === undefined) {
        if (i in array) this.warn('undefined', depth + 1, '');
        else this.warn('sparse-array', depth, '');
      } else {
        this.walk(element, depth + 1);
      }
    }
  }

  // Mirrors msgpackr's dispatch order: exact Map, then instanceof Date/Set/Error/RegExp/ArrayBuffer/views,
  // then Array.isArray, then own enumerable fields.
  private walkExotic(obj: object, proto: object | null, depth: number): void {
    const keys = this.keys;
    if (proto === Map.prototype) {
      this.warn('map', depth, '');
      for (const [key, value] of obj as Map<unknown, unknown>) {
        keys[depth] = SEG_MAP_KEY;
        if ((typeof key === 'object' && key !== null) || typeof key === 'function' || typeof key === 'symbol') {
          this.fail(
            depth + 1,
            `is a Map key of type ${typeof key === 'object' ? constructorName(Object.getPrototypeOf(key) as object) : typeof key}; ` +
              'MessagePack map keys sent to an object must be strings or numbers',
          );
        }
        this.walk(key, depth + 1);
        keys[depth] = SEG_MAP_VALUE;
        this.walk(value, depth + 1);
      }
    } else if (obj instanceof Date) {
      this.warn('class-instance', depth, `${withArticle(constructorName(proto as object))} (Date subclass): it arrives as a plain Date`);
    } else if (obj instanceof Set) {
      this.warn('set', depth, '');
      keys[depth] = SEG_ELEMENT;
      for (const element of obj as Set<unknown>) this.walk(element, depth + 1);
    } else if (obj instanceof Error) {
      this.warn(
        'class-instance',
        depth,
        `${withArticle(constructorName(proto as object))}: it arrives as the array [name, message, cause], not an Error`,
      );
      if (obj.cause !== undefined) {
        keys[depth] = 'cause';
        this.walk(obj.cause, depth + 1);
      }
      if (obj instanceof AggregateError) {
        keys[depth] = 'errors';
        this.walk(obj.errors, depth + 1);
      }
    } else if (obj instanceof RegExp) {
      this.warn('class-instance', depth, 'a RegExp: it arrives as the array [source, flags]');
    } else if (obj instanceof ArrayBuffer || ArrayBuffer.isView(obj)) {
      this.warn('typed-array', depth, proto === null ? 'binary view' : constructorName(proto));
    } else if (Array.isArray(obj)) {
      this.warn('class-instance', depth, `${withArticle(constructorName(proto ?? Array.prototype))} (Array subclass): it arrives as a plain Array`);
      this.walkArray(obj, depth);
    } else if (proto === null) {
      this.warn('class-instance', depth, 'an object with a null prototype: it arrives as a plain object');
      this.walkFields(obj, depth, false);
    } else {
      this.warn(
        'class-instance',
        depth,
        `${withArticle(constructorName(proto))} instance: it arrives as a plain object holding only its own enumerable fields ` +
          '(prototype, methods, getters and instanceof are lost)',
      );
      this.walkFields(obj, depth, true);
    }
  }

  // ---- reporting (only reached when something is wrong) --------------------------------------------------

  private warn(kind: CodecWarningKind, depth: number, detail: string, suffix = ''): void {
    const path = formatPath(this.rootName, this.keys, depth) + suffix;
    const id = `${kind}\u0000${path}`;
    if (this.seen.has(id)) return;
    this.seen.add(id);
    const warning: CodecWarning = Object.freeze({ kind, path, message: `codec warning: ${describe(kind, path, detail)}` });
    this.emitted.push(warning);
    this.pending.push(warning);
  }

  private flushWarnings(): void {
    const batch = this.pending.splice(0);
    for (const warning of batch) this.onWarning(warning);
  }

  private fail(depth: number, what: string): never {
    const path = formatPath(this.rootName, this.keys, depth);
    throw new CodecError('CODEC_UNENCODABLE', `cannot encode ${path}: it ${what}`, path);
  }

  // The walk went MAX_DEPTH deep. A cycle is the usual cause; find it (allocating freely, this is the error
  // path) by re-walking from the root with the ancestors in a Set. The walk explored every earlier branch
  // without getting this deep, so the first repeat found is on the same branch.
  private failDeep(): never {
    const segments: Segment[] = [];
    const stack: object[] = [];
    const ancestors = new Set<object>();
    const visit = (value: unknown, depth: number): void => {
      if (typeof value !== 'object' || value === null || depth > MAX_DEPTH) return;
      if (ancestors.has(value)) {
        const path = formatPath(this.rootName, segments, depth);
        const target = formatPath(this.rootName, segments, stack.indexOf(value));
        throw new CodecError(
          'CODEC_UNENCODABLE',
          `cannot encode ${path}: it refers back to ${target}, a cycle. MessagePack (like gob) sends trees only; ` +
            'send an id or index instead of the object',
          path,
        );
      }
      ancestors.add(value);
      stack.push(value);
      const proto: unknown = Object.getPrototypeOf(value);
      const at = (segment: Segment, child: unknown): void => {
        segments[depth] = segment;
        visit(child, depth + 1);
      };
      if (proto === Map.prototype) {
        for (const [k, v] of value as Map<unknown, unknown>) {
          at(SEG_MAP_KEY, k);
          at(SEG_MAP_VALUE, v);
        }
      } else if (value instanceof Set || Array.isArray(value)) {
        for (const element of value as Iterable<unknown>) at(SEG_ELEMENT, element);
      } else if (value instanceof Error) {
        at('cause', value.cause);
        if (value instanceof AggregateError) at('errors', value.errors);
      } else if (!(value instanceof Date || value instanceof RegExp || value instanceof ArrayBuffer || ArrayBuffer.isView(value))) {
        for (const key in value) if (Object.hasOwn(value, key)) at(key, (value as Record<string, unknown>)[key]);
      }
      segments.length = depth;
      stack.pop();
      ancestors.delete(value);
    };
    visit(this.root, 0);
    const path = formatPath(this.rootName, this.keys, MAX_DEPTH);
    const shown = path.length > 120 ? `${path.slice(0, 120)}...` : path;
    throw new CodecError(
      'CODEC_UNENCODABLE',
      `cannot encode ${this.rootName}: it is nested more than ${MAX_DEPTH} levels deep (at ${shown}); ` +
        'msgpackr packs recursively and would overflow the stack',
      path,
    );
  }
}

// ---- the plain-data writer ----------------------------------------------------------------------------------
// One pass that both checks and writes a value made only of finite numbers (not -0), well-formed strings, booleans,
// null, plain objects (no symbol keys, no "__proto__" key), dense arrays without undefined, and Uint8Arrays — what
// the walk above passes without a warning — as the very bytes msgpackr writes with the codec's options (the codec's
// tests compare the two on random values). At the first thing outside that set it gives up (undefined) and encode
// takes the walk and msgpackr, which warn and write as before. It exists for speed: the walk and msgpackr's packer
// were ~40 % of a sim suite's CPU, most of it saving Rafts' whole logs.

/** Thrown (never caught outside writePlain) at the first value the plain writer leaves to the walk and msgpackr. */
const notPlain = new Error('not plain data');
const plainBufferBytes = 64 * 1024;
/** Beyond this the buffer is given back after the encode that grew it. */
const plainBufferKeptBytesMax = 1024 * 1024;
const textEncoder = new TextEncoder();
let out = new Uint8Array(plainBufferBytes);
let outView = new DataView(out.buffer);
/** Past this, a value's header and a number no longer fit: grow first. */
let outSafeEnd = out.length - 16;
let at = 0;
/** A getter that encodes during an encode takes the walk and msgpackr: the buffer is in use. */
let writing = false;

function writePlain(value: unknown): Uint8Array | undefined {
  if (writing) return undefined;
  writing = true;
  at = 0;
  try {
    if (hasEnumerableKey(Object.prototype)) return undefined;
    plainValue(value, 0);
    // A getter may have added one while the value was written.
    if (hasEnumerableKey(Object.prototype)) return undefined;
    return out.slice(0, at);
  } catch {
    return undefined; // not plain data (notPlain); or a throwing getter, a stack nearly used up: the walk reports it
  } finally {
    writing = false;
    if (out.length > plainBufferKeptBytesMax) {
      out = new Uint8Array(plainBufferBytes);
      outView = new DataView(out.buffer);
      outSafeEnd = out.length - 16;
    }
  }
}

/** plainFields reads fields with for-in, which would also yield any enumerable key a program put on Object.prototype. */
function hasEnumerableKey(object: object): boolean {
  for (const _ in object) return true;
  return false;
}

function growTo(bytes: number): void {
  let size = out.length * 2;
  while (size < bytes + 16) size *= 2;
  const grown = new Uint8Array(size);
  grown.set(out.subarray(0, at));
  out = grown;
  outView = new DataView(out.buffer);
  outSafeEnd = out.length - 16;
}

function plainValue(value: unknown, depth: number): void {
  if (at > outSafeEnd) growTo(at);
  switch (typeof value) {
    case 'number':
      plainNumber(value);
      return;
    case 'string':
      plainString(value);
      return;
    case 'boolean':
      out[at++] = value ? 0xc3 : 0xc2;
      return;
    case 'object':
      if (value === null) out[at++] = 0xc0;
      else plainObject(value, depth);
      return;
    default:
      throw notPlain; // undefined, functions, bigints, symbols
  }
}

function plainNumber(value: number): void {
  if (value >>> 0 === value) {
    if (value === 0 && 1 / value < 0) throw notPlain; // -0
    if (value < 0x80) out[at++] = value;
    else plainSized(value, 0xcc); // uint8, uint16, uint32
  } else if (value >> 0 === value) {
    if (value >= -0x20) out[at++] = 0x100 + value;
    else if (value >= -0x80) {
      out[at++] = 0xd0;
      out[at++] = value + 0x100;
    } else if (value >= -0x8000) {
      out[at++] = 0xd1;
      outView.setInt16(at, value);
      at += 2;
    } else {
      out[at++] = 0xd2;
      outView.setInt32(at, value);
      at += 4;
    }
  } else {
    if (value - value !== 0) throw notPlain; // NaN, Infinity
    out[at++] = 0xcb;
    outView.setFloat64(at, value);
    at += 8;
  }
}

function plainString(value: string): void {
  const chars = value.length;
  // The header is sized for the characters and moved when the UTF-8 bytes need a larger one, as msgpackr does.
  const headerBytes = chars < 0x20 ? 1 : chars < 0x100 ? 2 : chars < 0x10000 ? 3 : 5;
  if (at + chars * 3 + headerBytes > outSafeEnd) growTo(at + chars * 3 + headerBytes);
  const start = at + headerBytes;
  let bytes: number;
  if (chars < 0x40) {
    let p = start;
    for (let i = 0; i < chars; i++) {
      let c = value.charCodeAt(i);
      if (c < 0x80) out[p++] = c;
      else if (c < 0x800) {
        out[p++] = (c >> 6) | 0xc0;
        out[p++] = (c & 0x3f) | 0x80;
      } else if ((c & 0xf800) === 0xd800) {
        const low = value.charCodeAt(i + 1);
        if ((c & 0xfc00) !== 0xd800 || (low & 0xfc00) !== 0xdc00) throw notPlain; // a lone surrogate
        c = 0x10000 + ((c & 0x3ff) << 10) + (low & 0x3ff);
        i++;
        out[p++] = (c >> 18) | 0xf0;
        out[p++] = ((c >> 12) & 0x3f) | 0x80;
        out[p++] = ((c >> 6) & 0x3f) | 0x80;
        out[p++] = (c & 0x3f) | 0x80;
      } else {
        out[p++] = (c >> 12) | 0xe0;
        out[p++] = ((c >> 6) & 0x3f) | 0x80;
        out[p++] = (c & 0x3f) | 0x80;
      }
    }
    bytes = p - start;
  } else {
    if (!isWellFormed(value)) throw notPlain;
    bytes = textEncoder.encodeInto(value, out.subarray(start)).written;
  }
  if (bytes < 0x20) out[at++] = 0xa0 | bytes;
  else if (bytes < 0x100) {
    if (headerBytes < 2) out.copyWithin(at + 2, at + 1, at + 1 + bytes);
    out[at++] = 0xd9;
    out[at++] = bytes;
  } else if (bytes < 0x10000) {
    if (headerBytes < 3) out.copyWithin(at + 3, at + headerBytes, at + headerBytes + bytes);
    out[at++] = 0xda;
    out[at++] = bytes >> 8;
    out[at++] = bytes & 0xff;
  } else {
    if (headerBytes < 5) out.copyWithin(at + 5, at + headerBytes, at + headerBytes + bytes);
    out[at++] = 0xdb;
    outView.setUint32(at, bytes);
    at += 4;
  }
  at += bytes;
}

/** An unsigned value in 1, 2 or 4 bytes after its code: code8 for one byte, the next two codes for two and four. */
function plainSized(value: number, code8: number): void {
  if (value < 0x100) {
    out[at++] = code8;
    out[at++] = value;
  } else if (value < 0x10000) {
    out[at++] = code8 + 1;
    out[at++] = value >> 8;
    out[at++] = value & 0xff;
  } else {
    out[at++] = code8 + 2;
    outView.setUint32(at, value);
    at += 4;
  }
}

function plainLength(length: number, fix: number, code16: number): void {
  if (length < 0x10) out[at++] = fix | length;
  else if (length < 0x10000) {
    out[at++] = code16;
    out[at++] = length >> 8;
    out[at++] = length & 0xff;
  } else {
    out[at++] = code16 + 1;
    outView.setUint32(at, length);
    at += 4;
  }
}

function plainObject(value: object, depth: number): void {
  if (depth >= MAX_DEPTH) throw notPlain; // the walk finds the cycle, or says how deep
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Array.prototype) {
    const array = value as readonly unknown[];
    const length = array.length;
    plainLength(length, 0x90, 0xdc);
    if (length >= runLengthMin) plainLongArray(array, length, depth);
    else plainElements(array, 0, length, depth, undefined, false);
  } else if (proto === Object.prototype) {
    plainFields(value, depth, true);
  } else if (proto === Uint8Array.prototype) {
    const bytes = value as Uint8Array;
    const length = bytes.byteLength;
    if (at + length + 5 > outSafeEnd) growTo(at + length + 5);
    plainSized(length, 0xc4); // bin8, bin16, bin32
    out.set(bytes, at);
    at += length;
  } else {
    throw notPlain;
  }
}

/** What an array's elements were: numbers only (0), or also plain objects or arrays (1), or also anything else (2). */
type ElementKinds = 0 | 1 | 2;

/**
 * An array's elements from `from` on. `first`, when `hasFirst`, is element `from` already read (each element is read
 * once, as a getter would see it). Returns what the elements it read were (`first` aside: its callers have a run).
 */
function plainElements(array: readonly unknown[], from: number, length: number, depth: number, first: unknown, hasFirst: boolean): ElementKinds {
  if (hasFirst) {
    // A run's way out, not the hot loop's (a test there cost the loop a third): the element the run read is written as
    // the loop would write it.
    if (at > outSafeEnd) growTo(at);
    if (typeof first === 'object' && first !== null && Object.getPrototypeOf(first) === Object.prototype) plainFields(first, depth + 1, from === 0);
    else plainValue(first, depth + 1);
    from++;
  }
  let kinds: ElementKinds = 0;
  // Arrays of numbers (terms, commands) are the bulk of what Rafts save: written here with the buffer and the
  // position in locals, which V8 keeps in registers.
  let o = out;
  let p = at;
  let safeEnd = outSafeEnd;
  let shape: Shape | undefined;
  for (let i = from; i < length; i++) {
    const element = array[i];
    if (p > safeEnd) {
      at = p;
      growTo(p);
      o = out;
      safeEnd = outSafeEnd;
    }
    if (typeof element === 'number' && element >>> 0 === element && element < 0x80 && (element !== 0 || 1 / element > 0)) {
      o[p++] = element;
    } else if (typeof element === 'number' && element - element === 0 && (element >>> 0 !== element && element >> 0 !== element)) {
      o[p++] = 0xcb;
      outView.setFloat64(p, element);
      p += 8;
    } else {
      at = p;
      if (typeof element === 'number') plainNumber(element);
      else if (typeof element === 'object' && element !== null && Object.getPrototypeOf(element) === Object.prototype) {
        if (kinds === 0) kinds = 1;
        if (i === 0) plainFields(element, depth + 1, true);
        else plainFields(element, depth + 1, false, (shape ??= []));
      } else {
        kinds = kinds !== 2 && typeof element === 'object' && element !== null && Object.getPrototypeOf(element) === Array.prototype ? 1 : 2;
        plainValue(element, depth + 1);
      }
      o = out;
      p = at;
      safeEnd = outSafeEnd;
    }
  }
  at = p;
  return kinds;
}

/**
 * What the plain writer last wrote for a long array, to copy while the array's elements still hold it. A Raft saves its
 * whole log after every change, and its log mostly grows at the end: the suite's TestReliableChurn2C saves ~12 000
 * times, 159 MB in all for the reference's two columns of numbers, 1.1 GB for the corpus's gostyle, which keeps
 * `{ index, term, command }` objects. Comparing a field with the one last written is cheaper than encoding it, and the
 * bytes of a number, a string, a boolean or null depend on nothing else.
 *
 * A run of numbers holds each element's value and the offset of its bytes among the elements' bytes (`offsets[count]`
 * is their end).
 */
interface NumberRun {
  readonly kind: 'numbers';
  values: Float64Array;
  offsets: Uint32Array;
  bytes: Uint8Array;
  /** How many leading elements `values`, `offsets` and `bytes` hold. */
  count: number;
}
/**
 * A run of plain objects, or arrays (`[term, command]` entries), whose fields are numbers, strings, booleans or null
 * (an object's fewer than 16: a fixmap): field f's key ('' in an array), its value, and the offset of its key's bytes
 * (its value's, in an array); element i's first field and the offset of its header. `firstFields[count]` and
 * `elementOffsets[count]` are the ends.
 */
interface ObjectRun {
  readonly kind: 'objects';
  /** The elements themselves: one still in its place had its prototype when it was written, and is not asked again. */
  elements: unknown[];
  /** Whether element i is an array. */
  arrays: boolean[];
  keys: string[];
  values: unknown[];
  fieldOffsets: number[];
  firstFields: number[];
  elementOffsets: number[];
  bytes: Uint8Array;
  count: number;
}
/** Shorter arrays are encoded afresh: copying their bytes would save little. */
const runLengthMin = 64;
/**
 * Each long array encoded before: what its elements were, when it was encoded once (a run is kept for an array encoded
 * again: an RPC's are new every time); its run after that, or null for an array of anything else.
 */
const runs = new WeakMap<readonly unknown[], ElementKinds | NumberRun | ObjectRun | null>();

function plainLongArray(array: readonly unknown[], length: number, depth: number): void {
  let run = runs.get(array);
  if (run === undefined) {
    runs.set(array, plainElements(array, 0, length, depth, undefined, false));
    return;
  }
  if (typeof run === 'number') {
    const seen = run;
    run =
      seen === 0
        ? { kind: 'numbers', values: new Float64Array(length), offsets: new Uint32Array(length + 1), bytes: new Uint8Array(0), count: 0 }
        : seen === 1
          ? { kind: 'objects', elements: [], arrays: [], keys: [], values: [], fieldOffsets: [], firstFields: [0], elementOffsets: [0], bytes: new Uint8Array(0), count: 0 }
          : null;
    runs.set(array, run);
  }
  if (run === null) plainElements(array, 0, length, depth, undefined, false);
  else if (run.kind === 'numbers') plainNumberRun(array, length, depth, run);
  else plainObjectRun(array, length, depth, run);
}

/** Keep `bytes` (the array's elements as just written, from `base`) from `from` on, after the run's first `from`. */
function keepRunBytes(run: NumberRun | ObjectRun, base: number, from: number, end: number): void {
  if (run.bytes.length < end) {
    const grown = new Uint8Array(Math.max(end, 2 * run.bytes.length));
    grown.set(run.bytes.subarray(0, from));
    run.bytes = grown;
  }
  run.bytes.set(out.subarray(base + from, base + end), from);
}

function plainNumberRun(array: readonly unknown[], length: number, depth: number, run: NumberRun): void {
  // The leading elements that still hold the numbers last written (-0 never is: the walk warns about it).
  const known = Math.min(length, run.count);
  let values = run.values;
  let element: unknown;
  let hasElement = false;
  let i = 0;
  for (; i < known; i++) {
    element = array[i];
    // typeof first: V8 then compares two doubles, instead of boxing each of values[i] to compare with any value.
    if (typeof element !== 'number' || element !== values[i] || (element === 0 && 1 / element < 0)) {
      hasElement = true;
      break;
    }
  }
  // From here on the run holds only what this write confirms, so a throw below leaves it right.
  run.count = i;
  const first = i;
  const base = at;
  const prefixBytes = run.offsets[first]!;
  if (base + prefixBytes > outSafeEnd) growTo(base + prefixBytes);
  out.set(run.bytes.subarray(0, prefixBytes), base);
  if (values.length < length) {
    const grownValues = new Float64Array(Math.max(length, 2 * values.length));
    grownValues.set(values.subarray(0, first));
    const grownOffsets = new Uint32Array(grownValues.length + 1);
    grownOffsets.set(run.offsets.subarray(0, first + 1));
    run.values = values = grownValues;
    run.offsets = grownOffsets;
  }
  const offsets = run.offsets;
  let o = out;
  let p = base + prefixBytes;
  let safeEnd = outSafeEnd;
  for (; i < length; i++) {
    if (hasElement) hasElement = false;
    else element = array[i];
    if (typeof element !== 'number') {
      runs.set(array, null);
      at = p;
      plainElements(array, i, length, depth, element, true);
      return;
    }
    if (p > safeEnd) {
      at = p;
      growTo(p);
      o = out;
      safeEnd = outSafeEnd;
    }
    values[i] = element;
    offsets[i] = p - base;
    if (element >>> 0 === element && element < 0x80 && (element !== 0 || 1 / element > 0)) o[p++] = element;
    else {
      at = p;
      plainNumber(element);
      o = out;
      p = at;
      safeEnd = outSafeEnd;
    }
  }
  at = p;
  if (first < length) {
    offsets[length] = p - base;
    keepRunBytes(run, base, prefixBytes, p - base);
  }
  run.count = length;
}

/**
 * A run of plain objects: the leading elements whose fields all hold what was last written are copied; from the first
 * that differs on, elements are written, and kept while they are objects the run can hold. Every field is read once.
 */
function plainObjectRun(array: readonly unknown[], length: number, depth: number, run: ObjectRun): void {
  const { elements, arrays, keys, values, firstFields } = run;
  const known = Math.min(length, run.count);
  let i = 0;
  let element: unknown;
  let hasElement = false;
  // Of element i, when it differs: how many of its leading fields match, and whether the next one's value was read.
  let matched = 0;
  let valueRead = false;
  let value: unknown;
  for (; i < known; i++) {
    element = array[i];
    hasElement = true;
    matched = 0;
    valueRead = false;
    const isArray = arrays[i]!;
    // Only another object in the element's place is asked for its prototype: asking was a third of the time an
    // unchanged element took (~10 of ~30 ns).
    if (element !== elements[i]) {
      if (typeof element !== 'object' || element === null) break;
      const proto: unknown = Object.getPrototypeOf(element);
      if (proto !== Object.prototype && proto !== Array.prototype) break;
      if ((proto === Array.prototype) !== isArray) break;
    }
    const first = firstFields[i]!;
    const fields = firstFields[i + 1]! - first;
    if (isArray) {
      const tuple = element as readonly unknown[];
      if (tuple.length !== fields) break; // another header: written afresh
      for (; matched < fields; matched++) {
        value = tuple[matched];
        if (value !== values[first + matched] || (value === 0 && 1 / value < 0)) {
          valueRead = true;
          break;
        }
      }
      if (valueRead) break;
      hasElement = false;
      continue;
    }
    if (i === 0 && Object.getOwnPropertySymbols(element).length !== 0) break; // the writer below refuses it
    let differs = false;
    for (const key in element as Record<string, unknown>) {
      if (matched === fields || key !== keys[first + matched]) {
        differs = true; // a field more than last time, or another
        break;
      }
      value = (element as Record<string, unknown>)[key];
      if (value !== values[first + matched] || (value === 0 && 1 / value < 0)) {
        differs = valueRead = true;
        break;
      }
      matched++;
    }
    if (differs || matched !== fields) break;
    hasElement = false;
  }
  // From here on the run holds only what this write confirms, so a throw below leaves it right.
  run.count = i;
  const base = at;
  // Up to element i's first field that differs (its start, header excluded, when none of its fields matched).
  const copied = !hasElement || matched === 0
    ? run.elementOffsets[i]!
    : matched < firstFields[i + 1]! - firstFields[i]!
      ? run.fieldOffsets[firstFields[i]! + matched]!
      : run.elementOffsets[i + 1]!;
  if (base + copied > outSafeEnd) growTo(base + copied);
  out.set(run.bytes.subarray(0, copied), base);
  at = base + copied;
  // What the run keeps anew starts at element i: its header, copied, changes with its fields. Elements written from
  // here on join the run only once their bytes are kept, so a throw (a NaN further on) leaves the run right.
  const keptFrom = run.elementOffsets[i]!;
  for (; i < length; i++) {
    if (hasElement) hasElement = false;
    else {
      element = array[i];
      matched = 0;
      valueRead = false;
    }
    const proto: unknown = typeof element === 'object' && element !== null ? Object.getPrototypeOf(element) : undefined;
    if (proto !== Object.prototype && proto !== Array.prototype) {
      // Not an element this run can hold: the rest is written as any array's elements.
      endObjectRun(array, run, base, keptFrom, i);
      plainElements(array, i, length, depth, element, true);
      return;
    }
    const kept =
      proto === Array.prototype
        ? plainRunArray(element as readonly unknown[], i, depth, run, base, matched, valueRead, value)
        : plainRunElement(element as Record<string, unknown>, i, depth, run, base, matched, valueRead, value);
    if (!kept) {
      // Written, but with a field the run cannot hold: the run ends before it, the rest is written as any array's.
      endObjectRun(array, run, base, keptFrom, i);
      plainElements(array, i + 1, length, depth, undefined, false);
      return;
    }
  }
  endObjectRun(array, run, base, keptFrom, length);
}

/** The run now holds the array's first `count` elements: keep their bytes from `keptFrom` on; none is no run. */
function endObjectRun(array: readonly unknown[], run: ObjectRun, base: number, keptFrom: number, count: number): void {
  keepRunBytes(run, base, keptFrom, run.elementOffsets[count]!);
  run.count = count;
  if (count === 0) runs.set(array, null);
}

/** Element i of an object run begins at `offset`: the run forgets what it held from there, but the fields kept. */
function startRunElement(run: ObjectRun, i: number, offset: number, element: unknown, isArray: boolean, fieldsKept: number): void {
  run.elementOffsets[i] = offset;
  run.elements.length = run.arrays.length = i;
  run.elements.push(element);
  run.arrays.push(isArray);
  run.keys.length = run.values.length = run.fieldOffsets.length = fieldsKept;
}

/** Element i of an object run is held whole: its fields end before field `fieldsEnd`, its bytes at `offset`. */
function endRunElement(run: ObjectRun, i: number, fieldsEnd: number, offset: number): void {
  run.firstFields[i + 1] = fieldsEnd;
  run.elementOffsets[i + 1] = offset;
}

/**
 * Element i of an object run: its first `matched` fields, and its map header, are already in place (copied); when
 * `valueRead`, field `matched`'s value is `value`, read already. Returns whether the run still records: it stops at an
 * element with a field it cannot hold (an object, an array, bytes) or with 16 fields or more.
 */
function plainRunElement(
  record: Record<string, unknown>,
  i: number,
  depth: number,
  run: ObjectRun,
  base: number,
  matched: number,
  valueRead: boolean,
  value: unknown,
): boolean {
  if (depth + 1 >= MAX_DEPTH) throw notPlain;
  const header = matched === 0 ? at++ : base + run.elementOffsets[i]!;
  if (i === 0 && matched === 0 && Object.getOwnPropertySymbols(record).length !== 0) throw notPlain;
  const first = run.firstFields[i]!;
  startRunElement(run, i, header - base, record, false, first + matched);
  let recording = true;
  let length = 0;
  for (const key in record) {
    if (length < matched) {
      length++;
      continue;
    }
    if (at > outSafeEnd) growTo(at);
    if (key === '__proto__') throw notPlain;
    const fieldStart = at - base;
    plainString(key);
    const v = valueRead && length === matched ? value : record[key];
    plainValue(v, depth + 2);
    if (recording) {
      if (v !== null && typeof v === 'object') recording = false;
      else {
        run.fieldOffsets.push(fieldStart);
        run.keys.push(key);
        run.values.push(v);
      }
    }
    length++;
  }
  endMap(header, length);
  if (length >= 0x10) recording = false; // its header is no longer one byte
  if (recording) endRunElement(run, i, first + length, at - base);
  return recording;
}

/**
 * Element i of an object run that is an array: as plainRunElement, but its header is known before its elements, and a
 * run copies part of one only when it has as many elements as before.
 */
function plainRunArray(
  tuple: readonly unknown[],
  i: number,
  depth: number,
  run: ObjectRun,
  base: number,
  matched: number,
  valueRead: boolean,
  value: unknown,
): boolean {
  if (depth + 1 >= MAX_DEPTH) throw notPlain;
  const length = tuple.length;
  const header = matched === 0 ? at : base + run.elementOffsets[i]!;
  if (matched === 0) plainLength(length, 0x90, 0xdc);
  const first = run.firstFields[i]!;
  startRunElement(run, i, header - base, tuple, true, first + matched);
  let recording = true; // any length: an array's header is written before its elements, and never moved
  for (let j = matched; j < length; j++) {
    if (at > outSafeEnd) growTo(at);
    const valueStart = at - base;
    const v = valueRead && j === matched ? value : tuple[j];
    plainValue(v, depth + 2);
    if (recording) {
      if (v !== null && typeof v === 'object') recording = false;
      else {
        run.fieldOffsets.push(valueStart);
        run.keys.push('');
        run.values.push(v);
      }
    }
  }
  if (recording) endRunElement(run, i, first + length, at - base);
  return recording;
}

/**
 * The keys of an array's previous object element and each one's bytes, as big-endian 32-bit words: the elements of a
 * Raft's log are built alike, and writing a key's words is cheaper than encoding its characters again (with the for-in
 * below, an index/term/command entry went from ~150 to ~90 ns). Each key is compared first, so an element built otherwise
 * is written as before.
 */
type Shape = Array<{ key: string; words: number[]; bytes: number }>;
/** Within the 16 bytes of room every write has, so a key's words may write past its end. */
const shapeKeyBytesMax = 16;

/**
 * A plain object's fields. Symbol keys (which msgpackr drops, and the walk warns about) are looked for on every
 * object but the elements of an array after its first: Object.getOwnPropertySymbols takes ~120 ns an object here,
 * five times Object.keys, and one array's elements are built alike (the walk's warning names them all as one path,
 * `entries[]`).
 *
 * The fields are read with for-in, not Object.keys: V8 then reads each one through the object's enum cache (an entry's
 * three fields: 24 against 70 ns). The prototype is Object.prototype, whose enumerable keys writePlain refuses, so for-in yields the
 * own keys alone, in Object.keys' order. Unlike Object.keys it skips a field a getter deletes before it is reached
 * (msgpackr would write it as undefined). The field count is known at the end: a fixmap header is reserved, and moved
 * for 16 fields or more.
 */
function plainFields(value: object, depth: number, lookForSymbols: boolean, shape?: Shape): void {
  if (depth >= MAX_DEPTH) throw notPlain;
  if (lookForSymbols && Object.getOwnPropertySymbols(value).length !== 0) throw notPlain;
  const record = value as Record<string, unknown>;
  const header = at++;
  let length = 0;
  for (const key in record) {
    if (at > outSafeEnd) growTo(at);
    const known = shape?.[length];
    if (known !== undefined && known.key === key) {
      // The last word is padded: what it writes past the key lies beyond `at`, for the value to overwrite.
      const words = known.words;
      const view = outView;
      for (let j = 0, n = words.length; j < n; j++) view.setUint32(at + 4 * j, words[j]!);
      at += known.bytes;
    } else {
      if (key === '__proto__') throw notPlain;
      const start = at;
      plainString(key);
      if (shape !== undefined && at - start <= shapeKeyBytesMax) {
        const words: number[] = [];
        for (let j = start; j < at; j += 4) words.push(((out[j]! << 24) | (out[j + 1]! << 16) | (out[j + 2]! << 8) | out[j + 3]!) >>> 0);
        shape.length = length;
        shape.push({ key, words, bytes: at - start });
      }
    }
    plainValue(record[key], depth + 1);
    length++;
  }
  endMap(header, length);
}

/** A map's header, at `header`, once its `length` fields are written after it: a fixmap's byte, or moved for a longer one. */
function endMap(header: number, length: number): void {
  if (length < 0x10) {
    out[header] = 0x80 | length;
    return;
  }
  if (at > outSafeEnd) growTo(at);
  const headerBytes = length < 0x10000 ? 3 : 5;
  out.copyWithin(header + headerBytes, header + 1, at);
  const end = at + headerBytes - 1;
  at = header;
  plainLength(length, 0x80, 0xde);
  at = end;
}

function describe(kind: CodecWarningKind, path: string, detail: string): string {
  switch (kind) {
    case 'class-instance':
      return `${path} is ${detail}. Send plain objects and rebuild the class on arrival.`;
    case 'map':
      return `${path} is a Map: it arrives as a plain object whose keys are all strings (1 and "1" collide). Use a plain object with string keys, or an array of [key, value] pairs.`;
    case 'set':
      return `${path} is a Set: it arrives as an array of its elements. Use an array.`;
    case 'function':
      return `${path} is a function${detail === '' ? '' : ` (${detail})`}: functions cannot be sent and it arrives as undefined. Send data only.`;
    case 'undefined':
      return `${path} is undefined: it is sent as msgpackr's non-standard undefined extension and arrives as undefined (gob and JSON have no such value). Use null, or omit the field.`;
    case 'symbol':
      return `${path} has the symbol key ${detail}: symbol-keyed properties are not sent and are missing on arrival. Use a string key.`;
    case 'bigint':
      return `${path} is a bigint: it arrives as a bigint (64-bit range only; larger ones cannot be encoded), but Raft code expects numbers. Use a number (integers are exact up to 2^53-1).`;
    case 'non-finite':
      return `${path} is ${detail}: it arrives unchanged, but it usually signals a bug, and JSON (UI, logs) turns it into null. Use a finite number or null.`;
    case 'negative-zero':
      return `${path} is -0: it arrives as 0 (MessagePack writes it as the integer 0). Use 0.`;
    case 'sparse-array':
      return `${path} is a sparse array: each hole arrives as an explicit undefined element. Fill the holes (e.g. with null).`;
    case 'typed-array':
      return `${path} is ${withArticle(detail)}: its bytes arrive as a plain Uint8Array (the element type and view are lost). Use a Uint8Array or a number[].`;
    case 'proto-key':
      return `${path} is an own property named "__proto__": msgpackr renames it "__proto_" on arrival (a prototype-pollution guard). Rename the field.`;
    case 'lone-surrogate':
      return `${path} has a string ${detail} with an unpaired UTF-16 surrogate: strings travel as UTF-8, so it arrives with U+FFFD in its place. Use well-formed strings, or a Uint8Array for binary data.`;
  }
}

/** Deep copy through the wire format: what a peer would receive. */
export function clone<T>(codec: Codec, value: T, rootName?: string): T {
  return codec.decode<T>(codec.encode(value, rootName));
}
