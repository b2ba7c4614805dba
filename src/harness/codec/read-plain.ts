// ---- the plain-data reader ------------------------------------------------------------------------------------
// The decode twin of the codec's plain writer: one pass over MessagePack made only of what the codec writes for
// plain data (nil, booleans, integers up to 32 bits, float64, ASCII strings, binary, arrays, and maps whose keys are
// ASCII strings other than "__proto__"), building the very values msgpackr's unpack builds with the codec's options
// (the codec's tests compare the two on random values and on corrupted bytes). At the first byte outside that set,
// or bytes that end early or run on, it gives up (undefined) and decode takes msgpackr, which reads or reports them
// as before. It exists for speed: in a traced run of a Raft that saves its log as an array of entry objects (the trace
// reads every save), msgpackr's reading was ~39 % of the run process; this reader reads such a log in about half the
// time (a micro-benchmark: 2 400 entries in 251 against 503 µs) and small RPCs about as fast.

/** Thrown (never caught outside readPlain) at the first byte the plain reader leaves to msgpackr. */
const notPlain = new Error('not plain MessagePack');
/** Deeper than this is left to msgpackr (which reports a stack overflow its own way). */
const readDepthMax = 500;

let src: Uint8Array = new Uint8Array(0);
/** A view on src, made at its first multi-byte number (most small messages have none). */
let view: DataView | undefined;
let pos = 0;
let end = 0;
/** A getter or a proxy never runs here, but a reader re-entered through one would share the cursor: refuse. */
let reading = false;

/** The value `bytes` hold, or undefined where msgpackr must read them (undefined itself is never plain). */
export function readPlain(bytes: Uint8Array): unknown {
  return readRoot(bytes, undefined, undefined);
}

function readRoot(bytes: Uint8Array, before: Version | undefined, after: KeptArray[] | undefined): unknown {
  if (reading) return undefined;
  reading = true;
  src = bytes;
  view = undefined;
  pos = 0;
  end = bytes.length;
  previous = before;
  keeping = after;
  insideKept = 0;
  try {
    const value = readValue(0);
    return pos === end ? value : undefined;
  } catch (error) {
    if (error === notPlain) return undefined;
    throw error; // a bug in this reader: loud
  } finally {
    reading = false;
    src = emptyBytes;
    view = undefined;
    previous = undefined;
    keeping = undefined;
    srcBuffer = undefined;
  }
}
const emptyBytes = new Uint8Array(0);

function dataView(): DataView {
  return (view ??= new DataView(src.buffer, src.byteOffset, src.byteLength));
}

/** `n` more bytes are there, or this is not plain (msgpackr reports the truncation). */
function need(n: number): void {
  if (pos + n > end) throw notPlain;
}

function readValue(depth: number): unknown {
  if (pos >= end) throw notPlain;
  const token = src[pos++]!;
  if (token < 0x80) return token; // positive fixint
  if (token < 0x90) return readMap(token - 0x80, depth);
  if (token < 0xa0) return readArray(token - 0x90, depth);
  if (token < 0xc0) return readString(token - 0xa0);
  if (token >= 0xe0) return token - 0x100; // negative fixint
  switch (token) {
    case 0xc0:
      return null;
    case 0xc2:
      return false;
    case 0xc3:
      return true;
    case 0xc4:
      return readBin(u8());
    case 0xc5:
      return readBin(u16());
    case 0xc6:
      return readBin(u32());
    case 0xcb:
      return dataView().getFloat64(take(8));
    case 0xcc:
      return u8();
    case 0xcd:
      return u16();
    case 0xce:
      return u32();
    case 0xd0:
      return dataView().getInt8(take(1));
    case 0xd1:
      return dataView().getInt16(take(2));
    case 0xd2:
      return dataView().getInt32(take(4));
    case 0xd9:
      return readString(u8());
    case 0xda:
      return readString(u16());
    case 0xdb:
      return readString(u32());
    case 0xdc:
      return readArray(u16(), depth);
    case 0xdd:
      return readArray(u32(), depth);
    case 0xde:
      return readMap(u16(), depth);
    case 0xdf:
      return readMap(u32(), depth);
    default:
      // 0xc1 (never used), extensions (undefined, records, dates...), float32, 64-bit integers: msgpackr's.
      throw notPlain;
  }
}

/** The position of the next `n` bytes, now passed; not plain (msgpackr reports the truncation) if they are not there. */
function take(n: number): number {
  need(n);
  const at = pos;
  pos += n;
  return at;
}
const u8 = (): number => src[take(1)]!;
const u16 = (): number => dataView().getUint16(take(2));
const u32 = (): number => dataView().getUint32(take(4));

function readBin(length: number): Uint8Array {
  need(length);
  // A copy, as msgpackr's copyBuffers makes: decoded bytes own their memory.
  return src.slice(pos, (pos += length));
}

function readArray(length: number, depth: number): unknown[] {
  if (depth >= readDepthMax || length > end - pos) throw notPlain; // each element takes a byte at least
  if (keeping !== undefined && insideKept === 0 && length >= keptLengthMin && startsContainer()) return readKeptArray(length, depth);
  const array: unknown[] = new Array(length);
  for (let i = 0; i < length; i++) {
    // Logs are long runs of small integers and float64s: those inline.
    const token = src[pos]!;
    if (token < 0x80) {
      array[i] = token;
      pos++;
    } else if (token === 0xcb && pos + 9 <= end) {
      array[i] = dataView().getFloat64(pos + 1);
      pos += 9;
    } else {
      array[i] = readValue(depth + 1);
    }
  }
  return array;
}

function readMap(length: number, depth: number): Record<string, unknown> {
  if (depth >= readDepthMax || length > (end - pos) / 2) throw notPlain; // each entry takes two bytes at least
  const object: Record<string, unknown> = {};
  for (let i = 0; i < length; i++) {
    const key = readKey();
    object[key] = readValue(depth + 1);
  }
  return object;
}

/** ASCII text of `length` bytes at pos; anything else is msgpackr's (its UTF-8 reading, its replacement rules). */
function readString(length: number): string {
  const at = take(length);
  for (let i = at; i < at + length; i++) if (src[i]! >= 0x80) throw notPlain;
  return asciiText(src, at, length);
}

function readKey(): string {
  const token = u8();
  let length: number;
  if (token >= 0xa0 && token < 0xc0) {
    length = token - 0xa0;
  } else if (token === 0xd9) {
    length = u8();
  } else {
    throw notPlain; // a non-string key, or a long one: msgpackr's (it turns numbers and booleans into strings)
  }
  const key = asciiKey(src, take(length), length);
  if (key === undefined || key === '__proto__') throw notPlain; // not ASCII: msgpackr's; "__proto__": msgpackr renames it
  return key;
}

// ---- ASCII text and map keys, for this reader and the trace's (src/trace/summarize-encoded.ts) ------------------

const asciiDecoder = new TextDecoder('utf-8', { ignoreBOM: true });

/** `length` bytes at `at`, already checked to be ASCII, as text. */
export function asciiText(bytes: Uint8Array, at: number, length: number): string {
  if (length > 32) return asciiDecoder.decode(bytes.subarray(at, at + length));
  let text = '';
  for (let i = at; i < at + length; i++) text += String.fromCharCode(bytes[i]!);
  return text;
}

// Map keys repeat (every entry of a log has the same few), so each distinct short key is built once: a small cache
// of keys by length and first and last bytes, checked byte for byte.
const keyCacheSize = 4096;
const keyBytesCachedMax = 24;
const keyCacheBytes: Array<Uint8Array | undefined> = new Array<Uint8Array | undefined>(keyCacheSize).fill(undefined);
const keyCacheStrings: string[] = new Array<string>(keyCacheSize).fill('');

/**
 * The `length` bytes at `at` as a map key if they are ASCII (undefined if not): the text asciiText builds, built once
 * while it stays in the cache (a key found there is ASCII already: its bytes are checked one by one).
 */
export function asciiKey(bytes: Uint8Array, at: number, length: number): string | undefined {
  const end = at + length;
  if (length > keyBytesCachedMax) {
    for (let j = at; j < end; j++) if (bytes[j]! >= 0x80) return undefined;
    return asciiText(bytes, at, length);
  }
  let hash = length;
  for (let i = at; i < end && i < at + 4; i++) hash = (hash * 31 + bytes[i]!) | 0;
  const slot = (hash ^ (length > 4 ? bytes[end - 1]! << 7 : 0)) & (keyCacheSize - 1);
  const known = keyCacheBytes[slot];
  if (known !== undefined && known.length === length) {
    let i = 0;
    while (i < length && known[i] === bytes[at + i]) i++;
    if (i === length) return keyCacheStrings[slot]!;
  }
  for (let j = at; j < end; j++) if (bytes[j]! >= 0x80) return undefined;
  const key = asciiText(bytes, at, length);
  keyCacheBytes[slot] = bytes.slice(at, end);
  keyCacheStrings[slot] = key;
  return key;
}

// ---- successive versions of one value -------------------------------------------------------------------------
// A Raft saves its whole state on every change, and a traced run reads every save (describeState, or field names):
// each version is mostly the one before with an entry or two appended. A SuccessiveReader keeps the last version's
// long arrays (each element as read, in a copy nobody else holds, and where its bytes end) and, where a long array's
// bytes in the new version begin with the bytes of the old one, hands out copies of the old elements instead of
// reading them again. The same bytes read as the same value, so what it returns is what readPlain returns.

/**
 * Shorter arrays are read as they come, and so are arrays of numbers and other primitives (as column-wise logs
 * are): reading them is already about as fast as copying them, and the arrays handed out stay as readArray makes
 * them, which is what the trace's own readers of saved logs are fast on.
 */
const keptLengthMin = 32;

/** Whether the value at pos is a map or an array (the first element of an array of entries). */
function startsContainer(): boolean {
  const token = src[pos];
  return token !== undefined && ((token >= 0x80 && token < 0xa0) || (token >= 0xdc && token <= 0xdf));
}

/**
 * A long array of the last version: its elements (never handed out), where each element's bytes end (counted from
 * the array's first element), and what each element is, for copying it.
 */
interface KeptArray {
  start: number;
  ends: number[];
  elements: unknown[];
  /** Element i is a primitive (0), a plain object of primitives (1), or anything else (2). */
  kinds: number[];
}
interface Version {
  /** Its bytes, and maybe more after them (kept arrays never reach past the version's end). */
  bytes: Buffer;
  /** Its long arrays in the order the reading met them (outside one another). */
  arrays: KeptArray[];
}

/** The version being read against, and the long arrays of the one being read. */
let previous: Version | undefined;
let keeping: KeptArray[] | undefined;
/** > 0 while reading an element of a kept array: arrays inside it are its element's, not kept on their own. */
let insideKept = 0;
/** src as a Buffer, for comparing ranges of bytes natively. */
let srcBuffer: Buffer | undefined;
let reusedElements = 0;

export class SuccessiveReader {
  #last: Version | undefined;
  /** How many elements the last read took from the version before it instead of reading them (for tests and benches). */
  reused = 0;
  /**
   * Where the last version's bytes are copied (they are the caller's, and may change): one buffer, grown by
   * doubling. A fresh copy per save would be memory outside the heap for every save, and the collections it
   * brings.
   */
  #copy: Buffer = Buffer.allocUnsafeSlow(0);

  /** The value `bytes` hold, exactly as readPlain reads them (undefined: msgpackr's to read), reusing the last version. */
  read(bytes: Uint8Array): unknown {
    const arrays: KeptArray[] = [];
    const last = this.#last;
    // The last version's arrays become this one's (reading changes them): it is gone whether or not this read succeeds.
    this.#last = undefined;
    reusedElements = 0;
    const value = readRoot(bytes, last, arrays);
    this.reused = value === undefined ? 0 : reusedElements;
    if (value === undefined || arrays.length === 0) return value; // nothing to reuse next time
    if (this.#copy.length < bytes.length) this.#copy = Buffer.allocUnsafeSlow(Math.max(bytes.length, 2 * this.#copy.length));
    this.#copy.set(bytes);
    this.#last = { bytes: this.#copy, arrays };
    return value;
  }
}

function readKeptArray(length: number, depth: number): unknown[] {
  const start = pos;
  const before = previous?.arrays[keeping!.length];
  let reusable = 0;
  if (before !== undefined && before.elements.length > 0) {
    // The old array's elements whose bytes all begin the new array too.
    const oldBytes = before.ends[before.ends.length - 1]!;
    const same = samePrefixBytes(previous!.bytes, before.start, Math.min(oldBytes, end - pos));
    reusable = Math.min(length, elementsWithin(before.ends, same));
  }
  // The old array's record, cut to what is reused, becomes the new one's.
  const kept: KeptArray = before ?? { start, ends: [], elements: [], kinds: [] };
  kept.start = start;
  kept.elements.length = reusable;
  kept.ends.length = reusable;
  kept.kinds.length = reusable;
  keeping!.push(kept);
  const { elements, kinds } = kept;
  // Each element copied: a spread where it holds only primitives.
  const array: unknown[] = [];
  for (let i = 0; i < reusable; i++) {
    const kind = kinds[i];
    const element = elements[i];
    array.push(kind === 0 ? element : kind === 1 ? { ...(element as Record<string, unknown>) } : copyOf(element));
  }
  if (reusable > 0) pos = start + kept.ends[reusable - 1]!;
  reusedElements += reusable;
  insideKept++;
  try {
    for (let i = reusable; i < length; i++) {
      const element = readValue(depth + 1);
      array.push(element);
      const kind = kindOf(element);
      kinds.push(kind);
      elements.push(kind === 0 ? element : copyOf(element));
      kept.ends.push(pos - start);
    }
  } finally {
    insideKept--;
  }
  return array;
}

/** 0: a primitive; 1: a plain object whose fields are all primitives; 2: anything else. */
function kindOf(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  if (Array.isArray(value) || value instanceof Uint8Array) return 2;
  for (const key in value) {
    const field = (value as Record<string, unknown>)[key];
    if (typeof field === 'object' && field !== null) return 2;
  }
  return 1;
}

/** How many of `length` bytes from `oldStart` in `old` are the bytes from pos in src (the longest equal prefix). */
function samePrefixBytes(old: Buffer, oldStart: number, length: number): number {
  srcBuffer ??= Buffer.from(src.buffer, src.byteOffset, src.byteLength);
  const equal = (n: number): boolean => srcBuffer!.compare(old, oldStart, oldStart + n, pos, pos + n) === 0;
  if (length <= 0 || equal(length)) return Math.max(0, length);
  let lo = 0; // equal
  let hi = length; // not equal
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (equal(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** The number of elements whose bytes end at or before `limit` (ends ascend). */
function elementsWithin(ends: readonly number[], limit: number): number {
  if (ends[ends.length - 1]! <= limit) return ends.length;
  let lo = 0;
  let hi = ends.length - 1; // ends[hi] > limit
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ends[mid]! <= limit) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A copy of a value as this reader builds them (plain objects, arrays, Uint8Arrays, primitives), nothing shared. */
function copyOf(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const copy: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) copy[i] = copyOf(value[i]);
    return copy;
  }
  if (value instanceof Uint8Array) return value.slice();
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const key in copy) {
    const field = copy[key];
    if (typeof field === 'object' && field !== null && Object.hasOwn(copy, key)) copy[key] = copyOf(field);
  }
  return copy;
}
