// ---- the plain-data reader ------------------------------------------------------------------------------------
// The decode twin of the codec's plain writer: one pass over MessagePack made only of what the codec writes for
// plain data (nil, booleans, integers up to 32 bits, float64, ASCII strings, binary, arrays, and maps whose keys are
// ASCII strings other than "__proto__"), building the very values msgpackr's unpack builds with the codec's options
// (the codec's tests compare the two on random values and on corrupted bytes). At the first byte outside that set,
// or bytes that end early or run on, it gives up (undefined) and decode takes msgpackr, which reads or reports them
// as before. It exists for speed: msgpackr's reader was ~40 % of a traced sweep of a Raft that saves its log as an
// array of entry objects (decoding every save), and a large part of each RPC's delivery.

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
  if (reading) return undefined;
  reading = true;
  src = bytes;
  view = undefined;
  pos = 0;
  end = bytes.length;
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
  let value: number;
  switch (token) {
    case 0xc0:
      return null;
    case 0xc2:
      return false;
    case 0xc3:
      return true;
    case 0xc4:
      need(1);
      return readBin(src[pos++]!);
    case 0xc5:
      need(2);
      value = dataView().getUint16(pos);
      pos += 2;
      return readBin(value);
    case 0xc6:
      need(4);
      value = dataView().getUint32(pos);
      pos += 4;
      return readBin(value);
    case 0xcb:
      need(8);
      value = dataView().getFloat64(pos);
      pos += 8;
      return value;
    case 0xcc:
      need(1);
      return src[pos++];
    case 0xcd:
      need(2);
      value = dataView().getUint16(pos);
      pos += 2;
      return value;
    case 0xce:
      need(4);
      value = dataView().getUint32(pos);
      pos += 4;
      return value;
    case 0xd0:
      need(1);
      return dataView().getInt8(pos++);
    case 0xd1:
      need(2);
      value = dataView().getInt16(pos);
      pos += 2;
      return value;
    case 0xd2:
      need(4);
      value = dataView().getInt32(pos);
      pos += 4;
      return value;
    case 0xd9:
      need(1);
      return readString(src[pos++]!);
    case 0xda:
      need(2);
      value = dataView().getUint16(pos);
      pos += 2;
      return readString(value);
    case 0xdb:
      need(4);
      value = dataView().getUint32(pos);
      pos += 4;
      return readString(value);
    case 0xdc:
      need(2);
      value = dataView().getUint16(pos);
      pos += 2;
      return readArray(value, depth);
    case 0xdd:
      need(4);
      value = dataView().getUint32(pos);
      pos += 4;
      return readArray(value, depth);
    case 0xde:
      need(2);
      value = dataView().getUint16(pos);
      pos += 2;
      return readMap(value, depth);
    case 0xdf:
      need(4);
      value = dataView().getUint32(pos);
      pos += 4;
      return readMap(value, depth);
    default:
      // 0xc1 (never used), extensions (undefined, records, dates...), float32, 64-bit integers: msgpackr's.
      throw notPlain;
  }
}

function readBin(length: number): Uint8Array {
  need(length);
  // A copy, as msgpackr's copyBuffers makes: decoded bytes own their memory.
  return src.slice(pos, (pos += length));
}

function readArray(length: number, depth: number): unknown[] {
  if (depth >= readDepthMax || length > end - pos) throw notPlain; // each element takes a byte at least
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
  need(length);
  const start = pos;
  const stop = start + length;
  if (length <= 16) {
    let text = '';
    for (let i = start; i < stop; i++) {
      const byte = src[i]!;
      if (byte >= 0x80) throw notPlain;
      text += String.fromCharCode(byte);
    }
    pos = stop;
    return text;
  }
  for (let i = start; i < stop; i++) if (src[i]! >= 0x80) throw notPlain;
  pos = stop;
  return asciiDecoder.decode(src.subarray(start, stop));
}
const asciiDecoder = new TextDecoder('utf-8', { ignoreBOM: true });

// Map keys repeat (every entry of a log has the same few), so each distinct short key is built once: a small cache
// of ASCII keys by length and first bytes, checked byte for byte.
const keyCacheSize = 4096;
const keyCacheBytes: Array<Uint8Array | undefined> = new Array<Uint8Array | undefined>(keyCacheSize).fill(undefined);
const keyCacheStrings: string[] = new Array<string>(keyCacheSize).fill('');

function readKey(): string {
  need(1);
  const token = src[pos]!;
  let length: number;
  if (token >= 0xa0 && token < 0xc0) {
    length = token - 0xa0;
    pos += 1;
  } else if (token === 0xd9) {
    need(2);
    length = src[pos + 1]!;
    pos += 2;
  } else {
    throw notPlain; // a non-string key, or a long one: msgpackr's (it turns numbers and booleans into strings)
  }
  need(length);
  if (length > 24) {
    const key = readString(length);
    if (key === '__proto__') throw notPlain;
    return key;
  }
  const start = pos;
  let h = length;
  for (let i = 0; i < length && i < 4; i++) h = (h * 31 + src[start + i]!) | 0;
  h = (h ^ (length > 4 ? src[start + length - 1]! << 7 : 0)) & (keyCacheSize - 1);
  const cached = keyCacheBytes[h];
  if (cached !== undefined && cached.length === length) {
    let same = true;
    for (let i = 0; i < length; i++) {
      if (cached[i] !== src[start + i]) {
        same = false;
        break;
      }
    }
    if (same) {
      pos = start + length;
      return keyCacheStrings[h]!;
    }
  }
  const key = readString(length);
  if (key === '__proto__') throw notPlain; // msgpackr renames it
  keyCacheBytes[h] = src.slice(start, start + length);
  keyCacheStrings[h] = key;
  return key;
}
