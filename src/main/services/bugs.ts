/**
 * The planted bugs (labs/bugs/<name>): each one's explanation (about.json, read and checked by
 * src/runner/bug-about.ts), the patch that plants it — its prose, and the diff a student would have written — and
 * the sweep stated to catch it, as the form takes it and as a command line.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { invariants } from '../../checker/checker.ts';
import { parseChaos } from '../../harness/chaos.ts';
import { selectTests } from '../../harness/tester/index.ts';
import { bugsDir, listBugs, readBugAbout } from '../../runner/bug-about.ts';
import type { BugView } from '../../shared/ipc.ts';
import { InputError } from '../rpc.ts';

/** A patch file's prose (before its first `--- ` line) and its diff. */
export function splitPatch(text: string): { notes: string; diff: string } {
  const at = text.search(/^--- /m);
  if (at < 0) return { notes: text.trim(), diff: '' };
  return { notes: text.slice(0, at).trim(), diff: text.slice(at).trimEnd() };
}

export class BugService {
  readonly #views = new Map<string, BugView>();

  constructor(readonly dir: string = bugsDir) {}

  list(): BugView[] {
    return listBugs(this.dir).flatMap((name) => {
      try {
        return [this.get(name)];
      } catch (error) {
        console.error(`raftlab: planted bug ${name}: ${(error as Error).message}`);
        return [];
      }
    });
  }

  get(name: string): BugView {
    const cached = this.#views.get(name);
    if (cached) return cached;
    if (!listBugs(this.dir).includes(name)) throw new InputError(`No planted bug named ${name} (see labs/bugs)`);
    const dir = path.join(this.dir, name);
    const about = readBugAbout(dir);
    const { notes, diff } = splitPatch(readFileSync(path.join(dir, 'bug.patch'), 'utf8'));
    const invariant = about.catch.invariant;
    const view: BugView = {
      name,
      dir,
      title: about.title,
      explanation: about.explanation,
      notes,
      diff,
      catch: {
        pattern: about.catch.tests,
        tests: selectTests(about.catch.tests).map((t) => t.id),
        seeds: about.catch.seeds,
        ...(about.catch.chaos ? { chaos: about.catch.chaos, chaosKnobs: parseChaos(about.catch.chaos) } : {}),
        ...(invariant ? { invariant: { id: invariant, title: invariants[invariant].title, rule: invariants[invariant].rule } } : {}),
      },
      command:
        `npx raftlab run '${about.catch.tests}' --count ${about.catch.seeds} --seed 1 --impl "labs/bugs/${name}" --check` +
        (about.catch.chaos ? ` --chaos ${about.catch.chaos}` : ''),
    };
    this.#views.set(name, view);
    return view;
  }
}
