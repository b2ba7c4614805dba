/**
 * Live progress for a batch. On a terminal that can redraw (a TTY, not TERM=dumb): an overall bar with ETA and one
 * line per test (done/failed, red once a run failed), redrawn in place, with failures printed above it. Elsewhere
 * (a pipe, a CI log, TERM=dumb): each failure as it happens, one line per test when its last run is done, and a
 * line of totals every minute or so while a long batch runs — a log of a 400-run batch reads in a dozen lines.
 * Colour follows colorEnabled (NO_COLOR, FORCE_COLOR, TERM=dumb, a TTY).
 */
import { performance } from 'node:perf_hooks';
import { formatPercent, formatSeconds } from './stats.ts';
import { canRedraw, colorEnabled, colors } from './terminal.ts';
import type { RunRecord } from './types.ts';

export interface ProgressOptions {
  out: Pick<NodeJS.WriteStream, 'write'> & { isTTY?: boolean; columns?: number };
  testIds: readonly string[];
  total: number;
  /** Force the redrawing renderer on or off (default: canRedraw(out)). */
  tty?: boolean;
  /** Force colour on or off (default: colorEnabled, for a TTY when `tty` says so). */
  color?: boolean;
  /** Off a TTY: the least time between two lines of totals (default 60 s). */
  heartbeatMs?: number;
}

export class Progress {
  private readonly tty: boolean;
  private readonly c: ReturnType<typeof colors>;
  private readonly started = performance.now();
  private readonly done = new Map<string, number>();
  private readonly failed = new Map<string, number>();
  private readonly perTest: number;
  private finished = 0;
  private failures = 0;
  private drawnLines = 0;
  private lastDraw = 0;
  private lastBeat: number;
  private readonly idWidth: number;

  constructor(private readonly options: ProgressOptions) {
    this.tty = options.tty ?? canRedraw(options.out);
    this.c = colors(options.color ?? colorEnabled({ isTTY: options.tty ?? options.out.isTTY }));
    this.idWidth = Math.max(...options.testIds.map((id) => id.length), 4);
    this.perTest = options.testIds.length ? Math.ceil(options.total / options.testIds.length) : 0;
    this.lastBeat = this.started;
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
    const done = (this.done.get(record.id) ?? 0) + 1;
    this.done.set(record.id, done);
    if (record.status !== 'pass') {
      this.failures++;
      this.failed.set(record.id, (this.failed.get(record.id) ?? 0) + 1);
    }
    if (this.tty) {
      if (record.status !== 'pass') this.print(failureLines.map((l, i) => (i === 0 ? this.c.red(l) : l)));
      else this.draw(false);
      return;
    }
    const lines = record.status === 'pass' ? [] : [...failureLines];
    if (done === this.perTest) lines.push(this.testLine(record.id));
    const now = performance.now();
    if (lines.length === 0 && now - this.lastBeat >= (this.options.heartbeatMs ?? 60_000) && this.finished < this.options.total) lines.push(this.totalsLine(now));
    if (lines.length) {
      this.lastBeat = now;
      this.write(lines.map((l) => l + '\n').join(''));
    }
  }

  /** `TestX: 200 runs, 3 failed (1.5%)`, red when some failed. */
  private testLine(id: string): string {
    const done = this.done.get(id) ?? 0;
    const failed = this.failed.get(id) ?? 0;
    const line = `${id.padEnd(this.idWidth)}  ${done} run${done === 1 ? '' : 's'}, ${failed} failed (${formatPercent(done ? failed / done : 0)})`;
    return failed ? this.c.red(line) : this.c.green(line);
  }

  private totalsLine(now: number): string {
    const { total } = this.options;
    return `[${this.finished}/${total}] ${Math.floor((this.finished / Math.max(1, total)) * 100)}%  elapsed ${formatSeconds(now - this.started)}  ${this.failures} failed`;
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
    const failedText = this.failures ? this.c.red(`${this.failures} failed`) : this.c.green('0 failed');
    const lines = [
      `${bar} ${this.finished}/${total} ${Math.floor((this.finished / Math.max(1, total)) * 100)}%  elapsed ${formatSeconds(elapsed)}  ETA ${Number.isFinite(eta) ? formatSeconds(eta) : '?'}  ${failedText}`,
    ];
    for (const id of this.options.testIds) {
      const failed = this.failed.get(id) ?? 0;
      const line = `  ${id.padEnd(this.idWidth)}  done ${String(this.done.get(id) ?? 0).padStart(5)}  failed ${String(failed).padStart(5)}`;
      lines.push(failed ? this.c.red(line) : line);
    }
    this.write(lines.map((l) => l + '\n').join(''));
    this.drawnLines = lines.length;
  }

  /** Final redraw (TTY), leaving the block on screen. */
  end(): void {
    if (this.tty) this.draw(true);
  }
}
