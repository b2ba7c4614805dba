/**
 * The state machine of one queue-Raft node: `step(state, event)` applies one event to the node's state (in place)
 * and returns the effects the driver must carry out, in this order: persist, hand entries to the applier, answer
 * the RPC being handled, send messages, re-arm the timer. Nothing here does I/O, awaits, or reads a clock: the
 * driver passes the time in with each event, randomness comes through `state.rand`.
 *
 * Written from Figure 2 (and Figure 13 for InstallSnapshot) of the Raft paper and the 6.824 lab handout.
 */
import type { LogTopic, StartResult } from '../../api/index.ts';
import type {
  AppendEntriesArgs,
  AppendEntriesReply,
  InstallSnapshotArgs,
  InstallSnapshotReply,
  RequestVoteArgs,
  RequestVoteReply,
  WireEntry,
} from './types.ts';

/** A leader heartbeats every 100 ms: ten a second. */
export const HEARTBEAT_MS = 100;
/** Election timeout: uniform in [400, 800] ms, drawn again at every reset. */
export const ELECTION_MIN_MS = 400;
export const ELECTION_SPREAD_MS = 401;

export type Role = 'follower' | 'candidate' | 'leader';

export interface State {
  readonly me: number;
  readonly n: number;
  /** Uniform integer in [0, k). */
  readonly rand: (k: number) => number;

  // Persistent (Figure 2), plus the snapshot's bookkeeping (Figure 13).
  term: number;
  votedFor: number;
  /** Column-wise log: terms[i]/cmds[i] is the entry at snapIndex + 1 + i. */
  terms: number[];
  cmds: unknown[];
  snapIndex: number;
  snapTerm: number;
  snapData: Uint8Array;

  // Volatile.
  role: Role;
  leaderId: number;
  commitIndex: number;
  /** The highest index handed to the applier (as an entry or inside a snapshot). */
  lastApplied: number;
  /** The time of the event being stepped (ms, the runtime's clock). */
  now: number;
  /** Follower or candidate: when to start an election if nothing resets it before. */
  electionDeadline: number;
  /** Leader: when the next heartbeat round is due. */
  heartbeatDue: number;

  // Candidate.
  granted: boolean[];
  // Leader.
  nextIndex: number[];
  matchIndex: number[];
}

export type Event =
  | { kind: 'timeout' }
  | { kind: 'start'; command: unknown }
  | { kind: 'flush' }
  | { kind: 'compact'; index: number; data: Uint8Array }
  | { kind: 'requestVote'; args: RequestVoteArgs }
  | { kind: 'appendEntries'; args: AppendEntriesArgs }
  | { kind: 'installSnapshot'; args: InstallSnapshotArgs }
  | { kind: 'voteReply'; from: number; sentTerm: number; reply: RequestVoteReply }
  | { kind: 'appendReply'; from: number; sentTerm: number; args: AppendEntriesArgs; reply: AppendEntriesReply }
  | { kind: 'snapReply'; from: number; sentTerm: number; args: InstallSnapshotArgs; reply: InstallSnapshotReply };

export type Outgoing =
  | { to: number; method: 'RequestVote'; args: RequestVoteArgs }
  | { to: number; method: 'AppendEntries'; args: AppendEntriesArgs }
  | { to: number; method: 'InstallSnapshot'; args: InstallSnapshotArgs };

export type ApplyItem =
  | { kind: 'entry'; index: number; command: unknown }
  | { kind: 'snapshot'; index: number; term: number; data: Uint8Array };

export interface Effects {
  /** What to save before anything below leaves the node. */
  persist: 'none' | 'state' | 'state+snapshot';
  /** Discard apply items still queued (not yet handed to the tester) at or below this index; 0: none. */
  dropAppliesThrough: number;
  apply: ApplyItem[];
  /** The answer to the RPC request event being handled. */
  reply: RequestVoteReply | AppendEntriesReply | InstallSnapshotReply | null;
  send: Outgoing[];
  /** The result of a start event. */
  started: StartResult | null;
  /** A start appended entries: have the driver queue one flush event for them. */
  flush: boolean;
  notes: { topic: LogTopic; message: string; fields: Record<string, unknown> }[];
  /** When the driver's timer must fire next (absolute ms): the election deadline, or a leader's heartbeat. */
  wakeAt: number;
}

export function initialState(
  now: number,
  me: number,
  n: number,
  rand: (k: number) => number,
  saved: { term: number; votedFor: number; terms: number[]; cmds: unknown[]; snapIndex: number; snapTerm: number },
  snapData: Uint8Array,
): State {
  const s: State = {
    me,
    n,
    rand,
    term: saved.term,
    votedFor: saved.votedFor,
    terms: saved.terms,
    cmds: saved.cmds,
    snapIndex: saved.snapIndex,
    snapTerm: saved.snapTerm,
    snapData,
    role: 'follower',
    leaderId: -1,
    commitIndex: saved.snapIndex,
    lastApplied: saved.snapIndex,
    now,
    electionDeadline: now,
    heartbeatDue: now,
    granted: new Array<boolean>(n).fill(false),
    nextIndex: new Array<number>(n).fill(1),
    matchIndex: new Array<number>(n).fill(0),
  };
  resetElectionTimer(s);
  return s;
}

// ---------------------------------------------------------------------------------------------------------------
// Log helpers

export function lastIndex(s: State): number {
  return s.snapIndex + s.terms.length;
}

/** The term of the entry at `index`, or -1 if the log does not hold it (beyond the end, or inside the snapshot). */
export function termAt(s: State, index: number): number {
  if (index === s.snapIndex) return s.snapTerm;
  if (index < s.snapIndex || index > lastIndex(s)) return -1;
  return s.terms[index - s.snapIndex - 1]!;
}

function lastTerm(s: State): number {
  return termAt(s, lastIndex(s));
}

/** Drop every entry at or after `index` (index > snapIndex). */
function truncateFrom(s: State, index: number): void {
  const keep = index - s.snapIndex - 1;
  s.terms.length = keep;
  s.cmds.length = keep;
}

/** Drop every entry at or before `index` (snapIndex < index <= lastIndex). */
function discardThrough(s: State, index: number): void {
  const k = index - s.snapIndex;
  s.terms.splice(0, k);
  s.cmds.splice(0, k);
}

// ---------------------------------------------------------------------------------------------------------------
// step

function noEffects(): Effects {
  return {
    persist: 'none',
    dropAppliesThrough: 0,
    apply: [],
    reply: null,
    send: [],
    started: null,
    flush: false,
    notes: [],
    wakeAt: 0,
  };
}

/** When the node's timer must next fire. */
export function nextDeadline(s: State): number {
  return s.role === 'leader' ? s.heartbeatDue : s.electionDeadline;
}

/** Apply `ev`, which happens at time `now`, to `s`; return what the driver must do. */
export function step(s: State, ev: Event, now: number): Effects {
  const fx = noEffects();
  if (now > s.now) s.now = now;
  switch (ev.kind) {
    case 'timeout':
      onTimeout(s, fx);
      break;
    case 'start':
      onStart(s, fx, ev.command);
      break;
    case 'flush':
      if (s.role === 'leader') broadcast(s, fx);
      break;
    case 'compact':
      onCompact(s, fx, ev.index, ev.data);
      break;
    case 'requestVote':
      onRequestVote(s, fx, ev.args);
      break;
    case 'appendEntries':
      onAppendEntries(s, fx, ev.args);
      break;
    case 'installSnapshot':
      onInstallSnapshot(s, fx, ev.args);
      break;
    case 'voteReply':
      onVoteReply(s, fx, ev.from, ev.sentTerm, ev.reply);
      break;
    case 'appendReply':
      onAppendReply(s, fx, ev.from, ev.sentTerm, ev.args, ev.reply);
      break;
    case 'snapReply':
      onSnapReply(s, fx, ev.from, ev.sentTerm, ev.args, ev.reply);
      break;
  }
  fx.wakeAt = nextDeadline(s);
  return fx;
}

function note(fx: Effects, topic: LogTopic, message: string, fields: Record<string, unknown> = {}): void {
  fx.notes.push({ topic, message, fields });
}

function dirty(fx: Effects, withSnapshot = false): void {
  if (withSnapshot) fx.persist = 'state+snapshot';
  else if (fx.persist === 'none') fx.persist = 'state';
}

function resetElectionTimer(s: State): void {
  s.electionDeadline = s.now + ELECTION_MIN_MS + s.rand(ELECTION_SPREAD_MS);
}

function becomeFollower(s: State): void {
  if (s.role !== 'follower') {
    s.role = 'follower';
    resetElectionTimer(s);
  }
}

/** Figure 2, all servers: a message with a higher term makes this node adopt it and follow. */
function adoptTerm(s: State, fx: Effects, term: number): void {
  if (term <= s.term) return;
  note(fx, 'TERM', `term ${s.term} -> ${term}`, { from: s.term, to: term, role: s.role });
  s.term = term;
  s.votedFor = -1;
  s.leaderId = -1;
  dirty(fx);
  becomeFollower(s);
}

/** Hand every newly committed entry to the applier. */
function applyCommitted(s: State, fx: Effects): void {
  for (let i = s.lastApplied + 1; i <= s.commitIndex; i++) {
    fx.apply.push({ kind: 'entry', index: i, command: s.cmds[i - s.snapIndex - 1] });
  }
  if (s.commitIndex > s.lastApplied) s.lastApplied = s.commitIndex;
}

// ---------------------------------------------------------------------------------------------------------------
// Timers

/** The timer fired. It may fire early (a deadline moved later since it was armed): then nothing is due. */
function onTimeout(s: State, fx: Effects): void {
  if (s.role === 'leader') {
    if (s.now >= s.heartbeatDue) {
      s.heartbeatDue = s.now + HEARTBEAT_MS;
      broadcast(s, fx);
    }
    return;
  }
  if (s.now >= s.electionDeadline) campaign(s, fx);
}

function campaign(s: State, fx: Effects): void {
  s.term++;
  s.votedFor = s.me;
  s.role = 'candidate';
  s.leaderId = -1;
  s.granted.fill(false);
  s.granted[s.me] = true;
  resetElectionTimer(s);
  dirty(fx);
  note(fx, 'TIMR', `election timeout, campaigning in term ${s.term}`, { term: s.term });
  if (hasQuorum(s, s.granted.filter(Boolean).length)) {
    becomeLeader(s, fx);
    return;
  }
  const args: RequestVoteArgs = { term: s.term, candidateId: s.me, lastLogIndex: lastIndex(s), lastLogTerm: lastTerm(s) };
  for (let p = 0; p < s.n; p++) {
    if (p !== s.me) fx.send.push({ to: p, method: 'RequestVote', args });
  }
}

function hasQuorum(s: State, count: number): boolean {
  return 2 * count > s.n;
}

function becomeLeader(s: State, fx: Effects): void {
  s.role = 'leader';
  s.leaderId = s.me;
  s.heartbeatDue = s.now + HEARTBEAT_MS;
  s.nextIndex.fill(lastIndex(s) + 1);
  s.matchIndex.fill(0);
  s.matchIndex[s.me] = lastIndex(s);
  note(fx, 'LEAD', `leader of term ${s.term}`, { term: s.term, lastIndex: lastIndex(s) });
  broadcast(s, fx);
}

// ---------------------------------------------------------------------------------------------------------------
// Client and service

function onStart(s: State, fx: Effects, command: unknown): void {
  if (s.role !== 'leader') {
    fx.started = { index: -1, term: s.term, isLeader: false };
    return;
  }
  s.terms.push(s.term);
  s.cmds.push(command);
  const index = lastIndex(s);
  s.matchIndex[s.me] = index;
  dirty(fx);
  fx.flush = true;
  fx.started = { index, term: s.term, isLeader: true };
  if (s.n === 1) advanceCommit(s, fx);
}

/** The service has a snapshot through `index`: forget the log up to there. */
function onCompact(s: State, fx: Effects, index: number, data: Uint8Array): void {
  if (index <= s.snapIndex || index > s.lastApplied || index > lastIndex(s)) return;
  const term = termAt(s, index);
  discardThrough(s, index);
  s.snapIndex = index;
  s.snapTerm = term;
  s.snapData = data;
  dirty(fx, true);
  note(fx, 'SNAP', `compacted through ${index}`, { index, term, kept: s.terms.length });
}

// ---------------------------------------------------------------------------------------------------------------
// RequestVote

function candidateUpToDate(s: State, args: RequestVoteArgs): boolean {
  const myTerm = lastTerm(s);
  return args.lastLogTerm > myTerm || (args.lastLogTerm === myTerm && args.lastLogIndex >= lastIndex(s));
}

function onRequestVote(s: State, fx: Effects, args: RequestVoteArgs): void {
  adoptTerm(s, fx, args.term);
  let grant = false;
  if (
    args.term === s.term &&
    (s.votedFor === -1 || s.votedFor === args.candidateId) &&
    candidateUpToDate(s, args)
  ) {
    grant = true;
    if (s.votedFor !== args.candidateId) {
      s.votedFor = args.candidateId;
      dirty(fx);
      note(fx, 'VOTE', `vote for ${args.candidateId} in term ${s.term}`, { candidate: args.candidateId, term: s.term });
    }
    resetElectionTimer(s);
  }
  fx.reply = { term: s.term, voteGranted: grant };
}

function onVoteReply(s: State, fx: Effects, from: number, sentTerm: number, reply: RequestVoteReply): void {
  adoptTerm(s, fx, reply.term);
  if (s.role !== 'candidate' || sentTerm !== s.term || !reply.voteGranted) return;
  s.granted[from] = true;
  if (hasQuorum(s, s.granted.filter(Boolean).length)) becomeLeader(s, fx);
}

// ---------------------------------------------------------------------------------------------------------------
// AppendEntries

/** Accept a message from the leader of the current term (its term is >= ours; already adopted). */
function heardFromLeader(s: State, leaderId: number): void {
  if (s.role === 'candidate') s.role = 'follower';
  s.leaderId = leaderId;
  resetElectionTimer(s);
}

function onAppendEntries(s: State, fx: Effects, args: AppendEntriesArgs): void {
  if (args.term < s.term) {
    fx.reply = { term: s.term, success: false, xTerm: -1, xIndex: -1, xLen: -1 };
    return;
  }
  adoptTerm(s, fx, args.term);
  heardFromLeader(s, args.leaderId);

  let prev = args.prevLogIndex;
  let entries = args.entries;
  if (prev < s.snapIndex) {
    // The start of what the leader sent is inside our snapshot: committed, hence the same as the leader's.
    const skip = s.snapIndex - prev;
    entries = entries.slice(skip);
    prev = s.snapIndex;
    if (entries.length === 0) {
      fx.reply = { term: s.term, success: true, xTerm: -1, xIndex: -1, xLen: -1 };
      return;
    }
  } else if (prev > lastIndex(s)) {
    fx.reply = { term: s.term, success: false, xTerm: -1, xIndex: -1, xLen: lastIndex(s) + 1 };
    return;
  } else if (termAt(s, prev) !== args.prevLogTerm) {
    const xTerm = termAt(s, prev);
    let xIndex = prev;
    while (xIndex - 1 > s.snapIndex && termAt(s, xIndex - 1) === xTerm) xIndex--;
    fx.reply = { term: s.term, success: false, xTerm, xIndex, xLen: lastIndex(s) + 1 };
    return;
  }

  // The log matches through prev: merge, truncating only at a real conflict (a stale, shorter message must not
  // cut entries a later one already added).
  let changed = false;
  for (let i = 0; i < entries.length; i++) {
    const index = prev + 1 + i;
    const entry = entries[i]!;
    if (index <= lastIndex(s)) {
      if (termAt(s, index) === entry.term) continue;
      truncateFrom(s, index);
    }
    pushEntries(s, entries, i);
    changed = true;
    break;
  }
  if (changed) dirty(fx);

  const lastNew = prev + entries.length;
  const commit = Math.min(args.leaderCommit, lastNew);
  if (commit > s.commitIndex) {
    s.commitIndex = commit;
    applyCommitted(s, fx);
  }
  fx.reply = { term: s.term, success: true, xTerm: -1, xIndex: -1, xLen: -1 };
}

function pushEntries(s: State, entries: WireEntry[], from: number): void {
  for (let i = from; i < entries.length; i++) {
    s.terms.push(entries[i]!.term);
    s.cmds.push(entries[i]!.command);
  }
}

/** Send what peer `p` is missing: entries from nextIndex on, or the snapshot if they are gone from the log. */
function sendTo(s: State, fx: Effects, p: number): void {
  const next = s.nextIndex[p]!;
  if (next <= s.snapIndex) {
    fx.send.push({
      to: p,
      method: 'InstallSnapshot',
      args: { term: s.term, leaderId: s.me, lastIncludedIndex: s.snapIndex, lastIncludedTerm: s.snapTerm, data: s.snapData },
    });
    return;
  }
  const entries: WireEntry[] = [];
  for (let i = next; i <= lastIndex(s); i++) {
    const k = i - s.snapIndex - 1;
    entries.push({ term: s.terms[k]!, command: s.cmds[k] });
  }
  fx.send.push({
    to: p,
    method: 'AppendEntries',
    args: {
      term: s.term,
      leaderId: s.me,
      prevLogIndex: next - 1,
      prevLogTerm: termAt(s, next - 1),
      entries,
      leaderCommit: s.commitIndex,
    },
  });
  // Optimistic pipelining: assume they arrive, so that heartbeats and later sends carry only what is new. If they
  // were lost, the next message is rejected (the follower's log is too short) and nextIndex backs up to its end.
  if (entries.length > 0) s.nextIndex[p] = lastIndex(s) + 1;
}

function broadcast(s: State, fx: Effects): void {
  for (let p = 0; p < s.n; p++) {
    if (p !== s.me) sendTo(s, fx, p);
  }
}

/** Figure 2, leaders: commit the highest N of the current term (§5.4.2) that a majority holds. */
function advanceCommit(s: State, fx: Effects): void {
  for (let N = lastIndex(s); N > s.commitIndex; N--) {
    if (termAt(s, N) !== s.term) break; // terms only fall going back: nothing older may be counted
    let count = 0;
    for (let p = 0; p < s.n; p++) if (s.matchIndex[p]! >= N) count++;
    if (hasQuorum(s, count)) {
      note(fx, 'CMIT', `commit through ${N}`, { from: s.commitIndex, to: N });
      s.commitIndex = N;
      applyCommitted(s, fx);
      return;
    }
  }
}

function onAppendReply(
  s: State,
  fx: Effects,
  from: number,
  sentTerm: number,
  args: AppendEntriesArgs,
  reply: AppendEntriesReply,
): void {
  adoptTerm(s, fx, reply.term);
  if (s.role !== 'leader' || sentTerm !== s.term) return;
  const match = s.matchIndex[from]!;
  if (reply.success) {
    const m = args.prevLogIndex + args.entries.length;
    if (m > match) {
      s.matchIndex[from] = m;
      advanceCommit(s, fx);
    }
    if (m + 1 > s.nextIndex[from]!) s.nextIndex[from] = m + 1;
    // More arrived since this was sent: send it on now rather than at the next heartbeat.
    if (m > match && s.nextIndex[from]! <= lastIndex(s)) sendTo(s, fx, from);
    return;
  }
  // A rejection of a point the follower has since matched is an old one, overtaken by later messages.
  if (args.prevLogIndex <= match) return;
  let next: number;
  if (reply.xTerm === -1) {
    next = reply.xLen;
  } else {
    // Leader-side term search: our last entry of xTerm, if we have one; else the follower's first of it.
    let j = lastIndex(s);
    while (j > s.snapIndex && termAt(s, j) !== reply.xTerm) j--;
    next = j > s.snapIndex ? j + 1 : reply.xIndex;
  }
  next = Math.min(Math.max(next, match + 1), lastIndex(s) + 1);
  s.nextIndex[from] = next;
  sendTo(s, fx, from);
}

// ---------------------------------------------------------------------------------------------------------------
// InstallSnapshot (Figure 13)

function onInstallSnapshot(s: State, fx: Effects, args: InstallSnapshotArgs): void {
  if (args.term < s.term) {
    fx.reply = { term: s.term };
    return;
  }
  adoptTerm(s, fx, args.term);
  heardFromLeader(s, args.leaderId);
  fx.reply = { term: s.term };

  const index = args.lastIncludedIndex;
  if (index <= s.commitIndex) return; // we hold (or have applied) all of it already

  if (index <= lastIndex(s) && termAt(s, index) === args.lastIncludedTerm) discardThrough(s, index);
  else truncateFrom(s, s.snapIndex + 1);
  s.snapIndex = index;
  s.snapTerm = args.lastIncludedTerm;
  s.snapData = args.data;
  s.commitIndex = index;
  s.lastApplied = index;
  dirty(fx, true);
  fx.dropAppliesThrough = index;
  fx.apply.push({ kind: 'snapshot', index, term: args.lastIncludedTerm, data: args.data });
  note(fx, 'SNAP', `installed snapshot through ${index}`, { index, term: args.lastIncludedTerm, kept: s.terms.length });
}

function onSnapReply(
  s: State,
  fx: Effects,
  from: number,
  sentTerm: number,
  args: InstallSnapshotArgs,
  reply: InstallSnapshotReply,
): void {
  adoptTerm(s, fx, reply.term);
  if (s.role !== 'leader' || sentTerm !== s.term) return;
  const m = args.lastIncludedIndex;
  const match = s.matchIndex[from]!;
  if (m > match) {
    s.matchIndex[from] = m;
    advanceCommit(s, fx);
  }
  if (m + 1 > s.nextIndex[from]!) s.nextIndex[from] = m + 1;
  if (m > match && s.nextIndex[from]! <= lastIndex(s)) sendTo(s, fx, from);
}
