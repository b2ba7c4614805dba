import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Codec } from '../../src/harness/codec/index.ts';
import { Persister, PersisterError, TracingPersister, persisterFile } from '../../src/harness/persister/index.ts';

const bytes = (...values: number[]) => new Uint8Array(values);

describe('persister', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'raftlab-persister-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const adapters: Array<[string, () => Persister]> = [
    ['memory', () => Persister.memory()],
    ['file', () => Persister.file(persisterFile(dir, 0), { node: 0 })],
  ];

  for (const [name, make] of adapters) {
    describe(`${name} adapter`, () => {
      it('starts empty: reads give empty byte arrays and sizes are 0', () => {
        const p = make();
        assert.deepEqual(p.readRaftState(), new Uint8Array(0));
        assert.deepEqual(p.readSnapshot(), new Uint8Array(0));
        assert.equal(p.raftStateSize(), 0);
        assert.equal(p.snapshotSize(), 0);
      });

      it('saves and reads back with value semantics and real sizes', () => {
        const p = make();
        const state = bytes(1, 2, 3, 4, 5);
        p.saveRaftState(state);
        state[0] = 99; // the caller's buffer changing later must not reach the persister
        const read = p.readRaftState();
        assert.deepEqual(read, bytes(1, 2, 3, 4, 5));
        read[1] = 42; // nor may a reader's changes
        assert.deepEqual(p.readRaftState(), bytes(1, 2, 3, 4, 5));
        assert.equal(p.raftStateSize(), 5);
        assert.equal(p.snapshotSize(), 0);
      });

      it('saveStateAndSnapshot replaces both; saveRaftState keeps the snapshot', () => {
        const p = make();
        p.saveStateAndSnapshot(bytes(1, 2), bytes(7, 7, 7));
        assert.equal(p.raftStateSize(), 2);
        assert.equal(p.snapshotSize(), 3);
        p.saveRaftState(bytes(9));
        assert.deepEqual(p.readRaftState(), bytes(9));
        assert.deepEqual(p.readSnapshot(), bytes(7, 7, 7));
      });

      it('a copy taken at crash time keeps its contents while the old instance writes on', () => {
        const old = make();
        old.saveStateAndSnapshot(bytes(1), bytes(2));
        const saved = old.copy();
        old.saveStateAndSnapshot(bytes(10, 11), bytes(12, 13, 14)); // the zombie's late write
        assert.deepEqual(saved.readRaftState(), bytes(1));
        assert.deepEqual(saved.readSnapshot(), bytes(2));
        saved.saveRaftState(bytes(5, 5));
        assert.deepEqual(old.readRaftState(), bytes(10, 11), 'the copy writing does not reach the original either');
        assert.equal(saved.raftStateSize(), 2);
        assert.equal(old.snapshotSize(), 3);
      });
    });
  }

  describe('tracing persister', () => {
    it('reports what the memory persister saved, after saving it, and passes every read through', () => {
      const inner = Persister.memory();
      const saves: Array<{ state: number[]; snapshot: number[] | undefined; stored: number[] }> = [];
      const p = new TracingPersister(inner, (state, snapshot) => saves.push({ state: [...state], snapshot: snapshot && [...snapshot], stored: [...inner.readRaftState()] }));
      p.saveRaftState(bytes(1, 2));
      p.saveStateAndSnapshot(bytes(3), bytes(4, 5, 6));
      assert.deepEqual(saves, [
        { state: [1, 2], snapshot: undefined, stored: [1, 2] },
        { state: [3], snapshot: [4, 5, 6], stored: [3] },
      ]);
      assert.deepEqual([p.readRaftState(), p.readSnapshot(), p.raftStateSize(), p.snapshotSize()], [bytes(3), bytes(4, 5, 6), 1, 3]);
      inner.saveRaftState(bytes(9, 9)); // the tester's own writes (crash1) are not the node's: not reported
      assert.equal(saves.length, 2);
      assert.deepEqual(p.readRaftState(), bytes(9, 9));
    });
  });

  describe('file adapter', () => {
    it('writes one readable JSON file per node, with the codec showing values', () => {
      const codec = new Codec();
      const file = persisterFile(dir, 2);
      const p = Persister.file(file, { node: 2, codec });
      const state = { currentTerm: 3, votedFor: 1, log: [{ term: 0, command: null }, { term: 3, command: 'x' }] };
      p.saveStateAndSnapshot(codec.encode(state), codec.encode(17));
      const doc = JSON.parse(readFileSync(file, 'utf8'));
      assert.equal(doc.format, 'raftlab-persister/1');
      assert.equal(doc.node, 2);
      assert.deepEqual(doc.raftState.decoded, state);
      assert.equal(doc.snapshot.decoded, 17);
      assert.equal(doc.raftState.bytes, p.raftStateSize());
      const reopened = Persister.file(file, { load: true });
      assert.deepEqual(codec.decode(reopened.readRaftState()), state);
      assert.equal(codec.decode(reopened.readSnapshot()), 17);
    });

    it('the file follows the copy: the crashed instance no longer changes it', () => {
      const file = persisterFile(dir, 0);
      const old = Persister.file(file);
      old.saveRaftState(bytes(1, 1));
      const current = old.copy();
      assert.equal(current.filePath, file);
      assert.equal(old.filePath, undefined);
      old.saveRaftState(bytes(6, 6, 6, 6));
      assert.equal(JSON.parse(readFileSync(file, 'utf8')).raftState.bytes, 2);
      current.saveRaftState(bytes(3, 3, 3));
      assert.equal(JSON.parse(readFileSync(file, 'utf8')).raftState.bytes, 3);
    });

    it('a corrupt file is a clear error naming the file', () => {
      const file = persisterFile(dir, 1);
      const cases: Array<[string, RegExp]> = [
        ['{ not json', /is not valid JSON/],
        ['{"hello": 1}', /is not a raftlab persister file/],
        [JSON.stringify({ format: 'raftlab-persister/1', node: 1, raftState: { bytes: 5, base64: 'AQI=' }, snapshot: { bytes: 0, base64: '' } }), /says 5 bytes but its base64 holds 2/],
        [JSON.stringify({ format: 'raftlab-persister/1', node: 1, raftState: 'x', snapshot: { bytes: 0, base64: '' } }), /"raftState" must be/],
      ];
      for (const [text, message] of cases) {
        writeFileSync(file, text);
        assert.throws(
          () => Persister.file(file, { load: true }),
          (e: unknown) => e instanceof PersisterError && e.code === 'PERSISTER_CORRUPT' && e.file === file && message.test(e.message) && e.message.includes(file),
        );
      }
    });

    it('a folder that cannot be written is a clear error naming the file', () => {
      const sub = path.join(dir, 'sub');
      const file = path.join(sub, 'node-0.json');
      const p = Persister.file(file);
      // Replace the folder by a plain file: writing fails for any user, root included.
      rmSync(sub, { recursive: true });
      writeFileSync(sub, 'not a folder');
      assert.throws(
        () => p.saveRaftState(bytes(1)),
        (e: unknown) => e instanceof PersisterError && e.code === 'PERSISTER_UNWRITABLE' && e.message.includes(file),
      );
    });
  });
});
