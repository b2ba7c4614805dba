/**
 * The commit point: Commit only through the current term, Monotonic commit index. Both read a leader's commitIndex
 * only through the leaderCommit of its AppendEntries, which is at most what its commitIndex was when it built the
 * message: a re-sent or retried message carries an older one, a Raft may clip it per follower, and a message may
 * leave after one built later. So neither rule takes a lower leaderCommit for a lower commitIndex without proof of
 * when the message was built.
 *
 * Commit only through the current term.
 *   Reads: each leader's leaderCommit per term; what it was told is committed before it led (leaderCommit and
 *   InstallSnapshot delivered to it, snapshots it installed: an upper bound on its commitIndex then); the entries it
 *   created as leader (its start() calls, which follow each other from the first); and the successful AppendEntries
 *   and InstallSnapshot replies it received (prevLogIndex + entries sent, or the snapshot's index).
 *   Why a correct Raft never fires it: leaderCommit <= commitIndex, and a leader's commitIndex above what it was told
 *   is an entry of its own term held by a majority (§5.4.2), or one it created and committed as leader in an earlier
 *   term of the same run. The rule fires only when none of these can explain the leaderCommit: not above what it was
 *   told, not its own entry, and no entry of its term at or above it on a majority of the servers by the replies it
 *   had (itself included).
 *
 * Monotonic commit index.
 *   Reads: every AppendEntries a leader sends in one incarnation: term, leaderCommit, the last index it reaches.
 *   Why: commitIndex only grows while a server runs, so a message built later never carries a lower commitIndex.
 *   Which was built later, the send order does not say (an identical re-send, a retry, a queued message), so the
 *   rule compares a message only with messages it was certainly built after: those of an earlier term (args.term is
 *   the term the sender was in when it built them), and those sent before the sender created (by start()) an entry
 *   this message reaches (a leader of a term holds an index it returned from start() in that term only after that
 *   call). And a leaderCommit is the commitIndex (Figure 2) or, in Rafts that clip it, the commitIndex lowered to the
 *   message's last index: so the later message must not carry exactly its last index, which a clip may explain.
 *   An identical re-send is then flagged only where the message it repeats already was. The one assumption left: a
 *   Raft that lowers leaderCommit in another way (to a follower's matchIndex, say) is outside Figure 2 and this rule.
 */
import type { TraceEvent } from '../../trace/events.ts';
import type { Facts, RpcFact } from '../facts.ts';
import type { Findings } from '../findings.ts';
import { appendEntries, installSnapshot, lastIndexOf, readSnapshotIndex, readSuccess } from '../messages.ts';
import type { Rule } from './rule.ts';

/** A leader's entries of one term: start() results, in order. */
interface Own {
  first: number;
  last: number;
  /** For each: the index, and the last trace index certainly before the start() call that created it. */
  created: Array<{ index: number; before: number }>;
}

/** Per (server, term): the entries it created as leader. Shared by both rules through one instance each. */
class Starts {
  readonly #own = new Map<string, Own>();
  /**
   * The trailing run of sends, saves and log lines by one server (state polls aside), and the last event
   * before it: for a start() of that server, the last event certainly before the call; for anyone else, the run.
   */
  #run: { node: number; before: number } | undefined;
  #lastEvent = -1;

  #lastBreak(node: number): number {
    return this.#run?.node === node ? this.#run.before : this.#lastEvent;
  }

  on(e: TraceEvent, i: number): void {
    if (e.kind === 'start' && e.isLeader) {
      const key = `${e.node}:${e.term}`;
      const own = this.#own.get(key) ?? { first: e.index, last: e.index, created: [] };
      own.first = Math.min(own.first, e.index);
      own.last = Math.max(own.last, e.index);
      // start() runs synchronously: what it sent and saved sits just before its event, after the last break.
      own.created.push({ index: e.index, before: this.#lastBreak(e.node) });
      this.#own.set(key, own);
    }
    if (e.kind === 'state') return;
    if (e.kind === 'send' || e.kind === 'persist' || e.kind === 'log') {
      if (this.#run?.node !== e.node) this.#run = { node: e.node, before: this.#lastEvent };
    } else {
      this.#run = undefined;
    }
    this.#lastEvent = i;
  }

  of(node: number, term: number): Own | undefined {
    return this.#own.get(`${node}:${term}`);
  }

  /** The last entry `node` created in `term` at or below `index` (created in index order). */
  lastCreatedUpTo(node: number, term: number, index: number): { index: number; before: number } | undefined {
    const created = this.of(node, term)?.created ?? [];
    let lo = 0;
    let hi = created.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (created[mid]!.index <= index) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 ? created[lo - 1] : undefined;
  }

  /** The highest index `node` created as leader in a term below `term`, among `terms`. */
  highestBefore(node: number, term: number, terms: Iterable<number>): number {
    let max = 0;
    for (const t of terms) if (t < term) max = Math.max(max, this.of(node, t)?.last ?? 0);
    return max;
  }
}

const generationOf = (facts: Facts, rpc: RpcFact): string => `${rpc.from}#${rpc.generation ?? facts.generation(rpc.from)}`;

export function commitCurrentTerm(facts: Facts, out: Findings): Rule {
  const starts = new Starts();
  const knownCommit = new Map<number, number>();
  const baseline = new Map<string, number>();
  const reported = new Set<string>();
  /** Per incarnation: the terms it led, and each peer's highest index acknowledged to it. */
  const led = new Map<string, Set<number>>();
  const matched = new Map<string, Map<number, number>>();
  let readable = 0;
  let sent = 0;
  const learn = (node: number, index: number | undefined): void => {
    if (index !== undefined && index > (knownCommit.get(node) ?? 0)) knownCommit.set(node, index);
  };
  /** The highest index a majority holds by the replies `inc` got (the leader itself holds all). */
  const onMajority = (inc: string): number => {
    const peers = [...(matched.get(inc)?.values() ?? [])].sort((a, b) => b - a);
    const needed = Math.floor(facts.servers / 2); // peers besides the leader
    return needed === 0 ? Infinity : (peers[needed - 1] ?? 0);
  };
  const onReply = (e: Extract<TraceEvent, { kind: 'reply' }>): void => {
    const rpc = facts.rpc(e.rpc);
    if (!rpc) return;
    let index: number | undefined;
    if (rpc.method === appendEntries && rpc.ae && readSuccess(e.reply) !== false) index = lastIndexOf(rpc.ae);
    if (rpc.method === installSnapshot) index = readSnapshotIndex(rpc.args);
    if (index === undefined) return;
    const peers = matched.get(generationOf(facts, rpc)) ?? new Map<number, number>();
    peers.set(rpc.to, Math.max(peers.get(rpc.to) ?? 0, index));
    matched.set(generationOf(facts, rpc), peers);
  };
  const onSend = (e: Extract<TraceEvent, { kind: 'send' }>, i: number): void => {
    const rpc = facts.rpc(e.rpc);
    if (!rpc || e.term === undefined || (e.method !== appendEntries && e.method !== installSnapshot)) return;
    const key = `${e.node}:${e.term}`;
    const inc = generationOf(facts, rpc);
    led.set(inc, (led.get(inc) ?? new Set()).add(e.term));
    if (!baseline.has(key)) baseline.set(key, knownCommit.get(e.node) ?? 0);
    const c = rpc.ae?.leaderCommit;
    if (e.method !== appendEntries) return;
    sent++;
    if (c === undefined) return;
    readable++;
    const own = starts.of(e.node, e.term);
    const explained =
      c <= baseline.get(key)! ||
      (own !== undefined && c >= own.first && c <= own.last) ||
      c <= starts.highestBefore(e.node, e.term, led.get(inc)!) ||
      (own !== undefined && Math.max(c, own.first) <= Math.min(own.last, onMajority(inc)));
    if (!explained && !reported.has(key)) {
      reported.add(key);
      out.report({
        invariant: 'commit-current-term',
        message:
          `server ${e.node}, leader in term ${e.term}, committed index ${c}, which is not an entry of term ${e.term} ` +
          `(its term-${e.term} entries: ${own ? `${own.first}..${own.last}, on a majority up to ${onMajority(inc)}` : 'none yet'}; ` +
          `committed before it led: ${baseline.get(key)})`,
        eventIndex: i,
        context: [],
      });
    }
    learn(e.node, c);
  };
  return {
    on(e, i) {
      starts.on(e, i);
      if (e.kind === 'send') onSend(e, i);
      else if (e.kind === 'reply') onReply(e);
      else if (e.kind === 'apply-snapshot' && e.installed) learn(e.node, e.index);
      else if (e.kind === 'deliver') {
        const rpc = facts.rpc(e.rpc);
        learn(e.node, rpc?.ae?.leaderCommit ?? (rpc?.method === installSnapshot ? readSnapshotIndex(rpc.args) : undefined));
      }
    },
    finish() {
      if (sent > 0 && readable === 0) out.skip('commit-current-term', 'no AppendEntries in this trace has a leaderCommit this checker can read');
    },
  };
}

interface Advertised {
  sendIndex: number;
  term: number;
  commit: number;
}

export function commitMonotonic(facts: Facts, out: Findings): Rule {
  const starts = new Starts();
  /** Per incarnation, in send order: each AppendEntries, and the running maximum of leaderCommit. */
  const sent = new Map<string, { all: Advertised[]; maxUpTo: Advertised[]; byTerm: Map<number, Advertised> }>();
  let readable = 0;
  let total = 0;
  const violation = (e: Extract<TraceEvent, { kind: 'send' }>, i: number, c: number, earlier: Advertised, why: string): void => {
    out.report({
      invariant: 'commit-monotonic',
      message: `server ${e.node} advertised leaderCommit ${c} in term ${e.term} after leaderCommit ${earlier.commit} in term ${earlier.term}: its commit index went back (${why})`,
      eventIndex: i,
      context: [earlier.sendIndex],
    });
  };
  /** Among messages sent before trace index `before`, the one with the highest leaderCommit. */
  const highestBefore = (list: { all: Advertised[]; maxUpTo: Advertised[] }, before: number): Advertised | undefined => {
    let lo = 0;
    let hi = list.all.length; // first message at or after `before`
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list.all[mid]!.sendIndex < before) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 ? list.maxUpTo[lo - 1] : undefined;
  };
  const onSend = (e: Extract<TraceEvent, { kind: 'send' }>, i: number): void => {
    const rpc = facts.rpc(e.rpc);
    if (!rpc?.ae || e.term === undefined) return;
    total++;
    const c = rpc.ae.leaderCommit;
    if (c === undefined) return;
    readable++;
    const inc = generationOf(facts, rpc);
    const list = sent.get(inc) ?? { all: [], maxUpTo: [], byTerm: new Map<number, Advertised>() };
    sent.set(inc, list);
    let earlierTerm: Advertised | undefined;
    for (const [term, m] of list.byTerm) if (term < e.term && m.commit > c && (!earlierTerm || m.commit > earlierTerm.commit)) earlierTerm = m;
    const last = lastIndexOf(rpc.ae);
    const created = last === undefined ? undefined : starts.lastCreatedUpTo(e.node, e.term, last);
    const beforeCreated = created ? highestBefore(list, created.before) : undefined;
    const clipped = last === undefined || c === last;
    if (clipped) {
      // leaderCommit may be min(commitIndex, last index): it says nothing of the commitIndex here.
    } else if (earlierTerm) violation(e, i, c, earlierTerm, `that message was built in an earlier term`);
    else if (beforeCreated && beforeCreated.commit > c) {
      violation(e, i, c, beforeCreated, `this one reaches index ${created!.index}, which it created after that one left`);
    }
    const entry = { sendIndex: i, term: e.term, commit: c };
    const top = list.maxUpTo.at(-1);
    list.all.push(entry);
    list.maxUpTo.push(top && top.commit >= c ? top : entry);
    const inTerm = list.byTerm.get(e.term);
    if (!inTerm || c > inTerm.commit) list.byTerm.set(e.term, entry);
  };
  return {
    on(e, i) {
      starts.on(e, i);
      if (e.kind === 'send' && e.method === appendEntries) onSend(e, i);
    },
    finish() {
      if (total > 0 && readable === 0) out.skip('commit-monotonic', 'no AppendEntries in this trace has a leaderCommit this checker can read');
    },
  };
}
