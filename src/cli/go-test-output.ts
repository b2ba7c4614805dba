/**
 * `raftlab test` speaks `go test`: the lines `go test` prints (with -v, `=== RUN` and `--- PASS:` too), or with
 * --json the event stream of `go test -json` (test2json's), so gotestsum, go-junit-report, `go tool test2json` and
 * scripts written for the Go lab read raftlab unchanged.
 *
 * Go's text: `=== RUN   TestX` (three spaces), the test's output, `--- PASS: TestX (3.05s)` or `--- FAIL: ...`
 * with its reasons indented four spaces, then `PASS` / `FAIL` and `ok  \t<pkg>\t<seconds>s` / `FAIL\t<pkg>\t...`
 * (tab-separated; a further tab-separated field is allowed, as Go's coverage note is). test2json's events:
 * {Time, Action: run|output|pass|fail, Package, Test?, Elapsed?, Output?}, one JSON object a line.
 */

/** The package name the lines and events carry (the Go lab's is 6.824/raft). */
export const goPackage = 'raft';

export interface GoTestWriter {
  /** A run of `test` begins. */
  run(test: string): void;
  /** A line the run printed (the tester's, or a log line). */
  output(test: string, line: string): void;
  /** The run ended; `details` follow its `--- FAIL:` line, indented four spaces. */
  end(test: string, passed: boolean, seconds: number, details?: readonly string[]): void;
  /** The whole batch ended: `PASS` / `FAIL` and the summary line, with a note after a tab. */
  finish(passed: boolean, seconds: number, note?: string): void;
}

type Write = (text: string) => void;

const summary = (passed: boolean, seconds: number, note: string | undefined): string =>
  `${passed ? 'ok  ' : 'FAIL'}\t${goPackage}\t${seconds.toFixed(3)}s${note ? `\t${note}` : ''}`;

/** The lines `go test` prints; `verbose` as `go test -v`. */
export function goTestText(write: Write, verbose: boolean): GoTestWriter {
  const line = (text: string): void => write(text + '\n');
  return {
    run: (test) => verbose && line(`=== RUN   ${test}`),
    output: (_test, text) => line(text),
    end: (test, passed, seconds, details = []) => {
      if (passed && !verbose) return;
      line(`--- ${passed ? 'PASS' : 'FAIL'}: ${test} (${seconds.toFixed(2)}s)`);
      for (const d of details) line(`    ${d}`);
    },
    finish: (passed, seconds, note) => {
      line(passed ? 'PASS' : 'FAIL');
      line(summary(passed, seconds, note));
    },
  };
}

interface GoTestEvent {
  Time: string;
  Action: 'run' | 'output' | 'pass' | 'fail';
  Package: string;
  Test?: string;
  Elapsed?: number;
  Output?: string;
}

/** The events `go test -json` writes for the same run (test2json's, with their times). */
export function goTestJson(write: Write, now: () => Date = () => new Date()): GoTestWriter {
  const event = (e: Omit<GoTestEvent, 'Time' | 'Package'>): void => {
    const full: GoTestEvent = { Time: now().toISOString(), Action: e.Action, Package: goPackage };
    if (e.Test !== undefined) full.Test = e.Test;
    if (e.Elapsed !== undefined) full.Elapsed = e.Elapsed;
    if (e.Output !== undefined) full.Output = e.Output;
    write(JSON.stringify(full) + '\n');
  };
  const output = (test: string | undefined, text: string): void => event({ Action: 'output', ...(test !== undefined ? { Test: test } : {}), Output: text + '\n' });
  const round = (seconds: number): number => Math.round(seconds * 100) / 100;
  return {
    run: (test) => {
      event({ Action: 'run', Test: test });
      output(test, `=== RUN   ${test}`);
    },
    output: (test, text) => output(test, text),
    end: (test, passed, seconds, details = []) => {
      output(test, `--- ${passed ? 'PASS' : 'FAIL'}: ${test} (${seconds.toFixed(2)}s)`);
      for (const d of details) output(test, `    ${d}`);
      event({ Action: passed ? 'pass' : 'fail', Test: test, Elapsed: round(seconds) });
    },
    finish: (passed, seconds, note) => {
      output(undefined, passed ? 'PASS' : 'FAIL');
      output(undefined, summary(passed, seconds, note));
      event({ Action: passed ? 'pass' : 'fail', Elapsed: Math.round(seconds * 1000) / 1000 });
    },
  };
}

/** A GoTestWriter's per-run calls, told which run of the batch (its index in batchTasks' order) they are about. */
export interface RunOrderWriter {
  run(index: number, test: string): void;
  output(index: number, test: string, line: string): void;
  end(index: number, test: string, passed: boolean, seconds: number, details?: readonly string[]): void;
  finish(passed: boolean, seconds: number, note?: string): void;
}

/**
 * Runs that run at once end in any order; `go test` runs the lab's tests one after another, and tools reading its
 * output expect each test's lines together. So the lines are written in the batch's order: the first run that has
 * not ended writes as it goes, a later one's lines wait until every run before it has ended, then follow at once.
 * With one run at a time this writes every call as it comes. A batch stopped (Ctrl-C) leaves runs that never started,
 * heaviest-first ones among those that ran after them: at the finish, what waits is written, still in the batch's order.
 */
export function inRunOrder(writer: GoTestWriter, runs: number): RunOrderWriter {
  const waiting: Array<Array<() => void>> = Array.from({ length: runs }, () => []);
  const started: boolean[] = new Array<boolean>(runs).fill(false);
  const ended: boolean[] = new Array<boolean>(runs).fill(false);
  let head = 0;
  const at = (index: number, write: () => void): void => {
    if (!(Number.isInteger(index) && index >= 0 && index < runs)) throw new RangeError(`run ${index} of a batch of ${runs}`);
    if (index === head) write();
    else waiting[index]!.push(write);
  };
  return {
    run: (index, test) => {
      at(index, () => writer.run(test));
      started[index] = true;
    },
    output: (index, test, line) => at(index, () => writer.output(test, line)),
    end: (index, test, passed, seconds, details) => {
      if (ended[index]) throw new Error(`run ${index} (${test}) ended twice`);
      at(index, () => writer.end(test, passed, seconds, details));
      ended[index] = true;
      while (head < runs && ended[head]) {
        head++;
        if (head < runs) for (const write of waiting[head]!.splice(0)) write();
      }
    },
    finish: (passed, seconds, note) => {
      // The stop path ends every run in flight before it finishes: a run that started and never ended is a bug here.
      const unended = started.findIndex((s, i) => s && !ended[i]);
      if (unended >= 0) throw new Error(`run ${unended} started and never ended, yet the batch finished`);
      for (; head < runs; head++) for (const write of waiting[head]!.splice(0)) write();
      writer.finish(passed, seconds, note);
    },
  };
}
