/**
 * The signals that stop a batch as the first Ctrl-C does: the run in flight ends, what finished is reported, and
 * the run processes and their scratch folders go with raftlab. SIGTERM is what `timeout`, a supervisor or an
 * editor's stop button sends; left to Node's default, it ended raftlab at once and left the scratch behind.
 */
export const stopSignals = ['SIGINT', 'SIGTERM'] as const;
export type StopSignal = (typeof stopSignals)[number];

/** The shell's status for a process ended by `signal`: 128 + its number. */
export function stopStatus(signal: StopSignal): number {
  return signal === 'SIGINT' ? 130 : 143;
}

/** How the batch was stopped, in words: "interrupted" or "terminated". */
export function stoppedWord(signal: StopSignal): string {
  return signal === 'SIGINT' ? 'interrupted' : 'terminated';
}

/** The cause, for a report: "(Ctrl-C)" or "(SIGTERM)". */
export function stoppedCause(signal: StopSignal): string {
  return signal === 'SIGINT' ? '(Ctrl-C)' : '(SIGTERM)';
}

/** Listen for every stop signal; returns what removes the listeners. */
export function onStopSignals(listener: (signal: StopSignal) => void): () => void {
  const handlers = stopSignals.map((signal) => [signal, () => listener(signal)] as const);
  for (const [signal, handler] of handlers) process.on(signal, handler);
  return () => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  };
}
