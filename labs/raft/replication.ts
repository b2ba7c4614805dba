import type { StartResult } from '../api/index.ts';
import { RaftElection } from './election.ts';
import { Signal } from './signal.ts';
import { noTerm, type AppendEntriesArgs, type AppendEntriesReply, type LogEntry } from './types.ts';

/**
 * Log replication (2B): start(), Figure 2's AppendEntries RPC and the rules for leaders, and the commit rule.
 *
 * How a leader moves entries to a peer:
 * - a replicator loop per peer sleeps until signalled, then sends the peer one round of what it lacks. start()
 *   signals every replicator; so does any reply that moved the peer forward while it still lags. However many
 *   start()s arrive while a round is in flight, the next round carries them all in one RPC (TestCount2B).
 * - the heartbeat timer sends a round to every peer directly, not through the replicators, so a replicator stuck
 *   on an RPC to an unreachable peer never delays heartbeats. A heartbeat is a full round too: it carries whatever
 *   the peer lacks, which also makes it the retry for a lost RPC.
 */
export abstract class RaftReplication extends RaftElection {
  /** One per peer (ours unused): wakes that peer's replicator. */
  protected readonly replicatorSignals: Signal[] = this.peers.map(() => new Signal());
  /** Per peer: the highest leaderCommit sent to it, and whether a commit announcement to it is in flight. */
  private readonly commitSent: number[] = this.peers.map(() => 0);
  private readonly announcing: boolean[] = this.peers.map(() => false);

  protected override startBackgroundWork(): void {
    super.startBackgroundWork();
    for (const peer of this.others) void this.replicator(peer);
  }

  override kill(): void {
    super.kill();
    for (const signal of this.replicatorSignals) signal.notify();
  }

  /**
   * Agree on `command`, if we are the leader: append it to our log (Figure 2, Leaders: "if command received from
   * client: append entry to local log") and wake the replicators. Returns at once, never waiting for agreement.
   */
  start(command: unknown): StartResult {
    if (this.killed || this.role !== 'leader') return { index: -1, term: this.currentTerm, isLeader: false };
    const entry: LogEntry = { index: this.log.lastIndex + 1, term: this.currentTerm, command };
    this.log.append([entry]);
    this.persist();
    this.runtime.log('LOG1', `start: appended index ${entry.index}`, { term: entry.term, index: entry.index });
    this.advanceCommitIndex(); // only matters in a cluster of one
    for (const peer of this.others) this.replicatorSignals[peer]!.notify();
    return { index: entry.index, term: entry.term, isLeader: true };
  }

  /**
   * Figure 2, Leaders: upon election, and then every heartbeatIntervalMs, send AppendEntries to each server so
   * none of them times out. One concurrent round per peer, bypassing the replicators.
   */
  protected broadcastHeartbeat(): void {
    for (const peer of this.others) void this.replicateOnce(peer);
  }

  /** The long-lived loop that brings one peer up to date, one round per signal. */
  protected async replicator(peer: number): Promise<void> {
    const signal = this.replicatorSignals[peer]!;
    while (!this.killed) {
      await signal.wait();
      if (this.needsReplication(peer)) await this.replicateOnce(peer);
    }
  }

  /** Does the leader hold entries this peer is not known to have? */
  protected needsReplication(peer: number): boolean {
    return !this.killed && this.role === 'leader' && this.matchIndex[peer]! < this.log.lastIndex;
  }

  /**
   * One round to `peer`: AppendEntries with everything from nextIndex on, or the snapshot if nextIndex has fallen
   * into the part of the log the snapshot replaced (Figure 2, Leaders: "if last log index ≥ nextIndex for a
   * follower: send AppendEntries RPC with log entries starting at nextIndex").
   */
  protected async replicateOnce(peer: number): Promise<void> {
    if (this.killed || this.role !== 'leader') return;
    const prevLogIndex = this.nextIndex[peer]! - 1;
    if (prevLogIndex < this.log.snapshotIndex) {
      await this.sendInstallSnapshot(peer);
      return;
    }
    await this.sendAppendEntries(peer, prevLogIndex, this.log.from(prevLogIndex + 1));
  }

  /** One AppendEntries to `peer`: `entries` follow prevLogIndex, and our commitIndex rides along. */
  protected async sendAppendEntries(peer: number, prevLogIndex: number, entries: LogEntry[]): Promise<void> {
    const args: AppendEntriesArgs = {
      term: this.currentTerm,
      leaderId: this.me,
      prevLogIndex,
      prevLogTerm: this.log.term(prevLogIndex),
      entries,
      leaderCommit: this.commitIndex,
    };
    this.commitSent[peer] = Math.max(this.commitSent[peer]!, args.leaderCommit);
    const result = await this.call<AppendEntriesReply>(peer, 'Raft.AppendEntries', args);
    if (!result.ok || this.killed) return;
    this.handleAppendEntriesReply(peer, args, result.reply);
  }

  protected handleAppendEntriesReply(peer: number, args: AppendEntriesArgs, reply: AppendEntriesReply): void {
    if (this.adoptHigherTermOfReply(reply.term)) return;
    // Stale: sent in a term, or as a leader, we no longer are.
    if (this.role !== 'leader' || this.currentTerm !== args.term) return;

    const matchBefore = this.matchIndex[peer]!;
    const nextBefore = this.nextIndex[peer]!;
    if (reply.success) {
      // The peer holds everything this request carried. Replies may come out of order: never move matchIndex back.
      this.matchIndex[peer] = Math.max(matchBefore, this.matchedBy(args));
      this.nextIndex[peer] = this.matchIndex[peer]! + 1;
      this.advanceCommitIndex();
    } else if (nextBefore === args.prevLogIndex + 1) {
      // Figure 2: if AppendEntries fails because of log inconsistency, decrement nextIndex and retry; here by a
      // whole term at a time. (If nextIndex moved since this was sent, the rejection is stale: ignore it.)
      this.nextIndex[peer] = Math.max(1, Math.min(nextBefore, this.backedUpNextIndex(args, reply)));
    }
    this.continueIfMoved(peer, matchBefore, nextBefore);
  }

  /**
   * How far a successful AppendEntries shows the follower to match us: what the request carried, never our log as
   * it is now (start() may have appended since it was sent).
   */
  protected matchedBy(args: AppendEntriesArgs): number {
    return args.prevLogIndex + args.entries.length;
  }

  /**
   * Fast backup: where to resume after a rejection. If we hold entries of the follower's conflicting term, resume
   * after our last one (the follower may hold those); otherwise skip the follower's whole term.
   */
  protected backedUpNextIndex(args: AppendEntriesArgs, reply: AppendEntriesReply): number {
    if (reply.conflictTerm !== noTerm) {
      const last = this.log.lastIndexOfTerm(reply.conflictTerm, args.prevLogIndex);
      if (last !== undefined) return last + 1;
    }
    return reply.conflictIndex;
  }

  /**
   * After a reply: if it moved the peer on (matchIndex up, or nextIndex down to retry further back) and the peer
   * still lags, go again at once. A reply that moved nothing (stale, or a peer still installing our snapshot)
   * leaves the retry to the next heartbeat or start(): retrying it at once would only spin.
   */
  protected continueIfMoved(peer: number, matchBefore: number, nextBefore: number): void {
    const moved = this.matchIndex[peer]! > matchBefore || this.nextIndex[peer]! < nextBefore;
    if (moved && this.needsReplication(peer)) this.replicatorSignals[peer]!.notify();
  }

  /**
   * Figure 2, Leaders: if there is an N > commitIndex such that a majority of matchIndex[i] ≥ N and
   * log[N].term == currentTerm, set commitIndex = N. Entries of earlier terms are committed only along with one
   * of the current term, never by counting their own replicas (§5.4.2, Figure 8).
   */
  protected advanceCommitIndex(): void {
    for (let n = this.log.lastIndex; n > this.commitIndex; n--) {
      if (!this.mayCommitByCounting(n)) break; // terms never decrease along the log: no lower N qualifies either
      if (this.isMajority(this.replicaCount(n))) {
        this.setCommitIndex(n);
        this.announceCommit();
        return;
      }
    }
  }

  /**
   * Tell the followers of a new commit index at once instead of at the next heartbeat (up to 125 ms later): the
   * tester's one() waits until every server has applied, so this saves that wait on each agreement. Each peer gets
   * an AppendEntries without entries, anchored at its matchIndex: it commits what it is known to hold, and nothing
   * in flight is sent twice. At most one announcement per peer is in flight; advances meanwhile go out together when
   * it returns, so a busy leader sends few (TestCount2B). A peer that needs our snapshot is left to its replicator.
   */
  protected announceCommit(): void {
    for (const peer of this.others) void this.announceCommitTo(peer);
  }

  private async announceCommitTo(peer: number): Promise<void> {
    if (this.announcing[peer]) return; // the announcement in flight looks again when it returns
    this.announcing[peer] = true;
    try {
      while (!this.killed && this.role === 'leader' && this.commitIndex > this.commitSent[peer]!) {
        const match = this.matchIndex[peer]!;
        if (match < this.log.snapshotIndex) return;
        await this.sendAppendEntries(peer, match, []);
      }
    } finally {
      this.announcing[peer] = false;
    }
  }

  /** §5.4.2: only an entry of the leader's own term is committed by counting replicas. */
  protected mayCommitByCounting(index: number): boolean {
    return this.log.term(index) === this.currentTerm;
  }

  /** How many servers hold the entry at `index`, ourselves included. */
  protected replicaCount(index: number): number {
    return 1 + this.others.filter((peer) => this.matchIndex[peer]! >= index).length;
  }

  protected setCommitIndex(index: number): void {
    this.runtime.log('CMIT', `commit index ${this.commitIndex} -> ${index}`, { term: this.currentTerm, from: this.commitIndex, to: index });
    this.commitIndex = index;
    this.applySignal.notify();
  }

  /** AppendEntries RPC handler (Figure 2, AppendEntries RPC, receiver implementation). */
  AppendEntries(args: AppendEntriesArgs): AppendEntriesReply {
    // A dead node changes nothing; this answer asks the leader to change nothing either.
    if (this.killed) return this.rejection(noTerm, args.prevLogIndex + 1);
    // 1. Reply false if term < currentTerm.
    if (args.term < this.currentTerm) return this.rejection(noTerm, this.log.lastIndex + 1);
    if (args.term > this.currentTerm) this.adoptTerm(args.term);
    // The sender is the leader of our term: a candidate steps down (§5.2), and everyone waits for it again.
    this.changeRole('follower');
    this.resetElectionTimer();

    let { prevLogIndex, prevLogTerm, entries } = args;
    if (prevLogIndex < this.log.snapshotIndex) {
      // Entries our snapshot covers are committed, so they match the leader's: consider only those after it.
      const covered = this.log.snapshotIndex - prevLogIndex;
      if (covered >= entries.length) return this.acceptance();
      entries = entries.slice(covered);
      prevLogIndex = this.log.snapshotIndex;
      prevLogTerm = this.log.snapshotTerm;
    }

    // 2. Reply false if the log has no entry at prevLogIndex whose term matches prevLogTerm.
    if (prevLogIndex > this.log.lastIndex) return this.rejection(noTerm, this.log.lastIndex + 1);
    if (this.log.term(prevLogIndex) !== prevLogTerm) {
      return this.rejection(this.log.term(prevLogIndex), this.log.firstIndexOfTerm(prevLogIndex));
    }

    // 3. If an existing entry conflicts with a new one (same index, different terms), delete it and all that
    //    follow. 4. Append any new entries not already in the log. Entries that match stay: a stale, reordered
    //    AppendEntries carrying fewer entries must not cut the log short.
    const firstNew = entries.findIndex((e) => e.index > this.log.lastIndex || this.log.term(e.index) !== e.term);
    if (firstNew >= 0) {
      const first = entries[firstNew]!;
      this.log.truncateFrom(first.index);
      this.log.append(entries.slice(firstNew));
      this.persistAppendedEntries();
      this.runtime.log('LOG2', `appended ${first.index}..${this.log.lastIndex} from leader ${args.leaderId}`, {
        term: this.currentTerm,
        from: first.index,
        to: this.log.lastIndex,
      });
    }

    // 5. If leaderCommit > commitIndex, set commitIndex = min(leaderCommit, index of last new entry).
    const lastNewIndex = prevLogIndex + entries.length;
    const commit = Math.min(args.leaderCommit, lastNewIndex);
    if (commit > this.commitIndex) this.setCommitIndex(commit);
    return this.acceptance();
  }

  /** Save entries just appended from the leader: before the reply, since the leader will count them as stored here. */
  protected persistAppendedEntries(): void {
    this.persist();
  }

  private acceptance(): AppendEntriesReply {
    return { term: this.currentTerm, success: true, conflictTerm: noTerm, conflictIndex: 0 };
  }

  private rejection(conflictTerm: number, conflictIndex: number): AppendEntriesReply {
    return { term: this.currentTerm, success: false, conflictTerm, conflictIndex };
  }

  /** snapshot.ts: send `peer` our snapshot, when it lacks entries our log no longer holds. */
  protected abstract sendInstallSnapshot(peer: number): Promise<void>;
}
