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
  benchSavingAgain(codec);
}

/**
 * A Raft saves its whole log after every change. Saved again with one entry more, the same arrays let the codec copy
 * what it wrote for them last time (a run); the same entries in a new array every save are written afresh.
 */
function benchSavingAgain(codec: Codec): void {
  const entries = 3000;
  const saves = 300;
  const next = lcg(6825);
  const command = (): number => next() * 2 ** 21 + (next() >>> 11); // up to 2^53, as the tests' random commands
  const layouts: Array<[string, (log: { terms: number[]; commands: number[] }) => unknown]> = [
    ['columns of terms and commands (the reference)', (log) => ({ terms: log.terms, commands: log.commands })],
    ['{ index, term, command } objects (gostyle, the skeleton)', (log) => log.terms.map((term, i) => ({ index: i, term, command: log.commands[i] }))],
    ['[term, command] arrays (poll)', (log) => log.terms.map((term, i) => [term, log.commands[i]])],
  ];
  const rows: Record<string, Record<string, string | number>> = {};
  for (const [name, build] of layouts) {
    const log = { terms: [] as number[], commands: [] as number[] };
    for (let i = 0; i < entries + saves; i++) {
      log.terms.push(1 + (i >> 8));
      log.commands.push(command());
    }
    const full = build(log) as unknown[] | { terms: number[]; commands: number[] };
    // The log as it stands before each save: the same arrays grown by one (run), or new arrays of the same entries (afresh).
    const prefix = (value: typeof full, length: number): unknown =>
      Array.isArray(value) ? value.slice(0, length) : { terms: value.terms.slice(0, length), commands: value.commands.slice(0, length) };
    const timeSaves = (state: (k: number) => unknown): number => {
      const start = performance.now();
      for (let k = 0; k < saves; k++) codec.encode({ currentTerm: 9, votedFor: 1, log: state(k) });
      return ((performance.now() - start) * 1000) / saves;
    };
    // Best of 5 rounds, each on arrays of its own: the first rounds are the JIT's.
    let afreshUs = Infinity;
    let runUs = Infinity;
    let bytes = 0;
    for (let round = 0; round < 5; round++) {
      const afresh = Array.from({ length: saves }, (_, k) => prefix(full, entries + k));
      afreshUs = Math.min(afreshUs, timeSaves((k) => afresh[k]));
      const grown = prefix(full, entries) as unknown[] | { terms: number[]; commands: number[] };
      const grow = (k: number): unknown => {
        if (Array.isArray(grown)) grown.push((full as unknown[])[entries + k]);
        else {
          grown.terms.push(log.terms[entries + k]!);
          grown.commands.push(log.commands[entries + k]!);
        }
        return grown;
      };
      codec.encode({ log: grown });
      codec.encode({ log: grown });
      runUs = Math.min(runUs, timeSaves(grow));
      bytes = codec.encode({ currentTerm: 9, votedFor: 1, log: grown }).byteLength;
    }
    rows[name] = { 'bytes a save': bytes, 'µs a save, written afresh': afreshUs.toFixed(1), 'µs a save, copied from the last (run)': runUs.toFixed(1), 'run/afresh': (runUs / afreshUs).toFixed(2) };
  }
  console.log(`codec: a log of ${entries}–${entries + saves} entries saved ${saves} times, one entry more each time`);
  console.table(rows);
}
