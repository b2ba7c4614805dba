/**
 * dslogs's conventions (the 6.824 "Debugging by Pretty Printing" tool): its topics, its time unit, and which of its
 * topics each trace event takes. Small and dependency-free: `raftlab test -v` prints log lines with it without
 * loading the exports.
 */
import type { TraceEvent } from './events.ts';

/** dslogs's topics (its TOPICS table): a line with any other topic is dropped by dslogs, and `-j` refuses it. */
export const dslogsTopics = ['TIMR', 'VOTE', 'LEAD', 'TERM', 'LOG1', 'LOG2', 'CMIT', 'PERS', 'SNAP', 'DROP', 'CLNT', 'TEST', 'INFO', 'WARN', 'ERRO', 'TRCE'] as const;

/** raftlab's own topics beyond dslogs's (topicOf), for `--topics raftlab`; dslogs needs them added to its TOPICS. */
export const raftlabExtraTopics = ['SEND', 'RECV', 'RTRN', 'RPLY', 'LOST', 'CRSH', 'BOOT', 'CONN', 'DISC', 'APLY'] as const;

export type TopicSet = 'dslogs' | 'raftlab';

const methodTopic = (method: string): string =>
  /RequestVote$/.test(method) ? 'VOTE' : /AppendEntries$/.test(method) ? 'LOG1' : /InstallSnapshot$/.test(method) ? 'SNAP' : 'TRCE';

/**
 * An event's topic within dslogs's set: an RPC by its method (RequestVote VOTE, AppendEntries LOG1, InstallSnapshot
 * SNAP), a lost one DROP, the tester's actions and checks TEST, applies CMIT, starts CLNT, saves PERS, GetState TERM.
 */
export function dslogsTopicOf(e: TraceEvent): string {
  switch (e.kind) {
    case 'log': return e.topic;
    case 'send':
    case 'deliver':
    case 'handled':
    case 'reply': return methodTopic(e.method);
    case 'drop':
    case 'reply-lost': return 'DROP';
    case 'start': return 'CLNT';
    case 'apply': return 'CMIT';
    case 'apply-snapshot':
    case 'snapshot': return 'SNAP';
    case 'persist': return 'PERS';
    case 'state': return 'TERM';
    default: return 'TEST';
  }
}

/** dslogs's time: tenths of a millisecond since the start (the lab's Debug() prints µs / 100), at least 6 digits. */
export const dslogsTime = (tMs: number): string => String(Math.max(0, Math.floor(tMs * 10))).padStart(6, '0');

