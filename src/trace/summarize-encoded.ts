/**
 * summarize(codec.decode(bytes)), read straight from the bytes: a trace keeps only the first few entries of an
 * AppendEntries (defaultSummarizeLimits), and decoding all of them only to drop them took 20 % of a traced
 * TestFigure8Unreliable2C's run process, before the collections it caused. What is dropped is still read through, so
 * that bytes the full path could not decode are never summarized.
 *
 * It reads the MessagePack that the codec writes for plain data and gives up (undefined) at anything else, where the
 * caller decodes in full: an extension or a byte MessagePack leaves unused, a 64-bit integer or a 32-bit float, a
 * number that is not finite, a map key that is not a string or that starts with a digit (objects list such keys
 * first, not in the order written), `__proto__`, text that is not ASCII, too few or too many bytes.
 * Within that, the result is the full path's, key order included (test/trace/summarize-encoded.test.ts compares the
 * two on random values).
 */
import { asciiKey, asciiText } from '../harness/codec/read-plain.ts';
import { bytesSummary, cutString, longArraySummary, summaryCut, type SummarizeLimits } from './events.ts';

/** Thrown (never caught outside summarizeEncoded) at the first thing the reader leaves to the full path. */
const notSimple = new Error('not simple MessagePack');
const noBytes = new Uint8Array(0);

const noView: DataView<ArrayBufferLike> = new DataView(noBytes.buffer);

let bytes: Uint8Array = noBytes;
let view = noView;
let pos = 0;
let limits: SummarizeLimits;

/** summarize(codec.decode(encoded), limitsNow), or undefined where only the full path can say. */
export function summarizeEncoded(encoded: Uint8Array, limitsNow: SummarizeLimits): { value: unknown } | undefined {
  // At depth 0 the whole value would be '…', and a caller reading its term needs the value itself.
  if (!(limitsNow.maxDepth >= 1)) return undefined;
  bytes = encoded;
  view = new DataView(encoded.buffer, encoded.byteOffset, encoded.byteLength);
  pos = 0;
  limits = limitsNow;
  try {
    const value = read(0);
    return pos === bytes.length ? { value } : undefined;
  } catch (error) {
    if (error === notSimple) return undefined;
    throw error;
  } finally {
    bytes = noBytes; // keep no payload alive
    view = noView;
  }
}

function take(n: number): number {
  const at = pos;
  if (at + n > bytes.length) throw notSimple;
  pos = at + n;
  return at;
}

const u8 = (): number => bytes[take(1)]!;
const u16 = (): number => view.getUint16(take(2));
const u32 = (): number => view.getUint32(take(4));

/** One value, summarized (skip: read through and validated, nothing built). */
function read(depth: number, skip = false): unknown {
  const b = u8();
  if (b < 0x80) return b;
  if (b < 0x90) return map(b & 0x0f, depth, skip);
  if (b < 0xa0) return array(b & 0x0f, depth, skip);
  if (b < 0xc0) return text(b & 0x1f, skip);
  if (b >= 0xe0) return b - 0x100;
  switch (b) {
    case 0xc0:
      return null;
    case 0xc2:
      return false;
    case 0xc3:
      return true;
    case 0xc4:
      return binary(u8());
    case 0xc5:
      return binary(u16());
    case 0xc6:
      return binary(u32());
    case 0xcb: {
      const x = view.getFloat64(take(8));
      if (!Number.isFinite(x)) throw notSimple;
      return x;
    }
    case 0xcc:
      return u8();
    case 0xcd:
      return u16();
    case 0xce:
      return u32();
    case 0xd0:
      return view.getInt8(take(1));
    case 0xd1:
      return view.getInt16(take(2));
    case 0xd2:
      return view.getInt32(take(4));
    case 0xd9:
      return text(u8(), skip);
    case 0xda:
      return text(u16(), skip);
    case 0xdb:
      return text(u32(), skip);
    case 0xdc:
      return array(u16(), depth, skip);
    case 0xdd:
      return array(u32(), depth, skip);
    case 0xde:
      return map(u16(), depth, skip);
    case 0xdf:
      return map(u32(), depth, skip);
    default:
      throw notSimple;
  }
}

function binary(length: number): unknown {
  take(length);
  return bytesSummary(length);
}

function ascii(length: number): number {
  const at = take(length);
  for (let i = at; i < at + length; i++) if (bytes[i]! >= 0x80) throw notSimple;
  return at;
}

function text(length: number, skip: boolean): unknown {
  const at = ascii(length);
  if (skip) return undefined;
  return cutString(asciiText(bytes, at, Math.min(length, limits.maxString)), length, limits);
}

function array(length: number, depth: number, skip: boolean): unknown {
  if (skip || depth >= limits.maxDepth) {
    skipItems(length, depth + 1);
    return summaryCut;
  }
  if (length <= limits.maxArray) {
    const out: unknown[] = [];
    for (let i = 0; i < length; i++) out.push(read(depth + 1));
    return out;
  }
  const head: unknown[] = [];
  const kept = Math.min(length, limits.keep);
  for (let i = 0; i < kept; i++) head.push(read(depth + 1));
  skipItems(length - kept, depth + 1);
  return longArraySummary(length, head);
}

/**
 * Read through `count` items that a summary drops. Numbers, most of a long log's items, are stepped over here; what
 * they hold cannot change the summary (a NaN the full path decodes is dropped as well).
 */
function skipItems(count: number, depth: number): void {
  const end = bytes.length;
  for (let i = 0; i < count; i++) {
    const b = bytes[pos];
    if (b === undefined) throw notSimple;
    if (b < 0x80 || b >= 0xe0) pos += 1;
    else if (b === 0xcb) pos += 9;
    else if (b === 0xcc || b === 0xd0) pos += 2;
    else if (b === 0xcd || b === 0xd1) pos += 3;
    else if (b === 0xce || b === 0xd2) pos += 5;
    else {
      read(depth, true);
      continue;
    }
    if (pos > end) throw notSimple;
  }
}

function map(length: number, depth: number, skip: boolean): unknown {
  if (skip || depth >= limits.maxDepth) {
    for (let i = 0; i < length; i++) {
      ascii(keyLength());
      skipItems(1, depth + 1);
    }
    return summaryCut;
  }
  // A repeated key is assigned again, keeping its first place, as the full path's decoded object does.
  const out: Record<string, unknown> = {};
  for (let i = 0; i < length; i++) {
    const key = mapKey();
    out[key] = read(depth + 1);
  }
  return out;
}

function keyLength(): number {
  const b = u8();
  if (b >= 0xa0 && b < 0xc0) return b & 0x1f;
  if (b === 0xd9) return u8();
  if (b === 0xda) return u16();
  if (b === 0xdb) return u32();
  throw notSimple;
}

function mapKey(): string {
  const length = keyLength();
  const at = take(length);
  const first = bytes[at];
  if (first !== undefined && first >= 0x30 && first <= 0x39) throw notSimple;
  const key = asciiKey(bytes, at, length);
  if (key === undefined || key === '__proto__') throw notSimple;
  return key;
}
