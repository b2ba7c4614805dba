/**
 * A persister that reports each save, after it is stored, to a listener: how a trace sees what a node persists.
 * It stores nothing itself; every call goes to the persister it wraps (memory or file), so a node cannot tell it
 * is there. The course's Persister interface (labs/api) has three implementations: memory and file (persister.ts)
 * and this one.
 */
import type { Persister as RaftPersister } from '../../../labs/api/index.ts';

/** One save: the Raft state and, for saveStateAndSnapshot, the snapshot (the caller's buffers; read, never keep). */
export type PersisterSaveListener = (state: Uint8Array, snapshot: Uint8Array | undefined) => void;

export class TracingPersister implements RaftPersister {
  readonly inner: RaftPersister;
  readonly #onSave: PersisterSaveListener;

  constructor(inner: RaftPersister, onSave: PersisterSaveListener) {
    this.inner = inner;
    this.#onSave = onSave;
  }

  saveRaftState(state: Uint8Array): void {
    this.inner.saveRaftState(state);
    this.#onSave(state, undefined);
  }

  saveStateAndSnapshot(state: Uint8Array, snapshot: Uint8Array): void {
    this.inner.saveStateAndSnapshot(state, snapshot);
    this.#onSave(state, snapshot);
  }

  readRaftState(): Uint8Array {
    return this.inner.readRaftState();
  }

  readSnapshot(): Uint8Array {
    return this.inner.readSnapshot();
  }

  raftStateSize(): number {
    return this.inner.raftStateSize();
  }

  snapshotSize(): number {
    return this.inner.snapshotSize();
  }
}
