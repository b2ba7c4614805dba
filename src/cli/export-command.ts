import { createWriteStream, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { Option, type Command } from 'commander';
import { BundleError, createBundle } from '../runner/bundle.ts';
import { TraceFileError, exportFormats, exportTrace, type ExportFormat } from '../trace/index.ts';
import { replayCommandLine } from '../runner/commands.ts';

export const exportCommandFormats = [...exportFormats, 'bundle'] as const;

export interface ExportCommandOptions {
  format: ExportFormat | 'bundle';
  out?: string;
  width?: number;
  /** bundle: the implementation folder, when the trace's own is not here. */
  impl?: string;
}

/** A bundle's default name: beside the trace, `.trace.gz` replaced by `.bundle.gz`. */
export function defaultBundleName(traceFile: string): string {
  return traceFile.replace(/(\.trace)?\.gz$/, '') + '.bundle.gz';
}

/** `raftlab export FILE`: a trace as NDJSON, dslogs-like text or a ShiViz log. Returns the exit status. */
export async function exportCommand(
  file: string,
  options: ExportCommandOptions,
  out: Pick<NodeJS.WritableStream, 'write'> = process.stdout,
): Promise<number> {
  if (options.format === 'bundle') {
    try {
      const target = options.out ?? defaultBundleName(file);
      const bundle = await createBundle(file, options.impl);
      for (const warning of bundle.warnings) process.stderr.write(`raftlab: warning: ${warning}\n`);
      writeFileSync(target, bundle.bytes);
      out.write(`bundle written: ${target}  (replay it anywhere: ${replayCommandLine(target)})\n`);
      return 0;
    } catch (error) {
      if (error instanceof TraceFileError || error instanceof BundleError) {
        process.stderr.write(`raftlab: ${error.message}\n`);
        return 2;
      }
      throw error;
    }
  }
  const format = options.format;
  const stream = options.out ? createWriteStream(options.out) : undefined;
  const target = stream ?? out;
  const write = async (chunk: string): Promise<void> => {
    if (!target.write(chunk) && stream) await once(stream, 'drain');
  };
  try {
    await exportTrace(file, format, write, options.width ? { columnWidth: options.width } : {});
  } catch (error) {
    if (error instanceof TraceFileError) {
      process.stderr.write(`raftlab: ${error.message}\n`);
      return 2;
    }
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
    .description('export a trace file (.trace.gz) as NDJSON, dslogs-like text, a ShiViz log, or a bundle to share')
    .argument('<file>', 'a raftlab trace file')
    .addOption(new Option('--format <format>', 'output format').choices(exportCommandFormats).default('text'))
    .option('--out <file>', 'write to this file instead of stdout (bundle: default FILE.bundle.gz)')
    .option('--impl <dir>', "bundle: the implementation folder, if not the one the trace names")
    .option('--width <n>', 'text: width of each node column', (v) => {
      const n = Number(v);
      if (!Number.isSafeInteger(n) || n < 8) throw new Error(`--width must be an integer of at least 8, got '${v}'`);
      return n;
    })
    .action(async (file: string, options: ExportCommandOptions) => {
      // `raftlab export … | head`: a closed pipe ends the export quietly.
      process.stdout.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'EPIPE') process.exit(0);
        throw error;
      });
      process.exitCode = await exportCommand(file, options);
    });
}
