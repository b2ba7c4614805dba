/**
 * The app's pushed events (batch progress), fanned out to subscribers: Electron main forwards them with
 * webContents.send, the web server as server-sent events. A listener that throws is reported and the others still
 * get the event.
 */
import type { AppEvent } from '../../shared/ipc.ts';

export type Listener = (event: AppEvent) => void;

/** Anything that pushes the app's events (what the web server's /api/events and Electron main subscribe to). */
export interface EventSource {
  subscribe(listener: Listener): () => void;
}

export class EventHub implements EventSource {
  readonly #listeners = new Set<Listener>();

  /** Live events; returns the unsubscribe function. */
  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  emit(event: AppEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        console.error('raftlab: an event listener failed:', error);
      }
    }
  }
}
