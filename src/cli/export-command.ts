import { createWriteStream, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { BundleError, createBundle } from '../runner/bundle.ts';
import { replayCommandLine } from '../runner/commands.ts';
import { ReplayInputError, replay } from '../runner/replay.ts';
import { colorEnabled } from '../runner/terminal.ts';
import { exportFormats, exportTrace, type ExportFilter, type ExportFormat, type TopicSet } from '../trace/export.ts';
import { TraceFileError, readTraceHeader, traceEventKinds, type TraceEvent, type TraceEventKind } from '../trace/index.ts';

export const exportCommandFormats = [...exportFormats, 'bundle'] as const;

export interface ExportCommandOptions {
  format: ExportFormat | 'bundle';
  out?: string;
  width?: number;
  /** bundle: the implementation folder, when the trace's own is not here. */
  impl?: string;
  /** Time window, run-relative ms (the options take seconds or a unit). */
  from?: number;
  to?: number;
  nodes?: number[];
  kinds?: TraceEventKind[];
  /** commander's --no-logs sets logs: false. */
  logs?: boolean;
  topics?: TopicSet;
  /** Re-run the trace (sim clock) to record arguments, replies, commands and log fields whole. */
  full?: boolean;
  /** Colour (columns): default from the terminal and NO_COLOR / FORCE_COLOR / TERM. */
  color?: boolean;
}

/** A bundle's default name: beside the trace, `.trace.gz` replaced by `.bundle.gz`. */
export function defaultBundleName(traceFile: string): string {
  return traceFile.replace(/(\.trace)?\.gz$/, '') + '.bundle.gz';
}

/** `--from 12.5`, `--from 12.5s`, `--from 800ms`: run-relative ms. */
export function parseTimeOption(flag: string): (value: string) => number {
  return (value) => {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s)?\s*$/.exec(value);
    if (!m) throw new InvalidArgumentError(`${flag} takes a time from the run's start, e.g. 12.5 (seconds), 12.5s or 800ms; got '${value}'`);
    return Number(m[1]) * (m[2] === 'ms' ? 1 : 1000);
  };
}

/** `--nodes 0,2` or `--nodes S0,S2`. */
export function parseNodesOption(value: string): number[] {
  const nodes = value.split(',').map((v) => v.trim());
  const bad = nodes.find((v) => !/^S?\d{1,3}$/i.test(v));
  if (bad !== undefined) throw new InvalidArgumentError(`--nodes takes server numbers, e.g. 0,2 or S0,S2; got '${bad}'`);
  return nodes.map((v) => Number(v.replace(/^S/i, '')));
}

/** `--kinds send,deliver,persist`: every name one of the trace's kinds. */
export function parseKindsOption(value: string): TraceEventKind[] {
  const kinds = value.split(',').map((v) => v.trim());
  const bad = kinds.find((k) => !(traceEventKinds as readonly string[]).includes(k));
  if (bad !== undefined) throw new InvalidArgumentError(`--kinds: no event kind '${bad}' (kinds: ${traceEventKinds.join(', ')})`);
  return kinds as TraceEventKind[];
}

/** About how many events ShiViz lays out in a few seconds; far more and the page stalls. */
export const shivizComfortEvents = 10_000;

const fail = (err: Pick<NodeJS.WritableStream, 'write'>, message: string, status: number): number => {
  err.write(`raftlab: ${message}\n`);
  return status;
};

/**
 * `raftlab export FILE`: a trace as NDJSON, dslogs's text, columns or a ShiViz log (each trimmed as asked), or a
 * bundle. Exit status 0, 1 when --full's re-run is not the recorded run, 2 for bad input.
 */
export async function exportCommand(
  file: string,
  options: ExportCommandOptions,
  out: Pick<NodeJS.WritableStream, 'write'> & { isTTY?: boolean } = process.stdout,
  err: Pick<NodeJS.WritableStream, 'write'> = process.stderr,
): Promise<number> {
  const filter: ExportFilter = {
    ...(options.from !== undefined ? { fromMs: options.from } : {}),
    ...(options.to !== undefined ? { toMs: options.to } : {}),
    ...(options.nodes ? { nodes: options.nodes } : {}),
    ...(options.kinds ? { kinds: options.kinds } : {}),
    ...(options.logs === false ? { noLogs: true } : {}),
  };
  if (options.format === 'bundle') {
    if (Object.keys(filter).length > 0 || options.full) return fail(err, 'a bundle carries the whole trace: --from, --to, --nodes, --kinds, --no-logs and --full do not apply to it', 2);
    try {
      const target = options.out ?? defaultBundleName(file);
      const bundle = await createBundle(file, options.impl);
      for (const warning of bundle.warnings) err.write(`raftlab: warning: ${warning}\n`);
      writeFileSync(target, bundle.bytes);
      out.write(`bundle written: ${target}  (replay it anywhere: ${replayCommandLine(target)})\n`);
      return 0;
    } catch (error) {
      if (error instanceof TraceFileError || error instanceof BundleError) return fail(err, error.message, 2);
      throw error;
    }
  }
  if (options.from !== undefined && options.to !== undefined && options.to <= options.from) {
    return fail(err, `--to (${options.to / 1000} s) must come after --from (${options.from / 1000} s)`, 2);
  }

  let events: TraceEvent[] | undefined;
  try {
    const header = await readTraceHeader(file);
    if (options.full) {
      if (header.mode !== 'sim') {
        return fail(err, `--full re-runs the trace to record its values whole, which only the sim clock can do event for event; ${file} was recorded on the real clock`, 2);
      }
      const report = await replay(file, { asRecorded: true, wholeValues: true, onReplayedEvents: (e) => void (events = [...e]), ...(options.impl ? { impl: options.impl } : {}) });
      if (report.identical !== true) {
        const at = report.firstDifference ? ` at event ${report.firstDifference.index}` : '';
        return fail(err, `--full: the re-run of ${file} is not the recorded run (it differs${at}), so its values cannot stand for the trace's; nothing exported`, 1);
      }
    }
  } catch (error) {
    if (error instanceof TraceFileError || error instanceof ReplayInputError) return fail(err, error.message, 2);
    throw error;
  }

  const stream = options.out ? createWriteStream(options.out) : undefined;
  const target = stream ?? out;
  const write = async (chunk: string): Promise<void> => {
    if (!target.write(chunk) && stream) await once(stream, 'drain');
  };
  const color = options.color ?? (!stream && colorEnabled(out));
  try {
    const { events: written } = await exportTrace(file, options.format, write, {
      ...filter,
      ...(options.width ? { columnWidth: options.width } : {}),
      ...(options.topics ? { topics: options.topics } : {}),
      ...(color ? { color: true } : {}),
      ...(events ? { events } : {}),
    });
    if (options.format === 'shiviz' && written > shivizComfortEvents) {
      err.write(
        `raftlab: warning: ${written} events: ShiViz slows down past about ${shivizComfortEvents} (a whole churn test can freeze it for minutes); ` +
          'trim the export with --from/--to (seconds), --nodes, --kinds or --no-logs\n',
      );
    }
  } catch (error) {
    if (error instanceof TraceFileError) return fail(err, error.message, 2);
    throw error;
  } finally {
    if (stream) {
      stream.end();
      await once(stream, 'close');
    }
  }
  return 0;
}

export function registerExportCommand(program: Command): void {
  program
    .command('export')
    .description("export a trace file (.trace.gz): NDJSON, dslogs's text, columns per node, a ShiViz log, or a bundle to share")
    .argument('<file>', 'a raftlab trace file')
    .addOption(
      new Option('--format <format>', 'ndjson (header + events, docs/schema/), text (dslogs input), columns (per node), shiviz, bundle').choices(exportCommandFormats).default('text'),
    )
    .option('--out <file>', 'write to this file instead of stdout (bundle: default FILE.bundle.gz)')
    .option('--from <time>', "only events from this time on (seconds from the run's start, or 800ms)", parseTimeOption('--from'))
    .option('--to <time>', 'only events before this time', parseTimeOption('--to'))
    .option('--nodes <list>', "only these servers' events (and the tester's own), e.g. 0,2", parseNodesOption)
    .option('--kinds <list>', `only these kinds of event, e.g. send,deliver,handled,reply,persist`, parseKindsOption)
    .option('--no-logs', "leave out the implementation's log lines")
    .addOption(new Option('--topics <set>', "text, columns: dslogs's topics, or raftlab's finer ones for network and tester events").choices(['dslogs', 'raftlab']).default('dslogs'))
    .option('--width <n>', 'columns: width of each node column', (v) => {
      const n = Number(v);
      if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < 8) throw new InvalidArgumentError(`--width must be an integer of at least 8, got '${v}'`);
      return n;
    })
    .option('--full', 'keep arguments, replies, commands and log fields whole: re-runs the trace (sim clock) from the sources it carries')
    .option('--impl <dir>', 'bundle, --full: the implementation folder, if not the one the trace names')
    .action(async (file: string, options: ExportCommandOptions) => {
      process.exitCode = await exportCommand(file, options);
    });
}
