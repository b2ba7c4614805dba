// The README and docs/ link to each other and to the repository's files: every relative link must name a file that
// exists, and every #anchor a heading of the page it points into (GitHub's heading ids).
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../', import.meta.url));

function markdownFiles(dir: string): string[] {
  return readdirSync(path.join(repo, dir), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : markdownFiles(relative);
    return entry.name.endsWith('.md') ? [relative] : [];
  });
}

/** The text outside fenced code blocks and inline code spans, where a `[x](y)` is a link. */
function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
}

/** GitHub's ids for a page's headings: lower case, punctuation dropped, spaces as hyphens, repeats numbered. */
function headingIds(markdown: string): Set<string> {
  const ids = new Set<string>();
  const seen = new Map<string, number>();
  for (const [, text] of markdown.replace(/^```[\s\S]*?^```/gm, '').matchAll(/^#{1,6} +(.+?) *#* *$/gm)) {
    const base = text!
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    ids.add(n === 0 ? base : `${base}-${n}`);
  }
  return ids;
}

function brokenLinks(file: string, markdown = readFileSync(path.join(repo, file), 'utf8')): string[] {
  const broken: string[] = [];
  for (const [, target] of prose(markdown).matchAll(/\]\(([^)\s]+)(?: +"[^"]*")?\)/g)) {
    if (/^[a-z][a-z+.-]*:/i.test(target!)) continue; // https:, mailto:
    const [pathPart, anchor] = target!.split('#') as [string, string | undefined];
    const resolved = pathPart === '' ? path.join(repo, file) : path.resolve(path.dirname(path.join(repo, file)), decodeURI(pathPart));
    if (!existsSync(resolved)) {
      broken.push(`${file}: ${target} (no such file)`);
      continue;
    }
    if (anchor !== undefined && resolved.endsWith('.md') && !headingIds(readFileSync(resolved, 'utf8')).has(anchor)) {
      broken.push(`${file}: ${target} (no such heading)`);
    }
  }
  return broken;
}

describe('links in the README and docs/', () => {
  const files = ['README.md', ...markdownFiles('docs'), ...markdownFiles('labs'), ...markdownFiles('test/fixtures')];

  it('finds the pages it checks', () => {
    assert.ok(files.includes('docs/cli.md') && files.includes('docs/checker.md'), files.join(', '));
  });

  it('every relative link names a file that exists, and every anchor a heading there', () => {
    assert.deepEqual(files.flatMap((file) => brokenLinks(file)), []);
  });

  it('reads a broken link and a broken anchor as broken', () => {
    assert.deepEqual(headingIds('# The CLI\n## Exports, for the tools you already use\n## Chaos knobs\n## Chaos knobs\n'), new Set(['the-cli', 'exports-for-the-tools-you-already-use', 'chaos-knobs', 'chaos-knobs-1']));
    assert.deepEqual(brokenLinks('docs/page.md', '[a](nope.md) [b](cli.md#no-such) [c](cli.md#chaos-knobs) [d](../README.md) `[e](nope.md)`'), [
      'docs/page.md: nope.md (no such file)',
      'docs/page.md: cli.md#no-such (no such heading)',
    ]);
  });
});
