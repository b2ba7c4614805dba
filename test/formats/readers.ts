/**
 * Readers written from the rules of the tools raftlab's outputs are for, to test the outputs against those rules
 * (not against raftlab's own idea of them): dslogs.py's line rule, ShiViz's log loading, and the elements and
 * attributes that Surefire's and Jenkins' JUnit schemas require. Each says, in our own words, what the tool does.
 */
import { XMLParser } from 'fast-xml-parser';

// --- dslogs ------------------------------------------------------------------------------------------------------

/** dslogs's topics (its TOPICS table). */
export const dslogsTopicTable = ['TIMR', 'VOTE', 'LEAD', 'TERM', 'LOG1', 'LOG2', 'CMIT', 'PERS', 'SNAP', 'DROP', 'CLNT', 'TEST', 'INFO', 'WARN', 'ERRO', 'TRCE'];

/**
 * How dslogs reads one line. It strips the line and splits it on single spaces into a time, a topic and the
 * message words; a topic outside its table is skipped; on any line but a TEST one, the message's second character
 * is the server's number (`S<n> …`); in column mode (-c N) that number picks one of N columns. Anything that does
 * not fit is printed raw under a banner of `#`s: a rejected line. The time is Debug()'s `%06d`.
 */
export function dslogsRead(line: string, options: { topics?: readonly string[]; columns?: number } = {}): { ok: true; topic: string; server?: number } | { ok: false; why: string } {
  const topics = options.topics ?? dslogsTopicTable;
  const words = line.trim().split(' ');
  if (words.length < 2) return { ok: false, why: 'fewer than two words' };
  const [time, topic, ...msg] = words as [string, string, ...string[]];
  if (!/^\d{6,}$/.test(time)) return { ok: false, why: `time ${JSON.stringify(time)} is not %06d` };
  if (!topics.includes(topic)) return { ok: false, why: `topic ${topic} is not one of dslogs's` };
  if (topic === 'TEST') return { ok: true, topic };
  const message = msg.join(' ');
  const digit = message[1];
  if (digit === undefined || !/^\d$/.test(digit)) return { ok: false, why: `the message does not start with S<n>: ${JSON.stringify(message.slice(0, 20))}` };
  const server = Number(digit);
  if (options.columns !== undefined && server >= options.columns) return { ok: false, why: `server ${server} has no column of ${options.columns}` };
  return { ok: true, topic, server };
}

// --- ShiViz ------------------------------------------------------------------------------------------------------

export interface ShivizLoaded {
  events: number;
  hosts: Map<string, number>;
}

/**
 * What ShiViz does with an uploaded log file, and the errors it stops on. The file's first line is the parsing
 * regular expression (blank: ShiViz's default), the second the multiple-executions delimiter (blank: one
 * execution), the rest the log, trimmed. The regex (named groups event, host, clock; multiline) is applied again
 * and again; each match's clock must be JSON and hold an entry for its own host. At least one event. Then the
 * graph: each host's events, ordered by their own entry, must count 1, 2, 3, … exactly; every entry for another
 * host must name a host of the log, with a value between 1 and that host's number of events.
 */
export function shivizLoad(file: string): ShivizLoaded {
  const first = file.indexOf('\n');
  const second = file.indexOf('\n', first + 1);
  if (first < 0 || second < 0) throw new Error('ShiViz reads the regex and the delimiter from the first two lines');
  const regex = file.slice(0, first).trim() || String.raw`(?<event>.*)\n(?<host>\S*) (?<clock>{.*})`;
  const delimiter = file.slice(first + 1, second).trim();
  if (delimiter !== '') throw new Error(`a delimiter was given (${delimiter}): this reader handles one execution`);
  const log = file.slice(second + 1).trim();
  const re = new RegExp(regex, 'gm');
  const byHost = new Map<string, Array<{ own: number; clock: Record<string, number>; line: number }>>();
  let events = 0;
  let line = 1;
  let counted = 0;
  for (const m of log.matchAll(re)) {
    const { clock: clockText, host } = m.groups as { clock: string; host: string };
    for (; counted < m.index; counted++) if (log.charCodeAt(counted) === 10) line++;
    let clock: Record<string, number>;
    try {
      clock = JSON.parse(clockText) as Record<string, number>;
    } catch (error) {
      throw new Error(`line ${line}: the vector clock is not JSON (${(error as Error).message})`, { cause: error });
    }
    if (!Object.hasOwn(clock, host)) throw new Error(`line ${line}: host ${host} is missing from its own clock`);
    for (const h of Object.keys(clock)) if (clock[h] === 0) delete clock[h];
    byHost.set(host, [...(byHost.get(host) ?? []), { own: clock[host]!, clock, line }]);
    events++;
  }
  if (events === 0) throw new Error('the regex captures no event');
  for (const [host, list] of byHost) {
    list.sort((a, b) => a.own - b.own);
    list.forEach((e, i) => {
      if (e.own !== i + 1) throw new Error(i === 0 ? `host ${host}'s clock starts at ${e.own}, not 1 (line ${e.line})` : `host ${host}'s clock goes from ${list[i - 1]!.own} to ${e.own} (line ${e.line})`);
    });
  }
  for (const [host, list] of byHost) {
    for (const e of list) {
      for (const [other, v] of Object.entries(e.clock)) {
        if (other === host) continue;
        const theirs = byHost.get(other);
        if (!theirs) throw new Error(`line ${e.line}: the clock names an unknown host ${other}`);
        if (v < 1 || v > theirs.length) throw new Error(`line ${e.line}: ${other}'s value ${v} is outside 1..${theirs.length}`);
      }
    }
  }
  return { events, hosts: new Map([...byHost].map(([h, l]) => [h, l.length])) };
}

// --- JUnit -------------------------------------------------------------------------------------------------------

type Node = Record<string, unknown>;
const timePattern = /^(([0-9]{0,3},)*[0-9]{3}|[0-9]{0,3})*(\.[0-9]{0,3})?$/;

const nameOf = (n: Node): string => Object.keys(n).find((k) => k !== ':@')!;
const attrsOf = (n: Node): Record<string, string> => {
  const a = (n[':@'] ?? {}) as Record<string, string>;
  return Object.fromEntries(Object.entries(a).map(([k, v]) => [k.replace(/^@_/, ''), String(v)]));
};
const childrenOf = (n: Node): Node[] => ((n[nameOf(n)] as Node[] | undefined) ?? []).filter((c) => nameOf(c) !== '#text');

/**
 * What makes a JUnit file valid against both Surefire's schema (surefire-test-report-3.0.xsd) and Jenkins' (the
 * xunit plugin's junit-10.xsd), as a list of problems (empty: none):
 *
 * - the root is a testsuite: Surefire's schema declares no other element (Jenkins' also takes testsuites).
 * - testsuite: name, tests, failures, errors (both require) and skipped (Surefire requires); no attribute but these,
 *   time and group (Surefire declares no other; Jenkins' further ones, timestamp and hostname among them, Surefire
 *   refuses); time of the schemas' form (digits, optional thousands commas, at most three decimals); children:
 *   properties, then testcases (Surefire's sequence), no other.
 * - property: name and value, nothing else.
 * - testcase: name and time (Surefire requires time), optionally classname and group; children in Surefire's order
 *   — failure, skipped (at most one), error (at most one), system-out, system-err — each of them text only;
 *   failure and error with a type, and only message beside it; skipped with only a message.
 * - the counts: a suite's tests, failures, errors and skipped equal its testcases and their failure, error and
 *   skipped elements (what the readers display).
 */
export function junitProblems(xml: string): string[] {
  const problems: string[] = [];
  const doc = new XMLParser({ preserveOrder: true, ignoreAttributes: false, ignoreDeclaration: true }).parse(xml) as Node[];
  const roots = doc.filter((n) => !['?xml', '#text'].includes(nameOf(n)));
  if (roots.length !== 1) return [`${roots.length} root elements`];
  const suite = roots[0]!;
  if (nameOf(suite) !== 'testsuite') return [`the root is ${nameOf(suite)}: Surefire's schema has only testsuite`];
  const need = (where: string, attrs: Record<string, string>, names: string[]): void => {
    for (const n of names) if (attrs[n] === undefined) problems.push(`${where}: no ${n}`);
  };
  const only = (where: string, attrs: Record<string, string>, allowed: string[]): void => {
    for (const k of Object.keys(attrs)) if (!allowed.includes(k)) problems.push(`${where}: attribute ${k} is not in both schemas`);
  };
  const timeOk = (where: string, value: string | undefined): void => {
    if (value !== undefined && !timePattern.test(value)) problems.push(`${where}: time ${value} is not of the schemas' form`);
  };
  const a = attrsOf(suite);
  const where = `testsuite ${a.name ?? '?'}`;
  need(where, a, ['name', 'tests', 'failures', 'errors', 'skipped']);
  only(where, a, ['name', 'time', 'tests', 'errors', 'skipped', 'failures', 'group']);
  timeOk(where, a.time);
  let seenCase = false;
  const counts = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  for (const kid of childrenOf(suite)) {
    const name = nameOf(kid);
    if (name === 'properties') {
      if (seenCase) problems.push(`${where}: properties after a testcase`);
      for (const p of childrenOf(kid)) {
        if (nameOf(p) !== 'property') problems.push(`${where}: a ${nameOf(p)} in properties`);
        need(`${where} property`, attrsOf(p), ['name', 'value']);
        only(`${where} property`, attrsOf(p), ['name', 'value']);
      }
    } else if (name === 'testcase') {
      seenCase = true;
      counts.tests++;
      const c = attrsOf(kid);
      const cw = `${where} testcase ${c.name ?? '?'}`;
      need(cw, c, ['name', 'time']);
      only(cw, c, ['name', 'classname', 'group', 'time']);
      timeOk(cw, c.time);
      const order = ['failure', 'skipped', 'error', 'system-out', 'system-err'];
      let at = 0;
      const seen = new Map<string, number>();
      for (const el of childrenOf(kid)) {
        const en = nameOf(el);
        const i = order.indexOf(en);
        if (i < 0) problems.push(`${cw}: a ${en} child`);
        else if (i < at) problems.push(`${cw}: ${en} after ${order[at]}`);
        else at = i;
        seen.set(en, (seen.get(en) ?? 0) + 1);
        if (childrenOf(el).length > 0) problems.push(`${cw}: ${en} holds elements, not only text`);
        if (en === 'failure' || en === 'error') {
          if (attrsOf(el).type === undefined) problems.push(`${cw}: ${en} without a type`);
          only(`${cw} ${en}`, attrsOf(el), ['message', 'type']);
        }
        if (en === 'skipped') only(`${cw} skipped`, attrsOf(el), ['message']);
      }
      for (const once of ['skipped', 'error', 'system-out', 'system-err']) if ((seen.get(once) ?? 0) > 1) problems.push(`${cw}: ${seen.get(once)} ${once} elements`);
      if (seen.has('failure')) counts.failures++;
      if (seen.has('error')) counts.errors++;
      if (seen.has('skipped')) counts.skipped++;
    } else problems.push(`${where}: a ${name} child`);
  }
  for (const [k, v] of Object.entries(counts)) if (a[k] !== undefined && Number(a[k]) !== v) problems.push(`${where}: ${k}="${a[k]}" but ${v} found`);
  return problems;
}
