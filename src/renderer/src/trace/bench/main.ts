/**
 * A page for the trace viewer alone, for bench/trace-viewer.bench.ts and test/trace-viewer: a synthetic trace
 * (`?events=N&servers=N&seed=N&pageSize=N`) in a memory source, mounted full-window. It reports through
 * `window.traceBench`: when the viewer opened (first paint of the three views) and finished loading, and a
 * requestAnimationFrame recorder for frame times.
 */
import { createApp, h } from 'vue';
import '../../styles.css';
import { memoryTraceSource } from '../source.ts';
import { synthTrace } from '../synth.ts';
import TraceViewer from '../TraceViewer.vue';

export interface TraceBench {
  events: number;
  /** ms from mounting to the viewer's `ready` (the three views painted) and `loaded`. */
  openMs?: number;
  loadedMs?: number;
  cursor: number;
  startFrames(): void;
  /** Frame-to-frame deltas (ms) since startFrames. */
  stopFrames(): number[];
}

declare global {
  interface Window {
    traceBench?: TraceBench;
  }
}

const q = new URLSearchParams(location.search);
const num = (k: string, d: number): number => (q.has(k) ? Number(q.get(k)) : d);
const { header, events } = synthTrace({ events: num('events', 100_000), servers: num('servers', 5), seed: num('seed', 1) });
const source = memoryTraceSource(header, events, num('pageSize', 2000));

let frames: number[] = [];
let recording = false;
let last = 0;
const tick = (now: number): void => {
  if (!recording) return;
  if (last) frames.push(now - last);
  last = now;
  requestAnimationFrame(tick);
};

const bench: TraceBench = {
  events: events.length,
  cursor: 0,
  startFrames() {
    frames = [];
    last = 0;
    recording = true;
    requestAnimationFrame(tick);
  },
  stopFrames() {
    recording = false;
    return frames;
  },
};
window.traceBench = bench;

const t0 = performance.now();
createApp({
  render: () =>
    h('div', { style: { height: '100vh', padding: '8px', boxSizing: 'border-box' } }, [
      h(TraceViewer, {
        source,
        onReady: () => (bench.openMs = performance.now() - t0),
        onLoaded: () => (bench.loadedMs = performance.now() - t0),
        onCursor: (i: number) => (bench.cursor = i),
      }),
    ]),
}).mount('#app');
