/**
 * Saving before answering: Vote persisted before replying, Entries persisted before success.
 *
 * Both read the server's saves while it answered: from its arrival (`deliver`) until its handler returned
 * (`handled`) — a save after that came too late, whenever the reply reached the caller. In traces recorded before
 * `handled` existed (schema < 3), until the reply reached the caller.
 *
 * Vote persisted before replying.
 *   Reads: a RequestVote's term (its arguments) and candidate (its sender), the voter's saves (term and votedFor) from
 *   the last one before the request reached it until it answered, and the reply's voteGranted.
 *   Why a correct Raft never fires it: when it grants, its stable storage holds (term, votedFor = candidate); that is
 *   either the save in force when the request arrived or one made while answering. The rule asks only that one of
 *   these said so. A second grant of the same vote in the same term (a retried request whose first reply was lost)
 *   needs no new save: the earlier one still covers it. A Raft that saves more often, or keeps old saves, passes
 *   too. Saved state survives crashes, so a save from before a restart counts. A grant with no covering save at all
 *   is caught. A Raft that never saves a vote the trace can read (2A work) is not judged, and says so; a vote read by
 *   field names counts only if the trace confirms them (Facts.fieldsConfirmed).
 *
 * Entries persisted before success.
 *   Reads: an AppendEntries' prevLogIndex, entry count and last entry's term, the follower's stable log from the
 *   request's arrival to its answer, and the reply's success.
 *   Why: a follower replies success only once its log holds the entries, and it saves them first (Figure 2), so at
 *   some moment in that window its stable log holds the last index sent (with that term, where the trace kept it),
 *   or its snapshot covers it. A duplicate or re-sent request it already holds, a reordered one, or one answered from
 *   a snapshot passes. A follower whose saved log cannot be read is not judged (log.ts reports it).
 */
import type { Facts, SavedState } from '../facts.ts';
import type { Findings } from '../findings.ts';
import { appendEntries, lastIndexOf, readSuccess, readVoteGranted, requestVote, same } from '../messages.ts';
import type { Rule } from './rule.ts';

interface Ballot {
  voter: number;
  candidate: number;
  term: number | undefined;
  deliverIndex: number;
  /** The voter's save in force when the request arrived, and the saves since. */
  before: SavedState | undefined;
  saves: number[];
  covered: boolean;
  /** The handler returned: later saves do not count. */
  answered: boolean;
  /** The voter's save in force when it answered. */
  atAnswer?: SavedState | undefined;
}

const covers = (saved: SavedState | undefined, term: number | undefined, candidate: number): boolean =>
  saved !== undefined && same(saved.votedFor, candidate) && (term === undefined || saved.term === undefined || saved.term === term);

function savedText(saved: SavedState | undefined): string {
  if (!saved) return 'it had saved nothing';
  const term = saved.term !== undefined ? `term ${saved.term}, ` : '';
  return `its saved state said ${term}${saved.votedFor === null ? 'no vote' : `votedFor = ${JSON.stringify(saved.votedFor)}`}`;
}

export function votePersisted(facts: Facts, out: Findings): Rule {
  const ballots = new Map<number, Ballot>();
  const unsaved: Array<{ ballot: Ballot; replyIndex: number; last: SavedState | undefined }> = [];
  let granted = 0;
  return {
    on(e, i) {
      if (e.kind === 'deliver' && e.method === requestVote) {
        const term = facts.rpc(e.rpc)?.term;
        const before = facts.saved(e.node);
        ballots.set(e.rpc, { voter: e.node, candidate: e.from, term, deliverIndex: i, before, saves: [], covered: covers(before, term, e.from), answered: false });
      } else if (e.kind === 'handled') {
        const b = ballots.get(e.rpc);
        if (b) {
          b.answered = true;
          b.atAnswer = facts.saved(b.voter);
        }
      } else if (e.kind === 'persist' && !e.detached) {
        for (const b of ballots.values()) {
          if (b.voter !== e.node || b.answered) continue;
          b.saves.push(i);
          if (covers(facts.saved(e.node), b.term, b.candidate)) b.covered = true;
        }
      } else if (e.kind === 'crash') {
        for (const [rpc, b] of ballots) if (b.voter === e.node) ballots.delete(rpc);
      } else if (e.kind === 'drop' || e.kind === 'reply-lost') {
        ballots.delete(e.rpc);
      } else if (e.kind === 'reply') {
        const b = ballots.get(e.rpc);
        ballots.delete(e.rpc);
        if (!b || readVoteGranted(e.reply) !== true) return;
        granted++;
        b.term ??= e.term;
        if (!b.covered) unsaved.push({ ballot: b, replyIndex: i, last: b.answered ? b.atAnswer : facts.saved(b.voter) });
      }
    },
    finish() {
      if (!facts.votesSaved) {
        if (granted > 0) out.skip('vote-persisted', 'no save in this trace has a votedFor this checker can read (a Raft that saves nothing yet is not judged)');
        return;
      }
      for (const { ballot: b, replyIndex, last } of unsaved) {
        out.report(
          {
            invariant: 'vote-persisted',
            message:
              `server ${b.voter} granted its vote to server ${b.candidate}${b.term !== undefined ? ` in term ${b.term}` : ''} without saving ` +
              `votedFor = ${b.candidate} first (${savedText(last)})`,
            eventIndex: replyIndex,
            context: [...(b.before ? [b.before.index] : []), b.deliverIndex, ...b.saves],
          },
          { onSaves: !facts.described },
        );
      }
    },
  };
}

interface Append {
  follower: number;
  leader: number;
  index: number;
  term: number | undefined;
  deliverIndex: number;
  saves: number[];
  held: boolean;
  /** The handler returned: later saves do not count. */
  answered: boolean;
  /** The follower's saved log when it answered: its last index, and its term at `index`. */
  atAnswer?: { last: number; termThere: number | undefined } | undefined;
}

export function appendPersisted(facts: Facts, out: Findings): Rule {
  const appends = new Map<number, Append>();
  const holds = (node: number, index: number, term: number | undefined): boolean => {
    const stable = facts.stable;
    if (index <= stable.snapshotIndex(node)) return true;
    if (stable.lastIndex(node) < index) return false;
    return term === undefined || stable.termAt(node, index) === term;
  };
  let unreadArgs = 0;
  return {
    on(e, i) {
      if (e.kind === 'deliver' && e.method === appendEntries) {
        const ae = facts.rpc(e.rpc)?.ae;
        const index = ae ? lastIndexOf(ae) : undefined;
        if (index === undefined || !ae) unreadArgs++;
        else if (facts.stable.has(e.node)) {
          appends.set(e.rpc, { follower: e.node, leader: e.from, index, term: ae.lastTerm, deliverIndex: i, saves: [], held: holds(e.node, index, ae.lastTerm), answered: false });
        }
      } else if (e.kind === 'handled') {
        const a = appends.get(e.rpc);
        if (a) {
          a.answered = true;
          a.atAnswer = savedEnd(a);
        }
      } else if (e.kind === 'persist' && !e.detached) {
        for (const [rpc, a] of appends) {
          if (a.follower !== e.node || a.answered) continue;
          if (!facts.stable.has(e.node)) {
            appends.delete(rpc);
            continue;
          }
          a.saves.push(i);
          if (!a.held) a.held = holds(a.follower, a.index, a.term);
        }
      } else if (e.kind === 'crash') {
        for (const [rpc, a] of appends) if (a.follower === e.node) appends.delete(rpc);
      } else if (e.kind === 'drop' || e.kind === 'reply-lost') {
        appends.delete(e.rpc);
      } else if (e.kind === 'reply') {
        const a = appends.get(e.rpc);
        appends.delete(e.rpc);
        if (a && !a.held && readSuccess(e.reply) === true) report(a, i);
      }
    },
    finish() {
      if (unreadArgs > 0) out.skip('append-persisted', `${unreadArgs} AppendEntries had no prevLogIndex and entries this checker can read`);
    },
  };
  function savedEnd(a: Append): { last: number; termThere: number | undefined } {
    const last = facts.stable.lastIndex(a.follower);
    return { last, termThere: last >= a.index ? facts.stable.termAt(a.follower, a.index) : undefined };
  }
  function report(a: Append, i: number): void {
    const { last, termThere } = a.atAnswer ?? savedEnd(a);
    const there = a.term !== undefined && termThere !== undefined ? ` with term ${termThere} there` : '';
    out.report({
      invariant: 'append-persisted',
      message:
        `server ${a.follower} told leader ${a.leader} it holds the log up to index ${a.index}${a.term !== undefined ? ` (term ${a.term})` : ''}, ` +
        `but its saved log ends at ${last}${there}`,
      eventIndex: i,
      context: [a.deliverIndex, ...a.saves],
    });
  }
}
