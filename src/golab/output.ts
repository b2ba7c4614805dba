/**
 * What a Go test binary prints (`-test.v`), read line by line as it comes, into raftlab's run record and trace:
 *
 * - the testing package's lines: `=== RUN   TestX`, `--- PASS: TestX (1.23s)` / `--- FAIL: …`, and failure
 *   messages at the site that reported them (`    config.go:345: expected one leader, got none`, continuation lines
 *   indented further);
 * - the tester's own: `Test (2A): initial election ...`, `  ... Passed --   3.5  3   58   16186    0`, an apply
 *   error (`apply error: …` from log.Fatalf, which ends the whole binary);
 * - the end of the program: `panic: …`, `fatal error: …`, or the `SIGQUIT: quit` dump raftlab asked for, each
 *   followed by goroutine stacks (kept, and grouped by where they wait: goroutines.ts);
 * - `-race` reports, between `==================` fences (races.ts);
 * - the student's debug lines and raftlab_trace.go's event lines (events.ts), and anything else, kept as console lines.
 *
 * `verdict` then turns all that, and how the process ended, into pass / fail / error / timeout, with the message and
 * the site a TypeScript run would have, so Go failures cluster the same way.
 */
import type { LogTopic } from '../../labs/api/index.ts';
import type { SourceSnapshot } from '../harness/loader/snapshot.ts';
import type { NodeLogLine, PassedLine } from '../harness/tester/index.ts';
import type { TraceEvent } from '../trace/events.ts';
import { parseDebugLine, parseEventLine, stripLogPrefix } from './events.ts';
import { GoSourceIndex, shortFunc, type GoFrame } from './frames.ts';
import { describeTriage, parseGoroutines, triageGoroutines, type GoroutineTriage } from './goroutines.ts';
import { dedupeRaces, parseRaceReport, type GoRace, type GoRaceAccess } from './races.ts';
import type { GoLab } from './lab.ts';

export type GoStream = 'stdout' | 'stderr';

export interface GoOutputHooks {
  /** The tester's lines as they are printed (the description, the Passed line, failure messages). */
  onOutput?: ((line: string) => void) | undefined;
  /** The student's debug lines. */
  onLog?: ((line: NodeLogLine) => void) | undefined;
}

/** How the process ended, and whether raftlab ended it. */
export interface GoExit {
  code: number | null;
  signal: string | null;
  /** raftlab stopped the run: its watchdog (timeout), the memory cap, or a cancelled batch. */
  stopped?: { code: string; status: 'timeout' | 'error'; message: string } | undefined;
  /** Wall time from the start of the process to its end. */
  wallMs: number;
}

export interface GoVerdict {
  status: 'pass' | 'fail' | 'error' | 'timeout';
  message?: string | undefined;
  failureMessages: string[];
  errorCode?: string | undefined;
  /**
   * Where it fired, as a TypeScript run names it: for a failure, the tester's check (the function of config.go or
   * test_test.go that reported it: checkOneLeader, one, applier, TestBackup2B); for a panic, a race or a hang, the
   * student's frame (`raft.go:172`).
   */
  site?: string | undefined;
  /** A failure's line, as go test prints it: `config.go:345`. */
  location?: string | undefined;
  stack?: string | undefined;
  /** The test's own time (`--- FAIL: TestX (1.23s)`), else the wall time. */
  testMs: number;
  passed?: PassedLine | undefined;
  /** A hang's (or fatal error's) goroutines, grouped. */
  goroutines?: GoroutineTriage | undefined;
  /** The goroutine dump as printed (capped). */
  goroutineDump?: string | undefined;
  races?: GoRace[] | undefined;
  /** How many race reports there were before deduplication. */
  raceReports?: number | undefined;
}

export interface GoFailureMessage {
  file: string;
  line: number;
  text: string;
}

/** The Passed line of config.go's end(): seconds, peers, RPCs, bytes (2021 on) and commands. */
export function parsePassedLine(text: string): PassedLine | undefined {
  const m = /^ {2}\.\.\. Passed -- +(\d+(?:\.\d+)?) +(\d+) +(\d+) +(\d+)(?: +(\d+))?\s*$/.exec(text);
  if (!m) return undefined;
  const five = m[5] !== undefined;
  return { seconds: Number(m[1]), peers: Number(m[2]), rpcs: Number(m[3]), bytes: five ? Number(m[4]) : 0, commands: Number(five ? m[5] : m[4]) };
}

const dumpCapBytes = 2 * 1024 * 1024;
/** Trace events kept per run (a very verbose run's later lines are counted, not kept): bounds raftlab's memory. */
export const goEventsMax = 500_000;
const keptOutputLines = 400;

type Clock = 'received' | 'debug' | 'event';
interface Pending {
  event: TraceEvent;
  clock: Clock;
  /** ms since the process started, as received. */
  receivedMs: number;
}

/** Reads one run's output. Feed it lines with `push`, then ask `verdict` and `events`. */
export class GoOutput {
  readonly output: string[] = [];
  readonly messages: GoFailureMessage[] = [];
  readonly testsRun: string[] = [];
  readonly results = new Map<string, { status: 'PASS' | 'FAIL' | 'SKIP'; seconds: number }>();
  description: string | undefined;
  passed: PassedLine | undefined;
  applyError: string | undefined;
  noTests = false;
  /** Why the program is ending, once it says so: a panic, a fatal error, or the dump raftlab asked for. */
  crash: { kind: 'panic' | 'fatal' | 'sigquit'; lines: string[]; bytes: number } | undefined;
  readonly raceReports: GoRaceAccess[][] = [];
  /** The last console line on stderr (what log.Fatal printed before an exit 1). */
  lastStderr: string | undefined;
  readonly #index: GoSourceIndex;
  readonly #pending: Pending[] = [];
  readonly #race = { stdout: undefined as string[] | undefined, stderr: undefined as string[] | undefined, fenced: { stdout: false, stderr: false } };
  #lastMessage: GoFailureMessage | undefined;

  constructor(
    readonly testId: string,
    lab: GoLab,
    snapshot: SourceSnapshot | undefined,
    private readonly hooks: GoOutputHooks = {},
  ) {
    this.#index = new GoSourceIndex(lab, snapshot);
  }

  get index(): GoSourceIndex {
    return this.#index;
  }

  #dropped = 0;

  #event(event: TraceEvent, clock: Clock, receivedMs: number): void {
    if (this.#pending.length >= goEventsMax) this.#dropped++;
    else this.#pending.push({ event, clock, receivedMs });
  }

  /** A line of the tester's: kept, traced, and shown live unless it is part of the failure raftlab reports itself. */
  #testerLine(text: string, atMs: number, topic: LogTopic = 'TEST', live = true): void {
    if (this.output.length < keptOutputLines) this.output.push(text);
    if (live) this.hooks.onOutput?.(text);
    this.#event({ t: 0, kind: 'log', node: -1, topic, message: text.trim() }, 'received', atMs);
  }

  push(stream: GoStream, text: string, atMs: number): void {
    const line = text.replace(/\r$/, '');
    if (this.crash && stream === 'stderr') {
      if (this.crash.bytes < dumpCapBytes) {
        this.crash.lines.push(line);
        this.crash.bytes += line.length + 1;
      }
      return;
    }
    // -race reports: a fence, WARNING: DATA RACE, the report, a fence.
    const race = this.#race[stream];
    if (race) {
      if (line === '==================') {
        this.raceReports.push(parseRaceReport(race));
        this.#race[stream] = undefined;
      } else race.push(line);
      return;
    }
    if (line === '==================') {
      this.#race.fenced[stream] = true;
      return;
    }
    if (this.#race.fenced[stream]) {
      this.#race.fenced[stream] = false;
      if (line === 'WARNING: DATA RACE') {
        this.#race[stream] = [];
        this.#event({ t: 0, kind: 'log', node: -1, topic: 'ERRO', message: 'WARNING: DATA RACE' }, 'received', atMs);
        return;
      }
    }
    if (stream === 'stderr' && /^(panic: |fatal error: |SIGQUIT: quit)/.test(line)) {
      const kind = line.startsWith('panic') ? 'panic' : line.startsWith('fatal') ? 'fatal' : 'sigquit';
      this.crash = { kind, lines: [line], bytes: line.length + 1 };
      if (kind !== 'sigquit') this.#event({ t: 0, kind: 'log', node: -1, topic: 'ERRO', message: line }, 'received', atMs);
      return;
    }
    this.#line(stream, line, atMs);
  }

  #line(stream: GoStream, line: string, atMs: number): void {
    if (line.trim() === '') return;
    let m: RegExpExecArray | null;
    if ((m = /^=== RUN {3}(\S+)$/.exec(line))) {
      this.testsRun.push(m[1]!);
      return;
    }
    if (/^=== (PAUSE|CONT|NAME)\b/.test(line) || line === 'PASS' || line === 'FAIL' || /^(ok|FAIL)\s+\S+\s+[\d.]+s$/.test(line)) return;
    if ((m = /^--- (PASS|FAIL|SKIP): (\S+) \((\d+(?:\.\d+)?)s\)$/.exec(line))) {
      this.results.set(m[2]!, { status: m[1] as 'PASS' | 'FAIL' | 'SKIP', seconds: Number(m[3]) });
      if (m[1] !== 'PASS') this.#testerLine(line, atMs, 'TEST', false);
      this.#lastMessage = undefined;
      return;
    }
    if ((m = /^ {4}(\S+\.go):(\d+): (.*)$/.exec(line))) {
      this.#lastMessage = { file: m[1]!, line: Number(m[2]), text: m[3]! };
      this.messages.push(this.#lastMessage);
      this.#testerLine(line, atMs, 'TEST', false);
      return;
    }
    if (this.#lastMessage && /^ {8}/.test(line)) {
      this.#lastMessage.text += '\n' + line.slice(8);
      this.#testerLine(line, atMs, 'TEST', false);
      return;
    }
    this.#lastMessage = undefined;
    if (line.startsWith('testing: warning: no tests to run')) {
      this.noTests = true;
      return;
    }
    if ((m = /^(Test \((2[A-D])\): .*?) \.\.\.$/.exec(line))) {
      this.description = m[1];
      if (this.output.length < keptOutputLines) this.output.push(line);
      this.hooks.onOutput?.(line);
      this.#event({ t: 0, kind: 'test-begin', description: m[1]! }, 'received', atMs);
      return;
    }
    const passed = parsePassedLine(line);
    if (passed) {
      this.passed = passed;
      this.#testerLine(line, atMs);
      return;
    }
    const event = parseEventLine(line);
    if (event) {
      this.#event(event, 'event', atMs);
      return;
    }
    const debug = parseDebugLine(line);
    if (debug) {
      const node = debug.node ?? -1;
      if (node >= 0) this.hooks.onLog?.({ atMs: debug.goMs, node, topic: debug.topic, message: debug.message, fields: undefined });
      this.#event({ t: debug.goMs, kind: 'log', node, topic: debug.topic, message: debug.message }, 'debug', atMs);
      return;
    }
    const plain = stripLogPrefix(line);
    if ((m = /^(apply error: .*)$/.exec(plain))) {
      this.applyError ??= m[1]!.trim();
      this.#testerLine(plain, atMs, 'ERRO', false);
      return;
    }
    if (stream === 'stderr') this.lastStderr = plain;
    // Anything else is console output; a leading S<n> (a DPrintf without the convention's time and topic) names the node.
    const server = /^\[?S(\d{1,3})\]?[:\s]/.exec(plain);
    this.#event({ t: 0, kind: 'log', node: server ? Number(server[1]) : -1, topic: 'INFO', message: plain.slice(0, 2000) }, 'received', atMs);
  }

  /**
   * The trace: every event on one clock, ms since the process started. Lines with the program's own clock (debug and
   * event lines) are moved by the smallest difference seen between when they arrived and what they say, so they
   * keep their precise spacing and never come before they could have been printed; then all are ordered by time.
   */
  events(end: { status: GoVerdict['status']; message?: string | undefined; atMs: number }): TraceEvent[] {
    const offset: Record<Clock, number> = { received: 0, debug: Infinity, event: Infinity };
    for (const p of this.#pending) if (p.clock !== 'received') offset[p.clock] = Math.min(offset[p.clock], p.receivedMs - p.event.t);
    const out = this.#pending.map((p, order) => {
      const t = p.clock === 'received' ? p.receivedMs : p.event.t + (Number.isFinite(offset[p.clock]) ? offset[p.clock] : 0);
      return { event: { ...p.event, t: Math.max(0, Math.round(t * 1000) / 1000) } as TraceEvent, order };
    });
    out.sort((a, b) => a.event.t - b.event.t || a.order - b.order);
    const last = Math.max(end.atMs, out.at(-1)?.event.t ?? 0);
    const events = out.map((o) => o.event);
    if (this.#dropped) events.push({ t: Math.round(last * 1000) / 1000, kind: 'log', node: -1, topic: 'WARN', message: `${this.#dropped} more lines after the first ${goEventsMax} were not kept` });
    events.push({ t: Math.round(last * 1000) / 1000, kind: 'test-end', status: end.status === 'timeout' ? 'error' : end.status, ...(end.message !== undefined ? { message: end.message } : {}) });
    return events;
  }

  /** The run's verdict, from what it printed and how it ended. */
  verdict(exit: GoExit): GoVerdict {
    const result = this.results.get(this.testId);
    const testMs = result ? result.seconds * 1000 : exit.wallMs;
    const races = this.raceReports.length ? dedupeRaces(this.raceReports, this.#index) : undefined;
    const raceFields = races?.length ? { races, raceReports: this.raceReports.length } : {};
    const common = { testMs, ...(this.passed ? { passed: this.passed } : {}), ...raceFields };
    const testerMessages = this.messages.filter((m) => !/^race detected during execution of test$/.test(m.text));
    const dumpLines = this.crash?.lines ?? [];
    const triage = (): { goroutines: GoroutineTriage; goroutineDump: string } => ({
      goroutines: triageGoroutines(parseGoroutines(dumpLines), this.#index),
      goroutineDump: dumpLines.join('\n'),
    });

    if (exit.stopped) {
      const { code, status, message } = exit.stopped;
      if (code === 'CANCELLED' || this.crash?.kind !== 'sigquit') return { status, errorCode: code, message, failureMessages: [message], ...common };
      const t = triage();
      const top = t.goroutines.groups[0];
      const full = `${message}: ${describeTriage(t.goroutines)}`;
      return { status, errorCode: code, message: full, failureMessages: [full], ...(top?.site ? { site: top.site } : {}), ...t, ...common };
    }
    if (this.crash?.kind === 'panic') {
      const goroutines = parseGoroutines(dumpLines);
      const panicking = goroutines[0];
      const frames = panicking ? dropGoFramesOnTop(panicking.frames, this.#index) : [];
      const site = this.#index.siteFrame(frames);
      const message = panicMessage(dumpLines);
      return {
        status: 'error',
        errorCode: 'GO_PANIC',
        message,
        failureMessages: [message],
        ...(site ? { site: this.#index.site(site) } : {}),
        stack: [message, ...frames.map((f) => `    at ${shortFunc(f.func)} (${this.#index.site(f) ?? '?'})`)].join('\n'),
        goroutineDump: dumpLines.join('\n'),
        ...common,
      };
    }
    if (this.crash?.kind === 'fatal') {
      const t = triage();
      const what = dumpLines[0]!;
      const deadlock = /all goroutines are asleep/.test(what);
      const top = t.goroutines.groups[0];
      const message = t.goroutines.groups.length ? `${what}: ${describeTriage(t.goroutines)}` : what;
      return { status: 'error', errorCode: deadlock ? 'GO_DEADLOCK' : 'GO_FATAL_ERROR', message, failureMessages: [message], ...(top?.site ? { site: top.site } : {}), ...t, ...common };
    }
    if (this.crash?.kind === 'sigquit') {
      const t = triage();
      const message = `the test binary got SIGQUIT from outside raftlab: ${describeTriage(t.goroutines)}`;
      return { status: 'error', errorCode: 'GO_SIGNAL', message, failureMessages: [message], ...t, ...common };
    }
    if (this.applyError) {
      // As in the TypeScript tester: the course's log.Fatalf ends the binary; here it fails the test, with its message.
      return { status: 'fail', message: this.applyError, failureMessages: [this.applyError], site: 'applier', ...common };
    }
    if (testerMessages.length > 0 && result?.status !== 'PASS') {
      const first = testerMessages[0]!;
      const check = this.#index.funcAt(first.file, first.line);
      const site = check?.startsWith('applier') ? 'applier' : check ?? this.testId;
      return { status: 'fail', message: first.text, failureMessages: testerMessages.map((m) => m.text), site, location: `${first.file}:${first.line}`, ...common };
    }
    if (races?.length) {
      const message = `data race: ${races[0]!.summary}${races.length > 1 ? ` (and ${races.length - 1} more)` : ''}`;
      const site = races[0]!.accesses[0].site;
      return { status: 'error', errorCode: 'GO_DATA_RACE', message, failureMessages: races.map((r) => `data race: ${r.summary}`), ...(site ? { site } : {}), ...common };
    }
    if (result?.status === 'FAIL') {
      return { status: 'fail', message: 'the test failed without a message (t.Fail)', failureMessages: ['the test failed without a message (t.Fail)'], site: this.testId, ...common };
    }
    if (result?.status === 'PASS' && exit.code === 0) return { status: 'pass', failureMessages: [], ...common };
    if (result?.status === 'SKIP') {
      const message = `the test was skipped${this.messages[0] ? `: ${this.messages[0].text}` : ''}`;
      return { status: 'error', errorCode: 'GO_TEST_SKIPPED', message, failureMessages: [message], ...common };
    }
    if (exit.code === 0 && (this.noTests || !this.testsRun.includes(this.testId))) {
      const message = `the test binary has no test ${this.testId} (testing: warning: no tests to run)`;
      return { status: 'error', errorCode: 'GO_NO_SUCH_TEST', message, failureMessages: [message], ...common };
    }
    const how = exit.signal ? `was killed by ${exit.signal}` : `exited with status ${exit.code}`;
    const message = `the test binary ${how} before ${this.testId} ended${this.lastStderr ? `: ${this.lastStderr}` : ''}`;
    return { status: 'error', errorCode: exit.signal ? 'GO_SIGNAL' : 'GO_EXIT', message, failureMessages: [message], ...common };
  }
}

/** A panic's frames from the first one that is not Go's own (runtime.gopanic, panic(...), runtime.panicIndex). */
function dropGoFramesOnTop(frames: readonly GoFrame[], index: GoSourceIndex): GoFrame[] {
  const first = frames.findIndex((f) => index.owner(f) !== 'go');
  return first > 0 ? frames.slice(first) : [...frames];
}

/** `panic: X` — for a recovered and re-raised one (`panic: X [recovered]` / `\tpanic: Y`), the last. */
function panicMessage(lines: readonly string[]): string {
  const panics: string[] = [];
  for (const line of lines) {
    if (/^goroutine \d+ \[/.test(line)) break;
    const m = /^\s*panic: (.*?)( \[recovered\])?$/.exec(line);
    if (m) panics.push(m[1]!);
    else if (panics.length && line.trim() && !/^\s*\[signal /.test(line)) panics[panics.length - 1] += `\n${line}`;
  }
  return `panic: ${panics.at(-1) ?? lines[0]?.replace(/^panic: /, '') ?? ''}`;
}
