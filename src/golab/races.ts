/**
 * `-race` reports: each `WARNING: DATA RACE` block is two accesses (the one that raced and the previous one), each a
 * stack. Reports are deduplicated by their pair of stacks, each cut below its first frame in the student's code (so the
 * same racing lines reached from different callers — GetState from checkOneLeader or from checkTerms — are one race),
 * in either order (a read racing a write, then the write racing the read, is one race).
 */
import { parseFrames, shortFunc, type GoFrame, type GoSourceIndex } from './frames.ts';

export interface GoRaceAccess {
  /** `read` or `write` (`Previous write` is a write). */
  op: string;
  goroutine?: number | undefined;
  frames: GoFrame[];
}

export interface GoRace {
  /** Identity: the pair of cut stacks, sorted. */
  key: string;
  /** The two accesses, in the key's order. */
  accesses: [GoRaceSide, GoRaceSide];
  /** How many reports had this pair. */
  count: number;
  /** "read at raft.go:70 in (*Raft).GetState vs write at raft.go:267 in (*Raft).startElection" */
  summary: string;
}

export interface GoRaceSide {
  op: string;
  /** The access's first frame in the student's (else the lab's) code: `raft.go:70`. */
  site?: string | undefined;
  func?: string | undefined;
  /** The stack down to that frame, innermost first: `(*Raft).GetState raft.go:70`. */
  stack: string[];
}

/** The accesses of one report (the lines between its `==================` fences). */
export function parseRaceReport(lines: readonly string[]): GoRaceAccess[] {
  const accesses: GoRaceAccess[] = [];
  let current: { op: string; goroutine?: number; lines: string[] } | undefined;
  const close = (): void => {
    if (current) accesses.push({ op: current.op, ...(current.goroutine !== undefined ? { goroutine: current.goroutine } : {}), frames: parseFrames(current.lines).frames });
    current = undefined;
  };
  for (const line of lines) {
    const m = /^(Previous )?(read|write|Read|Write)(?: of size \d+)? at 0x[0-9a-f]+ by (?:goroutine (\d+)|main goroutine):$/.exec(line.trim());
    if (m) {
      close();
      current = { op: m[2]!.toLowerCase(), ...(m[3] ? { goroutine: Number(m[3]) } : {}), lines: [] };
      continue;
    }
    if (/^Goroutine \d+ .*created at:$/.test(line.trim()) || /^Goroutine \d+ \(.*\) created at:$/.test(line.trim())) {
      close();
      break;
    }
    if (!current) continue;
    if (line.trim() === '') close();
    else current.lines.push(line);
  }
  close();
  return accesses.slice(0, 2);
}

function side(access: GoRaceAccess, index: GoSourceIndex): GoRaceSide {
  const cut = access.frames.findIndex((f) => index.owner(f) === 'student');
  const firstOwn = access.frames.findIndex((f) => index.owner(f) !== 'go');
  const end = cut >= 0 ? cut : firstOwn >= 0 ? firstOwn : Math.min(2, access.frames.length - 1);
  const frames = access.frames.slice(0, end + 1);
  const at = index.siteFrame(access.frames);
  return {
    op: access.op,
    site: at ? index.site(at) : undefined,
    func: at ? shortFunc(at.func) : undefined,
    stack: frames.map((f) => `${shortFunc(f.func)} ${index.site(f) ?? ''}`.trim()),
  };
}

/** Deduplicate reports (each a pair of accesses) into races, in the order first seen. */
export function dedupeRaces(reports: readonly GoRaceAccess[][], index: GoSourceIndex): GoRace[] {
  const races = new Map<string, GoRace>();
  for (const report of reports) {
    if (report.length < 2) continue;
    const sides = [side(report[0]!, index), side(report[1]!, index)].sort((a, b) => a.stack.join('<').localeCompare(b.stack.join('<'))) as [GoRaceSide, GoRaceSide];
    const key = sides.map((s) => s.stack.join(' < ')).join(' | ');
    const known = races.get(key);
    if (known) {
      known.count++;
      continue;
    }
    const summary = sides.map((s) => `${s.op} at ${s.site ?? '?'}${s.func ? ` in ${s.func}` : ''}`).join(' vs ');
    races.set(key, { key, accesses: sides, count: 1, summary });
  }
  return [...races.values()];
}
