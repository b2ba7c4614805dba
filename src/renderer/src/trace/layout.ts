/**
 * The time-space diagram's geometry for one window of time: a horizontal lane per node, time left to right. Only
 * what meets the window is laid out, and arrows are thinned to `maxArrows` when zoomed far out.
 */
import type { TraceData } from './data.ts';

export interface View {
  t0: number;
  t1: number;
  width: number;
  /** Height of each lane; lanes start at `top`. */
  laneHeight: number;
  top: number;
}

export interface Arrow {
  rpc: number;
  kind: 'request' | 'reply';
  method: string;
  /** Lost (dropped request / lost reply): drawn dashed, ending at a drop mark. */
  lost: boolean;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

export interface DropMark {
  rpc: number;
  kind: 'drop' | 'reply-lost';
  method: string;
  x: number;
  y: number;
}

export interface Rect {
  node: number;
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface BandRect extends Rect {
  kind: 'crash' | 'disconnect';
}

export interface RoleRect extends Rect {
  term: number;
  leader: boolean;
  /** Whether there is room to print the term. */
  label: boolean;
}

export interface Tick {
  x: number;
  label: string;
}

export interface Layout {
  arrows: Arrow[];
  drops: DropMark[];
  bands: BandRect[];
  roles: RoleRect[];
  ticks: Tick[];
  /** The ticks' one unit. */
  unit: 'ms' | 's';
  /** How many RPCs met the window, and how many were drawn. */
  rpcsInWindow: number;
  rpcsDrawn: number;
}

export const laneCenter = (v: View, node: number): number => v.top + node * v.laneHeight + v.laneHeight / 2;
export const xOf = (v: View, t: number): number => ((t - v.t0) / (v.t1 - v.t0 || 1)) * v.width;
export const tOf = (v: View, x: number): number => v.t0 + (x / (v.width || 1)) * (v.t1 - v.t0);

/** A round step (1, 2, 5 × 10^k ms) giving about `target` ticks across the window. */
export function tickStep(span: number, target = 8): number {
  const raw = Math.max(span / target, 1e-6);
  const pow = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * pow >= raw) return m * pow;
  return 10 * pow;
}

/** A time for people: ms below 10 s, seconds from there (one value on its own, not an axis: see axisFormat). */
export function formatMs(t: number): string {
  if (Math.abs(t) >= 10_000) return `${(t / 1000).toFixed(t % 1000 === 0 ? 0 : 1)} s`;
  return `${Math.round(t)} ms`;
}

/**
 * One unit for a whole axis, chosen by its tick step: ms while the step is under a second, else seconds with as
 * many decimals as the step needs. Labels carry no unit; the axis names it once.
 */
export function axisFormat(step: number): { unit: 'ms' | 's'; label: (t: number) => string } {
  if (step < 1000) {
    const digits = step >= 1 ? 0 : Math.min(3, Math.ceil(-Math.log10(step)));
    return { unit: 'ms', label: (t) => t.toFixed(digits) };
  }
  const digits = Math.max(0, Math.min(3, Math.ceil(-Math.log10(step / 1000))));
  return { unit: 's', label: (t) => (t / 1000).toFixed(digits) };
}

export function layoutTimeSpace(data: TraceData, v: View, maxRpcs = 400): Layout {
  const clampX = (x: number): number => Math.max(-10, Math.min(v.width + 10, x));
  const rpcs = data.rpcsIn(v.t0, v.t1);
  // Zoomed far out, draw an even sample of at most maxRpcs RPCs.
  const stride = rpcs.length > maxRpcs ? rpcs.length / maxRpcs : 1;
  let next = 0;
  const arrows: Arrow[] = [];
  const drops: DropMark[] = [];
  let drawn = 0;
  for (let k = 0; k < rpcs.length; k++) {
    const r = rpcs[k]!;
    if (stride > 1) {
      if (k < next) continue;
      next += stride;
    }
    drawn++;
    const yFrom = laneCenter(v, r.from);
    const yTo = laneCenter(v, r.to);
    const yMid = (yFrom + yTo) / 2;
    if (r.tDeliver !== undefined) {
      arrows.push({ rpc: r.rpc, kind: 'request', method: r.method, lost: false, x1: clampX(xOf(v, r.tSend)), y1: yFrom, x2: clampX(xOf(v, r.tDeliver)), y2: yTo });
      if (r.tReply !== undefined) {
        arrows.push({ rpc: r.rpc, kind: 'reply', method: r.method, lost: false, x1: clampX(xOf(v, r.tDeliver)), y1: yTo, x2: clampX(xOf(v, r.tReply)), y2: yFrom });
      } else if (r.tLost !== undefined) {
        const x = xOf(v, r.tLost);
        arrows.push({ rpc: r.rpc, kind: 'reply', method: r.method, lost: true, x1: clampX(xOf(v, r.tDeliver)), y1: yTo, x2: clampX(x), y2: yMid });
        if (x >= 0 && x <= v.width) drops.push({ rpc: r.rpc, kind: 'reply-lost', method: r.method, x, y: yMid });
      }
    } else if (r.tDrop !== undefined) {
      const x = xOf(v, r.tDrop);
      arrows.push({ rpc: r.rpc, kind: 'request', method: r.method, lost: true, x1: clampX(xOf(v, r.tSend)), y1: yFrom, x2: clampX(x), y2: yMid });
      if (x >= 0 && x <= v.width) drops.push({ rpc: r.rpc, kind: 'drop', method: r.method, x, y: yMid });
    } else if (r.tLost !== undefined) {
      const x = xOf(v, r.tLost);
      if (x >= 0 && x <= v.width) drops.push({ rpc: r.rpc, kind: 'reply-lost', method: r.method, x, y: yMid });
    }
  }

  const bands: BandRect[] = [];
  for (const b of data.bands) {
    if (b.t0 > v.t1 || b.t1 < v.t0) continue;
    const x0 = clampX(xOf(v, b.t0));
    const x1 = clampX(xOf(v, Math.min(b.t1, data.lastT)));
    const y = v.top + b.node * v.laneHeight;
    bands.push({ node: b.node, kind: b.kind, x: x0, y: b.kind === 'crash' ? y + 2 : y + v.laneHeight * 0.25, w: Math.max(1, x1 - x0), h: b.kind === 'crash' ? v.laneHeight - 4 : v.laneHeight * 0.5 });
  }

  const roles: RoleRect[] = [];
  for (const s of data.roles) {
    if (s.t0 > v.t1 || s.t1 < v.t0) continue;
    const x0 = clampX(xOf(v, s.t0));
    const x1 = clampX(xOf(v, Math.min(s.t1, data.lastT)));
    const w = Math.max(1, x1 - x0);
    roles.push({ node: s.node, term: s.term, leader: s.leader, x: x0, y: laneCenter(v, s.node) - 3, w, h: 6, label: w >= 26 });
  }

  const ticks: Tick[] = [];
  const step = tickStep(v.t1 - v.t0);
  const axis = axisFormat(step);
  for (let k = Math.ceil(v.t0 / step); k * step <= v.t1; k++) ticks.push({ x: xOf(v, k * step), label: axis.label(k * step) });

  return { arrows, drops, bands, roles, ticks, unit: axis.unit, rpcsInWindow: rpcs.length, rpcsDrawn: drawn };
}
