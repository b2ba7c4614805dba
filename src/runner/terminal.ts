/**
 * What a terminal can take, decided the way users expect (https://no-color.org, and the FORCE_COLOR and TERM=dumb
 * conventions): picocolors' own check looks only at process.stdout and turns colour on whenever CI is set, even into
 * a file; raftlab asks about the stream it writes to, and gives the user's variables the last word.
 */
import { createColors } from 'picocolors';

export interface TerminalStream {
  isTTY?: boolean;
}

type Env = Record<string, string | undefined>;

const set = (v: string | undefined): v is string => v !== undefined && v !== '';

/** Colour on `stream`: NO_COLOR (non-empty) turns it off; FORCE_COLOR turns it on (0 or false: off); TERM=dumb off; else a TTY has it. */
export function colorEnabled(stream: TerminalStream, env: Env = process.env): boolean {
  if (set(env.NO_COLOR)) return false;
  if (set(env.FORCE_COLOR)) return !['0', 'false'].includes(env.FORCE_COLOR.toLowerCase());
  if (env.TERM === 'dumb') return false;
  return !!stream.isTTY;
}

/** Whether a live display may move the cursor and redraw in place: a TTY that is not TERM=dumb. */
export function canRedraw(stream: TerminalStream, env: Env = process.env): boolean {
  return !!stream.isTTY && env.TERM !== 'dumb';
}

/** picocolors' functions, on or off. */
export const colors = (enabled: boolean) => createColors(enabled);
