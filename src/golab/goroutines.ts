/**
 * Hang triage: a goroutine dump (what a Go program prints on SIGQUIT, on a fatal error, or for a panic) grouped by
 * where each goroutine waits — its state and the first frame in the student's code, else in the lab's or the tester's —
 * so a deadlock reads as "12 goroutines in `rf.mu.Lock()` at raft.go:210; 1 in `rf.applyCh <- msg` at raft.go:388".
 * Goroutines wholly inside Go's own packages (the runtime, the testing package's main) are counted apart.
 */
import { parseFrames, shortFunc, type FrameOwner, type GoFrame, type GoSourceIndex } from './frames.ts';

export interface Goroutine {
  id: number;
  /** As printed, e.g. `semacquire`, `chan send`, `select` (with how long, `2 minutes`, dropped). */
  state: string;
  frames: GoFrame[];
  createdBy?: GoFrame | undefined;
}

export interface GoroutineGroup {
  count: number;
  state: string;
  /** The source line the group waits on (`rf.mu.Lock()`), when the sources have it. */
  code?: string | undefined;
  /** Where, most goroutines first: `raft.go:252` in `raft.(*Raft).ticker`. */
  sites: Array<{ site: string; func: string; count: number }>;
  /** The first site (the group's name in a cluster). */
  site?: string | undefined;
  func?: string | undefined;
  owner: Exclude<FrameOwner, 'go'>;
  /** What the wait is: on a lock; on a channel or cond in the student's own line; inside the lab's code (an RPC in flight); asleep or in I/O. */
  waits: 'lock' | 'channel' | 'cond' | 'in-lab' | 'sleep' | 'tester' | 'other';
  /** The first few goroutines' ids. */
  ids: number[];
}

export interface GoroutineTriage {
  groups: GoroutineGroup[];
  /** Goroutines in the dump. */
  total: number;
  /** Of them, those only in Go's own packages (not grouped). */
  runtime: number;
}

const header = /^goroutine (\d+) \[([^\]]*)\]:$/;

/** Every goroutine of a dump, in the order printed (other lines — signal headers, registers — are skipped). */
export function parseGoroutines(lines: readonly string[]): Goroutine[] {
  const out: Goroutine[] = [];
  let current: { id: number; state: string; lines: string[] } | undefined;
  const close = (): void => {
    if (!current) return;
    const { frames, createdBy } = parseFrames(current.lines);
    out.push({ id: current.id, state: current.state, frames, ...(createdBy ? { createdBy } : {}) });
    current = undefined;
  };
  for (const line of lines) {
    const m = header.exec(line.trim());
    if (m) {
      close();
      current = { id: Number(m[1]), state: normalizeState(m[2]!), lines: [] };
      continue;
    }
    if (!current) continue;
    if (line.trim() === '') close();
    else current.lines.push(line);
  }
  close();
  return out;
}

/** `semacquire, 2 minutes` → `semacquire`; `chan receive (nil chan)` stays. */
export function normalizeState(state: string): string {
  return state
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s && !/^\d+ minutes?$/.test(s) && s !== 'locked to thread')
    .join(', ');
}

const waitRank: Record<GoroutineGroup['waits'], number> = { lock: 0, channel: 1, cond: 2, other: 3, 'in-lab': 4, sleep: 5, tester: 6 };

function waitOf(g: Goroutine, frame: GoFrame, index: GoSourceIndex): GoroutineGroup['waits'] {
  const owner = index.owner(frame);
  if (owner === 'tester') return 'tester';
  // A frame of the lab's (labrpc) above the student's: the wait is inside the lab's code, for the student's call.
  const firstOwn = g.frames.find((f) => index.owner(f) !== 'go');
  if (firstOwn && firstOwn !== frame && index.owner(firstOwn) !== 'student') return 'in-lab';
  if (/semacquire|Mutex|RWMutex/.test(g.state)) return 'lock';
  if (/^chan (send|receive)|^select/.test(g.state)) return 'channel';
  if (/Cond\.Wait|sync\.Cond/.test(g.state)) return 'cond';
  if (/sleep|IO wait|syscall/.test(g.state)) return 'sleep';
  return 'other';
}

/**
 * Group the goroutines by what they wait on: the state and the source line (the same `rf.mu.Lock()` at several lines
 * is one group), else the site. Locks come first, then channel sends and receives in the student's own lines, then
 * cond waits, then waits inside the lab's code (RPCs in flight), sleeps and the tester's goroutines; larger first.
 */
export function triageGoroutines(goroutines: readonly Goroutine[], index: GoSourceIndex): GoroutineTriage {
  const groups = new Map<string, GoroutineGroup>();
  let runtime = 0;
  for (const g of goroutines) {
    const frame = index.siteFrame(g.frames);
    if (!frame) {
      runtime++;
      continue;
    }
    const owner = index.owner(frame) as GoroutineGroup['owner'];
    const site = index.site(frame) ?? '?';
    const func = shortFunc(frame.func);
    const code = index.code(frame);
    const waits = waitOf(g, frame, index);
    const key = `${g.state}\0${waits}\0${code ?? site}`;
    let group = groups.get(key);
    if (!group) {
      group = { count: 0, state: g.state, ...(code ? { code } : {}), sites: [], owner, waits, ids: [] };
      groups.set(key, group);
    }
    group.count++;
    if (group.ids.length < 8) group.ids.push(g.id);
    const at = group.sites.find((s) => s.site === site);
    if (at) at.count++;
    else group.sites.push({ site, func, count: 1 });
  }
  for (const group of groups.values()) {
    group.sites.sort((a, b) => b.count - a.count || a.site.localeCompare(b.site));
    group.site = group.sites[0]!.site;
    group.func = group.sites[0]!.func;
  }
  const sorted = [...groups.values()].sort((a, b) => waitRank[a.waits] - waitRank[b.waits] || b.count - a.count || (a.site ?? '').localeCompare(b.site ?? ''));
  return { groups: sorted, total: goroutines.length, runtime };
}

/** One group in words: "12 goroutines in `rf.mu.Lock()` at raft.go:210, raft.go:88 (semacquire)". */
export function describeGroup(group: GoroutineGroup, first = true): string {
  const many = group.count === 1 ? (first ? '1 goroutine' : '1') : first ? `${group.count} goroutines` : String(group.count);
  const what = group.code ? `\`${group.code}\`` : `\`${group.func ?? '?'}\``;
  const sites = group.sites.slice(0, 3).map((s) => s.site).join(', ') + (group.sites.length > 3 ? ', …' : '');
  const how = group.sites.length === 1 ? `${group.func}, ${group.state}` : group.state;
  return `${many} in ${what} at ${sites} (${how}${group.waits === 'in-lab' ? ', in the lab\'s code' : ''})`;
}

/** The whole triage in a line: the largest groups, then how many goroutines are left unsaid. */
export function describeTriage(triage: GoroutineTriage, limit = 4): string {
  if (triage.groups.length === 0) return `${triage.total} goroutines, none in the lab's code`;
  const shown = triage.groups.slice(0, limit).map((g, i) => describeGroup(g, i === 0));
  const rest = triage.groups.slice(limit).reduce((n, g) => n + g.count, 0);
  return shown.join('; ') + (rest ? `; ${rest} more elsewhere` : '');
}
