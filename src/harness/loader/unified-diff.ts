/**
 * A small, strict unified-diff applier (the format of `diff -u` and `git diff`), for the planted bugs' patches.
 *
 * Strict: every context and removed line must match the file exactly (no fuzz, no whitespace leniency). A hunk may
 * sit at another line than its header says, as `patch` allows when lines were added or removed above it: the
 * nearest exact match wins, and hunks must stay in order. Anything else is an error naming the file and the hunk.
 *
 * Text before the first file header (a description, like a commit message) and `diff --git` / `index` lines
 * between files are ignored. Paths keep what the headers say, less git's `a/` and `b/` prefixes and any tab-separated
 * timestamp; `/dev/null` creates or deletes a file.
 */

export interface HunkLine {
  kind: ' ' | '-' | '+';
  text: string;
}

export interface Hunk {
  /** The `@@ -a,b +c,d @@` line, as written. */
  header: string;
  oldStart: number;
  oldCount: number;
  newStart: number;
  newCount: number;
  lines: HunkLine[];
  /** `\ No newline at end of file` after the hunk's last old-side / new-side line. */
  oldNoNewline: boolean;
  newNoNewline: boolean;
}

export interface FilePatch {
  /** The file before, or null for a file the patch creates. */
  oldPath: string | null;
  /** The file after, or null for a file the patch deletes. */
  newPath: string | null;
  hunks: Hunk[];
}

/** A patch that is not a well-formed unified diff. `line` is 1-based in the patch text. */
export class PatchParseError extends Error {
  readonly line: number;
  constructor(line: number, message: string) {
    super(`line ${line} of the patch: ${message}`);
    this.name = 'PatchParseError';
    this.line = line;
  }
}

/** A well-formed patch that does not apply to the files it was given. */
export class PatchApplyError extends Error {
  readonly file: string;
  /** 1-based; undefined when the file itself is the problem (missing, or already there). */
  readonly hunk: number | undefined;
  constructor(file: string, hunk: number | undefined, message: string) {
    super(message);
    this.name = 'PatchApplyError';
    this.file = file;
    this.hunk = hunk;
  }
}

const hunkHeader = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;

function headerPath(line: string, prefix: 'a/' | 'b/'): string | null {
  const name = line.slice(4).split('\t')[0]!.trimEnd();
  if (name === '/dev/null') return null;
  return name.startsWith(prefix) ? name.slice(2) : name;
}

export function parseUnifiedDiff(text: string): FilePatch[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const files: FilePatch[] = [];
  let current: FilePatch | undefined;
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.startsWith('--- ') && lines[i + 1]?.startsWith('+++ ')) {
      current = { oldPath: headerPath(line, 'a/'), newPath: headerPath(lines[i + 1]!, 'b/'), hunks: [] };
      if (current.oldPath === null && current.newPath === null) throw new PatchParseError(i + 1, 'both sides are /dev/null');
      files.push(current);
      i += 2;
      continue;
    }
    if (line.startsWith('@@')) {
      if (!current) throw new PatchParseError(i + 1, 'a hunk before any ---/+++ file header');
      const m = hunkHeader.exec(line);
      if (!m) throw new PatchParseError(i + 1, `not a hunk header: ${line}`);
      const hunk: Hunk = {
        header: line,
        oldStart: Number(m[1]),
        oldCount: m[2] === undefined ? 1 : Number(m[2]),
        newStart: Number(m[3]),
        newCount: m[4] === undefined ? 1 : Number(m[4]),
        lines: [],
        oldNoNewline: false,
        newNoNewline: false,
      };
      i += 1;
      let oldSeen = 0;
      let newSeen = 0;
      while (oldSeen < hunk.oldCount || newSeen < hunk.newCount) {
        if (i >= lines.length) throw new PatchParseError(i, `the hunk ${line} ends early (the patch is cut short)`);
        const body = lines[i]!;
        // An empty line is an empty context line whose leading space an editor removed.
        const kind = body === '' ? ' ' : body[0];
        if (kind !== ' ' && kind !== '-' && kind !== '+') {
          throw new PatchParseError(i + 1, `the hunk ${line} has ${hunk.lines.length} of its lines, then: ${body}`);
        }
        if (kind !== '+') oldSeen++;
        if (kind !== '-') newSeen++;
        if (oldSeen > hunk.oldCount || newSeen > hunk.newCount) {
          throw new PatchParseError(i + 1, `the hunk ${line} holds more lines than its header counts`);
        }
        hunk.lines.push({ kind, text: body.slice(1) });
        i += 1;
        if (lines[i]?.startsWith('\\')) {
          if (kind !== '+') hunk.oldNoNewline = true;
          if (kind !== '-') hunk.newNoNewline = true;
          i += 1;
        }
      }
      current.hunks.push(hunk);
      continue;
    }
    // Before the first file: the patch's description. Between files: git's `diff --git`, `index`, mode lines.
    if (current && current.hunks.length === 0) throw new PatchParseError(i + 1, `expected a hunk for ${fileName(current)}, got: ${line}`);
    if (current && /^[ +-]/.test(line) && line !== '-- ') {
      throw new PatchParseError(i + 1, `a line after the hunk ${current.hunks.at(-1)!.header} that its header does not count: ${line}`);
    }
    i += 1;
  }
  if (current && current.hunks.length === 0) throw new PatchParseError(lines.length, `${fileName(current)} has no hunk`);
  return files;
}

function fileName(patch: FilePatch): string {
  return (patch.newPath ?? patch.oldPath)!;
}

interface Lines {
  lines: string[];
  /** Whether the last line ends with a newline. */
  eol: boolean;
}

function toLines(text: string): Lines {
  if (text === '') return { lines: [], eol: true };
  const eol = text.endsWith('\n');
  return { lines: (eol ? text.slice(0, -1) : text).split('\n'), eol };
}

function fromLines({ lines, eol }: Lines): string {
  return lines.length === 0 ? '' : lines.join('\n') + (eol ? '\n' : '');
}

/** Apply one file's hunks to its text (undefined for a file that does not exist yet). Returns undefined for a deletion. */
export function applyFilePatch(original: string | undefined, patch: FilePatch): string | undefined {
  const name = fileName(patch);
  if (patch.oldPath === null && original !== undefined) throw new PatchApplyError(name, undefined, `${name} is created by the patch but already exists`);
  if (patch.oldPath !== null && original === undefined) throw new PatchApplyError(name, undefined, `${name} is patched but does not exist`);
  const file = toLines(original ?? '');
  const out: string[] = [];
  let eol = file.eol;
  let cursor = 0; // lines of the original before it are done
  let drift = 0; // how far the previous hunk sat from its header's line
  patch.hunks.forEach((hunk, h) => {
    const what = `hunk #${h + 1} of ${name} (${hunk.header})`;
    const old = hunk.lines.filter((l) => l.kind !== '+').map((l) => l.text);
    const added = hunk.lines.filter((l) => l.kind !== '-').map((l) => l.text);
    // A hunk without old lines inserts after line oldStart; otherwise it starts at line oldStart.
    const expected = (old.length === 0 ? hunk.oldStart : hunk.oldStart - 1) + drift;
    const at = nearestMatch(file.lines, old, expected, cursor, hunk.oldNoNewline);
    if (at === undefined) {
      throw new PatchApplyError(name, h + 1, `${what} does not apply: ${mismatch(file.lines, old, Math.max(cursor, Math.min(expected, file.lines.length)))}`);
    }
    drift = at - (old.length === 0 ? hunk.oldStart : hunk.oldStart - 1);
    out.push(...file.lines.slice(cursor, at), ...added);
    cursor = at + old.length;
    if (cursor === file.lines.length) eol = !hunk.newNoNewline;
  });
  out.push(...file.lines.slice(cursor));
  if (patch.newPath === null) {
    if (out.length > 0) throw new PatchApplyError(name, undefined, `${name} is deleted by the patch but would keep ${out.length} lines`);
    return undefined;
  }
  return fromLines({ lines: out, eol });
}

/** Where `old` occurs in `lines` at or after `from`, nearest to `expected` (the earlier one on a tie). */
function nearestMatch(lines: readonly string[], old: readonly string[], expected: number, from: number, noNewline: boolean): number | undefined {
  const matches = (at: number): boolean => {
    if (at < from || at + old.length > lines.length) return false;
    // `\ No newline at end of file` on the old side: the hunk must end where the file does.
    if (noNewline && at + old.length !== lines.length) return false;
    for (let k = 0; k < old.length; k++) if (lines[at + k] !== old[k]) return false;
    return true;
  };
  for (let d = 0; d <= lines.length; d++) {
    if (matches(expected - d)) return expected - d;
    if (d > 0 && matches(expected + d)) return expected + d;
  }
  return undefined;
}

/** Why `old` does not match at `at`: the first line that differs there. */
function mismatch(lines: readonly string[], old: readonly string[], at: number): string {
  for (let k = 0; k < old.length; k++) {
    if (lines[at + k] !== old[k]) {
      const have = at + k < lines.length ? JSON.stringify(lines[at + k]) : 'the end of the file';
      return `its lines are nowhere in the file; at line ${at + k + 1} the hunk expects ${JSON.stringify(old[k])}, the file has ${have}`;
    }
  }
  return 'it does not end where the file does (\\ No newline at end of file)';
}

/**
 * Apply a unified diff to a set of files (path → text). Returns a new record: patched files replaced, created ones
 * added, deleted ones gone; the input is not changed.
 */
export function applyUnifiedDiff(files: Readonly<Record<string, string>>, patchText: string): Record<string, string> {
  const out: Record<string, string> = { ...files };
  for (const patch of parseUnifiedDiff(patchText)) {
    const source = patch.oldPath;
    const result = applyFilePatch(source === null ? out[patch.newPath!] : out[source], patch);
    if (source !== null) delete out[source];
    if (result !== undefined) out[patch.newPath!] = result;
  }
  return out;
}
