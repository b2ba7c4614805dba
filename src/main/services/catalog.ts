/**
 * The graded tests, each with what history says of it: its newest run and its failure rate (of one implementation,
 * if asked).
 */
import path from 'node:path';
import { allTests } from '../../harness/tester/index.ts';
import type { CatalogEntry, ImplChoice } from '../../shared/ipc.ts';
import type { HistoryService } from './history.ts';
import type { Implementations } from './implementations.ts';

export class CatalogService {
  constructor(
    private readonly history: HistoryService,
    private readonly impls: Implementations,
  ) {}

  list(impl?: ImplChoice): CatalogEntry[] {
    const implDir = impl === undefined ? undefined : (this.impls.tryResolve(impl)?.dir ?? path.resolve(this.impls.cwd, impl));
    const stats = new Map<string, { runs: number; failed: number; last?: CatalogEntry['last'] }>();
    for (const entry of this.history.entries()) {
      if (implDir && path.resolve(entry.implDir) !== implDir) continue;
      const head = this.history.head(entry.id);
      if (!head) continue;
      for (const [id, t] of Object.entries(head.tests)) {
        const s = stats.get(id) ?? { runs: 0, failed: 0 };
        s.runs += t.runs;
        s.failed += t.failed;
        if (t.last) s.last = { status: t.last.status, seed: t.last.seed, batchId: head.id, at: head.finishedAt ?? head.startedAt };
        stats.set(id, s);
      }
    }
    return allTests.map((test) => {
      const s = stats.get(test.id);
      return {
        id: test.id,
        part: test.part,
        description: test.description,
        servers: test.servers,
        ...(s?.last ? { last: s.last } : {}),
        history: { runs: s?.runs ?? 0, failed: s?.failed ?? 0, rate: s && s.runs > 0 ? s.failed / s.runs : null },
      };
    });
  }
}
