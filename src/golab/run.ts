/**
 * One run of a Go lab's test: the cached test binary as a process of its own (`-test.run '^TestX$' -test.v`), in the
 * raft folder, with an environment scrubbed like a TypeScript run process's plus VERBOSE=1 (the debug-line
 * convention's switch) and RAFTLAB_TRACE=1 (raftlab_trace.go's). Its stdout and stderr are read line by line as they
 * come (output.ts). The caller's watchdog decides when to stop it: `stop` sends SIGQUIT so Go prints every
 * goroutine's stack before it exits (killed outright if it has not exited 3 s later); `kill` ends it at once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import type { SourceSnapshot } from '../harness/loader/snapshot.ts';
import type { TraceEvent } from '../trace/events.ts';
import type { GoLab } from './lab.ts';
import { GoOutput, type GoExit, type GoOutputHooks, type GoStream, type GoVerdict } from './output.ts';

export interface GoRunSpec {
  testId: string;
  binary: string;
  lab: GoLab;
  snapshot?: SourceSnapshot | undefined;
  /** The environment the binary gets (the caller scrubs it); VERBOSE and RAFTLAB_TRACE are added. */
  env: NodeJS.ProcessEnv;
  /** Console output kept, in bytes (the rest is counted). */
  consoleCapBytes: number;
  hooks?: GoOutputHooks;
}

export interface GoRunResult {
  verdict: GoVerdict;
  events: TraceEvent[];
  output: string[];
  description?: string | undefined;
  consoleOutput: string;
  consoleDroppedBytes: number;
  wallMs: number;
}

/** How long Go has to print its goroutines after SIGQUIT before it is killed. */
export const quitGraceMs = 3000;

/** The process of one Go run: start it, watch it, stop it; `done` resolves with the verdict once it has exited. */
export class GoRunProcess {
  readonly child: ChildProcess;
  readonly done: Promise<GoRunResult>;
  readonly started = performance.now();
  #stopped: GoExit['stopped'];
  #quitTimer: NodeJS.Timeout | undefined;

  constructor(spec: GoRunSpec) {
    const output = new GoOutput(spec.testId, spec.lab, spec.snapshot, spec.hooks);
    this.child = spawn(spec.binary, ['-test.run', `^${spec.testId}$`, '-test.v', '-test.count=1', '-test.timeout=0'], {
      cwd: spec.lab.packageDir,
      env: { ...spec.env, VERBOSE: '1', RAFTLAB_TRACE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let consoleOutput = '';
    let dropped = 0;
    const read = (stream: GoStream, pipe: Readable): Promise<void> => {
      let partial = '';
      pipe.setEncoding('utf8');
      pipe.on('data', (chunk: string) => {
        const atMs = performance.now() - this.started;
        const room = spec.consoleCapBytes - consoleOutput.length;
        if (room > 0) consoleOutput += chunk.slice(0, room);
        dropped += Math.max(0, chunk.length - Math.max(0, room));
        const lines = (partial + chunk).split('\n');
        partial = lines.pop()!;
        for (const line of lines) output.push(stream, line, atMs);
      });
      return new Promise((resolve) =>
        pipe.on('close', () => {
          if (partial) output.push(stream, partial, performance.now() - this.started);
          resolve();
        }),
      );
    };
    const streams = Promise.all([read('stdout', this.child.stdout!), read('stderr', this.child.stderr!)]);
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
      this.child.on('error', (error) => {
        this.#stopped ??= { code: 'RUN_PROCESS_FAILED', status: 'error', message: `could not start the test binary: ${error.message}` };
        resolve({ code: null, signal: null });
      });
      this.child.on('exit', (code, signal) => resolve({ code, signal }));
    });
    this.done = Promise.all([exited, streams]).then(([how]) => {
      clearTimeout(this.#quitTimer);
      const wallMs = performance.now() - this.started;
      const verdict = output.verdict({ ...how, stopped: this.#stopped, wallMs });
      return {
        verdict,
        events: output.events({ status: verdict.status, message: verdict.message, atMs: wallMs }),
        output: output.output,
        description: output.description,
        consoleOutput,
        consoleDroppedBytes: dropped,
        wallMs,
      };
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Stop a run that went on too long: SIGQUIT (Go prints every goroutine and exits), then SIGKILL after the grace. */
  stop(reason: NonNullable<GoExit['stopped']>): void {
    if (this.#stopped) return;
    this.#stopped = reason;
    this.child.kill('SIGQUIT');
    this.#quitTimer = setTimeout(() => this.child.kill('SIGKILL'), quitGraceMs);
  }

  /** End it now (out of memory, a cancelled batch): no dump is waited for. */
  kill(reason: NonNullable<GoExit['stopped']>): void {
    this.#stopped ??= reason;
    this.child.kill('SIGKILL');
  }
}
