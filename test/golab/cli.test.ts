// A Go lab as a student drives it: bin/raftlab.js spawned from a folder outside the repository, --impl the src/raft
// folder of a checkout (a copy of the fixture module, test/fixtures/go), with nothing preloaded.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { XMLParser } from 'fast-xml-parser';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const fixture = path.join(repo, 'test', 'fixtures', 'go', 'src');

interface Spawned {
  status: number | null;
  stdout: string;
  stderr: string;
}

function raftlab(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<Spawned> {
  const env = { ...process.env, ...options.env };
  delete env.NODE_OPTIONS;
  const child = spawn(process.execPath, [path.join(repo, 'bin', 'raftlab.js'), ...args], { cwd: options.cwd, env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
}

/** One line on stderr, exit 2: the CLI's answer to bad input. */
function badInput(r: Spawned, pattern: RegExp): void {
  assert.equal(r.status, 2, r.stdout + r.stderr);
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, pattern);
}

describe('golab: the CLI on a Go lab (spawned, from outside the repository)', function () {
  this.timeout(180_000);
  let home: string;
  let raft: string;
  before(() => {
    home = mkdtempSync(path.join(os.tmpdir(), 'raftlab-go-user-'));
    cpSync(fixture, path.join(home, '6.824', 'src'), { recursive: true });
    raft = path.join(home, '6.824', 'src', 'raft');
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  it('raftlab run: the table, clusters, traces, --json, --junit and history, for the Go test binary', async () => {
    const r = await raftlab(['run', '2A', '--impl', '6.824/src/raft', '--count', '2', '--parallel', '2', '--data', 'data', '--json', 'out.json', '--junit', 'out.xml'], { cwd: home });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /^raftlab run: 2 tests x 2 = 4 runs, the Go test binary \(go1\.\d+[.\d]*, (built in [\d.]+s|cached build)\) on the wall clock, runs 1\.\.2, 2 workers/);
    assert.match(r.stdout, /\n {5}2 x TestReElection2A \[checkOneLeader\] expected one leader, got none\n/);
    assert.match(r.stdout, /rerun: npx raftlab run '\^TestReElection2A\$' --count 20 --impl "6\.824\/src\/raft"/);
    assert.match(r.stdout, /FAIL: 4 runs, 2 failed/);
    assert.equal(r.stderr, '');
    const json = JSON.parse(readFileSync(path.join(home, 'out.json'), 'utf8')) as { batch: { lang?: string; mode: string }; runs: Array<{ id: string; status: string; lang?: string; traceFile?: string; site?: string; location?: string }> };
    assert.deepEqual({ lang: json.batch.lang, mode: json.batch.mode }, { lang: 'go', mode: 'real' });
    assert.equal(json.runs.length, 4);
    for (const run of json.runs) {
      assert.equal(run.lang, 'go');
      assert.equal(run.status, run.id === 'TestReElection2A' ? 'fail' : 'pass');
      if (run.status === 'fail') assert.deepEqual([run.site, /^config\.go:\d+$/.test(run.location!)], ['checkOneLeader', true]);
      assert.equal(!!run.traceFile, run.status === 'fail');
    }
    const xml = new XMLParser({ ignoreAttributes: false }).parse(readFileSync(path.join(home, 'out.xml'), 'utf8')) as { testsuite: { '@_tests': string; '@_failures': string } };
    assert.deepEqual([xml.testsuite['@_tests'], xml.testsuite['@_failures']], ['4', '2']);
    const batches = readdirSync(path.join(home, 'data', 'batches'));
    assert.equal(batches.length, 1);
    const settings = (JSON.parse(readFileSync(path.join(home, 'data', 'batches', batches[0]!, 'batch.json'), 'utf8')) as { settings: { lang?: string; mode: string } }).settings;
    assert.deepEqual({ lang: settings.lang, mode: settings.mode }, { lang: 'go', mode: 'real' });

    // A Go run's trace exports (here as dslogs's text, and as a column per server) but does not replay.
    const trace = json.runs.find((x) => x.traceFile)!.traceFile!;
    const text = await raftlab(['export', trace, '--format', 'text'], { cwd: home });
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /^000000 TEST TestReElection2A seed \d \(real clock, .*\): fail -- expected one leader, got none\n/);
    assert.match(text.stdout, /\n\d{6} TIMR S\d .*election timeout, candidate for T1/);
    const columns = await raftlab(['export', trace, '--format', 'columns'], { cwd: home });
    assert.match(columns.stdout, /^# TestReElection2A seed \d \(real\) fail: expected one leader, got none\nTIME {3}TOPC S0 +S1 +S2\n/);
    assert.match(columns.stdout, / TIMR +.*election timeout, candidate for T1/);
    badInput(await raftlab(['replay', trace], { cwd: home }), /^raftlab: .* is a run of a Go lab, which cannot be replayed \(Go seeds its tester from crypto\/rand and runs on the wall clock\); run the test again instead: npx raftlab run '\^TestReElection2A\$' --count 20 --impl /);
  });

  it("raftlab test: go test's lines, a failure with its site, a hang with its goroutines grouped, exit 1", async () => {
    const r = await raftlab(['test', 'TestReElection2A|TestSnapshotBasic2D', '--impl', raft, '--timeout', '3'], { cwd: home });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /^Test \(2A\): election after network failure \.\.\.\n--- FAIL: TestReElection2A \(1\.\d\ds\)\n {4}config\.go:\d+: expected one leader, got none\n/);
    assert.match(r.stdout, /run 1 of the Go test binary \(the wall clock, seeded by crypto\/rand: not replayable\); run it again: npx raftlab run '\^TestReElection2A\$' --count 20 --impl /);
    assert.match(r.stdout, /--- FAIL: TestSnapshotBasic2D \(3\.\d\ds\)\n {4}timeout \(WATCHDOG_TIMEOUT\) at raft\.go:\d+: the run did not finish within 3 s/);
    assert.match(r.stdout, /\n {4}\d+ goroutines in `rf\.mu\.Lock\(\)` at raft\.go:\d+/);
    assert.match(r.stdout, /\n {4}1 goroutine in `rf\.applyCh <- ApplyMsg\{SnapshotValid: true, .*` at raft\.go:\d+ \(raft\.\(\*Raft\)\.Snapshot, chan send\)\n/);
    assert.match(r.stdout, /\nFAIL\nFAIL\traft\t[\d.]+s\t\(2 of 2 runs failed\)\n$/);
    // Inside src/raft, no --impl: that folder is the lab.
    const here = await raftlab(['test', 'TestInitialElection2A'], { cwd: raft });
    assert.equal(here.status, 0, here.stdout + here.stderr);
    assert.match(here.stdout, /^Test \(2A\): initial election \.\.\.\n {2}\.\.\. Passed -- +\d+\.\d +3 +\d+ +\d+ +0\nPASS\nok {2}\traft\t[\d.]+s\n$/);
    assert.equal(here.stderr, '');
  });

  it('bad input is one line and exit 2: not a checkout, a build error with file:line, no Go, a TypeScript-only knob', async () => {
    const stray = path.join(home, 'stray');
    mkdirSync(stray, { recursive: true });
    writeFileSync(path.join(stray, 'raft.go'), 'package raft\n');
    badInput(
      await raftlab(['run', '2A', '--impl', stray], { cwd: home }),
      /^raftlab: \S+stray is not the raft folder of a 6\.824 checkout: no config\.go, no test_test\.go, no \.\.\/labrpc\/, no \.\.\/labgob\/, no \.\.\/go\.mod \(a Go lab is the checkout's src\/raft/,
    );

    const broken = path.join(home, 'broken');
    cpSync(fixture, broken, { recursive: true });
    const source = readFileSync(path.join(broken, 'raft', 'raft.go'), 'utf8');
    writeFileSync(path.join(broken, 'raft', 'raft.go'), `${source}\nfunc broken() {\n\tundefinedThing()\n}\n`);
    const line = source.split('\n').length + 2;
    badInput(await raftlab(['test', '2A', '--impl', path.join(broken, 'raft')], { cwd: home }), new RegExp(`^raftlab: \\S+broken/raft does not build \\(go test -c\\): raft\\.go:${line}:2: undefined: undefinedThing\\n$`));

    badInput(
      await raftlab(['run', '2A', '--impl', raft], { cwd: home, env: { RAFTLAB_GO: '/nonexistent/go' } }),
      /^raftlab: a Go lab needs the Go toolchain, and there is no go at \/nonexistent\/go \(RAFTLAB_GO\): install Go 1\.15 or newer \(Debian: apt-get install golang-go/,
    );
    badInput(await raftlab(['run', '2A', '--impl', raft], { cwd: home, env: { PATH: path.join(home, 'no-bin') } }), /^raftlab: a Go lab needs the Go toolchain, and there is no go on PATH: /);

    badInput(await raftlab(['run', '2A', '--impl', raft, '--chaos', 'drop=0.1'], { cwd: home }), /^raftlab: --chaos needs raftlab's simulated network: a Go lab runs the course's own labrpc/);
    badInput(await raftlab(['run', 'TestNope', '--impl', raft], { cwd: home }), /^raftlab: no test matches 'TestNope'\. Tests: TestInitialElection2A, TestReElection2A, TestBasicAgree2B, /);
    badInput(await raftlab(['run', '2A', '--race', '--impl', path.join(repo, 'labs', 'raft')], { cwd: home }), /^raftlab: --race builds a Go lab with Go's race detector; \S+ is a TypeScript implementation/);
  });
});
