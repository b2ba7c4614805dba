/**
 * Elections and terms: Election Safety, Monotonic term, Adopt a higher term.
 *
 * Election Safety (at most one leader per term).
 *   Reads: getState's (term, isLeader) in `state` events, and the term an AppendEntries or InstallSnapshot carries
 *   (args.term) with the server that sent it.
 *   Why a correct Raft never fires it: only the leader of term T reports isLeader in T, and only it builds
 *   AppendEntries or InstallSnapshot of term T. A re-send of old arguments, a retry or a reordered message still
 *   comes from the server that led that term when it built them.
 *
 * Monotonic term.
 *   Reads: getState's term within one incarnation; across a restart, the term the server last saved (by its
 *   describeState, or by field names the trace confirms) against the first term it reports afterwards.
 *   Why: currentTerm only grows in memory, and a restarted server starts from what it saved (make() restores it, as
 *   the lab's Make calls readPersist). A term held in memory but not yet saved may die with a crash, so the bound
 *   across a restart is the saved term, not the one getState last showed.
 *
 * Adopt a higher term.
 *   Reads: a reply, carrying a higher term, to an AppendEntries or InstallSnapshot that a leader sent in the term it
 *   still leads; then that leader's next request.
 *   Why: ignoring a reply is always allowed (it is as if lost), so the rule does not fire on a reply alone: only on a
 *   leader that goes on in the old term, sending another request of it later while getState still shows that term. A
 *   correct Raft looks at the term of a reply to a request of its current term, while it leads, before it next sends
 *   in that term — but "next" is when it has taken the reply, which is not when the reply arrived: the goroutine that
 *   received it may wait for the mutex while another, already past it, sends (Go and raftlab's scheduler both do
 *   this). So only a request sent `replyGraceMs` or more after the reply counts: the lab allows at most ten
 *   heartbeats a second, so a leader that leads on is still seen, at its next heartbeat.
 */
import type { TraceEvent } from '../../trace/events.ts';
import type { Facts } from '../facts.ts';
import type { Findings } from '../findings.ts';
import { appendEntries, installSnapshot } from '../messages.ts';
import type { Rule } from './rule.ts';

/** Election Safety: one leader per term, from getState and from the senders of leader-only RPCs. */
export function electionSafety(facts: Facts, out: Findings): Rule {
  const leaderOfTerm = new Map<number, { node: number; index: number }>();
  const claim = (node: number, term: number, i: number): void => {
    const other = leaderOfTerm.get(term);
    if (!other) leaderOfTerm.set(term, { node, index: i });
    else if (other.node !== node) {
      out.report({ invariant: 'election-safety', message: `servers ${other.node} and ${node} are both leader in term ${term}`, eventIndex: i, context: [other.index] });
    }
  };
  return {
    on(e, i) {
      if (e.kind === 'state' && e.isLeader) claim(e.node, e.term, i);
      if (e.kind === 'send' && (e.method === appendEntries || e.method === installSnapshot) && e.term !== undefined) claim(e.node, e.term, i);
    },
  };
}

/** Monotonic term: within an incarnation by getState, across a restart against the saved term. */
export function termMonotonic(facts: Facts, out: Findings): Rule {
  const highest = new Map<number, { term: number; index: number }>();
  const restored = new Map<number, { term: number; index: number; onSaves: boolean }>();
  return {
    on(e, i) {
      if (e.kind === 'restart') {
        highest.delete(e.node);
        const saved = facts.saved(e.node);
        if (saved?.term !== undefined) restored.set(e.node, { term: saved.term, index: saved.index, onSaves: saved.source === 'fields' });
        else if (saved) out.skip('term-monotonic', 'the saved state has no term this checker can read: a term across a restart is not checked');
        return;
      }
      if (e.kind !== 'state') return;
      const before = highest.get(e.node);
      const bound = restored.get(e.node);
      restored.delete(e.node);
      if (before && e.term < before.term) {
        out.report({ invariant: 'term-monotonic', message: `server ${e.node}'s term went back from ${before.term} to ${e.term}`, eventIndex: i, context: [before.index] });
      } else if (!before && bound && e.term < bound.term) {
        out.report(
          { invariant: 'term-monotonic', message: `server ${e.node} restarted in term ${e.term}, below the term ${bound.term} it had saved`, eventIndex: i, context: [bound.index] },
          { onSaves: bound.onSaves },
        );
      }
      if (!before || e.term > before.term) highest.set(e.node, { term: e.term, index: i });
    },
  };
}

/** How long after a higher-term reply a leader's request of the old term may still have been built before it took the reply. */
export const replyGraceMs = 50;

interface Told {
  /** The term it leads and was told is over. */
  term: number;
  higher: number;
  t: number;
  replyIndex: number;
  /** A request of the old term sent after the reply, to be judged once the next poll shows the sender's term. */
  sentAt?: number;
}

/** Adopt a higher term: a leader told of a higher term by a reply does not go on sending in its old term. */
export function higherTermAdopted(facts: Facts, out: Findings): Rule {
  const told = new Map<number, Told>();
  const judge = (node: number, p: Told): void => {
    told.delete(node);
    if (facts.term(node) !== p.term) return;
    out.report({
      invariant: 'higher-term-adopted',
      message: `server ${node} got a reply carrying term ${p.higher} but stayed in term ${p.term}, leading on`,
      eventIndex: p.sentAt!,
      context: [p.replyIndex],
    });
  };
  const onReply = (e: Extract<TraceEvent, { kind: 'reply' }>, i: number): void => {
    const rpc = facts.rpc(e.rpc);
    const now = facts.term(e.node);
    if (!rpc || (rpc.method !== appendEntries && rpc.method !== installSnapshot) || e.term === undefined || now === undefined) return;
    if (e.term > now && rpc.term === now && facts.isLeader(e.node) && !told.has(e.node)) {
      told.set(e.node, { term: now, higher: e.term, t: e.t, replyIndex: i });
    }
  };
  return {
    on(e, i) {
      for (const [node, p] of told) {
        if (p.sentAt === undefined || i <= p.sentAt) continue;
        if (e.kind === 'state' && e.node === node && e.term !== p.term) told.delete(node);
        else if (e.kind !== 'state') judge(node, p);
      }
      if (e.kind === 'reply') onReply(e, i);
      else if (e.kind === 'crash' || e.kind === 'restart') told.delete(e.node);
      else if (e.kind === 'state' && told.has(e.node) && e.term !== told.get(e.node)!.term) told.delete(e.node);
      else if (e.kind === 'send') {
        const p = told.get(e.node);
        if (p && p.sentAt === undefined && e.term === p.term && e.t >= p.t + replyGraceMs) p.sentAt = i;
      }
    },
    finish() {
      for (const [node, p] of told) if (p.sentAt !== undefined) judge(node, p);
    },
  };
}
