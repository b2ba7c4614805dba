/**
 * The graded tests, each with its failure rates from history, counted in the scope a student asks about: the
 * implementation in the form, on the form's clock, for the code as it is now (the hash of its sources, which every
 * batch records). Runs under chaos knobs are counted apart (harsher than the course's conditions), and so are the
 * runs of earlier code versions. Nothing pools runs across edits, clocks or chaos.
 */
import path from 'node:path';
import { formatChaos } from '../../harness/chaos.ts';
import { allTests } from '../../harness/tester/index.ts';
import type { TestTotals } from '../../runner/history.ts';
import { wilsonInterval } from '../../runner/stats.ts';
import type { CatalogEntry, CatalogView, ClockMode, ImplChoice, RateView } from '../../shared/ipc.ts';
import type { HistoryService } from './history.ts';
import type { Implementations } from './implementations.ts';

class Rate {
  runs = 0;
  failed = 0;
  add(t: TestTotals): void {
    this.runs += t.runs;
    this.failed += t.failed;
  }
  view(): RateView {
    const interval = this.runs > 0 ? wilsonInterval(this.failed, this.runs) : null;
    return { runs: this.runs, failed: this.failed, rate: this.runs > 0 ? this.failed / this.runs : null, interval };
  }
}

export class CatalogService {
  constructor(
    private readonly history: HistoryService,
    private readonly impls: Implementations,
  ) {}

  async list(impl: ImplChoice = 'reference', mode: ClockMode = 'sim'): Promise<CatalogView> {
    const resolved = this.impls.tryResolve(impl);
    const implDir = resolved ? path.resolve(resolved.dir) : null;
    const sourcesHash = implDir ? ((await this.impls.sourcesHash(implDir)) ?? null) : null;
    const stats = new Map<string, { current: Rate; chaos: Rate; earlier: Rate; last?: CatalogEntry['last'] }>();
    const of = (id: string) => {
      let s = stats.get(id);
      if (!s) stats.set(id, (s = { current: new Rate(), chaos: new Rate(), earlier: new Rate() }));
      return s;
    };
    if (implDir) {
      for (const entry of this.history.entries()) {
        if (entry.mode !== mode || path.resolve(entry.implDir) !== implDir) continue;
        const head = this.history.head(entry.id);
        if (!head) continue;
        const sameCode = sourcesHash !== null && entry.sourcesHash === sourcesHash;
        const chaos = formatChaos(entry.chaos) !== '';
        for (const [id, t] of Object.entries(head.tests)) {
          const s = of(id);
          if (!sameCode) {
            if (!chaos) s.earlier.add(t);
          } else if (chaos) s.chaos.add(t);
          else s.current.add(t);
          if (t.last) s.last = { status: t.last.status, seed: t.last.seed, batchId: head.id, at: head.finishedAt ?? head.startedAt };
        }
      }
    }
    const none = new Rate().view();
    return {
      scope: { implDir, sourcesHash, mode },
      tests: allTests.map((test) => {
        const s = stats.get(test.id);
        return {
          id: test.id,
          part: test.part,
          description: test.description,
          servers: test.servers,
          ...(s?.last ? { last: s.last } : {}),
          current: s?.current.view() ?? none,
          chaos: s?.chaos.view() ?? none,
          earlier: s?.earlier.view() ?? none,
        };
      }),
    };
  }
}
