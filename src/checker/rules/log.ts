/**
 * The logs themselves: Log Matching and Leader Completeness, over every server's stable log (Facts.stable, rebuilt
 * from the log changes persist events carry).
 *
 * Log Matching.
 *   Reads: two servers' stable logs, above both snapshots, wherever one changed.
 *   Why a correct Raft never fires it: the property holds for every log that ever exists, at any two moments (an
 *   entry of index i and term t is created once, by the leader of t, after the entries it had before i, and reaches
 *   other logs only behind a matching prevLogIndex/prevLogTerm). A saved log is a log the server had. A log is read
 *   only with certainty (describeState, or a shape persisted-log.ts can place): a log it cannot place is dropped,
 *   never compared at a guessed offset, and the result lists it as skipped.
 *
 * Leader Completeness.
 *   Reads: an AppendEntries' leaderCommit with its sender's stable log at that moment (the entries up to it are
 *   committed by that term at the latest), and each leader's stable log when it first sends AppendEntries or
 *   InstallSnapshot in a term.
 *   Why: leaderCommit never exceeds the sender's commitIndex (a re-sent or clipped one is lower still), and committed
 *   entries are never removed, so what its stable log holds up to there is committed. A new leader holds every entry
 *   committed in an earlier term (§5.4), and it has saved its log by the time it first sends: it saved its term and
 *   vote, with the whole state, to win, and since then a leader only appends.
 */
import type { Facts } from '../facts.ts';
import type { Findings } from '../findings.ts';
import type { InvariantId } from '../invariants.ts';
import { appendEntries, installSnapshot } from '../messages.ts';
import type { Rule } from './rule.ts';

const logRules: InvariantId[] = ['log-matching', 'leader-completeness', 'append-persisted'];

/** Servers whose saved log could not be read: the log rules skip them, and say why. */
function skipUnreadableLogs(facts: Facts, out: Findings): void {
  const byReason = new Map<string, number[]>();
  for (const [node, reason] of facts.logUnreadable) byReason.set(reason, [...(byReason.get(reason) ?? []), node]);
  for (const [reason, nodes] of byReason) {
    const who = nodes.length === 1 ? `server ${nodes[0]}` : `servers ${nodes.sort((a, b) => a - b).join(', ')}`;
    for (const invariant of logRules) out.skip(invariant, `${who}: ${reason}; not checked there (export describeState, labs/api)`);
  }
}

export function logMatching(facts: Facts, out: Findings): Rule {
  const reported = new Set<string>();
  /** Each server's latest persist that changed its log: where the other side of a mismatch came from. */
  const lastChange = new Map<number, number>();
  return {
    on(e, i) {
      if (e.kind !== 'persist' || facts.logChangedFrom === undefined) return;
      const m = facts.stable.logMatching(e.node, facts.logChangedFrom);
      lastChange.set(e.node, i);
      if (!m) return;
      const key = `${Math.min(e.node, m.other)}-${Math.max(e.node, m.other)}@${m.differsAt}`;
      if (reported.has(key)) return;
      reported.add(key);
      const show = (x: { term: number; command: unknown }): string => `term ${x.term}, command ${JSON.stringify(x.command)}`;
      out.report({
        invariant: 'log-matching',
        message:
          `servers ${e.node} and ${m.other} both hold an entry of term ${m.term} at index ${m.index}, but differ at index ${m.differsAt}: ` +
          `${e.node} has (${show(m.mine)}), ${m.other} has (${show(m.theirs)})`,
        eventIndex: i,
        context: lastChange.has(m.other) ? [lastChange.get(m.other)!] : [],
      });
    },
    finish() {
      skipUnreadableLogs(facts, out);
    },
  };
}

interface Committed {
  term: number;
  command: unknown;
  /** Committed in this term at the latest. */
  byTerm: number;
  eventIndex: number;
}

export function leaderCompleteness(facts: Facts, out: Findings): Rule {
  const committed = new Map<number, Committed>();
  let committedUpTo = 0;
  const checked = new Set<string>();
  const record = (leader: number, leaderCommit: number, term: number, i: number): void => {
    const top = Math.min(leaderCommit, facts.stable.lastIndex(leader));
    if (top <= committedUpTo || !facts.stable.has(leader)) return;
    for (let index = committedUpTo + 1; index <= top; index++) {
      const entry = facts.stable.entry(leader, index);
      if (entry) committed.set(index, { term: entry.term, command: entry.command, byTerm: term, eventIndex: i });
    }
    committedUpTo = top;
  };
  const check = (node: number, term: number, i: number): void => {
    const key = `${node}:${term}`;
    if (checked.has(key) || !facts.stable.has(node)) return;
    checked.add(key);
    const floor = facts.stable.snapshotIndex(node);
    for (const [index, c] of committed) {
      if (c.byTerm >= term || index <= floor) continue;
      const mine = facts.stable.entry(node, index);
      if (mine && mine.term === c.term && mine.command === c.command) continue;
      out.report({
        invariant: 'leader-completeness',
        message:
          `server ${node} leads term ${term} without the entry committed at index ${index} by term ${c.byTerm} ` +
          `(term ${c.term}, command ${JSON.stringify(c.command)}): its log ` +
          (mine ? `has term ${mine.term}, command ${JSON.stringify(mine.command)} there` : `ends at index ${facts.stable.lastIndex(node)}`),
        eventIndex: i,
        context: [c.eventIndex],
      });
      return;
    }
  };
  return {
    on(e, i) {
      if (e.kind !== 'send' || (e.method !== appendEntries && e.method !== installSnapshot) || e.term === undefined) return;
      check(e.node, e.term, i);
      const leaderCommit = facts.rpc(e.rpc)?.ae?.leaderCommit;
      if (leaderCommit !== undefined) record(e.node, leaderCommit, e.term, i);
    },
  };
}
