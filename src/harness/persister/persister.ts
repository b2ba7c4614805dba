/**
 * The course's Persister, on lowdb: one per node, holding the Raft state and the snapshot as bytes with value
 * semantics (every save stores a copy, every read returns a copy). Stored in memory by default; optionally in a
 * readable JSON file per node, written atomically, so a student can open what a node persisted.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { LowSync, MemorySync, type SyncAdapter } from 'lowdb';
import { DataFileSync } from 'lowdb/node';
import type { Persister as RaftPersister } from '../../../labs/api/index.ts';
import type { Codec } from '../codec/index.ts';

/** What a persister holds. Both fields are owned by the persister and never handed out. */
export interface PersistedState {
  raftState: Uint8Array;
  snapshot: Uint8Array;
}

export type PersisterErrorCode = 'PERSISTER_CORRUPT' | 'PERSISTER_UNREADABLE' | 'PERSISTER_UNWRITABLE';

/** A persister file that cannot be used; the message names the file and what is wrong. */
export class PersisterError extends Error {
  readonly code: PersisterErrorCode;
  readonly file: string;
  constructor(code: PersisterErrorCode, file: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PersisterError';
    this.code = code;
    this.file = file;
  }
}

/** The on-disk form: readable, with the bytes kept exactly (base64) beside their decoded value. */
interface PersisterFileDoc {
  format: typeof fileFormat;
  node: string | number | null;
  raftState: FileBytes;
  snapshot: FileBytes;
}
interface FileBytes {
  bytes: number;
  base64: string;
  /** The codec's reading of the bytes, for people; absent when they do not decode. Never read back. */
  decoded?: unknown;
}

export const fileFormat = 'raftlab-persister/1';

const empty = (): PersistedState => ({ raftState: new Uint8Array(0), snapshot: new Uint8Array(0) });

export interface PersisterFileOptions {
  /** Used only to show the bytes as values in the file. */
  codec?: Codec;
  /** A label written into the file (e.g. the node's index). */
  node?: string | number;
  /** Load what the file holds (true), or start empty and overwrite it (false, the default). */
  load?: boolean;
}

function toFileBytes(bytes: Uint8Array, codec: Codec | undefined): FileBytes {
  const out: FileBytes = { bytes: bytes.length, base64: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64') };
  if (codec && bytes.length > 0) {
    try {
      out.decoded = codec.decode(bytes);
    } catch {
      // Not codec bytes (a student may persist anything): the base64 stays authoritative.
    }
  }
  return out;
}

function fromFileBytes(file: string, field: string, value: unknown): Uint8Array {
  const v = value as Partial<FileBytes> | null;
  if (!v || typeof v !== 'object' || typeof v.base64 !== 'string' || typeof v.bytes !== 'number') {
    throw new PersisterError('PERSISTER_CORRUPT', file, `persister file ${file} is corrupt: "${field}" must be { bytes, base64 }`);
  }
  const bytes = new Uint8Array(Buffer.from(v.base64, 'base64'));
  if (bytes.length !== v.bytes) {
    throw new PersisterError(
      'PERSISTER_CORRUPT',
      file,
      `persister file ${file} is corrupt: "${field}" says ${v.bytes} bytes but its base64 holds ${bytes.length}`,
    );
  }
  return bytes;
}

/** lowdb's atomic sync file adapter (temp file + rename), with our readable format and clear errors. */
function fileAdapter(file: string, options: PersisterFileOptions): SyncAdapter<PersistedState> {
  const inner = new DataFileSync<PersistedState>(file, {
    stringify: (data) => {
      const doc: PersisterFileDoc = {
        format: fileFormat,
        node: options.node ?? null,
        raftState: toFileBytes(data.raftState, options.codec),
        snapshot: toFileBytes(data.snapshot, options.codec),
      };
      return JSON.stringify(doc, null, 2) + '\n';
    },
    parse: (text) => {
      let doc: Partial<PersisterFileDoc>;
      try {
        doc = JSON.parse(text) as Partial<PersisterFileDoc>;
      } catch (error) {
        throw new PersisterError('PERSISTER_CORRUPT', file, `persister file ${file} is not valid JSON: ${(error as Error).message}`, {
          cause: error,
        });
      }
      if (!doc || typeof doc !== 'object' || doc.format !== fileFormat) {
        throw new PersisterError('PERSISTER_CORRUPT', file, `persister file ${file} is not a raftlab persister file (expected "format": "${fileFormat}")`);
      }
      return { raftState: fromFileBytes(file, 'raftState', doc.raftState), snapshot: fromFileBytes(file, 'snapshot', doc.snapshot) };
    },
  });
  return {
    read: () => {
      try {
        return inner.read();
      } catch (error) {
        if (error instanceof PersisterError) throw error;
        throw new PersisterError('PERSISTER_UNREADABLE', file, `cannot read persister file ${file}: ${(error as Error).message}`, { cause: error });
      }
    },
    write: (data) => {
      try {
        inner.write(data);
      } catch (error) {
        throw new PersisterError('PERSISTER_UNWRITABLE', file, `cannot write persister file ${file}: ${(error as Error).message}`, {
          cause: error,
        });
      }
    },
  };
}

interface FileBinding {
  path: string;
  options: PersisterFileOptions;
}

/** The course's Persister (labs/api) in memory or in a file, plus copy() for the tester's crashes. */
export class Persister implements RaftPersister {
  #db: LowSync<PersistedState>;
  /** Set when this persister currently mirrors a file; the file follows `copy()` to the newest persister. */
  #file: FileBinding | undefined;

  private constructor(db: LowSync<PersistedState>, file: FileBinding | undefined) {
    this.#db = db;
    this.#file = file;
  }

  /** An empty persister in memory (the course's MakePersister). */
  static memory(): Persister {
    return new Persister(new LowSync(new MemorySync<PersistedState>(), empty()), undefined);
  }

  /**
   * A persister mirrored to `file` (JSON, written atomically on every save). By default it starts empty and
   * overwrites the file; with `load: true` it starts from what the file holds.
   */
  static file(file: string, options: PersisterFileOptions = {}): Persister {
    mkdirSync(path.dirname(file), { recursive: true });
    const db = new LowSync(fileAdapter(file, options), empty());
    if (options.load) db.read();
    else db.write();
    return new Persister(db, { path: file, options });
  }

  /** The file this persister mirrors, if any. */
  get filePath(): string | undefined {
    return this.#file?.path;
  }

  /**
   * A new persister with the same contents. Later saves to either do not show in the other, so a copy taken when
   * a node crashes keeps what it had persisted while the dead instance writes on. A file, if any, moves to the copy.
   */
  copy(): Persister {
    const data = this.#db.data;
    const next = this.#file
      ? new Persister(new LowSync(fileAdapter(this.#file.path, this.#file.options), empty()), this.#file)
      : Persister.memory();
    // The buffers are never mutated in place (every save replaces them), so sharing them is a safe copy.
    next.#db.data = { raftState: data.raftState, snapshot: data.snapshot };
    if (this.#file) {
      next.#db.write();
      this.#db = new LowSync(new MemorySync<PersistedState>(), { raftState: data.raftState, snapshot: data.snapshot });
      this.#file = undefined;
    }
    return next;
  }

  saveRaftState(state: Uint8Array): void {
    this.#db.data = { raftState: state.slice(), snapshot: this.#db.data.snapshot };
    this.#db.write();
  }

  /** Save both in one step, as the lab requires for snapshots. */
  saveStateAndSnapshot(state: Uint8Array, snapshot: Uint8Array): void {
    this.#db.data = { raftState: state.slice(), snapshot: snapshot.slice() };
    this.#db.write();
  }

  readRaftState(): Uint8Array {
    return this.#db.data.raftState.slice();
  }

  readSnapshot(): Uint8Array {
    return this.#db.data.snapshot.slice();
  }

  raftStateSize(): number {
    return this.#db.data.raftState.length;
  }

  snapshotSize(): number {
    return this.#db.data.snapshot.length;
  }
}

/** Where node `node`'s persister file lives under `dir`. */
export function persisterFile(dir: string, node: string | number): string {
  return path.join(dir, `node-${node}.json`);
}
