/**
 * A Raft safety checker over a trace. The course's tests judge a run by its end-to-end symptoms; this reads every
 * event and names the first one that broke one of Raft's guarantees (Figure 3 of the paper) or a rule that keeps them,
 * so a run can fail on a violation even when the tester's checks passed.
 */
import type { TraceEvent } from '../runner/trace/events.ts';

export type InvariantId =
  | 'election-safety'
  | 'state-machine-safety'
  | 'term-monotonic'
  | 'apply-order'
  | 'vote-persisted'
  | 'commit-current-term'
  | 'higher-term-adopted'
  | 'commit-monotonic';

export const invariants: Record<InvariantId, { title: string; rule: string }> = {
  'election-safety': {
    title: 'Election Safety',
    rule: 'at most one leader can be elected in a given term (Figure 3)',
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
  let votedForSeen = false;
  const persistedNodes = new Set<number>();
  let grantedVotes = 0;

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
        if (e.isLeader) {
          const other = leaderOfTerm.get(e.term);
          if (other && other.node !== e.node) {
            report({
              invariant: 'election-safety',
              message: `servers ${other.node} and ${e.node} are both leader in term ${e.term}`,
              eventIndex: i,
              context: [other.index],
            });
          } else if (!other) {
            leaderOfTerm.set(e.term, { node: e.node, index: i });
          }
        }
        break;
      }
      case 'restart':
        advertised.delete(e.node);
        lastApplied.delete(e.node); // a new incarnation applies from its snapshot (or the start) again
        break;
      case 'apply-snapshot':
        if (e.installed) {
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
        break;
      case 'deliver':
        if (commitRpcs.has(e.rpc)) learn(e.node, commitRpcs.get(e.rpc)!);
        if (e.method === 'Raft.RequestVote') {
          votes.set(e.rpc, { voter: e.node, candidate: e.from, term: requestTerms.get(e.rpc) ?? e.term, deliverIndex: i, persists: [] });
          requestTerms.delete(e.rpc);
        }
        break;
      case 'persist': {
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
        break;
      case 'reply':
      case 'reply-lost': {
        if (e.kind === 'reply' && e.term !== undefined && e.term > (termOfNode.get(e.node)?.term ?? 0)) {
          pendingAdoptions.push({ node: e.node, term: e.term, t: e.t, index: i });
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
