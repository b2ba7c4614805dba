import { performance } from 'node:perf_hooks';
import { Network, Server, Service } from '../src/harness/labrpc/index.ts';
import { makeRuntime, type ClockMode } from '../src/harness/runtime/index.ts';

/** labrpc's TestBenchmark: sequential round trips through the network, in each clock. */
async function roundTrips(mode: ClockMode, calls: number): Promise<{ perSecond: number; wallMs: number }> {
  const rt = makeRuntime(mode, 1);
  // Timed from outside the run: inside a sim run, performance.now is virtual.
  const t0 = performance.now();
  await rt.run(async () => {
    const net = new Network(rt);
    const server = new Server();
    server.addService(new Service('JunkServer', { Handler2: (args: number) => `handler2-${args}` }));
    net.addServer('server99', server);
    const end = net.makeEnd('end1-99');
    net.connect('end1-99', 'server99');
    net.enable('end1-99', true);
    for (let i = 0; i < calls; i++) {
      const r = await end.call('JunkServer.Handler2', 111);
      if (!r.ok) throw new Error('benchmark call failed');
    }
  });
  const wallMs = performance.now() - t0;
  return { perSecond: calls / (wallMs / 1000), wallMs };
}

export default async function benchLabrpc(): Promise<void> {
  const calls = 100_000;
  const rows = [];
  for (const mode of ['sim', 'real'] as const) {
    const { perSecond, wallMs } = await roundTrips(mode, calls);
    rows.push({ clock: mode, calls, 'wall (ms)': Math.round(wallMs), 'round trips / s': Math.round(perSecond) });
  }
  console.log('\nlabrpc: sequential round trips (TestBenchmark)');
  console.table(rows);
}
