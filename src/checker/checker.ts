/**
 * A Raft safety checker over a trace. The course's tests judge a run by its end-to-end symptoms; this reads every
 * event and names the first one that broke one of Raft's guarantees (Figure 3 of the paper) or a rule that keeps them,
 * so a run can fail on a violation even when the tester's checks passed.
 */
import type { TraceEvent } from '../runner/trace/events.ts';
import { StableLogs } from './stable-logs.ts';

export type InvariantId =
  | 'election-safety'
  | 'state-machine-safety'
  | 'term-monotonic'
  | 'apply-order'
  | 'vote-persisted'
  | 'commit-current-term'
  | 'higher-term-adopted'
  | 'commit-monotonic'
  | 'log-matching'
  | 'leader-completeness'
  | 'append-persisted';

export const invariants: Record<InvariantId, { title: string; rule: string }> = {
  'election-safety': {
    title: 'Election Safety',
    rule: 'at most one leader can be elected in a given term (Figure 3)',
  },
  'log-matching': {
    title: 'Log Matching',
    rule: 'if two logs contain an entry with the same index and term, then the logs are identical in all entries up through that index (Figure 3)',
  },
  'leader-completeness': {
    title: 'Leader Completeness',
    rule: 'if a log entry is committed in a given term, it is present in the logs of the leaders of all higher terms (Figure 3)',
  },
  'append-persisted': {
    title: 'Entries persisted before success',
    rule: 'a follower saves the entries of an AppendEntries to stable storage before it replies success: the leader counts them as stored (Figure 2: persistent state is updated before responding to RPCs)',
  },
  'state-machine-safety': {
    title: 'State Machine Safety',
    rule: 'if a server has applied a log entry at a given index, no other server ever applies a different entry at that index (Figure 3)',
  },
  'term-monotonic': {
    title: 'Monotonic term',
    rule: "a server's currentTerm never decreases, across crashes too: it is persistent state (Figure 2)",
  },
  'apply-order': {
    title: 'Apply order',
    rule: 'each server applies log entries in index order, each exactly once, with no gaps (Figure 2: lastApplied)',
  },
  'commit-current-term': {
    title: 'Commit only through the current term',
    rule: "a leader commits by counting replicas only an entry of its own term; entries of earlier terms are committed along with it, never on their own (§5.4.2, Figure 8)",
  },
  'higher-term-adopted': {
    title: 'Adopt a higher term',
    rule: 'if an RPC request or response contains term T > currentTerm: set currentTerm = T, convert to follower (Figure 2, All Servers)',
  },
  'commit-monotonic': {
    title: 'Monotonic commit index',
    rule: "a server's commitIndex never decreases while it runs (Figure 2: it only advances); a leader never advertises a lower leaderCommit than before",
  },
  'vote-persisted': {
    title: 'Vote persisted before replying',
    rule: 'a server saves currentTerm and votedFor to stable storage before it grants a vote (Figure 2: persistent state is updated before responding to RPCs)',
  },
};

export interface Violation {
  invariant: InvariantId;
  /** What happened, in the words of the run. */
  message: string;
  /** Index (in the trace) of the first event that broke it. */
  eventIndex: number;
  /** Indices of earlier events that led there, oldest first. */
  context: number[];
}

export interface CheckResult {
  violations: Violation[];
  /** Rules the trace did not let us check, and why (e.g. the persisted state has no readable votedFor). */
  skipped: Array<{ invariant: InvariantId; reason: string }>;
  events: number;
}

/** How many violations of one invariant to report before the rest are summarized away. */
const maxPerInvariant = 5;

const same = (a: unknown, b: unknown): boolean => a === b || JSON.stringify(a) === JSON.stringify(b);

interface PendingVote {
  voter: number;
  candidate: number;
  term: number | undefined;
  deliverIndex: number;
  /** Persist events of the voter since the request was delivered. */
  persists: Array<{ index: number; term: unknown; votedFor: unknown }>;
}

/** Check every invariant over a run's events, in order. */
export function checkTrace(events: readonly TraceEvent[]): CheckResult {
  const violations: Violation[] = [];
  const perInvariant = new Map<InvariantId, number>();
  const report = (v: Violation): void => {
    const n = (perInvariant.get(v.invariant) ?? 0) + 1;
    perInvariant.set(v.invariant, n);
    if (n <= maxPerInvariant) violations.push(v);
  };

  const leaderOfTerm = new Map<number, { node: number; index: number }>();
  const applied = new Map<number, { node: number; command: unknown; index: number }>();
  const termOfNode = new Map<number, { term: number; index: number }>();
  const lastApplied = new Map<number, { index: number; eventIndex: number }>();
  const votes = new Map<number, PendingVote>();
  /** RequestVote terms by RPC id, from the candidate's send. */
  const requestTerms = new Map<number, number | undefined>();
  // commit-current-term: what each server has been told is committed (an upper bound on its commitIndex before it
  // led), and the indices of the entries each leader created in each term (its start() calls).
  const knownCommit = new Map<number, number>();
  const ownEntries = new Map<string, Set<number>>();
  /** Every index each server created as leader, in any term: it may have committed those as leader back then. */
  const createdAsLeader = new Map<number, Set<number>>();
  const commitBaseline = new Map<string, number>();
  const commitReported = new Set<string>();
  const commitRpcs = new Map<number, number>();
  // higher-term-adopted: replies that carried a term above their receiver's, to be adopted by the time the run moves
  // on (the reply's handler runs right after the reply event, before anything later in time).
  const pendingAdoptions: Array<{ node: number; term: number; t: number; index: number }> = [];
  /** The last leaderCommit each server advertised in its current incarnation (commitIndex is volatile). */
  const advertised = new Map<number, { commit: number; index: number }>();
  const learn = (node: number, index: number): void => {
    if (index > (knownCommit.get(node) ?? 0)) knownCommit.set(node, index);
  };
  // Log Matching, Leader Completeness, entries persisted before success: every node's stable log (persist events),
  // the entries known committed (a leader advertised leaderCommit at or past them) with the highest term they may
  // have been committed in, and the AppendEntries requests awaiting their reply.
  const stable = new StableLogs();
  const committed = new Map<number, { term: number; command: unknown; byTerm: number; eventIndex: number }>();
  let committedUpTo = 0;
  const leaderCheckedTerms = new Set<string>();
  const mismatchesReported = new Set<string>();
  /** Each node's latest persist that changed its log: where the other side of a mismatch came from. */
  const lastLogPersist = new Map<number, number>();
  const appendNeeds = new Map<number, { index: number; term: number | undefined }>();
  const appends = new Map<number, { node: number; leader: number; index: number; term: number | undefined; held: boolean; deliverIndex: number; persists: number[] }>();
  const holds = (node: number, index: number, term: number | undefined): boolean => {
    if (index <= stable.snapshotIndex(node)) return true;
    if (stable.lastIndex(node) < index) return false;
    return term === undefined || stable.termAt(node, index) === term;
  };
  const claimLeader = (node: number, term: number, i: number): void => {
    const other = leaderOfTerm.get(term);
    if (other && other.node !== node) {
      report({
        invariant: 'election-safety',
        message: `servers ${other.node} and ${node} are both leader in term ${term}`,
        eventIndex: i,
        context: [other.index],
      });
    } else if (!other) {
      leaderOfTerm.set(term, { node, index: i });
    }
  };
  let votedForSeen = false;
  const persistedNodes = new Set<number>();
  let grantedVotes = 0;

  const checkLogMatching = (node: number, from: number, i: number): void => {
    const m = stable.logMatching(node, from);
    if (!m) return;
    const key = `${Math.min(node, m.other)}-${Math.max(node, m.other)}@${m.differsAt}`;
    if (mismatchesReported.has(key)) return;
    mismatchesReported.add(key);
    const show = (x: { term: number; command: unknown }): string => `term ${x.term}, command ${JSON.stringify(x.command)}`;
    report({
      invariant: 'log-matching',
      message:
        `servers ${node} and ${m.other} both hold an entry of term ${m.term} at index ${m.index}, but differ at index ${m.differsAt}: ` +
        `${node} has (${show(m.mine)}), ${m.other} has (${show(m.theirs)})`,
      eventIndex: i,
      context: lastLogPersist.has(m.other) ? [lastLogPersist.get(m.other)!] : [],
    });
  };
  /** Entries up to `leaderCommit` are committed, in term `term` at the latest: note them as `leader`'s log has them. */
  const recordCommitted = (leader: number, leaderCommit: number, term: number, i: number): void => {
    if (leaderCommit <= committedUpTo || !stable.has(leader)) return;
    for (let index = committedUpTo + 1; index <= leaderCommit; index++) {
      const entry = stable.entry(leader, index);
      if (entry) committed.set(index, { term: entry.term, command: entry.command, byTerm: term, eventIndex: i });
    }
    committedUpTo = leaderCommit;
  };
  /** When `node` first acts as leader of `term`, its log must hold every entry committed in an earlier term. */
  const checkLeaderCompleteness = (node: number, term: number, i: number): void => {
    const key = `${node}:${term}`;
    if (leaderCheckedTerms.has(key) || !stable.has(node)) return;
    leaderCheckedTerms.add(key);
    const floor = stable.snapshotIndex(node);
    for (const [index, c] of committed) {
      if (c.byTerm >= term || index <= floor) continue;
      const mine = stable.entry(node, index);
      if (mine && mine.term === c.term && mine.command === c.command) continue;
      report({
        invariant: 'leader-completeness',
        message:
          `server ${node} leads term ${term} without the entry committed at index ${index} by term ${c.byTerm} ` +
          `(term ${c.term}, command ${JSON.stringify(c.command)}): its log ` +
          (mine ? `has term ${mine.term}, command ${JSON.stringify(mine.command)} there` : `ends at index ${stable.lastIndex(node)}`),
        eventIndex: i,
        context: [c.eventIndex],
      });
      return;
    }
  };

  events.forEach((e, i) => {
    for (let k = pendingAdoptions.length - 1; k >= 0; k--) {
      const p = pendingAdoptions[k]!;
      if (e.kind === 'crash' && e.node === p.node) {
        pendingAdoptions.splice(k, 1); // a crashed server handles no reply
      } else if (e.t > p.t) {
        pendingAdoptions.splice(k, 1);
        const now = termOfNode.get(p.node)?.term ?? 0;
        if (now < p.term) {
          report({
            invariant: 'higher-term-adopted',
            message: `server ${p.node} got a reply carrying term ${p.term} but stayed in term ${now}`,
            eventIndex: i,
            context: [p.index],
          });
        }
      }
    }
    switch (e.kind) {
      case 'state': {
        const previous = termOfNode.get(e.node);
        if (previous && e.term < previous.term) {
          report({
            invariant: 'term-monotonic',
            message: `server ${e.node}'s term went back from ${previous.term} to ${e.term}`,
            eventIndex: i,
            context: [previous.index],
          });
        }
        termOfNode.set(e.node, { term: e.term, index: i });
        if (e.isLeader) claimLeader(e.node, e.term, i);
        break;
      }
      case 'restart':
        advertised.delete(e.node);
        lastApplied.delete(e.node); // a new incarnation applies from its snapshot (or the start) again
        break;
      case 'apply-snapshot':
        if (e.installed) {
          const last = lastApplied.get(e.node);
          // condInstallSnapshot must refuse a snapshot the server has committed past: it would undo applies.
          if (last && e.index < last.index) {
            report({
              invariant: 'apply-order',
              message: `server ${e.node} installed a snapshot through index ${e.index} after applying through index ${last.index}: the service went back in time`,
              eventIndex: i,
              context: [last.eventIndex],
            });
          }
          lastApplied.set(e.node, { index: e.index, eventIndex: i });
          learn(e.node, e.index);
        }
        break;
      case 'apply': {
        const first = applied.get(e.index);
        if (first && !same(first.command, e.command)) {
          report({
            invariant: 'state-machine-safety',
            message: `server ${e.node} applied ${JSON.stringify(e.command)} at index ${e.index}, where server ${first.node} applied ${JSON.stringify(first.command)}`,
            eventIndex: i,
            context: [first.index],
          });
        } else if (!first) {
          applied.set(e.index, { node: e.node, command: e.command, index: i });
        }
        // The first apply of an incarnation starts wherever its persisted snapshot ends (a restarted Raft replays
        // its log to the service from there); after that, every apply must follow the one before.
        const last = lastApplied.get(e.node);
        if (last && e.index !== last.index + 1) {
          const expected = last.index + 1;
          report({
            invariant: 'apply-order',
            message:
              e.index < expected
                ? `server ${e.node} applied index ${e.index} again (or out of order) after index ${last.index}`
                : `server ${e.node} applied index ${e.index} after index ${last.index}, skipping ${expected}${e.index - expected > 1 ? `..${e.index - 1}` : ''}`,
            eventIndex: i,
            context: [last.eventIndex],
          });
        }
        if (!last || e.index > last.index) lastApplied.set(e.node, { index: e.index, eventIndex: i });
        break;
      }
      case 'send': {
        if (e.method === 'Raft.RequestVote') requestTerms.set(e.rpc, e.term);
        const args = e.args as Record<string, unknown> | null;
        const leaderCommit = args?.leaderCommit ?? args?.LeaderCommit;
        const snapshotIndex = args?.lastIncludedIndex ?? args?.LastIncludedIndex;
        if (e.method === 'Raft.InstallSnapshot' && typeof snapshotIndex === 'number') commitRpcs.set(e.rpc, snapshotIndex);
        // Only a leader sends AppendEntries or InstallSnapshot: the sender leads the term its arguments carry.
        if ((e.method === 'Raft.AppendEntries' || e.method === 'Raft.InstallSnapshot') && e.term !== undefined) {
          claimLeader(e.node, e.term, i);
          checkLeaderCompleteness(e.node, e.term, i);
        }
        if (e.method === 'Raft.AppendEntries' && args) {
          const prev = args.prevLogIndex ?? args.PrevLogIndex;
          const prevTerm = args.prevLogTerm ?? args.PrevLogTerm;
          const entries = args.entries ?? args.Entries ?? args.logs ?? args.Logs;
          const count = Array.isArray(entries) ? entries.length : (entries as { $len?: unknown } | undefined)?.$len;
          if (typeof prev === 'number' && typeof count === 'number') {
            const last = Array.isArray(entries) ? (entries.at(-1) as Record<string, unknown> | undefined) : undefined;
            const lastTerm = count === 0 ? prevTerm : (last?.term ?? last?.Term);
            appendNeeds.set(e.rpc, { index: prev + count, term: typeof lastTerm === 'number' ? lastTerm : undefined });
          }
          if (typeof leaderCommit === 'number' && e.term !== undefined) recordCommitted(e.node, leaderCommit, e.term, i);
        }
        if (e.method !== 'Raft.AppendEntries' || typeof leaderCommit !== 'number' || e.term === undefined) break;
        commitRpcs.set(e.rpc, leaderCommit);
        const before = advertised.get(e.node);
        if (before && leaderCommit < before.commit) {
          report({
            invariant: 'commit-monotonic',
            message: `server ${e.node} advertised leaderCommit ${leaderCommit} after ${before.commit}: its commit index went back`,
            eventIndex: i,
            context: [before.index],
          });
        }
        advertised.set(e.node, { commit: Math.max(leaderCommit, before?.commit ?? 0), index: i });
        const key = `${e.node}:${e.term}`;
        if (!commitBaseline.has(key)) commitBaseline.set(key, knownCommit.get(e.node) ?? 0);
        const baseline = commitBaseline.get(key)!;
        // Allowed: what it was told is committed, an entry of its own term, or an entry it created as leader in an
        // earlier term (it may have committed that one then, and only now tell anyone).
        if (
          leaderCommit > baseline &&
          !ownEntries.get(key)?.has(leaderCommit) &&
          !createdAsLeader.get(e.node)?.has(leaderCommit) &&
          !commitReported.has(key)
        ) {
          commitReported.add(key);
          const own = [...(ownEntries.get(key) ?? [])];
          report({
            invariant: 'commit-current-term',
            message:
              `server ${e.node}, leader in term ${e.term}, committed index ${leaderCommit}, which is not an entry of term ${e.term} ` +
              `(its term-${e.term} entries: ${own.length ? own.join(', ') : 'none yet'}; committed before it led: ${baseline})`,
            eventIndex: i,
            context: [],
          });
        }
        learn(e.node, leaderCommit);
        break;
      }
      case 'start':
        if (e.isLeader) {
          const key = `${e.node}:${e.term}`;
          ownEntries.set(key, (ownEntries.get(key) ?? new Set()).add(e.index));
          createdAsLeader.set(e.node, (createdAsLeader.get(e.node) ?? new Set()).add(e.index));
        }
        break;
      case 'drop':
        requestTerms.delete(e.rpc);
        appendNeeds.delete(e.rpc);
        break;
      case 'deliver': {
        if (commitRpcs.has(e.rpc)) learn(e.node, commitRpcs.get(e.rpc)!);
        const need = appendNeeds.get(e.rpc);
        appendNeeds.delete(e.rpc);
        if (need && stable.has(e.node)) {
          appends.set(e.rpc, { node: e.node, leader: e.from, ...need, held: holds(e.node, need.index, need.term), deliverIndex: i, persists: [] });
        }
        if (e.method === 'Raft.RequestVote') {
          votes.set(e.rpc, { voter: e.node, candidate: e.from, term: requestTerms.get(e.rpc) ?? e.term, deliverIndex: i, persists: [] });
          requestTerms.delete(e.rpc);
        }
        break;
      }
      case 'persist': {
        if (e.log) {
          stable.apply(e.node, e.log);
          checkLogMatching(e.node, e.log.from, i);
          lastLogPersist.set(e.node, i);
          for (const a of appends.values()) {
            if (a.node !== e.node) continue;
            a.persists.push(i);
            if (!a.held) a.held = holds(a.node, a.index, a.term);
          }
        }
        if (e.votedFor !== undefined) votedForSeen = true;
        persistedNodes.add(e.node);
        for (const vote of votes.values()) {
          if (vote.voter === e.node) vote.persists.push({ index: i, term: e.term, votedFor: e.votedFor });
        }
        break;
      }
      case 'crash':
        // Requests a crashed server was handling can no longer be answered: their replies are lost.
        for (const [rpc, vote] of votes) if (vote.voter === e.node) votes.delete(rpc);
        for (const [rpc, a] of appends) if (a.node === e.node) appends.delete(rpc);
        break;
      case 'reply':
      case 'reply-lost': {
        if (e.kind === 'reply' && e.term !== undefined && e.term > (termOfNode.get(e.node)?.term ?? 0)) {
          pendingAdoptions.push({ node: e.node, term: e.term, t: e.t, index: i });
        }
        const append = appends.get(e.rpc);
        if (append) {
          appends.delete(e.rpc);
          const reply = e.kind === 'reply' ? (e.reply as { success?: unknown; Success?: unknown } | null) : null;
          if ((reply?.success ?? reply?.Success) === true) {
            if (!append.held) {
              report({
                invariant: 'append-persisted',
                message:
                  `server ${append.node} told leader ${append.leader} it holds the log up to index ${append.index}` +
                  (append.term !== undefined ? ` (term ${append.term})` : '') +
                  `, but its saved log ends at ${stable.lastIndex(append.node)}` +
                  (append.term !== undefined && stable.lastIndex(append.node) >= append.index ? ` with term ${stable.termAt(append.node, append.index)} there` : ''),
                eventIndex: i,
                context: [append.deliverIndex, ...append.persists],
              });
            }
          }
        }
        const vote = votes.get(e.rpc);
        if (!vote) break;
        votes.delete(e.rpc);
        if (e.kind !== 'reply') break;
        const reply = e.reply as { voteGranted?: unknown; VoteGranted?: unknown } | null;
        const granted = reply?.voteGranted ?? reply?.VoteGranted;
        if (granted !== true) break;
        grantedVotes++;
        const saved = vote.persists.some(
          (p) => (p.votedFor === vote.candidate || same(p.votedFor, vote.candidate)) && (vote.term === undefined || p.term === undefined || p.term === vote.term),
        );
        // A Raft that persists nothing yet (2A work) is not judged on this rule.
        if (!saved && votedForSeen && persistedNodes.has(vote.voter)) {
          report({
            invariant: 'vote-persisted',
            message:
              `server ${vote.voter} granted its vote to server ${vote.candidate}` +
              (vote.term !== undefined ? ` in term ${vote.term}` : '') +
              ` without saving votedFor = ${vote.candidate} first` +
              (vote.persists.length ? ` (it saved votedFor = ${JSON.stringify(vote.persists.at(-1)!.votedFor)})` : ' (it saved nothing)'),
            eventIndex: i,
            context: [vote.deliverIndex, ...vote.persists.map((p) => p.index)],
          });
        }
        break;
      }
    }
  });

  const skipped: CheckResult['skipped'] = [];
  if (!votedForSeen && grantedVotes > 0) {
    skipped.push({ invariant: 'vote-persisted', reason: 'the persisted state has no field named votedFor to read' });
  }
  if (stable.nodes === 0 && events.some((e) => e.kind === 'persist')) {
    const reason = 'the persisted state has no log this checker can read (see src/harness/tester/persisted-log.ts)';
    for (const invariant of ['log-matching', 'leader-completeness', 'append-persisted'] as const) skipped.push({ invariant, reason });
  }
  for (const [invariant, n] of perInvariant) {
    if (n > maxPerInvariant) {
      violations.push({
        invariant,
        message: `... and ${n - maxPerInvariant} more violations of ${invariants[invariant].title}`,
        eventIndex: -1,
        context: [],
      });
    }
  }
  return { violations, skipped, events: events.length };
}
