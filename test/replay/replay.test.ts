import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { exportCommand } from '../../src/cli/export-command.ts';
import { replayCommand } from '../../src/cli/replay-command.ts';
import { readBundle } from '../../src/runner/bundle.ts';
import { findTest, loadImplementation, referenceImplDir, runTest } from '../../src/harness/tester/index.ts';
import { createTraceRecorder, encodeTrace, traceHeaderFor } from '../../src/trace/index.ts';

const buggy = fileURLToPath(new URL('../../labs/bugs/vote-without-up-to-date-check/', import.meta.url));

function sink(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, done) {
      text += String(chunk);
      done();
    },
  });
  return { stream, text: () => text };
}

describe('replay: a saved run re-runs from its trace file', () => {
  let dir: string;
  let file: string;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'raftlab-replay-'));
    // A failing sim run of a planted bug, saved as the runner saves it.
    const { make, describeState } = await loadImplementation(buggy);
    let recorder = createTraceRecorder();
    let result = await runTest(findTest('TestBackup2B')!, { mode: 'sim', seed: 1, make, describeState, ...recorder.options });
    for (let seed = 2; result.status === 'pass' && seed <= 50; seed++) {
      recorder = createTraceRecorder();
      result = await runTest(findTest('TestBackup2B')!, { mode: 'sim', seed, make, describeState, ...recorder.options });
    }
    assert.equal(result.status, 'fail', 'the planted bug fails TestBackup2B within 50 seeds');
    file = path.join(dir, 'run.trace.gz');
    writeFileSync(file, encodeTrace(traceHeaderFor(result, { impl: buggy, servers: 3 }), recorder.events));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a failed sim run replays to an identical trace, and the failure recurs', async () => {
    const out = sink();
    const { status, report } = await replayCommand(file, {}, out.stream);
    assert.equal(status, 0, out.text());
    assert.deepEqual({ recurred: report?.recurred, identical: report?.identical }, { recurred: true, identical: true });
    assert.match(out.text(), /the failure recurred\nthe trace is identical: \d+ events/);
  });

  it('against another implementation the failure does not recur and the first differing event is named', async () => {
    const out = sink();
    const { status, report } = await replayCommand(file, { impl: referenceImplDir }, out.stream);
    assert.equal(status, 1);
    assert.equal(report?.recurred, false);
    assert.equal(report?.identical, false);
    assert.ok(report!.firstDifference!.index > 0, 'the two runs share their beginning');
    assert.match(out.text(), /the outcome did NOT recur\nthe trace differs from event \d+ on/);
  });

  it('export --format bundle packs trace, seed, command and sources; replaying the bundle reproduces the run exactly', async () => {
    const bundleFile = path.join(dir, 'run.bundle.gz');
    const said = sink();
    assert.equal(await exportCommand(file, { format: 'bundle', out: bundleFile }, said.stream), 0);
    assert.match(said.text(), /bundle written: .*run\.bundle\.gz/);
    const bundle = readBundle(bundleFile)!;
    assert.equal(bundle.run.test, 'TestBackup2B');
    assert.equal(bundle.createdBy.node, process.version);
    // A planted bug travels as the code that ran: the reference's files with its patch applied, each with its hash.
    const paths = bundle.sources.files.map((f) => f.path);
    assert.ok(paths.includes('index.ts') && paths.includes('raft.ts'), paths.join(', '));
    assert.equal(bundle.impl.name, 'vote-without-up-to-date-check');
    assert.match(bundle.sources.files.find((f) => f.path === 'raft.ts')!.text, /./);
    const out = sink();
    const { status, report } = await replayCommand(bundleFile, {}, out.stream);
    assert.equal(status, 0, out.text());
    assert.deepEqual({ recurred: report?.recurred, identical: report?.identical, code: report?.impl.code }, { recurred: true, identical: true, code: 'bundle' });
    assert.match(out.text(), /bundle's own sources/);
  });

  it('a file that is not a trace is a clear error with status 2', async () => {
    const bad = path.join(dir, 'bad.trace.gz');
    writeFileSync(bad, 'not a trace');
    const err = sink();
    const { status } = await replayCommand(bad, {}, sink().stream, err.stream);
    assert.equal(status, 2);
    assert.match(err.text(), /^raftlab: .*bad\.trace\.gz/);
  });
});
