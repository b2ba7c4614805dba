// A run the checker failed (the tester passed it) is judged the same way when replayed: "recurred" means the same
// violation, from the CLI and from the app.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppServices } from '../../src/main/services/index.ts';
import { readTraceHeader } from '../../src/trace/index.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));

function raftlab(args: string[], cwd: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const child = spawn(process.execPath, [path.join(repo, 'bin', 'raftlab.js'), ...args], { cwd, env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
}

describe('replay judges as the run was judged', function () {
  this.timeout(120_000);
  let work: string;
  let trace: string;

  before(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), 'raftlab-checked-'));
    // votedFor not persisted: TestInitialElection2A passes the tester at seed 1; the checker names the vote rule.
    const run = await raftlab(
      ['run', 'TestInitialElection2A', '--impl', path.join(repo, 'labs/bugs/votedfor-not-persisted'), '--check', '--count', '1', '--seed', '1', '--data', path.join(work, 'data')],
      work,
    );
    assert.equal(run.status, 1, run.stdout + run.stderr);
    assert.match(run.stdout, /safety violation: Vote persisted before replying/);
    trace = /trace: (\S+\.trace\.gz)/.exec(run.stdout)![1]!;
    assert.equal((await readTraceHeader(trace)).checked, true);
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('from the CLI: the checker runs again and the same violation recurs', async () => {
    const r = await raftlab(['replay', trace], work);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /the safety checker judged the run, and judges the replay/);
    assert.match(r.stdout, /recorded: fail -- safety violation: Vote persisted before replying.*\nreplayed: fail -- safety violation: Vote persisted before replying/);
    assert.match(r.stdout, /the failure recurred\nthe trace is identical/);
  });

  it('from the app: the replay is checked and recurs', async () => {
    const service = new AppServices({ dataDir: path.join(work, 'data') });
    try {
      const replayed = await service.traces.replay(trace);
      assert.equal(replayed.checked, true);
      assert.equal(replayed.recurred, true);
      assert.equal(replayed.identical, true);
      assert.match(replayed.replayed.message ?? '', /^safety violation: Vote persisted before replying/);
    } finally {
      await service.close();
    }
  });
});
