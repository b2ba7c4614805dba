/**
 * Live progress for a batch. On a TTY: an overall bar with ETA and one line per test (done/failed, red once a run
 * failed), redrawn in place, with failures printed above it. Elsewhere: one plain line per finished run.
 */
import { performance } from 'node:perf_hooks';
import { formatSeconds } from './stats.ts';
import type { RunRecord } from './types.ts';

const red = (s: string): string => `\x1b[31m${s}\x1b[0m`;
const green = (s: string): string => `\x1b[32m${s}\x1b[0m`;

export interface ProgressOptions {
  out: Pick<NodeJS.WriteStream, 'write'> & { isTTY?: boolean; columns?: number };
  testIds: readonly string[];
  total: number;
  /** Force the TTY renderer on or off (default: out.isTTY). */
  tty?: boolean;
}

export class Progress {
  private readonly tty: boolean;
  private readonly started = performance.now();
  private readonly done = new Map<string, number>();
  private readonly failed = new Map<string, number>();
  private finished = 0;
  private failures = 0;
  private drawnLines = 0;
  private lastDraw = 0;
  private readonly idWidth: number;

  constructor(private readonly options: ProgressOptions) {
    this.tty = options.tty ?? Boolean(options.out.isTTY);
    this.idWidth = Math.max(...options.testIds.map((id) => id.length), 4);
  }

  private write(text: string): void {
    this.options.out.write(text);
  }

  /** Print lines above the live block (or plainly, off a TTY). */
  print(lines: string[]): void {
    if (this.tty) this.clear();
    this.write(lines.map((l) => l + '\n').join(''));
    if (this.tty) this.draw(true);
  }

  run(record: RunRecord, failureLines: string[]): void {
    this.finished++;
    this.done.set(record.id, (this.done.get(record.id) ?? 0) + 1);
    if (record.status !== 'pass') {
      this.failures++;
      this.failed.set(record.id, (this.failed.get(record.id) ?? 0) + 1);
    }
    if (!this.tty) {
      const head = `${record.status === 'pass' ? 'ok  ' : record.status.toUpperCase().padEnd(4)} ${record.id} ${record.lang === 'go' ? 'run' : 'seed'} ${record.seed} (${formatSeconds(record.testMs)})`;
      this.write([`[${this.finished}/${this.options.total}] ${head}`, ...(record.status === 'pass' ? [] : failureLines)].map((l) => l + '\n').join(''));
      return;
    }
    if (record.status !== 'pass') this.print(failureLines);
    else this.draw(false);
  }

  private clear(): void {
    if (this.drawnLines > 0) this.write(`\x1b[${this.drawnLines}A\x1b[0J`);
    this.drawnLines = 0;
  }

  private draw(force: boolean): void {
    const now = performance.now();
    if (!force && now - this.lastDraw < 80 && this.finished < this.options.total) return;
    this.lastDraw = now;
    this.clear();
    const { total } = this.options;
    const elapsed = now - this.started;
    const eta = this.finished > 0 ? (elapsed / this.finished) * (total - this.finished) : NaN;
    const width = 30;
    const filled = Math.round((this.finished / Math.max(1, total)) * width);
    const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
    const failedText = this.failures ? red(`${this.failures} failed`) : green('0 failed');
    const lines = [
      `${bar} ${this.finished}/${total} ${Math.floor((this.finished / Math.max(1, total)) * 100)}%  elapsed ${formatSeconds(elapsed)}  ETA ${Number.isFinite(eta) ? formatSeconds(eta) : '?'}  ${failedText}`,
    ];
    for (const id of this.options.testIds) {
      const failed = this.failed.get(id) ?? 0;
      const line = `  ${id.padEnd(this.idWidth)}  done ${String(this.done.get(id) ?? 0).padStart(5)}  failed ${String(failed).padStart(5)}`;
      lines.push(failed ? red(line) : line);
    }
    this.write(lines.map((l) => l + '\n').join(''));
    this.drawnLines = lines.length;
  }

  /** Final redraw (TTY), leaving the block on screen. */
  end(): void {
    if (this.tty) this.draw(true);
  }
}
