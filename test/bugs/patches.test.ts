import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  BugPatchError,
  loadImplementation,
  materializeBug,
  materializedBugsRoot,
  patchedReferenceSources,
  referenceImplDir,
  resolveImplDir,
  runTest,
  findTest,
} from '../../src/harness/tester/index.ts';
import { BugAboutError, bugsDir, listBugs, readBugAbout } from '../../src/runner/bug-about.ts';

const bugs = listBugs();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'raftlab-bug-patch-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A bug folder of our own under tmp, from a patch text and (by default) a valid about.json. */
function fakeBug(name: string, patch: string, about: unknown = { title: 'A fake bug', explanation: 'x'.repeat(50), catch: { tests: '2A', seeds: 1 } }): string {
  const dir = path.join(tmp, name);
  rmSync(dir, { recursive: true, force: true });
  cpSync(path.join(bugsDir, 'heartbeat-10ms'), dir, { recursive: true });
  writeFileSync(path.join(dir, 'bug.patch'), patch);
  writeFileSync(path.join(dir, 'about.json'), JSON.stringify(about));
  return dir;
}

const heartbeatPatch = readFileSync(path.join(bugsDir, 'heartbeat-10ms', 'bug.patch'), 'utf8');

describe('planted bugs are small patches of the reference', () => {
  it('labs/bugs holds 14 bugs, each a bug.patch and an about.json, and no code of its own', () => {
    assert.equal(bugs.length, 14, bugs.join(', '));
    assert.deepEqual(readdirSync(bugsDir).sort(), bugs, 'every folder under labs/bugs is a bug, and nothing else is there');
    for (const name of bugs) assert.deepEqual(readdirSync(path.join(bugsDir, name)).sort(), ['about.json', 'bug.patch'], name);
  });

  it('each about.json is valid: title, explanation, and a sweep over real tests, knobs and invariants', () => {
    for (const name of bugs) {
      const about = readBugAbout(path.join(bugsDir, name));
      assert.ok(about.title.length > 5 && about.explanation.length > 40, name);
    }
  });

  it('each patch says what the mistake is, then changes a few lines of the reference', () => {
    for (const name of bugs) {
      const text = readFileSync(path.join(bugsDir, name, 'bug.patch'), 'utf8');
      const description = text.slice(0, text.indexOf('\n--- a/'));
      assert.match(description, /^Planted bug: .{20,}/, name);
      const body = text.slice(description.length).split('\n');
      const changed = body.filter((l) => /^[+-]/.test(l) && !/^(\+\+\+|---) /.test(l)).length;
      const hunks = body.filter((l) => l.startsWith('@@')).length;
      assert.ok(changed <= 16 && hunks <= 3, `${name}: ${changed} lines changed in ${hunks} hunks`);
    }
  });

  it('each patch applies to the reference as git apply applies it', function () {
    this.timeout(30_000);
    for (const name of bugs) {
      const dir = path.join(tmp, `git-${name}`);
      cpSync(referenceImplDir, dir, { recursive: true });
      execFileSync('git', ['apply', path.join(bugsDir, name, 'bug.patch')], { cwd: dir });
      const ours = patchedReferenceSources(path.join(bugsDir, name));
      assert.deepEqual(Object.keys(ours).sort(), readdirSync(dir).sort(), name);
      for (const [file, text] of Object.entries(ours)) assert.equal(text, readFileSync(path.join(dir, file), 'utf8'), `${name}: ${file}`);
    }
  });

  it('materializeBug writes a folder that loadImplementation loads, and that runs', async () => {
    const out = path.join(tmp, 'materialized');
    materializeBug(path.join(bugsDir, 'heartbeat-10ms'), out);
    assert.match(readFileSync(path.join(out, 'raft.ts'), 'utf8'), /^const heartbeatIntervalMs = 10;/m);
    const { make } = await loadImplementation(out);
    const r = await runTest(findTest('TestCount2B')!, { mode: 'sim', seed: 1, make });
    assert.equal(r.status, 'fail');
    assert.match(r.message!, /too many/);
  });

  it('resolveImplDir: a bug folder becomes its materialized copy, kept per content; any other folder is itself', () => {
    assert.equal(resolveImplDir(referenceImplDir), referenceImplDir);
    assert.equal(resolveImplDir('some/relative/dir'), 'some/relative/dir');
    const first = resolveImplDir(path.join(bugsDir, 'heartbeat-10ms'));
    assert.ok(first.startsWith(materializedBugsRoot + path.sep), first);
    assert.match(first, /heartbeat-10ms-[0-9a-f]{16}[/\\]raft$/);
    assert.equal(resolveImplDir(path.join(bugsDir, 'heartbeat-10ms')), first, 'the same contents, the same folder');
    // Its type imports resolve next to it.
    assert.ok(readdirSync(path.join(first, '..', 'api')).includes('index.ts'));
    const other = resolveImplDir(fakeBug('heartbeat-11ms', heartbeatPatch.replace('= 10;', '= 11;')));
    assert.notEqual(other, first);
    assert.match(readFileSync(path.join(other, 'raft.ts'), 'utf8'), /^const heartbeatIntervalMs = 11;/m);
  });

  it('a patch that no longer applies is an error naming the bug and the hunk', () => {
    const stale = fakeBug('stale-bug', heartbeatPatch.replace(/^ \/\*\* How often (.*)$/m, ' /** How seldom $1'));
    for (const attempt of [() => patchedReferenceSources(stale), () => resolveImplDir(stale)]) {
      assert.throws(attempt, (error: unknown) => {
        assert.ok(error instanceof BugPatchError);
        assert.equal(error.code, 'BUG_PATCH_DOES_NOT_APPLY');
        assert.equal(error.bug, 'stale-bug');
        assert.match(error.message, /^planted bug stale-bug: bug\.patch no longer applies to labs\/raft: hunk #1 of raft\.ts \(@@ -\d+,\d+ \+\d+,\d+ @@\) does not apply: .*the hunk expects "\/\*\* How seldom a leader sends heartbeats/);
        return true;
      });
    }
    const broken = fakeBug('broken-bug', heartbeatPatch.replace(/^@@ .*$/m, '@@ -1,7 +1,7 @@ x').replace(/^-const heartbeatIntervalMs = 125;\n/m, ''));
    assert.throws(() => patchedReferenceSources(broken), (error: unknown) => error instanceof BugPatchError && error.code === 'BUG_PATCH_MALFORMED' && /^planted bug broken-bug: bug\.patch is not a unified diff: line \d+ of the patch/.test(error.message));
  });

  it('an about.json that does not say a usable sweep is an error naming the file and the field', () => {
    const about = (c: Record<string, unknown>) => ({ title: 'A fake bug', explanation: 'x'.repeat(50), catch: { tests: '2A', seeds: 1, ...c } });
    const cases: Array<[unknown, RegExp]> = [
      [about({ invariant: 'no-such-rule' }), /about\.json: catch\.invariant: /],
      [about({ seeds: 0 }), /about\.json: catch\.seeds: /],
      [about({ tests: 'NoSuchTest' }), /about\.json: catch: no test matches 'NoSuchTest'/],
      [about({ chaos: 'drop=7' }), /about\.json: catch: chaos knob drop must be/],
      [about({ extra: true }), /about\.json: catch: Unrecognized key/],
      [{ title: 'x', explanation: 'y' }, /about\.json: title: .*; explanation: .*; catch: /],
    ];
    for (const [json, message] of cases) {
      const dir = fakeBug('about-bug', heartbeatPatch, json);
      assert.throws(() => readBugAbout(dir), (error: unknown) => error instanceof BugAboutError && message.test(error.message), JSON.stringify(json));
    }
    const dir = fakeBug('about-bug', heartbeatPatch);
    writeFileSync(path.join(dir, 'about.json'), '{ not json');
    assert.throws(() => readBugAbout(dir), /about\.json is not JSON/);
  });
});
