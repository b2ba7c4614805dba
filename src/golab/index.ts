/**
 * Go labs: the course's own Go tester on a student's Go Raft, run by raftlab's pool like any other run. The build
 * cache (build.ts), the process of one run (run.ts), what it prints read into a verdict and a trace (output.ts,
 * events.ts), goroutine dumps grouped by where they wait (goroutines.ts), race reports deduplicated (races.ts).
 */
export * from './build.ts';
export * from './events.ts';
export * from './frames.ts';
export * from './goroutines.ts';
export * from './lab.ts';
export * from './output.ts';
export * from './races.ts';
export * from './run.ts';
export * from './toolchain.ts';
