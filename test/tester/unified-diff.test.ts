import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PatchApplyError, PatchParseError, applyUnifiedDiff, parseUnifiedDiff } from '../../src/harness/loader/unified-diff.ts';

const lines = (n: number, from = 1): string => Array.from({ length: n }, (_, i) => `line ${i + from}`).join('\n') + '\n';

/** `diff -u` of two texts, with git-style a/ b/ labels: what the bug patches are made with. */
function unifiedDiff(name: string, before: string, after: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'raftlab-diff-'));
  writeFileSync(path.join(dir, 'before'), before);
  writeFileSync(path.join(dir, 'after'), after);
  try {
    execFileSync('diff', ['-u', '--label', `a/${name}`, '--label', `b/${name}`, path.join(dir, 'before'), path.join(dir, 'after')]);
    return '';
  } catch (error) {
    return String((error as { stdout: Buffer }).stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('unified-diff applier', () => {
  it('applies what diff -u makes: changes, insertions and deletions in several hunks', () => {
    const before = lines(60);
    const after = before
      .replace('line 3\n', 'line three\n')
      .replace('line 30\n', 'line 30\ninserted a\ninserted b\n')
      .replace('line 55\nline 56\n', '');
    const patch = unifiedDiff('f.ts', before, after);
    assert.equal(parseUnifiedDiff(patch)[0]!.hunks.length, 3);
    assert.deepEqual(applyUnifiedDiff({ 'f.ts': before, 'g.ts': 'other\n' }, patch), { 'f.ts': after, 'g.ts': 'other\n' });
  });

  it('ignores a description before the first file header, and strips a/ b/ and timestamps from paths', () => {
    const patch = 'A bug.\n\nIt does this.\n--- a/x.ts\t2024-01-01 00:00:00\n+++ b/x.ts\t2024-01-01 00:00:00\n@@ -1 +1 @@\n-old\n+new\n';
    const [file] = parseUnifiedDiff(patch);
    assert.equal(file!.oldPath, 'x.ts');
    assert.equal(file!.newPath, 'x.ts');
    assert.deepEqual(applyUnifiedDiff({ 'x.ts': 'old\n' }, patch), { 'x.ts': 'new\n' });
  });

  it('finds a hunk whose lines moved (lines added above it since), as patch does, but only by exact context', () => {
    const before = lines(20);
    const patch = unifiedDiff('f.ts', before, before.replace('line 15\n', 'LINE 15\n'));
    const moved = 'a new first line\nanother\n' + before;
    assert.equal(applyUnifiedDiff({ 'f.ts': moved }, patch)['f.ts'], moved.replace('line 15\n', 'LINE 15\n'));
    // The same lines with one changed character are not the same lines.
    const edited = before.replace('line 14\n', 'line 14 \n');
    assert.throws(() => applyUnifiedDiff({ 'f.ts': edited }, patch), (error: unknown) => {
      assert.ok(error instanceof PatchApplyError);
      assert.equal(error.file, 'f.ts');
      assert.equal(error.hunk, 1);
      assert.match(error.message, /^hunk #1 of f\.ts \(@@ -12,7 \+12,7 @@\) does not apply: .*at line 14 the hunk expects "line 14", the file has "line 14 "/);
      return true;
    });
  });

  it('names the hunk that fails among several', () => {
    const before = lines(40);
    const patch = unifiedDiff('f.ts', before, before.replace('line 5\n', 'five\n').replace('line 35\n', 'thirty-five\n'));
    assert.throws(() => applyUnifiedDiff({ 'f.ts': before.replace('line 36\n', 'changed\n') }, patch), /hunk #2 of f\.ts \(@@ -32,7 \+32,7 @@\) does not apply/);
  });

  it('creates and deletes files through /dev/null', () => {
    const create = '--- /dev/null\n+++ b/new.ts\n@@ -0,0 +1,2 @@\n+a\n+b\n';
    assert.deepEqual(applyUnifiedDiff({}, create), { 'new.ts': 'a\nb\n' });
    assert.throws(() => applyUnifiedDiff({ 'new.ts': 'x\n' }, create), /new\.ts is created by the patch but already exists/);
    const remove = '--- a/old.ts\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-a\n-b\n';
    assert.deepEqual(applyUnifiedDiff({ 'old.ts': 'a\nb\n', 'k.ts': 'k\n' }, remove), { 'k.ts': 'k\n' });
  });

  it('keeps or drops the final newline as "\\ No newline at end of file" says', () => {
    const before = 'a\nb';
    const after = 'a\nc\n';
    const patch = unifiedDiff('f.ts', before, after);
    assert.match(patch, /\\ No newline at end of file/);
    assert.equal(applyUnifiedDiff({ 'f.ts': before }, patch)['f.ts'], after);
    const back = unifiedDiff('f.ts', after, before);
    assert.equal(applyUnifiedDiff({ 'f.ts': after }, back)['f.ts'], before);
  });

  it('rejects a patch of a file that is not there', () => {
    const patch = '--- a/missing.ts\n+++ b/missing.ts\n@@ -1 +1 @@\n-a\n+b\n';
    assert.throws(() => applyUnifiedDiff({}, patch), /missing\.ts is patched but does not exist/);
  });

  it('rejects malformed patches, saying where', () => {
    const cases: Array<[string, RegExp]> = [
      ['--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n-a\n+b\n', /line 5 of the patch: the hunk @@ -1,2 \+1,2 @@ ends early/],
      ['--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n+c\n', /line 6 of the patch: a line after the hunk @@ -1 \+1 @@ that its header does not count: \+c/],
      ['--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n-a\n?b\n', /line 5 of the patch: the hunk @@ -1,2 \+1,2 @@ has 1 of its lines, then: \?b/],
      ['--- a/f\n+++ b/f\n@@ nonsense @@\n', /line 3 of the patch: not a hunk header/],
      ['@@ -1 +1 @@\n-a\n+b\n', /line 1 of the patch: a hunk before any ---\/\+\+\+ file header/],
      ['--- a/f\n+++ b/f\n', /f has no hunk/],
    ];
    for (const [patch, message] of cases) {
      assert.throws(() => parseUnifiedDiff(patch), (error: unknown) => error instanceof PatchParseError && message.test(error.message), patch);
    }
  });
});
