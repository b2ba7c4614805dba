/**
 * A trace page as its file stores it: NDJSON, one event a line. Browser-safe (the viewer parses pages the back end
 * passes through as they are stored), and what `readTracePage` parses with.
 */
import type { TraceEvent } from './events.ts';

/** A page that is not what its index says: `event` is the line at fault, absent when the count is wrong. */
export class TracePageTextError extends Error {
  constructor(
    message: string,
    readonly event?: number,
  ) {
    super(message);
    this.name = 'TracePageTextError';
  }
}

/** The events of a page's text; `count` is how many the trace's index says it holds. */
export function parseTracePageText(text: string, count: number): TraceEvent[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines.length !== count) throw new TracePageTextError(`holds ${lines.length} events, the index says ${count}`);
  const events = new Array<TraceEvent>(lines.length);
  for (let i = 0; i < lines.length; i++) {
    try {
      events[i] = JSON.parse(lines[i]!) as TraceEvent;
    } catch (error) {
      throw new TracePageTextError(`event ${i} is not valid JSON (${(error as Error).message})`, i);
    }
  }
  return events;
}
