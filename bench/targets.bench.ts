/**
 * The speed and memory targets, each measured in this one bench run beside its baseline: Node's own start-up for
 * `raftlab list`, the share of the simulator's time that is the implementation's own work for the sim suite, a run
 * without history for the history's cost, and the Go tester when a Go lab is given (RAFTLAB_BENCH_GO_LAB: a 6.824
 * checkout's src/raft holding a finished Raft) or else the Go figures recorded on this kind of machine.
 *
 * Everything a user runs is spawned as a user runs it (bin/raftlab.js from a folder outside the repository); CPU and
 * peak memory are read from /proc while the process tree runs.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { allTests, loadImplementation, runTest } from '../src/harness/tester/index.ts';

const root = fileURLToPath(new URL('../', import.meta.url));
const cli = path.join(root, 'bin', 'raftlab.js');
const clockTicksPerS = 100; // USER_HZ on Linux

/** Go's figures on this kind of machine (a widely used Go solution under the course's tester), used when no Go lab is given. */
const goRecorded = { part2ab: { cpuS: 0.94, rssMb: 13.6 }, suite: { cpuS: 14.9, rssMb: 42.8 } };

interface ProcSample {
  cpuS: number;
  hwmMb: number;
  /** Resident memory that is the process's own (RssAnon): its heap, not the Node binary's pages every Node process shares. */
  anonMb: number;
}

function readProc(pid: number): ProcSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime, stime, cutime, cstime are fields 14-17 (1-based): indices 11-14 after the name.
    const cpuS = (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / clockTicksPerS;
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
    const anon = /RssAnon:\s+(\d+) kB/.exec(status);
    return { cpuS, hwmMb: hwm ? Number(hwm[1]) / 1024 : 0, anonMb: anon ? Number(anon[1]) / 1024 : 0 };
  } catch {
    return undefined; // gone
  }
}

/** Node processes only: esbuild's service process is a child too, and not a run process. */
function isNode(pid: number): boolean {
  try {
    return path.basename(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '') === path.basename(process.execPath);
  } catch {
    return false;
  }
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      if (text) out.push(...text.split(' ').map(Number));
    }
  } catch {
    // gone
  }
  return out;
}

interface Measured {
  wallS: number;
  /** Peak resident memory of the top process, and of the largest Node process under it (the run process). */
  topHwmMb: number;
  childHwmMb: number;
  /** The largest own (anonymous) resident memory any Node process under it was seen with. */
  childAnonMb: number;
  stdout: string;
}

/** Spawn a command and watch its process tree: wall, total CPU (exited children counted by their parents), peaks. */
function measure(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const seen = new Map<number, ProcSample>();
    let topHwmMb = 0;
    const poll = (): void => {
      const top = readProc(child.pid!);
      if (top) topHwmMb = Math.max(topHwmMb, top.hwmMb);
      const stack = childrenOf(child.pid!);
      while (stack.length > 0) {
        const pid = stack.pop()!;
        const s = isNode(pid) ? readProc(pid) : undefined;
        if (s) seen.set(pid, { cpuS: Math.max(s.cpuS, seen.get(pid)?.cpuS ?? 0), hwmMb: Math.max(s.hwmMb, seen.get(pid)?.hwmMb ?? 0), anonMb: Math.max(s.anonMb, seen.get(pid)?.anonMb ?? 0) });
        stack.push(...childrenOf(pid));
      }
    };
    const timer = setInterval(poll, 50);
    poll();
    child.on('error', reject);
    child.on('exit', (code) => {
      clearInterval(timer);
      const wallS = (performance.now() - t0) / 1000;
      if (code !== 0 && code !== 1) {
        reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr.slice(-400)}`));
        return;
      }
      const children = [...seen.values()];
      resolve({ wallS, topHwmMb, childHwmMb: Math.max(0, ...children.map((s) => s.hwmMb)), childAnonMb: Math.max(0, ...children.map((s) => s.anonMb)), stdout });
    });
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fixed = (x: number, digits = 2): string => (Number.isFinite(x) ? x.toFixed(digits) : '—');
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const list = (xs: number[], digits = 2): string => xs.map((x) => fixed(x, digits)).join(', ');

/** A wrapper whose /proc cutime+cstime is the tree's CPU once the command it runs has exited. */
const treeCpuWrapper = `
    const { spawnSync } = require('node:child_process');
    const r = spawnSync(process.argv[1], JSON.parse(process.argv[2]), { stdio: ['ignore', 'inherit', 'inherit'] });
    const stat = require('node:fs').readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    require('node:fs').writeSync(2, '@@cpu ' + (Number(f[13]) + Number(f[14])) / ${clockTicksPerS} + '\\n');
    process.exit(r.status ?? 1);`;

function treeCpuOf(command: string, args: string[], status: number | null, stderr: string): number {
  const cpu = /@@cpu ([\d.]+)/.exec(stderr);
  if (!cpu || (status !== 0 && status !== 1)) throw new Error(`${command} ${args.join(' ')}: exit ${status}: ${stderr.slice(-400)}`);
  return Number(cpu[1]);
}

/** Runs `command` and returns the CPU of its whole tree once it has exited. */
function cpuOfTree(command: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv): { wallS: number; cpuS: number; stdout: string } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['-e', treeCpuWrapper, command, JSON.stringify(args)], { cwd, env, encoding: 'utf8', maxBuffer: 1 << 28 });
  const wallS = (performance.now() - t0) / 1000;
  return { wallS, cpuS: treeCpuOf(command, args, r.status, r.stderr), stdout: r.stdout };
}

/**
 * The CPU of a Node process that runs nothing (`node -e 0`), as it reads its own at exit: /proc's figures come in
 * clock ticks (10 ms), as coarse as what is measured.
 */
function bareStartCpuS(cwd: string, env: NodeJS.ProcessEnv): number {
  const r = spawnSync(process.execPath, ['-e', "process.on('exit', () => { const u = process.cpuUsage(); process.stdout.write(String((u.user + u.system) / 1e6)); })"], { cwd, env, encoding: 'utf8' });
  const cpuS = Number(r.stdout);
  if (r.status !== 0 || !Number.isFinite(cpuS)) throw new Error(`node -e 0: exit ${r.status}: ${r.stderr.slice(-400)}`);
  return cpuS;
}

/** cpuOfTree, without waiting: for runs side by side. */
function cpuOfTreeAsync(command: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv): Promise<{ wallS: number; cpuS: number }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, ['-e', treeCpuWrapper, command, JSON.stringify(args)], { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status) => {
      try {
        resolve({ wallS: (performance.now() - t0) / 1000, cpuS: treeCpuOf(command, args, status, stderr) });
      } catch (error) {
        reject(error);
      }
    });
  });
}

interface SideBySide {
  ours: number[];
  theirs: number[];
  /** ours / theirs, pair by pair. */
  ratios: number[];
  oursWallS: number[];
  theirsWallS: number[];
}

/** A command to run for its tree's CPU: what to run, its arguments, where, and with what environment. */
type TreeCommand = [command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv];

/**
 * Ours and theirs (raftlab and the Go tester, say) run at the same time, `pairs` times: both mostly wait on their
 * timers (a few % of a core each), so they barely meet on two cores, and whatever the shared machine does to its speed
 * meanwhile (run to run, the same command's CPU moved by up to 2×) it does to both. The ratio is taken pair by pair.
 * Several of ours run each beside the same run of theirs, one SideBySide each.
 */
async function oursBesideTheirs(pairs: number, ours: TreeCommand[], theirs: TreeCommand): Promise<SideBySide[]> {
  const out: SideBySide[] = ours.map(() => ({ ours: [], theirs: [], ratios: [], oursWallS: [], theirsWallS: [] }));
  for (let i = 0; i < pairs; i++) {
    const [b, ...as] = await Promise.all([cpuOfTreeAsync(...theirs), ...ours.map((o) => cpuOfTreeAsync(...o))]);
    as.forEach((a, k) => {
      const o = out[k]!;
      o.ours.push(a.cpuS);
      o.theirs.push(b!.cpuS);
      o.ratios.push(a.cpuS / b!.cpuS);
      o.oursWallS.push(a.wallS);
      o.theirsWallS.push(b!.wallS);
    });
  }
  return out;
}

/** Where the simulator's CPU goes in one process running the whole sim suite (seed 1), by V8's sampling profiler. */
async function simSuiteShares(): Promise<{ totalMs: number; shares: Record<string, number>; gcPausesMs: number }> {
  const { make, describeState } = await loadImplementation();
  await runTest(allTests[0]!, { mode: 'sim', seed: 1, make, describeState }); // warm up
  // Every collection's pause, as Node reports it, beside what the sampler put under "(garbage collector)".
  let gcPausesMs = 0;
  const gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcPausesMs += entry.duration;
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  const t0 = performance.now();
  for (const test of allTests) await runTest(test, { mode: 'sim', seed: 1, make, describeState });
  const totalMs = performance.now() - t0;
  const { profile } = await session.post('Profiler.stop');
  session.disconnect();
  await new Promise((resolve) => setTimeout(resolve, 20)); // the last collections' entries
  gcObserver.disconnect();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const shares: Record<string, number> = {};
  const deltas = profile.timeDeltas ?? [];
  (profile.samples ?? []).forEach((id, i) => {
    const url = byId.get(id)?.callFrame.url ?? '';
    const fn = byId.get(id)?.callFrame.functionName ?? '';
    const group = url.includes('/.cache/raftlab/impl/')
      ? 'the Raft implementation (the reference)'
      : url.includes('msgpackr') || url.includes('/harness/codec/')
        ? 'codec: encoding and decoding what the Raft sends and persists'
        : url.includes('/harness/')
          ? 'harness: labrpc, simulator, tester, persister'
          : fn === '(garbage collector)'
            ? 'garbage collection'
            : fn === '(idle)' || fn === '(program)'
              ? 'V8 and idle'
              : 'other (Node, lowdb, trace)';
    shares[group] = (shares[group] ?? 0) + (deltas[i] ?? 0) / 1000;
  });
  return { totalMs, shares, gcPausesMs };
}

export default async function benchTargets(): Promise<void> {
  const outside = mkdtempSync(path.join(tmpdir(), 'raftlab-bench-targets-'));
  const data = path.join(outside, 'data');
  const env = { ...process.env, RAFTLAB_DATA: data, NODE_OPTIONS: '' };
  // Node 20 reads and parses the file NODE_EXTRA_CA_CERTS names at every start, before any of the process's code runs
  // (these machines set it to the system's whole CA bundle, 220 KB). raftlab's run processes get an environment
  // without it (src/runner/pool.ts, scrubbedEnv); the CLI pays it as the user's shell starts it. Where it is set, the
  // figures it weighs on are also measured without it: what a machine without the setting gets.
  const extraCa = process.env.NODE_EXTRA_CA_CERTS;
  const envNoCa: NodeJS.ProcessEnv = { ...env };
  delete envNoCa.NODE_EXTRA_CA_CERTS;
  const withoutCa = (what: string): string => (extraCa ? `; ${what} without this machine's NODE_EXTRA_CA_CERTS` : '');
  try {
    const rows: Array<Record<string, string>> = [];
    spawnSync(process.execPath, [cli, 'list'], { cwd: outside, env }); // builds raftlab's CLI if a source changed

    // raftlab list, beside Node's own start-up.
    const wallOf = (args: string[], environment: NodeJS.ProcessEnv): number => {
      const t = performance.now();
      spawnSync(process.execPath, args, { cwd: outside, env: environment });
      return (performance.now() - t) / 1000;
    };
    const listS: number[] = [];
    const nodeS: number[] = [];
    const listNoCaS: number[] = [];
    const nodeNoCaS: number[] = [];
    for (let i = 0; i < 9; i++) {
      listS.push(wallOf([cli, 'list'], env));
      nodeS.push(wallOf(['-e', '0'], env));
      if (!extraCa) continue;
      listNoCaS.push(wallOf([cli, 'list'], envNoCa));
      nodeNoCaS.push(wallOf(['-e', '0'], envNoCa));
    }
    rows.push({
      figure: `\`raftlab list\`, process wall (median of 9${withoutCa('the same')})`,
      now: `${fixed(median(listS))} s${extraCa ? `; ${fixed(median(listNoCaS))} s` : ''}`,
      baseline: `node -e 0: ${fixed(median(nodeS))} s${extraCa ? `; ${fixed(median(nodeNoCaS))} s` : ''}`,
      ratio: `${fixed(median(listS) / median(nodeS), 1)}${extraCa ? `; ${fixed(median(listNoCaS) / median(nodeNoCaS), 1)}` : ''}`,
      target: '≤ 0.15 s',
    });

    // The full sim suite in one `raftlab test` with one run process (--parallel 1), seeds 1-3.
    const suite = [1, 2, 3].map((seed) => cpuOfTree(process.execPath, [cli, 'test', '--seed', String(seed), '--parallel', '1'], outside, env));
    const { totalMs, shares, gcPausesMs } = await simSuiteShares();
    const implMs = (shares['the Raft implementation (the reference)'] ?? 0) + (shares['codec: encoding and decoding what the Raft sends and persists'] ?? 0);
    rows.push({
      figure: 'full sim suite, `raftlab test` (24 tests, one run process, start-up included), seeds 1–3: wall; CPU',
      now: `${suite.map((s) => fixed(s.wallS, 1)).join(' / ')} s; ${suite.map((s) => fixed(s.cpuS, 1)).join(' / ')} s`,
      baseline: `of it, in one process, seed 1: the Raft's own code and the codec it drives ${fixed(implMs / 1000)} s of ${fixed(totalMs / 1000)} s`,
      ratio: '',
      target: '≤ 1.0 s',
    });
    // The same on one run process per core (--parallel), the heaviest tests first.
    const lanes = availableParallelism();
    const shared = [1, 2, 3].map((seed) => cpuOfTree(process.execPath, [cli, 'test', '--seed', String(seed), '--parallel', String(lanes)], outside, env));
    rows.push({
      figure: `full sim suite, \`raftlab test --parallel ${lanes}\` (${lanes} run processes on ${lanes} cores), seeds 1–3: wall; CPU`,
      now: `${shared.map((s) => fixed(s.wallS, 1)).join(' / ')} s; ${shared.map((s) => fixed(s.cpuS, 1)).join(' / ')} s`,
      baseline: `one run process, the row above: ${fixed(median(suite.map((s) => s.wallS)), 1)} s (medians)`,
      ratio: fixed(median(shared.map((s) => s.wallS)) / median(suite.map((s) => s.wallS))),
      target: '',
    });
    // What the run process's isolation costs: a fresh instance of the implementation's module for every run, against
    // one instance shared by every test, the suite in one process each, alternated 5 times (3 were within the noise).
    const instances = { shared: [] as number[], fresh: [] as number[] };
    for (let i = 0; i < 5; i++) {
      for (const how of ['shared', 'fresh'] as const) {
        const r = spawnSync(process.execPath, ['--max-semi-space-size=2', '--single-threaded-gc', '--import', 'tsx', path.join(root, 'bench', 'suite-instances.ts'), how], { cwd: root, encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`suite-instances.ts ${how}: ${r.stderr}`);
        instances[how].push((JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { cpuS: number }).cpuS);
      }
    }
    rows.push({
      figure: 'a fresh module instance for every run (what a run process does), the suite in one process, seed 1: CPU (5 alternated runs each)',
      now: `${instances.fresh.map((s) => fixed(s)).join(' / ')} s`,
      baseline: `one instance shared by every test: ${instances.shared.map((s) => fixed(s)).join(' / ')} s`,
      ratio: fixed(median(instances.fresh) / median(instances.shared)),
      target: '',
    });

    // 1 000 seeds of the suite at parallel 2, projected from a shorter sweep of the same kind.
    const seeds = Number(process.env.RAFTLAB_BENCH_SEEDS ?? 10);
    const sweep = cpuOfTree(process.execPath, [cli, 'run', '--count', String(seeds), '--seed', '1', '--parallel', '2', '--no-history', '--keep', 'none'], outside, env);
    rows.push({ figure: `1 000 seeds × 24 tests at parallel 2 (projected from ${seeds} seeds: ${fixed(sweep.wallS, 0)} s)`, now: `${fixed((sweep.wallS * 1000) / seeds / 60, 1)} min`, baseline: `CPU ${fixed((sweep.cpuS * 1000) / seeds / 60, 1)} min over 2 cores`, ratio: '', target: '≤ 5 min' });

    // History: the same 2 400-run sweep of 2A with the history on and off, side by side (oursBesideTheirs): run one after
    // the other, the machine's drift between the two (±5 % and more) was as large as what is measured.
    const base = ['run', '2A', '--count', '800', '--seed', '1', '--parallel', '2', '--keep', 'none'];
    const history = (await oursBesideTheirs(3, [[process.execPath, [cli, ...base, '--data', path.join(data, 'history-cost')], outside, env]], [process.execPath, [cli, ...base, '--no-history'], outside, env]))[0]!;
    const wallRatios = history.oursWallS.map((w, i) => w / history.theirsWallS[i]!);
    const percent = (ratio: number): string => `${ratio >= 1 ? '+' : ''}${fixed((ratio - 1) * 100, 1)} %`;
    rows.push({ figure: 'history cost in a 2 400-run sweep (2A × 800, parallel 2; 3 pairs side by side): wall; CPU of the tree', now: `${fixed(mean(history.oursWallS), 1)} s; ${fixed(mean(history.ours), 1)} s`, baseline: `--no-history ${fixed(mean(history.theirsWallS), 1)} s; ${fixed(mean(history.theirs), 1)} s`, ratio: `${percent(median(wallRatios))}; ${percent(median(history.ratios))} (medians; wall pairs ${wallRatios.map((r) => percent(r)).join(', ')})`, target: '≤ +5 %' });

    // What one start costs: `raftlab test` of one sim test (a few ms of work), beside two bare Node starts (the CLI
    // and its run process are two Node processes: the first started as the user's shell starts it, the second with
    // the run process's environment).
    const startS: number[] = [];
    const nodeCpuS: number[] = [];
    const nodeNoCaCpuS: number[] = [];
    for (let i = 0; i < 5; i++) {
      startS.push(cpuOfTree(process.execPath, [cli, 'test', 'TestInitialElection2A', '--seed', '1'], outside, env).cpuS);
      nodeCpuS.push(bareStartCpuS(outside, env));
      nodeNoCaCpuS.push(bareStartCpuS(outside, envNoCa));
    }
    const oneStartS = median(startS);
    const twoBareStartsS = median(nodeCpuS) + median(nodeNoCaCpuS);
    rows.push({
      figure: 'one start: `raftlab test` of one sim test, CPU of the tree (median of 5)',
      now: `${fixed(oneStartS)} s`,
      baseline: `two \`node -e 0\`: ${fixed(twoBareStartsS)} s${extraCa ? ` (${fixed(median(nodeCpuS))} s as the shell starts the CLI, NODE_EXTRA_CA_CERTS read; ${fixed(median(nodeNoCaCpuS))} s as the run process starts)` : ''}`,
      ratio: fixed(oneStartS / twoBareStartsS, 1),
      target: '',
    });

    // Real clock, 2A+2B: CPU and the run process's peak memory, beside Go, side by side (oursBesideTheirs).
    const real = await measure(process.execPath, [cli, 'test', '2[AB]', '--mode', 'real'], outside, env);
    const goLab = process.env.RAFTLAB_BENCH_GO_LAB;
    let go = goRecorded.part2ab;
    let binary: string | undefined;
    if (goLab && existsSync(goLab)) {
      // The course's tester itself: its test binary, built once (the build is not the tester's cost, nor is go test's
      // result cache, which would answer a repeated run without running it).
      binary = path.join(outside, 'raft.test');
      const built = spawnSync('go', ['test', '-c', '-o', binary], { cwd: goLab, env, encoding: 'utf8' });
      if (built.status !== 0) throw new Error(`go test -c in ${goLab} failed: ${built.stderr}`);
    }
    const pairs = 3;
    if (binary && goLab) {
      // Each part beside Go, and where NODE_EXTRA_CA_CERTS is set, the CLI started without it beside the same Go run.
      const variants = (args: string[]): TreeCommand[] => (extraCa ? [env, envNoCa] : [env]).map((e): TreeCommand => [process.execPath, [cli, ...args], outside, e]);
      const noCaRow = (figure: string, r: SideBySide | undefined): void => {
        if (!r) return;
        rows.push({ figure: `${figure}: the CLI started without this machine's NODE_EXTRA_CA_CERTS (beside the same Go runs)`, now: `${fixed(mean(r.ours))} s (${list(r.ours)})`, baseline: `Go ${fixed(mean(r.theirs))} s`, ratio: `${fixed(median(r.ratios))}× (median; pairs ${list(r.ratios)})`, target: '≤ 1.0×' });
      };
      const [ab, abNoCa] = await oursBesideTheirs(pairs, variants(['test', '2[AB]', '--mode', 'real']), [binary, ['-test.run', '2A|2B'], goLab, env]);
      const gm = await measure(binary, ['-test.run', '2A|2B'], goLab, env);
      go = { cpuS: mean(ab!.theirs), rssMb: gm.topHwmMb };
      rows.push({ figure: `real clock 2A+2B, CPU of the whole tree / Go (${pairs} pairs, each run beside Go's)`, now: `${fixed(mean(ab!.ours))} s (${list(ab!.ours)}; wall ${fixed(mean(ab!.oursWallS), 0)} s)`, baseline: `Go ${fixed(go.cpuS)} s (${list(ab!.theirs)})`, ratio: `${fixed(median(ab!.ratios))}× (median; pairs ${list(ab!.ratios)})`, target: '≤ 1.0×' });
      noCaRow('real clock 2A+2B', abNoCa);
      // 2A alone, where the tests are lightest: the part whose ratio the two Node starts weigh on most.
      const [a, aNoCa] = await oursBesideTheirs(pairs, variants(['test', '2A', '--mode', 'real']), [binary, ['-test.run', '2A'], goLab, env]);
      rows.push({ figure: `real clock 2A alone, CPU of the whole tree / Go (${pairs} pairs, each run beside Go's)`, now: `${fixed(mean(a!.ours))} s (${list(a!.ours)}), of which one start ${fixed(oneStartS)} s`, baseline: `Go ${fixed(mean(a!.theirs))} s (${list(a!.theirs)}); two \`node -e 0\` alone: ${fixed(twoBareStartsS)} s = ${fixed((twoBareStartsS / mean(a!.theirs)) * 100, 0)} % of Go's`, ratio: `${fixed(median(a!.ratios))}× (median; pairs ${list(a!.ratios)})`, target: '≤ 1.0×' });
      noCaRow('real clock 2A alone', aNoCa);
    } else {
      const ours = [0, 1].map(() => cpuOfTree(process.execPath, [cli, 'test', '2[AB]', '--mode', 'real'], outside, env));
      const oursMean = mean(ours.map((r) => r.cpuS));
      rows.push({ figure: 'real clock 2A+2B, CPU of the whole tree / Go (mean of 2; Go as recorded)', now: `${fixed(oursMean)} s (${list(ours.map((r) => r.cpuS))}; wall ${fixed(mean(ours.map((r) => r.wallS)), 0)} s)`, baseline: `Go ${fixed(go.cpuS)} s (recorded)`, ratio: `${fixed(oursMean / go.cpuS)}×`, target: '≤ 1.0×' });
    }
    const bare = await measure(process.execPath, ['-e', 'setTimeout(() => {}, 300)'], outside, env);
    rows.push({ figure: 'real clock 2A+2B, peak RSS: the run process; the CLI', now: `${fixed(real.childHwmMb, 0)} MB; ${fixed(real.topHwmMb, 0)} MB`, baseline: `Go test binary ${fixed(go.rssMb, 1)} MB (${binary ? 'measured now' : 'recorded'}); node -e 0 ${fixed(bare.topHwmMb, 0)} MB`, ratio: `${fixed(real.childHwmMb / go.rssMb, 1)}×`, target: 'run process ≤ 60 MB' });
    const bareStatus = spawnSync(process.execPath, ['-e', "process.stdout.write(require('node:fs').readFileSync('/proc/self/status', 'utf8'))"], { encoding: 'utf8' }).stdout;
    const bareAnonMb = Number(/RssAnon:\s+(\d+) kB/.exec(bareStatus)?.[1] ?? NaN) / 1024;
    rows.push({ figure: "real clock 2A+2B, the run process's own memory at most (RssAnon: not the Node binary's pages every Node process shares)", now: `${fixed(real.childAnonMb, 1)} MB`, baseline: `node -e 0: ${fixed(bareAnonMb, 1)} MB`, ratio: '', target: '' });

    console.log('\ntargets: each figure beside its baseline, measured in this run (trace viewer: `npm run bench -- trace-viewer`)');
    console.table(rows);
    console.log('where the sim suite\'s CPU goes (one process, seed 1, sampled):');
    console.table(Object.entries(shares).sort((a, b) => b[1] - a[1]).map(([part, ms]) => ({ part, ms: Math.round(ms), share: `${fixed((ms / totalMs) * 100, 0)} %` })));
    console.log(`garbage collection, every pause as Node's gc entries count it: ${Math.round(gcPausesMs)} ms (${fixed((gcPausesMs / totalMs) * 100, 0)} %)`);
  } finally {
    rmSync(outside, { recursive: true, force: true });
  }
}
