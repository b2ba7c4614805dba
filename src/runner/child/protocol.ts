/**
 * The channel between the pool and a run process: frames of UTF-8 JSON, each prefixed by its length (4 bytes, big
 * endian), on two pipes of the process's own (fd 3: run process → pool, fd 4: pool → run process), never on its
 * stdout/stderr, which belong to the implementation's console. Every frame about a run carries that run's id and
 * a nonce the pool drew for it and handed over before the implementation's code for the run was loaded; the pool
 * drops the process (and fails the run) on any frame it did not expect, so code under test cannot speak for raftlab.
 */
import type { ChaosKnobs } from '../../harness/chaos.ts';
import type { NodeLogLine, TestRunResult } from '../../harness/tester/index.ts';
import type { Violation } from '../../checker/index.ts';
import type { ClockMode } from '../../harness/runtime/index.ts';

/** A frame larger than this is not raftlab's: the channel is corrupt. */
export const frameMaxBytes = 256 * 1024 * 1024;

/** What the pool asks of a run process. */
export type ParentFrame =
  | {
      type: 'run';
      runId: string;
      nonce: string;
      task: ChildTask;
    }
  | { type: 'probe'; runId: string; nonce: string; file: string };

/** One run, as the run process needs it. */
export interface ChildTask {
  testId: string;
  mode: ClockMode;
  seed: number;
  /** The built implementation module (src/harness/loader/build.ts). */
  file: string;
  /** Absolute folder of the implementation's sources, to point a stack at the student's own file. */
  sourceRoot: string;
  sourceDir: string;
  /** Record the trace (for keeping or checking). */
  trace: boolean;
  /** Stream trace chunks as the run goes (so a run that hangs keeps what it recorded). */
  streamTrace: boolean;
  /** Whether a passing run keeps its trace (keep: all). */
  keepPassing: boolean;
  /** Record values whole (TraceSpec.wholeValues). */
  wholeValues?: boolean;
  check: boolean;
  chaos?: ChaosKnobs;
  /** Stream the tester's output lines and the implementation's log lines (raftlab test). */
  streamOutput: boolean;
  streamLogs: boolean;
  persistDir?: string;
  /** Console output a run may write (stdout and stderr together); the rest is counted and dropped here. */
  consoleCapBytes: number;
  /** How often the run tells the pool it is alive (a progress frame), and flushes its log lines. */
  progressIntervalMs: number;
}

export interface TraceChunk {
  /** NDJSON: one event a line, no trailing newline. */
  text: string;
  count: number;
  firstT: number;
  lastT: number;
}

/** What a run process tells the pool. */
export type ChildFrame =
  | { type: 'ready'; pid: number; node: string }
  | { type: 'progress'; runId: string; nonce: string; virtualMs: number; events: number }
  | { type: 'output'; runId: string; nonce: string; lines: string[] }
  | { type: 'log'; runId: string; nonce: string; lines: NodeLogLine[] }
  | { type: 'probed'; runId: string; nonce: string; ok: true; describeState: boolean }
  | { type: 'probed'; runId: string; nonce: string; ok: false; code: string; message: string; stack?: string; site?: string }
  | {
      type: 'result';
      runId: string;
      nonce: string;
      result: TestRunResult;
      violations: Violation[];
      /** The trace file in the process's scratch folder is whole, and the pool should keep it. */
      traceKept: boolean;
      /** The process is as it was before the run (no timers, listeners or globals left): it may run another. */
      clean: boolean;
      /** What was left behind, when not clean. */
      leftovers: string[];
      /** Console bytes the run wrote past its cap, dropped before they left the process. */
      consoleDroppedBytes: number;
    };

/** Encode a frame: length, then the JSON. `stringify` is passed in so the run process can use a copy captured early. */
export function encodeFrame(frame: unknown, stringify: (value: unknown) => string = JSON.stringify): Buffer {
  const body = Buffer.from(stringify(frame), 'utf8');
  const out = Buffer.allocUnsafe(4 + body.length);
  out.writeUInt32BE(body.length, 0);
  body.copy(out, 4);
  return out;
}

export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

/** Splits a byte stream into frames; throws FrameError on bytes that cannot be raftlab's. */
export class FrameReader {
  #buffered: Buffer[] = [];
  #length = 0;

  /** Feed bytes; returns the complete frames they finish, parsed. */
  push(chunk: Buffer): unknown[] {
    this.#buffered.push(chunk);
    this.#length += chunk.length;
    const frames: unknown[] = [];
    for (;;) {
      if (this.#length < 4) return frames;
      let data = this.#buffered.length === 1 ? this.#buffered[0]! : Buffer.concat(this.#buffered);
      this.#buffered = [data];
      const size = data.readUInt32BE(0);
      if (size > frameMaxBytes) throw new FrameError(`a frame of ${size} bytes`);
      if (this.#length < 4 + size) return frames;
      const body = data.subarray(4, 4 + size).toString('utf8');
      data = data.subarray(4 + size);
      this.#buffered = data.length ? [data] : [];
      this.#length = data.length;
      try {
        frames.push(JSON.parse(body));
      } catch {
        throw new FrameError('a frame that is not JSON');
      }
    }
  }
}
