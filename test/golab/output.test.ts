// Reading a Go test binary's output (src/golab), line by line, into a verdict and a trace: over text in the formats
// the Go toolchain prints (taken from Go 1.19's own output), without building anything.
import assert from 'node:assert/strict';
import { GoOutput, GoSourceIndex, parseDebugLine, parseEventLine, parseGoroutines, parsePassedLine, triageGoroutines, describeTriage, type GoLab } from '../../src/golab/index.ts';
import { formatGoBuildErrors } from '../../src/golab/build.ts';
import { goImports, modulePathOf } from '../../src/golab/lab.ts';
import { parseGoVersion } from '../../src/golab/toolchain.ts';
import { sourcesFormat, type SourceSnapshot } from '../../src/harness/loader/index.ts';

const lab: GoLab = { packageDir: '/home/s/6.824/src/raft', moduleDir: '/home/s/6.824/src', modulePath: '6.824' };
const raftGo = ['package raft', ...Array.from({ length: 300 }, (_, i) => `// line ${i + 2}`)];
raftGo[209] = '\trf.mu.Lock() // wait for it';
raftGo[387] = '\trf.applyCh <- msg';
raftGo[69] = '\treturn rf.currentTerm, rf.role == leader';
const snapshot: SourceSnapshot = {
  format: sourcesFormat,
  implDir: 'raft',
  entry: 'raft/raft.go',
  files: [
    { path: 'raft/raft.go', sha256: '0'.repeat(64), text: raftGo.join('\n') },
    { path: 'raft/config.go', sha256: '0'.repeat(64), text: ['package raft', ...Array.from({ length: 338 }, () => ''), 'func (cfg *config) checkOneLeader() int {', ...Array.from({ length: 10 }, () => '\t// …')].join('\n') },
  ],
  packages: [],
  hash: '0'.repeat(64),
};
const R = '/home/s/6.824/src/raft';

function read(testId: string, stdout: string, stderr = ''): GoOutput {
  const out = new GoOutput(testId, lab, snapshot);
  let t = 0;
  for (const line of stdout.split('\n')) out.push('stdout', line, (t += 1));
  for (const line of stderr.split('\n')) out.push('stderr', line, (t += 1));
  return out;
}
const exit = (code: number | null, wallMs = 1234) => ({ code, signal: null, wallMs });

describe('golab: reading a Go test binary', () => {
  it('reads the tester lines: Test (2A) … and the Passed figures, with and without bytes (2020)', () => {
    assert.deepEqual(parsePassedLine('  ... Passed --   3.5  3   58   16186    0'), { seconds: 3.5, peers: 3, rpcs: 58, bytes: 16186, commands: 0 });
    assert.deepEqual(parsePassedLine('  ... Passed --   4.1  5  202    12'), { seconds: 4.1, peers: 5, rpcs: 202, bytes: 0, commands: 12 });
    assert.equal(parsePassedLine('Passed 3'), undefined);
    const out = read('TestInitialElection2A', '=== RUN   TestInitialElection2A\nTest (2A): initial election ...\n  ... Passed --   3.0  3   60   16000    0\n--- PASS: TestInitialElection2A (3.02s)\nPASS');
    const v = out.verdict(exit(0));
    assert.equal(v.status, 'pass');
    assert.equal(v.testMs, 3020);
    assert.equal(v.passed?.rpcs, 60);
    assert.equal(out.description, 'Test (2A): initial election');
    const events = out.events({ status: 'pass', atMs: 9 });
    assert.equal(events[0]!.kind, 'test-begin');
    assert.deepEqual(events.at(-1), { t: 9, kind: 'test-end', status: 'pass' });
  });

  it("a failure: the first message, the check that reported it (config.go:NNN's function), every message, continuation lines", () => {
    const out = read(
      'TestReElection2A',
      '=== RUN   TestReElection2A\nTest (2A): election after network failure ...\n    config.go:345: expected one leader, got none\n    test_test.go:88: second\n        and more\n--- FAIL: TestReElection2A (5.67s)\nFAIL',
    );
    const v = out.verdict(exit(1));
    assert.deepEqual(
      { status: v.status, message: v.message, site: v.site, location: v.location, all: v.failureMessages, testMs: v.testMs },
      { status: 'fail', message: 'expected one leader, got none', site: 'checkOneLeader', location: 'config.go:345', all: ['expected one leader, got none', 'second\nand more'], testMs: 5670 },
    );
  });

  it("an apply error ends the binary (log.Fatalf): the test fails with the course's message, log prefix or not", () => {
    for (const line of ['2026/12/01 21:44:51 apply error: commit index=3 server=1 300 != server=2 200', 'apply error: commit index=3 server=1 300 != server=2 200']) {
      const v = read('TestBasicAgree2B', '=== RUN   TestBasicAgree2B\nTest (2B): basic agreement ...', line).verdict(exit(1));
      assert.deepEqual({ status: v.status, message: v.message, site: v.site }, { status: 'fail', message: 'apply error: commit index=3 server=1 300 != server=2 200', site: 'applier' });
    }
  });

  it("a panic: its message, and the student's frame first (Go's own frames on top dropped), as the site", () => {
    const stderr = [
      'panic: runtime error: index out of range [5] with length 3',
      '',
      'goroutine 19 [running]:',
      'panic({0x5d3a20, 0xc000118018})',
      '\t/usr/lib/go-1.19/src/runtime/panic.go:884 +0x212',
      '6.824/raft.(*Raft).crash(0x0?, 0x0?)',
      `\t${R}/raft.go:36 +0x57`,
      '6.824/labrpc.(*Server).dispatch(0xc00008d7a0)',
      '\t/home/s/6.824/src/labrpc/labrpc.go:130 +0x3e5',
      'created by 6.824/raft.TestPanic2B',
      `\t${R}/test_test.go:30 +0x6a`,
    ].join('\n');
    const v = read('TestFailAgree2B', '=== RUN   TestFailAgree2B', stderr).verdict(exit(2));
    assert.equal(v.status, 'error');
    assert.equal(v.errorCode, 'GO_PANIC');
    assert.equal(v.message, 'panic: runtime error: index out of range [5] with length 3');
    assert.equal(v.site, 'raft.go:36');
    assert.deepEqual(v.stack!.split('\n').slice(1), ['    at raft.(*Raft).crash (raft.go:36)', '    at labrpc.(*Server).dispatch (labrpc/labrpc.go:130)']);
  });

  it('a recovered and re-raised panic reports the last one', () => {
    const stderr = 'panic: first [recovered]\n\tpanic: second\n\ngoroutine 7 [running]:\n6.824/raft.(*Raft).Start(0x1)\n\t' + R + '/raft.go:12 +0x1';
    const v = read('TestX2A', '=== RUN   TestX2A\n--- FAIL: TestX2A (0.00s)', stderr).verdict(exit(2));
    assert.equal(v.message, 'panic: second');
  });

  it('groups a goroutine dump by where the goroutines wait, naming the line they wait on', () => {
    const lockAt = (id: number, line: number) => [
      `goroutine ${id} [semacquire, 2 minutes]:`,
      'sync.runtime_SemacquireMutex(0x0?, 0x0?, 0x0?)',
      '\t/usr/lib/go-1.19/src/runtime/sema.go:77 +0x25',
      'sync.(*Mutex).Lock(...)',
      '\t/usr/lib/go-1.19/src/sync/mutex.go:90',
      '6.824/raft.(*Raft).ticker(0xc0000ca040)',
      `\t${R}/raft.go:${line} +0x4d fp=0xc00003c7c8 sp=0xc00003c7a8 pc=0x4f706d`,
      'created by 6.824/raft.Make',
      `\t${R}/raft.go:400 +0x1`,
      '',
    ];
    const dump = [
      'SIGQUIT: quit',
      'PC=0x468560 m=0 sigcode=0',
      '',
      'goroutine 1 [chan receive]:',
      'testing.(*T).Run(0xc0000964e0, {0x5278c4?, 0x4b8105?}, 0x531b10)',
      '\t/usr/lib/go-1.19/src/testing/testing.go:1494 +0x37a',
      '',
      ...Array.from({ length: 12 }, (_, i) => lockAt(20 + i, 210)).flat(),
      'goroutine 8 [chan send]:',
      'runtime.chansend1(0x0?, 0x0?)',
      '\t/usr/lib/go-1.19/src/runtime/chan.go:145 +0x1d',
      '6.824/raft.(*Raft).applier(0xc0000ca040)',
      `\t${R}/raft.go:388 +0x4b`,
      '',
      'rax    0xfffffffffffffffc',
    ];
    const goroutines = parseGoroutines(dump);
    assert.equal(goroutines.length, 14);
    assert.equal(goroutines[1]!.state, 'semacquire');
    const triage = triageGoroutines(goroutines, new GoSourceIndex(lab, snapshot));
    assert.equal(triage.runtime, 1);
    assert.deepEqual(
      triage.groups.map((g) => [g.count, g.code, g.site, g.waits]),
      [
        [12, 'rf.mu.Lock()', 'raft.go:210', 'lock'],
        [1, 'rf.applyCh <- msg', 'raft.go:388', 'channel'],
      ],
    );
    assert.equal(
      describeTriage(triage),
      '12 goroutines in `rf.mu.Lock()` at raft.go:210 (raft.(*Raft).ticker, semacquire); 1 in `rf.applyCh <- msg` at raft.go:388 (raft.(*Raft).applier, chan send)',
    );
    // A stopped run keeps the dump, grouped, and names the largest group's site.
    const out = read('TestFigure82C', '=== RUN   TestFigure82C', dump.join('\n'));
    const v = out.verdict({ ...exit(2), stopped: { code: 'WATCHDOG_TIMEOUT', status: 'timeout', message: 'the run did not finish within 150 s' } });
    assert.equal(v.status, 'timeout');
    assert.match(v.message!, /^the run did not finish within 150 s: 12 goroutines in `rf\.mu\.Lock\(\)` at raft\.go:210/);
    assert.equal(v.site, 'raft.go:210');
    assert.equal(v.goroutines?.groups.length, 2);
    assert.match(v.goroutineDump!, /^SIGQUIT: quit/);
  });

  it('deduplicates -race reports by their pair of stacks, cut at the student\'s frame, in either order', () => {
    const report = (a: string[], b: string[], op = ['Read', 'Previous write']) => [
      '==================',
      'WARNING: DATA RACE',
      `${op[0]} at 0x00c00005a030 by goroutine 8:`,
      ...a,
      '',
      `${op[1]} at 0x00c00005a030 by goroutine 7:`,
      ...b,
      '',
      'Goroutine 8 (running) created at:',
      '  6.824/raft.Make()',
      `      ${R}/raft.go:397 +0x2c5`,
      '==================',
    ];
    const getState = (caller: string) => ['  6.824/raft.(*Raft).GetState()', `      ${R}/raft.go:70 +0x26c`, `  6.824/raft.(*config).${caller}()`, `      ${R}/config.go:${caller.length} +0x1`];
    const elect = ['  6.824/raft.(*Raft).startElection()', `      ${R}/raft.go:267 +0x76`, '  6.824/raft.(*Raft).ticker()', `      ${R}/raft.go:259 +0x38c`];
    const stderr = [
      ...report(getState('checkOneLeader'), elect),
      ...report(getState('checkTerms'), elect), // the same racing lines from another caller
      ...report(elect, getState('checkOneLeader'), ['Write', 'Previous read']), // the other order
      ...report(['  6.824/raft.(*Raft).Start()', `      ${R}/raft.go:222 +0x1`], elect),
    ].join('\n');
    const stdout = '=== RUN   TestConcurrentStarts2B\n    testing.go:1319: race detected during execution of test\n--- FAIL: TestConcurrentStarts2B (0.25s)';
    const v = read('TestConcurrentStarts2B', stdout, stderr).verdict(exit(1));
    assert.equal(v.status, 'error');
    assert.equal(v.errorCode, 'GO_DATA_RACE');
    assert.equal(v.raceReports, 4);
    assert.deepEqual(
      v.races!.map((r) => [r.count, r.summary]),
      [
        [3, 'read at raft.go:70 in raft.(*Raft).GetState vs write at raft.go:267 in raft.(*Raft).startElection'],
        [1, 'read at raft.go:222 in raft.(*Raft).Start vs write at raft.go:267 in raft.(*Raft).startElection'],
      ],
    );
    assert.equal(v.message, 'data race: read at raft.go:70 in raft.(*Raft).GetState vs write at raft.go:267 in raft.(*Raft).startElection (and 1 more)');
    assert.equal(v.site, 'raft.go:70');
  });

  it('a test failure beside a race stays the failure, with the races attached', () => {
    const stderr = ['==================', 'WARNING: DATA RACE', 'Write at 0x1 by goroutine 8:', '  6.824/raft.(*Raft).a()', `      ${R}/raft.go:5 +0x1`, '', 'Previous read at 0x1 by goroutine 7:', '  6.824/raft.(*Raft).b()', `      ${R}/raft.go:6 +0x1`, '=================='].join('\n');
    const stdout = '=== RUN   TestX2B\n    config.go:10: one(100) failed to reach agreement\n    testing.go:1319: race detected during execution of test\n--- FAIL: TestX2B (1.00s)';
    const v = read('TestX2B', stdout, stderr).verdict(exit(1));
    assert.deepEqual({ status: v.status, message: v.message, races: v.races?.length }, { status: 'fail', message: 'one(100) failed to reach agreement', races: 1 });
  });

  it('exits that say nothing: no such test, a plain exit status, a fatal error with its goroutines', () => {
    const none = read('TestNope2A', 'testing: warning: no tests to run\nPASS').verdict(exit(0));
    assert.equal(none.errorCode, 'GO_NO_SUCH_TEST');
    const died = read('TestX2A', '=== RUN   TestX2A', 'something odd').verdict(exit(3));
    assert.deepEqual({ code: died.errorCode, message: died.message }, { code: 'GO_EXIT', message: 'the test binary exited with status 3 before TestX2A ended: something odd' });
    const stderr = `fatal error: all goroutines are asleep - deadlock!\n\ngoroutine 1 [chan send]:\n6.824/raft.(*Raft).applier(0x1)\n\t${R}/raft.go:388 +0x1`;
    const dead = read('TestX2A', '=== RUN   TestX2A', stderr).verdict(exit(2));
    assert.equal(dead.errorCode, 'GO_DEADLOCK');
    assert.match(dead.message!, /^fatal error: all goroutines are asleep - deadlock!: 1 goroutine in `rf\.applyCh <- msg` at raft\.go:388/);
  });

  it('debug lines in the dslogs convention become log events on their node, on the program\'s own clock', () => {
    assert.deepEqual(parseDebugLine('008258 VOTE S0 C1 asking for vote'), { goMs: 825.8, topic: 'VOTE', node: 0, message: 'C1 asking for vote' });
    assert.deepEqual(parseDebugLine('2021/03/04 10:00:00 000100 TEST test begins'), { goMs: 10, topic: 'TEST', message: 'test begins' });
    assert.deepEqual(parseDebugLine('000100 ABCD S2 odd topic'), { goMs: 10, topic: 'INFO', node: 2, message: 'ABCD odd topic' });
    assert.equal(parseDebugLine('S0 became leader'), undefined);
    const out = new GoOutput('TestX2A', lab, snapshot);
    out.push('stdout', '=== RUN   TestX2A', 990);
    out.push('stdout', '000500 TIMR S1 timeout', 1000);
    out.push('stdout', '[S2] plain DPrintf line', 1001);
    out.push('stdout', 'something else', 1002);
    out.push('stderr', '000300 LEAD S0 leader', 1200); // printed before TIMR, read later (another pipe)
    const events = out.events({ status: 'pass', atMs: 1300 });
    const logs = events.filter((e) => e.kind === 'log').map((e) => e.kind === 'log' && [e.t, e.node, e.topic, e.message]);
    // Debug lines keep their own spacing (20 ms), moved to the earliest they can have been printed.
    assert.deepEqual(logs, [
      [980, 0, 'LEAD', 'leader'],
      [1000, 1, 'TIMR', 'timeout'],
      [1001, 2, 'INFO', '[S2] plain DPrintf line'],
      [1002, -1, 'INFO', 'something else'],
    ]);
    for (let i = 1; i < events.length; i++) assert.ok(events[i]!.t >= events[i - 1]!.t, 'ordered by time');
  });

  it("raftlab_trace.go's event lines become trace events, checked field by field", () => {
    assert.deepEqual(parseEventLine('@raftlab {"kind":"state","node":1,"term":3,"isLeader":true,"t":12.5}'), { t: 12.5, kind: 'state', node: 1, term: 3, isLeader: true });
    const send = parseEventLine('@raftlab {"kind":"send","rpc":7,"node":0,"to":2,"method":"Raft.AppendEntries","bytes":90,"term":2,"args":{"Entries":[1,2,3,4,5,6,7,8,9],"Term":2},"t":1}');
    assert.deepEqual(send, { t: 1, kind: 'send', rpc: 7, node: 0, to: 2, method: 'Raft.AppendEntries', bytes: 90, term: 2, args: { Entries: { $len: 9, head: [1, 2, 3] }, Term: 2 } });
    const persist = parseEventLine('@raftlab {"kind":"persist","node":0,"bytes":76,"term":1,"votedFor":null,"source":"describeState","log":{"snapshotIndex":0,"from":1,"lastIndex":2,"terms":[1,1],"commands":[100,"9a3c11f0"]},"t":3}');
    assert.deepEqual(persist, { t: 3, kind: 'persist', node: 0, bytes: 76, term: 1, votedFor: null, source: 'describeState', log: { snapshotIndex: 0, from: 1, terms: [1, 1], commands: [100, '9a3c11f0'], lastIndex: 2 } });
    for (const bad of [
      '@raftlab {"kind":"state","node":-4,"term":3,"isLeader":true,"t":1}',
      '@raftlab {"kind":"persist","node":0,"bytes":1,"term":1,"votedFor":null,"log":{"snapshotIndex":0,"from":1,"lastIndex":5,"terms":[1],"commands":[1]},"t":1}',
      '@raftlab {"kind":"test-end","status":"pass","t":1}',
      '@raftlab {not json',
    ]) {
      assert.equal(parseEventLine(bad), undefined, bad);
    }
  });

  it('build errors as file:line:col, go.mod module lines, imports, go versions', () => {
    assert.equal(
      formatGoBuildErrors('# 6.824/raft [6.824/raft.test]\n./raft.go:12:2: undefined: foo\n./raft.go:20:5: x declared but not used\n'),
      'raft.go:12:2: undefined: foo; raft.go:20:5: x declared but not used',
    );
    assert.equal(modulePathOf('// c\nmodule 6.824\n\ngo 1.15\n'), '6.824');
    assert.deepEqual(goImports('package raft\n\nimport (\n\t"bytes"\n\tlg "log"\n\t// "6.824/old"\n\t"6.824/labgob"\n)\nimport "6.824/labrpc"\n').sort(), ['6.824/labgob', '6.824/labrpc', 'bytes', 'log']);
    assert.deepEqual(parseGoVersion('go version go1.19.8 linux/amd64'), { version: 'go1.19.8', major: 1, minor: 19 });
    assert.deepEqual(parseGoVersion('go version go1.22rc1 linux/amd64'), { version: 'go1.22rc1', major: 1, minor: 22 });
  });
});
