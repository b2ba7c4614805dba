/**
 * Replay: re-run a recorded run — its test, seed, clock, chaos knobs and implementation — in a run process, judge
 * it as it was judged (the checker on when the run had it), and compare: did the outcome recur (the same status
 * and message: the same tester failure or the same violation), and, on the sim clock, is the trace identical event
 * for event (or where does it first differ)? The CLI (`raftlab replay`) and the app both call this.
 *
 * What runs: a bundle always replays its own sources, unpacked into a temporary folder that is removed afterwards.
 * A trace replays the implementation folder it names, as it is now — the way to ask "did my fix fix it?" — and
 * says when those sources differ from the ones the run had; `asRecorded` replays the sources the trace carries.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ChaosKnobs } from '../harness/chaos.ts';
import { ImplLoadError, shortHash, writeSnapshot, type SourceSnapshot } from '../harness/loader/index.ts';
import { referenceImplDir } from '../harness/paths.ts';
import { findTest } from '../harness/tester/index.ts';
import { BundleError, readBundle } from './bundle.ts';
import { runBatch } from './batch.ts';
import { prepareImpl, type PreparedImpl } from './impl.ts';
import type { PoolOptions } from './pool.ts';
import { readTraceEvents, readTraceHeader, readTraceIndex, readTraceSources, summarizeEvent, TraceFileError, type TraceEvent, type TraceHeader } from '../trace/index.ts';
import type { RunStatus } from './types.ts';

export class ReplayInputError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'ReplayInputError';
    this.code = code;
  }
}

export interface ReplayOptions {
  /** Replay against this folder instead of the one the trace names. */
  impl?: string;
  /** Replay the sources the trace carries (as the run had them), not the folder as it is now. */
  asRecorded?: boolean;
  /** Replay a bundle whose sources do not match their recorded hashes. */
  allowModified?: boolean;
  pool?: Omit<PoolOptions, 'size'>;
  /**
   * Record the replay with values whole (arguments, replies, commands, log fields), and hand its events to
   * onReplayedEvents; the comparison with the recorded trace reads them made small again (`raftlab export --full`).
   */
  wholeValues?: boolean;
  onReplayedEvents?: (events: readonly TraceEvent[]) => void;
}

export interface ReplayOutcome {
  status: RunStatus;
  message?: string;
  events: number;
}

export interface ReplayReport {
  from: 'trace' | 'bundle';
  test: string;
  seed: number;
  mode: 'sim' | 'real';
  chaos?: ChaosKnobs;
  /** The checker judged the replay, because it judged the run. */
  checked: boolean;
  impl: {
    dir: string;
    name: string;
    /** Where the code came from: the folder as it is now, the trace's own copy, or the bundle's. */
    code: 'folder' | 'recorded' | 'bundle';
    sourcesHash: string;
    /** The sources the run had, when known. */
    recordedSourcesHash?: string;
  };
  /** The implementation's sources differ from the ones the run had. */
  sourcesChanged: boolean;
  createdBy?: { raftlab: string; node: string };
  recorded: ReplayOutcome;
  replayed: ReplayOutcome & { errorCode?: string; site?: string };
  recurred: boolean;
  identical: boolean | undefined;
  firstDifference?: { index: number; recorded: TraceEvent | undefined; replayed: TraceEvent | undefined };
  wallMs: number;
}

/** The first index where two event sequences differ, or undefined if they are equal. */
export function firstDifference(a: readonly TraceEvent[], b: readonly TraceEvent[]): number | undefined {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (i >= a.length || i >= b.length || JSON.stringify(a[i]) !== JSON.stringify(b[i])) return i;
  }
  return undefined;
}

async function readAll(file: string): Promise<TraceEvent[]> {
  const events: TraceEvent[] = [];
  for await (const event of readTraceEvents(file)) events.push(event);
  return events;
}

const input = (error: unknown): never => {
  if (error instanceof TraceFileError || error instanceof BundleError || error instanceof ImplLoadError) {
    throw new ReplayInputError(error.code, error.message);
  }
  throw error;
};

/** Replay a trace file or a bundle; throws ReplayInputError for input that cannot be replayed. */
export async function replay(file: string, options: ReplayOptions = {}): Promise<ReplayReport> {
  const temp: string[] = [];
  const unpack = (snapshot: SourceSnapshot): string => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'raftlab-replay-'));
    temp.push(dir);
    return writeSnapshot(snapshot, path.join(dir, 'src'));
  };
  try {
    let traceFile = file;
    let from: ReplayReport['from'] = 'trace';
    let createdBy: ReplayReport['createdBy'];
    let code: ReplayReport['impl']['code'] = 'folder';
    let implDir: string | undefined;
    let recordedSources: SourceSnapshot | undefined;
    const bundle = (() => {
      try {
        return readBundle(file, { allowModified: options.allowModified ?? false });
      } catch (error) {
        return input(error);
      }
    })();
    if (bundle) {
      from = 'bundle';
      code = 'bundle';
      createdBy = bundle.createdBy;
      recordedSources = bundle.sources;
      implDir = unpack(bundle.sources);
      traceFile = path.join(temp[0]!, 'run.trace.gz');
      writeFileSync(traceFile, Buffer.from(bundle.trace, 'base64'));
    }
    let header: TraceHeader;
    try {
      const index = await readTraceIndex(traceFile);
      header = await readTraceHeader(traceFile, index);
      if (!bundle) recordedSources = await readTraceSources(traceFile, index);
    } catch (error) {
      return input(error);
    }
    if (header.lang === 'go') {
      // Go seeds its tester from crypto/rand and runs on the wall clock: there is no seed to replay.
      throw new ReplayInputError(
        'NOT_REPLAYABLE',
        `${file} is a run of a Go lab, which cannot be replayed (Go seeds its tester from crypto/rand and runs on the wall clock); run the test again instead: npx raftlab run '^${header.test}$' --count 20 --impl ${JSON.stringify(header.impl)}`,
      );
    }
    if (!findTest(header.test)) throw new ReplayInputError('UNKNOWN_TEST', `${file} records test ${header.test}, which this raftlab does not have`);
    if (!['sim', 'real'].includes(header.mode)) throw new ReplayInputError('TRACE_FORMAT', `${file} records an unknown clock '${String(header.mode)}'`);

    if (!implDir) {
      const named = options.impl ?? (header.impl === 'reference' ? referenceImplDir : header.impl);
      if (options.asRecorded || (!existsSync(named) && recordedSources && !options.impl)) {
        if (!recordedSources) throw new ReplayInputError('NO_SOURCES', `${file} does not carry its sources (an older raftlab made it): replay it against a folder with --impl DIR`);
        implDir = unpack(recordedSources);
        code = 'recorded';
      } else if (!existsSync(named)) {
        throw new ReplayInputError('IMPL_NOT_FOUND', `the implementation ${named} named by ${file} is not here; pass --impl DIR to replay against another folder`);
      } else {
        implDir = path.resolve(named);
      }
    }
    let prepared: PreparedImpl;
    try {
      prepared = await prepareImpl(implDir, options.pool);
    } catch (error) {
      return input(error);
    }
    const out = mkdtempSync(path.join(os.tmpdir(), 'raftlab-replayed-'));
    temp.push(out);
    const checked = !!header.checked;
    const result = await runBatch({
      tests: [{ id: header.test }],
      count: 1,
      baseSeed: header.seed,
      mode: header.mode,
      implDir: prepared.dir,
      prepared,
      parallel: 1,
      trace: { keep: 'all', dir: out, ...(options.wholeValues ? { wholeValues: true } : {}) },
      ...(checked ? { check: true } : {}),
      ...(header.chaos ? { chaos: header.chaos } : {}),
      ...(options.pool ? { pool: options.pool } : {}),
    });
    const record = result.records[0];
    if (!record) throw new Error('the replay ended without a result');
    const recorded = await readAll(traceFile);
    const whole = record.traceFile ? await readAll(record.traceFile) : [];
    options.onReplayedEvents?.(whole);
    const replayed = options.wholeValues ? whole.map((e) => summarizeEvent(e)) : whole;
    const difference = header.mode === 'sim' ? firstDifference(recorded, replayed) : undefined;
    const recurred = record.status === header.status && (record.message ?? '') === (header.message ?? '');
    const recordedHash = recordedSources?.hash ?? header.sources?.hash;
    return {
      from,
      test: header.test,
      seed: header.seed,
      mode: header.mode,
      ...(header.chaos ? { chaos: header.chaos } : {}),
      checked,
      impl: {
        dir: prepared.dir,
        name: bundle ? bundle.impl.name : header.impl === 'reference' && !options.impl ? 'reference' : path.basename(prepared.dir),
        code,
        sourcesHash: prepared.ref.sourcesHash,
        ...(recordedHash ? { recordedSourcesHash: recordedHash } : {}),
      },
      sourcesChanged: !!recordedHash && recordedHash !== prepared.ref.sourcesHash,
      ...(createdBy ? { createdBy } : {}),
      recorded: { status: header.status, ...(header.message !== undefined ? { message: header.message } : {}), events: recorded.length },
      replayed: {
        status: record.status,
        ...(record.message !== undefined ? { message: record.message } : {}),
        events: replayed.length,
        ...(record.errorCode ? { errorCode: record.errorCode } : {}),
        ...(record.site ? { site: record.site } : {}),
      },
      recurred,
      identical: header.mode === 'sim' ? difference === undefined : undefined,
      ...(difference !== undefined ? { firstDifference: { index: difference, recorded: recorded[difference], replayed: replayed[difference] } } : {}),
      wallMs: record.wallMs,
    };
  } finally {
    await Promise.all(temp.map((dir) => rm(dir, { recursive: true, force: true })));
  }
}

/** The report in words, as `raftlab replay` prints it. */
export function formatReplay(report: ReplayReport): string[] {
  const lines: string[] = [];
  if (report.createdBy) lines.push(`bundle from raftlab ${report.createdBy.raftlab} on Node ${report.createdBy.node}`);
  const code = { folder: 'the folder as it is now', recorded: 'the sources the run had (carried by the trace)', bundle: "the bundle's own sources" }[report.impl.code];
  lines.push(`replaying ${report.test}, seed ${report.seed}, ${report.mode} clock, impl ${report.impl.name === 'reference' ? 'reference' : report.impl.dir} (${code}, sources ${shortHash(report.impl.sourcesHash)})`);
  if (report.sourcesChanged) {
    lines.push(`note: these sources differ from the ones the run had (${shortHash(report.impl.recordedSourcesHash!)}): the outcome may differ because the code did; --as-recorded replays the run's own sources`);
  }
  if (report.chaos) lines.push(`chaos knobs: ${Object.entries(report.chaos).map(([k, v]) => `${k}=${v}`).join(',')}`);
  if (report.checked) lines.push('the safety checker judged the run, and judges the replay');
  lines.push(`recorded: ${report.recorded.status}${report.recorded.message ? ` -- ${report.recorded.message}` : ''}`);
  lines.push(`replayed: ${report.replayed.status}${report.replayed.message ? ` -- ${report.replayed.message}` : ''}${report.replayed.site ? ` (at ${report.replayed.site})` : ''}`);
  lines.push(report.recurred ? (report.recorded.status === 'pass' ? 'the run passed again' : 'the failure recurred') : 'the outcome did NOT recur');
  if (report.identical === true) lines.push(`the trace is identical: ${report.replayed.events} events`);
  else if (report.identical === false) {
    const d = report.firstDifference!;
    lines.push(`the trace differs from event ${d.index} on (recorded ${report.recorded.events} events, replayed ${report.replayed.events}):`);
    lines.push(`  recorded: ${JSON.stringify(d.recorded ?? '(end)')}`);
    lines.push(`  replayed: ${JSON.stringify(d.replayed ?? '(end)')}`);
    lines.push(report.sourcesChanged ? '  (the sources changed since the run)' : '  (raftlab or the test changed since it was recorded)');
  } else {
    lines.push("(a real-clock run follows the machine's timing: its trace cannot be compared event for event)");
  }
  return lines;
}

/** Whether a replay reproduced the run: the outcome recurred and, on the sim clock, the trace is identical. */
export const reproduced = (report: ReplayReport): boolean => report.recurred && report.identical !== false;
