/**
 * One line of prose per trace event, its dslogs topic and its node: shared by the exports (text, ShiViz) and the app's
 * trace viewer. Browser-safe: it imports nothing that reaches Node's modules.
 */
import type { TraceEvent } from './events.ts';

const json = (v: unknown, max = 160): string => {
  let s: string;
  try {
    s = JSON.stringify(v) ?? 'null';
  } catch {
    s = String(v);
  }
  return s.length > max ? s.slice(0, max) + '…' : s;
};
const termStr = (t: number | undefined): string => (t === undefined ? '' : ` T${t}`);

/** The 4-letter topic of an event (log lines keep the implementation's own topic). */
export function topicOf(e: TraceEvent): string {
  switch (e.kind) {
    case 'log': return e.topic;
    case 'send': return 'SEND';
    case 'deliver': return 'RECV';
    case 'handled': return 'RTRN';
    case 'drop': return 'DROP';
    case 'reply': return 'RPLY';
    case 'reply-lost': return 'LOST';
    case 'crash': return 'CRSH';
    case 'restart': return 'BOOT';
    case 'connect': return 'CONN';
    case 'disconnect': return 'DISC';
    case 'start': return 'CLNT';
    case 'apply': return 'APLY';
    case 'apply-snapshot':
    case 'snapshot': return 'SNAP';
    case 'persist': return 'PERS';
    case 'state': return 'TERM';
    default: return 'TEST';
  }
}

/** The node an event happened on, if any (tester-wide events have none). */
export function nodeOf(e: TraceEvent): number | undefined {
  return 'node' in e && typeof e.node === 'number' && e.node >= 0 ? e.node : undefined;
}

/** What happened, in a few words. */
export function describe(e: TraceEvent): string {
  switch (e.kind) {
    case 'send': return `${e.method} → S${e.to}${termStr(e.term)} #${e.rpc} ${json(e.args)}`;
    case 'deliver': return `${e.method} ← S${e.from} #${e.rpc}`;
    case 'handled': return `${e.method} for S${e.from} #${e.rpc} returned (${e.bytes} B reply)`;
    case 'drop': return `${e.method} → S${e.to} #${e.rpc} dropped (${e.reason})`;
    case 'reply': return `${e.method} reply ← S${e.to}${termStr(e.term)} #${e.rpc}${e.delayedMs !== undefined ? ` (held ${e.delayedMs}ms)` : ''} ${json(e.reply)}`;
    case 'reply-lost': return `${e.method} reply from S${e.to} #${e.rpc} lost (${e.reason})`;
    case 'log': return e.fields === undefined ? e.message : `${e.message} ${json(e.fields)}`;
    case 'test-begin': return e.description;
    case 'test-end': return e.status === 'pass' ? 'PASS' : `${e.status.toUpperCase()}: ${e.message ?? ''}`;
    case 'crash': return 'crashed';
    case 'restart': return e.generation === 1 ? 'started' : `restarted (incarnation ${e.generation})`;
    case 'connect': return 'connected';
    case 'disconnect': return 'disconnected';
    case 'unreliable': return e.on ? 'network unreliable' : 'network reliable';
    case 'long-reordering': return `long reordering ${e.on ? 'on' : 'off'}`;
    case 'check': {
      const what = `check ${e.check}`;
      if (!e.ok) return `${what} FAILED: ${e.message ?? ''}`;
      const parts = [e.node !== undefined ? `leader S${e.node}` : '', e.term !== undefined ? `term ${e.term}` : ''].filter(Boolean);
      return `${what} ok${parts.length ? ': ' + parts.join(', ') : ''}`;
    }
    case 'one':
      return e.phase === 'submit'
        ? `one(${json(e.command, 40)}) submitted to S${e.node} at index ${e.index}`
        : e.phase === 'agreed'
          ? `one(${json(e.command, 40)}) agreed at index ${e.index}`
          : `one(${json(e.command, 40)}) FAILED: ${e.message ?? ''}`;
    case 'wait': return `wait(index ${e.index}, ${e.n} servers${e.startTerm > -1 ? `, term ${e.startTerm}` : ''}): ${e.outcome}`;
    case 'start': return e.isLeader ? `start(${json(e.command, 40)}) → index ${e.index} T${e.term}` : `start(${json(e.command, 40)}) not leader T${e.term}`;
    case 'apply': return `apply ${e.index} ${json(e.command, 40)}`;
    case 'apply-snapshot': return `apply snapshot ${e.index} T${e.term} (${e.bytes} B) ${e.installed ? 'installed' : 'refused'}`;
    case 'persist': return `persist ${e.bytes} B${e.snapshotBytes !== undefined ? ` + snapshot ${e.snapshotBytes} B` : ''}${termStr(e.term)}${e.votedFor !== undefined && e.votedFor !== null ? ` vote ${json(e.votedFor, 20)}` : ''}${e.log ? ` log ${logChange(e.log)}` : ''}${e.logUnreadable ? ' log unreadable' : ''}${e.detached ? ' (detached: a crashed incarnation)' : ''}`;
    case 'snapshot': return `snapshot(${e.index}) ${e.bytes} B`;
    case 'state': return `term ${e.term} ${e.isLeader ? 'leader' : 'not leader'}`;
    default: return json(e);
  }
}

/** A persisted log change in a few characters: `+4..6 (t3)`, `cut to 3`, `snapshot 10`. */
function logChange(log: { snapshotIndex: number; from: number; terms: number[]; lastIndex: number }): string {
  const parts: string[] = [];
  if (log.snapshotIndex > 0 && log.from === log.snapshotIndex + 1) parts.push(`from snapshot ${log.snapshotIndex}`);
  if (log.terms.length > 0) {
    const terms = [...new Set(log.terms)];
    parts.push(`${log.from === log.lastIndex ? `+${log.from}` : `+${log.from}..${log.lastIndex}`} (t${terms.length > 3 ? `${terms[0]}..${terms.at(-1)}` : terms.join(',')})`);
  } else {
    parts.push(`ends at ${log.lastIndex}`);
  }
  return parts.join(' ');
}
