import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Codec } from '../src/harness/codec/index.ts';
import { Persister, persisterFile } from '../src/harness/persister/index.ts';

/** Saves per second of a typical Raft state (term, vote, a 100-entry log of int commands), per adapter. */
export default async function benchPersister(): Promise<void> {
  const codec = new Codec();
  const log = [{ term: 0, command: null as number | null }];
  for (let i = 1; i <= 100; i++) log.push({ term: 1 + (i >> 4), command: (i * 2_654_435_761) % 2_147_483_647 });
  const state = codec.encode({ currentTerm: 7, votedFor: 2, log });
  const dir = mkdtempSync(path.join(tmpdir(), 'raftlab-bench-'));
  const rows = [];
  try {
    const adapters: Array<[string, () => Persister, number]> = [
      ['memory', () => Persister.memory(), 200_000],
      ['file', () => Persister.file(persisterFile(dir, 0), { node: 0 }), 2_000],
      ['file + decoded view', () => Persister.file(persisterFile(dir, 1), { node: 1, codec }), 2_000],
    ];
    for (const [name, make, saves] of adapters) {
      const p = make();
      const t0 = performance.now();
      for (let i = 0; i < saves; i++) p.saveRaftState(state);
      const ms = performance.now() - t0;
      rows.push({ adapter: name, 'state (bytes)': state.length, saves, 'saves / s': Math.round(saves / (ms / 1000)) });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log('\npersister: saveRaftState of a 100-entry Raft state');
  console.table(rows);
}
