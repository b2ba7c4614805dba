/**
 * Codec throughput and size for a typical AppendEntries, against plain JSON (TextEncoder + JSON.stringify /
 * TextDecoder + JSON.parse) in the same run. Ratios only; no asserts.
 * Run alone: npx tsx -e "import('./bench/codec.bench.ts').then(m=>m.default())"
 */
import { performance } from 'node:perf_hooks';
import { Codec } from '../src/harness/codec/index.ts';

interface AppendEntriesArgs {
  term: number;
  leaderId: number;
  prevLogIndex: number;
  prevLogTerm: number;
  entries: { term: number; command: number | string }[];
  leaderCommit: number;
}

/** Fixed LCG (Numerical Recipes constants): same data every run. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0);
}

function appendEntries(count: number, stringLength: number): AppendEntriesArgs {
  const next = lcg(6824);
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_';
  const entries: AppendEntriesArgs['entries'] = [];
  for (let i = 0; i < count; i++) {
    let command: number | string = next();
    if (stringLength > 0) {
      let s = '';
      for (let j = 0; j < stringLength; j++) s += alphabet[next() & 63];
      command = s;
    }
    entries.push({ term: 7 + (i >> 5), command });
  }
  return { term: 10, leaderId: 2, prevLogIndex: 1234, prevLogTerm: 7, entries, leaderCommit: 1200 };
}

/** Round trips per second, measured over ~budgetMs after a warm-up. */
function rate(roundTrip: () => void, budgetMs: number): number {
  const warmupEnd = performance.now() + budgetMs / 4;
  while (performance.now() < warmupEnd) roundTrip();
  let n = 0;
  const start = performance.now();
  let elapsed: number;
  do {
    for (let i = 0; i < 16; i++) roundTrip();
    n += 16;
    elapsed = performance.now() - start;
  } while (elapsed < budgetMs);
  return (n / elapsed) * 1000;
}

export default async function benchCodec(): Promise<void> {
  const codec = new Codec();
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const cases: [string, AppendEntriesArgs][] = [
    ['AppendEntries, 100 int commands', appendEntries(100, 0)],
    ['AppendEntries, 100 × 5000-char commands', appendEntries(100, 5000)],
  ];
  const rows: Record<string, Record<string, string | number>> = {};
  let sink = 0;
  for (const [name, args] of cases) {
    const codecBytes = codec.encode(args, 'AppendEntriesArgs').byteLength;
    const jsonBytes = encoder.encode(JSON.stringify(args)).byteLength;
    const codecRate = rate(() => {
      sink += codec.decode<AppendEntriesArgs>(codec.encode(args, 'AppendEntriesArgs')).leaderCommit;
    }, 1000);
    const jsonRate = rate(() => {
      sink += (JSON.parse(decoder.decode(encoder.encode(JSON.stringify(args)))) as AppendEntriesArgs).leaderCommit;
    }, 1000);
    rows[name] = {
      'codec round trips/s': Math.round(codecRate),
      'JSON round trips/s': Math.round(jsonRate),
      'speed codec/JSON': (codecRate / jsonRate).toFixed(2),
      'codec bytes': codecBytes,
      'JSON bytes': jsonBytes,
      'size codec/JSON': (codecBytes / jsonBytes).toFixed(3),
    };
  }
  if (codec.warningCount !== 0 || sink === 0) console.log('unexpected: codec warned or nothing decoded');
  console.log('codec: encode+decode round trips (MessagePack: plain data in one checking pass, the rest through the warning walk and msgpackr) vs JSON');
  console.table(rows);
}
