/**
 * A synthetic but realistic trace for tests and the bench: a leader heartbeating and replicating client commands
 * over an unreliable network (drops, lost replies, delays), followers applying them, persists, dslogs-style log
 * lines, and now and then a crash or a partition of the leader followed by an election. Deterministic per seed.
 */
import type { TraceEvent } from '../../../trace/events.ts';
import type { TraceHeader } from '../../../trace/file.ts';

export interface SynthOptions {
  events?: number;
  servers?: number;
  seed?: number;
}

export function synthHeader(servers: number, seed: number, events: number): TraceHeader {
  return {
    format: 'raftlab-trace/1', test: 'TestFigure8Unreliable2C', seed, mode: 'sim', impl: 'synthetic',
    raftlabVersion: '0.0.0', node: 'none', status: 'pass', servers, events,
  };
}

export function synthTrace(opts: SynthOptions = {}): { header: TraceHeader; events: TraceEvent[] } {
  const target = opts.events ?? 100_000;
  const n = opts.servers ?? 5;
  let seed = (opts.seed ?? 1) >>> 0 || 1;
  const rnd = (): number => {
    // xorshift32
    seed ^= seed << 13;
    seed >>>= 0;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    seed >>>= 0;
    return seed / 0x1_0000_0000;
  };
  const out: TraceEvent[] = [];
  let seq = 0;
  // Events are generated a little out of order (deliveries in the future) and sorted at the end; seq keeps ties stable.
  const order = new Map<TraceEvent, number>();
  const emit = (e: TraceEvent): void => {
    out.push(e);
    order.set(e, seq++);
  };

  let t = 0;
  let rpc = 0;
  let term = 1;
  let leader = 0;
  let lastIndex = 0;
  const logTerms: number[] = [0];
  const alive = Array.from({ length: n }, () => true);
  const connected = Array.from({ length: n }, () => true);
  const applied = Array.from({ length: n }, () => 0);
  const matchIndex = Array.from({ length: n }, () => 0);
  let commit = 0;

  emit({ t, kind: 'test-begin', description: 'Test (2C): Figure 8 (unreliable) ...' });
  for (let i = 0; i < n; i++) {
    emit({ t, kind: 'restart', node: i, generation: 1 });
    emit({ t, kind: 'connect', node: i });
  }
  emit({ t, kind: 'unreliable', on: true });

  const reachable = (a: number, b: number): boolean => alive[a]! && alive[b]! && connected[a]! && connected[b]!;

  const call = (from: number, to: number, method: string, args: Record<string, unknown>, onReply: (at: number) => Record<string, unknown>): void => {
    const id = ++rpc;
    const tt = (args.term as number | undefined) ?? term;
    emit({ t, kind: 'send', rpc: id, method, node: from, to, bytes: 40 + Math.floor(rnd() * 200), args, term: tt });
    if (!reachable(from, to) || rnd() < 0.1) {
      emit({ t: t + Math.floor(rnd() * 3), kind: 'drop', rpc: id, method, node: from, to, reason: reachable(from, to) ? 'request-lost' : 'end-disabled' });
      return;
    }
    const d = 1 + Math.floor(rnd() * 26);
    emit({ t: t + d, kind: 'deliver', rpc: id, method, node: to, from });
    emit({ t: t + d, kind: 'log', node: to, topic: method.endsWith('AppendEntries') ? 'LOG1' : 'VOTE', message: `S${to} ← S${from} ${method.slice(5)} T${tt}` });
    if (rnd() < 0.05) {
      emit({ t: t + 2 * d, kind: 'reply-lost', rpc: id, method, node: from, to, reason: 'reply-lost' });
      return;
    }
    const reply = onReply(t + d);
    emit({ t: t + 2 * d + 1, kind: 'reply', rpc: id, method, node: from, to, bytes: 20, reply, term: reply.term as number });
  };

  const setState = (i: number, isLeader: boolean): void => emit({ t, kind: 'state', node: i, term, isLeader });

  const election = (): void => {
    const candidates = [...Array(n).keys()].filter((i) => alive[i] && connected[i]);
    const c = candidates[Math.floor(rnd() * candidates.length)] ?? 0;
    term++;
    emit({ t, kind: 'log', node: c, topic: 'TIMR', message: `S${c} election timeout, converting to candidate` });
    emit({ t, kind: 'persist', node: c, bytes: 60 + lastIndex * 12, term, votedFor: c });
    setState(c, false);
    for (let p = 0; p < n; p++) {
      if (p === c) continue;
      call(c, p, 'Raft.RequestVote', { term, candidateId: c, lastLogIndex: lastIndex, lastLogTerm: logTerms[lastIndex] }, (at) => {
        emit({ t: at, kind: 'persist', node: p, bytes: 60 + lastIndex * 12, term, votedFor: c });
        emit({ t: at, kind: 'state', node: p, term, isLeader: false });
        return { term, voteGranted: true };
      });
    }
    t += 30;
    leader = c;
    emit({ t, kind: 'log', node: c, topic: 'LEAD', message: `S${c} becomes leader for T${term}` });
    setState(c, true);
  };

  let nextTrouble = 2000 + rnd() * 2000;
  let healAt = Infinity;
  let troubled = -1;
  let troubleKind: 'crash' | 'disconnect' = 'crash';
  setState(leader, true);

  while (out.length < target) {
    t += 20 + Math.floor(rnd() * 10);
    // Clients submit commands to the leader.
    if (rnd() < 0.6 && alive[leader]) {
      const cmd = Math.floor(rnd() * 1e6);
      lastIndex++;
      logTerms[lastIndex] = term;
      emit({ t, kind: 'start', node: leader, command: cmd, index: lastIndex, term, isLeader: true });
      const log = { snapshotIndex: 0, snapshotTerm: 0, from: lastIndex, terms: [term], commands: [cmd], lastIndex };
      emit({ t, kind: 'persist', node: leader, bytes: 60 + lastIndex * 12, term, votedFor: leader, log });
      emit({ t, kind: 'log', node: leader, topic: 'CLNT', message: `S${leader} start ${cmd} at ${lastIndex}` });
    }
    // Heartbeats / replication, every ~100 ms.
    if (Math.floor(t / 100) !== Math.floor((t - 25) / 100) && alive[leader]) {
      for (let p = 0; p < n; p++) {
        if (p === leader) continue;
        const prev = matchIndex[p]!;
        const entries = Array.from({ length: lastIndex - prev }, (_, k) => ({ term: logTerms[prev + 1 + k], command: k }));
        const summarized = entries.length > 8 ? { $len: entries.length, head: entries.slice(0, 3) } : entries;
        call(leader, p, 'Raft.AppendEntries', { term, leaderId: leader, prevLogIndex: prev, prevLogTerm: logTerms[prev] ?? 0, entries: summarized, leaderCommit: commit }, (at) => {
          if (entries.length > 0) {
            const log = { snapshotIndex: 0, snapshotTerm: 0, from: prev + 1, terms: entries.map((e) => e.term ?? 0), commands: entries.map((e) => e.command), lastIndex: prev + entries.length };
            emit({ t: at, kind: 'persist', node: p, bytes: 60 + lastIndex * 12, term, votedFor: leader, log });
          }
          return { term, success: true, conflictTerm: -1, conflictIndex: 0 };
        });
        matchIndex[p] = reachable(leader, p) ? lastIndex : prev;
      }
      const sorted = matchIndex.map((m, i) => (i === leader ? lastIndex : m)).sort((a, b) => b - a);
      const newCommit = sorted[Math.floor(n / 2)]!;
      if (newCommit > commit) {
        commit = newCommit;
        emit({ t, kind: 'log', node: leader, topic: 'CMIT', message: `S${leader} commit index → ${commit}` });
      }
      for (let i = 0; i < n; i++) {
        if (!alive[i]) continue;
        const upto = i === leader ? commit : Math.min(commit, matchIndex[i]!);
        while (applied[i]! < upto) {
          applied[i]!++;
          emit({ t: t + 1, kind: 'apply', node: i, index: applied[i]!, command: applied[i]! });
        }
      }
      if (rnd() < 0.02) emit({ t, kind: 'log', node: leader, topic: 'TIMR', message: `S${leader} heartbeat timer` });
    }
    // Trouble: crash or partition the leader, then heal.
    if (t >= nextTrouble && troubled < 0) {
      troubled = leader;
      troubleKind = rnd() < 0.5 ? 'crash' : 'disconnect';
      if (troubleKind === 'crash') {
        alive[troubled] = false;
        emit({ t, kind: 'crash', node: troubled });
      } else {
        connected[troubled] = false;
        emit({ t, kind: 'disconnect', node: troubled });
      }
      t += 150 + Math.floor(rnd() * 150);
      election();
      healAt = t + 1000 + rnd() * 1500;
    }
    if (t >= healAt && troubled >= 0) {
      if (troubleKind === 'crash') {
        alive[troubled] = true;
        applied[troubled] = 0;
        emit({ t, kind: 'restart', node: troubled, generation: 2 });
        emit({ t, kind: 'state', node: troubled, term, isLeader: false });
      } else {
        connected[troubled] = true;
        emit({ t, kind: 'connect', node: troubled });
        emit({ t: t + 5, kind: 'state', node: troubled, term, isLeader: false });
      }
      troubled = -1;
      healAt = Infinity;
      nextTrouble = t + 2000 + rnd() * 3000;
    }
    if (rnd() < 0.01) emit({ t, kind: 'check', check: 'one-leader', ok: true, node: leader, term });
  }
  out.sort((a, b) => a.t - b.t || order.get(a)! - order.get(b)!);
  out.length = target - 1;
  out.push({ t: out.at(-1)!.t, kind: 'test-end', status: 'pass' });
  return { header: synthHeader(n, opts.seed ?? 1, out.length), events: out };
}
