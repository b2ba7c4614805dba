/**
 * The signals that stop a batch as the first Ctrl-C does: the run in flight ends, what finished is reported, and
 * the run processes and their scratch folders go with raftlab. SIGTERM is what `timeout`, a supervisor or an
 * editor's stop button sends; left to Node's default, it ended raftlab at once and left the scratch behind.
 */
export const stopSignals = {
  SIGINT: { status: 130, word: 'interrupted', cause: '(Ctrl-C)' },
  SIGTERM: { status: 143, word: 'terminated', cause: '(SIGTERM)' },
} as const satisfies Record<string, { status: number; word: string; cause: string }>;
// status: the shell's, for a process ended by the signal (128 + its number); word and cause: how reports say it.
export type StopSignal = keyof typeof stopSignals;

/** Listen for every stop signal; returns what removes the listeners. */
export function onStopSignals(listener: (signal: StopSignal) => void): () => void {
  const handlers = (Object.keys(stopSignals) as StopSignal[]).map((signal) => [signal, () => listener(signal)] as const);
  for (const [signal, handler] of handlers) process.on(signal, handler);
  return () => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  };
}
