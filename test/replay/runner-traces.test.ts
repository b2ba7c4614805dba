import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { replayCommand } from '../../src/cli/replay-command.ts';
import { runCommand } from '../../src/cli/run-command.ts';
import { referenceImplDir } from '../../src/harness/tester/index.ts';
import { runBatch } from '../../src/runner/batch.ts';
import { readTraceEvents, readTraceHeader } from '../../src/trace/index.ts';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/impls/${name}/`, import.meta.url));
const quiet = () => new Writable({ write: (_c, _e, done) => done() });

describe('runner: traces of runs', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'raftlab-traces-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps a trace file for each failed run only (--keep failed), and each replays identically', async () => {
    let text = '';
    const out = new Writable({
      write(chunk, _enc, done) {
        text += String(chunk);
        done();
      },
    });
    const status = await runCommand(
      '^TestInitialElection2A$',
      { count: 2, mode: 'sim', seed: 3, parallel: 2, impl: fixture('never-elects'), history: false, out: dir },
      { out, err: { write: () => true }, argv: [] },
    );
    assert.equal(status, 1);
    const files = readdirSync(dir).sort();
    assert.deepEqual(files, ['TestInitialElection2A-seed3-sim.trace.gz', 'TestInitialElection2A-seed4-sim.trace.gz']);
    assert.match(text, /trace: .*TestInitialElection2A-seed3-sim\.trace\.gz/);
    const header = await readTraceHeader(path.join(dir, files[0]!));
    assert.equal(header.status, 'fail');
    assert.equal(header.message, 'expected one leader, got none');
    const replay = await replayCommand(path.join(dir, files[0]!), {}, quiet());
    assert.deepEqual({ recurred: replay.report?.recurred, identical: replay.report?.identical }, { recurred: true, identical: true });

    // Passing runs keep nothing by default.
    const passing = path.join(dir, 'passing');
    assert.equal(
      await runCommand('^TestInitialElection2A$', { count: 2, mode: 'sim', seed: 3, history: false, out: passing }, { out: quiet(), err: { write: () => true }, argv: [] }),
      0,
    );
    assert.equal(existsSync(passing), false);
  });

  it('--keep all keeps passing runs too; a run whose worker crashed keeps the trace up to the crash', async () => {
    const batch = await runBatch({
      tests: [{ id: 'TestInitialElection2A' }],
      count: 1,
      baseSeed: 1,
      mode: 'sim',
      implDir: referenceImplDir,
      parallel: 1,
      trace: { keep: 'all', dir },
    });
    assert.equal(batch.records[0]!.status, 'pass');
    assert.ok(batch.records[0]!.traceFile && existsSync(batch.records[0]!.traceFile));

    const crashed = await runBatch({
      tests: [{ id: 'TestInitialElection2A' }],
      count: 1,
      baseSeed: 1,
      mode: 'sim',
      implDir: fixture('unhandled-rejection'),
      parallel: 1,
      trace: { keep: 'failed', dir: path.join(dir, 'crash') },
    });
    const record = crashed.records[0]!;
    assert.equal(record.errorCode, 'UNHANDLED_REJECTION');
    assert.ok(record.traceFile, 'the crashed run kept its trace');
    const header = await readTraceHeader(record.traceFile);
    assert.equal(header.status, 'error');
    let events = 0;
    for await (const _ of readTraceEvents(record.traceFile)) events++;
    assert.ok(events > 0, 'events up to the crash');
  });

  it('--keep failed runs a sim run untraced and records a failed one by running its seed again: the same trace as --keep all', async () => {
    const events = async (file: string) => {
      const out: unknown[] = [];
      for await (const e of readTraceEvents(file)) out.push(e);
      return out;
    };
    const options = { tests: [{ id: 'TestInitialElection2A' }], count: 2, baseSeed: 5, mode: 'sim' as const, implDir: fixture('never-elects'), parallel: 1 };
    const failed = await runBatch({ ...options, trace: { keep: 'failed', dir: path.join(dir, 'failed') } });
    const all = await runBatch({ ...options, trace: { keep: 'all', dir: path.join(dir, 'all') } });
    for (const [i, record] of failed.records.entries()) {
      assert.equal(record.status, 'fail');
      assert.ok(record.traceFile, 'a failed run keeps its trace');
      assert.equal(record.traceError, undefined);
      assert.deepEqual(await events(record.traceFile), await events(all.records[i]!.traceFile!), `seed ${record.seed}: the trace of the run`);
      assert.deepEqual({ ...record, runId: '', traceFile: '', wallMs: 0, dispatchWallMs: 0, freshWorker: false }, { ...all.records[i]!, runId: '', traceFile: '', wallMs: 0, dispatchWallMs: 0, freshWorker: false }, 'the record of the run');
    }
  });

  it('says so, and keeps no trace, when a failed run does not fail the same way from its seed again', async () => {
    const batch = await runBatch({
      tests: [{ id: 'TestInitialElection2A' }],
      count: 40,
      baseSeed: 1,
      mode: 'sim',
      implDir: fixture('fails-either-way'),
      parallel: 2,
      trace: { keep: 'failed', dir },
    });
    let traced = 0;
    let untraceable = 0;
    for (const record of batch.records) {
      assert.equal(record.status, 'fail');
      if (record.traceFile) {
        traced++;
        assert.equal((await readTraceHeader(record.traceFile)).message, record.message, 'a trace kept is of a run that ended as this one did');
      } else {
        untraceable++;
        assert.match(record.traceError ?? '', /^no trace: run again from its seed to record one, it did not end the same way \(message: .+\); the implementation is not deterministic under the sim clock/);
      }
    }
    // Each run's two ways are equally likely: 40 runs all alike would be a 1 in 2^39 chance.
    assert.ok(traced > 0 && untraceable > 0, `${traced} traced, ${untraceable} not`);
  });

  it('does not run again a run the wall-clock watchdog stopped: no trace, and the record says why', async () => {
    const batch = await runBatch({
      tests: [{ id: 'TestFigure8Unreliable2C' }],
      count: 1,
      baseSeed: 1,
      mode: 'sim',
      // Its thousands of RPCs spin 3 ms of real time each: many seconds of wall, far past the budget.
      implDir: fixture('slow-but-steady'),
      parallel: 1,
      trace: { keep: 'failed', dir },
      pool: { timeoutMs: () => 200 },
    });
    const record = batch.records[0]!;
    assert.equal(record.errorCode, 'WATCHDOG_TIMEOUT');
    assert.equal(record.traceFile, undefined);
    assert.match(record.traceError ?? '', /^no trace: a run stopped by the wall-clock watchdog is not run again/);
  });

  it('keeps the verdict of a failed run whose describeState breaks when traced, and says why it has no trace', async () => {
    const batch = await runBatch({ tests: [{ id: 'TestInitialElection2A' }], count: 1, baseSeed: 1, mode: 'sim', implDir: fixture('fails-with-bad-describe'), parallel: 1, trace: { keep: 'failed', dir } });
    const record = batch.records[0]!;
    assert.deepEqual([record.status, record.message], ['fail', 'expected one leader, got none']);
    assert.equal(record.traceFile, undefined);
    assert.match(record.traceError ?? '', /^no trace: recording it ended the run with an error: server \d: describeState threw: not written yet$/);
  });
});

