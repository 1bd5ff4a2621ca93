/**
 * The player page: starts the decoding worker, paints decoded frames on animation frames, reports
 * paint times back, and shows the overlay. Paint policy: the oldest waiting frame is painted at
 * each animation frame, so that a frame arriving just after a paint next to one arriving just
 * before it (jitter) is shown late rather than not at all. A backlog may not settle in, though:
 * when a frame has been left waiting after three paints in a row, or more than two wait, the
 * oldest is closed unpainted, so the added delay stays under one frame.
 *
 * URL options: `?codec=h264|vp9|av1`; `?renderer=2d` (drawImage of the YUV frame, default),
 * `webgl` (texture upload) or `bitmap` (RGB made and scaled to the canvas in the worker, shown
 * without a copy); `?canvas=frame` (a canvas the frame's size; by default it is the size it has
 * on screen, never larger than the frame); `?adaptive=1`; `?verify=1` (check the burnt-in frame
 * counter); `?overlay=0`.
 *
 * `window.__quadstream` exposes the live state for tests and for the curious.
 */
import { nowMs } from './clock.ts';
import type { DecodedFrameMessage, FromWorker, RenderReport, WorkerStatus } from './messages.ts';
import { drawOverlay } from './overlay.ts';
import { closePicture, createRenderer } from './renderer.ts';

/** What the page exposes as `window.__quadstream`. */
export interface PlayerState {
  status: WorkerStatus | null;
  renderer: string;
  framesRendered: number;
  framesNotRendered: number;
  /** Local epoch ms of the first paint. */
  firstRenderedMs: number | null;
  lastRenderedSequence: number | null;
  /** Glass-to-glass latency of the last painted frames (most recent last, at most 3600). */
  latenciesMs: number[];
  /** Local epoch ms of the last paints (at most 3600). */
  renderedAtMs: number[];
  /** How long the last paint calls took, ms (at most 3600). */
  paintMs: number[];
}

const params = new URLSearchParams(location.search);
const canvas = document.querySelector('canvas');
const overlay = document.querySelector<HTMLElement>('#overlay');
if (canvas === null || overlay === null) throw new Error('player page is missing its canvas or overlay');
if (params.get('overlay') === '0') overlay.hidden = true;
const wanted = params.get('renderer');
const renderer = createRenderer(
  canvas,
  wanted === 'webgl' || wanted === 'bitmap' ? wanted : '2d',
  params.get('canvas') !== 'frame',
);

const state: PlayerState = {
  status: null,
  renderer: renderer.kind,
  framesRendered: 0,
  framesNotRendered: 0,
  firstRenderedMs: null,
  lastRenderedSequence: null,
  latenciesMs: [],
  renderedAtMs: [],
  paintMs: [],
};
(window as unknown as { __quadstream: PlayerState }).__quadstream = state;

const worker = new Worker(new URL('/worker.js', location.href), { type: 'module' });
/** Decoded frames waiting for a paint, oldest first. */
const waiting: DecodedFrameMessage[] = [];
/** Most frames kept waiting (the one painted next and one behind it). */
const MAX_WAITING = 2;
/** Paints in a row after which a frame was still waiting. */
let backlogStreak = 0;
let reports: RenderReport['entries'][number][] = [];

worker.onmessage = (event: MessageEvent<FromWorker>) => {
  const m = event.data;
  if (m.type === 'status') {
    state.status = m;
    return;
  }
  waiting.push(m);
  // Frames arrive faster than paints: the oldest are given up, unpainted.
  while (waiting.length > MAX_WAITING) skipOldest();
};

function push(list: number[], value: number): void {
  list.push(value);
  if (list.length > 3600) list.splice(0, list.length - 3600);
}

function skipOldest(): void {
  const old = waiting.shift();
  if (old === undefined) return;
  closePicture(old.frame);
  reports.push({ sequence: old.sequence, renderedMs: Number.NaN, painted: false });
  state.framesNotRendered++;
}

function paint(): void {
  backlogStreak = waiting.length >= 2 ? backlogStreak + 1 : 0;
  if (backlogStreak >= 3) {
    skipOldest();
    backlogStreak = 0;
  }
  const m = waiting.shift();
  if (m !== undefined) {
    const t0 = nowMs();
    try {
      renderer.draw(m.frame);
    } finally {
      closePicture(m.frame);
    }
    const t = nowMs();
    push(state.paintMs, t - t0);
    reports.push({ sequence: m.sequence, renderedMs: t, painted: true });
    state.framesRendered++;
    state.firstRenderedMs ??= t;
    state.lastRenderedSequence = m.sequence;
    push(state.latenciesMs, t + m.offsetMs - m.captureMs);
    push(state.renderedAtMs, t);
  }
  if (reports.length > 0) {
    worker.postMessage({ type: 'rendered', entries: reports } satisfies RenderReport);
    reports = [];
  }
  requestAnimationFrame(paint);
}
requestAnimationFrame(paint);

let lastBytes = 0;
let lastBytesAt = nowMs();
let bitrateBps = 0;
setInterval(() => {
  const now = nowMs();
  const bytes = state.status?.bytesReceived ?? 0;
  if (now - lastBytesAt >= 1000) {
    bitrateBps = ((bytes - lastBytes) * 8 * 1000) / (now - lastBytesAt);
    lastBytes = bytes;
    lastBytesAt = now;
  }
  if (overlay.hidden) return;
  let recent = 0;
  for (let i = state.renderedAtMs.length - 1; i >= 0 && state.renderedAtMs[i]! > now - 1000; i--) recent++;
  const since = state.renderedAtMs.findIndex((t) => t > now - 2000);
  drawOverlay(overlay, state.status, {
    renderedFps: recent,
    bitrateBps,
    recentLatencyMs: since < 0 ? [] : state.latenciesMs.slice(since - state.renderedAtMs.length),
    notRendered: state.framesNotRendered,
    renderer: renderer.kind,
  });
}, 250);

worker.postMessage({
  type: 'start',
  url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`,
  codec: params.get('codec'),
  adaptive: params.get('adaptive') === '1',
  verify: params.get('verify') === '1',
  planes: renderer.kind === 'webgl',
  bitmapBox:
    renderer.kind === 'bitmap'
      ? {
          width: Math.round(canvas.clientWidth * (window.devicePixelRatio || 1)),
          height: Math.round(canvas.clientHeight * (window.devicePixelRatio || 1)),
        }
      : null,
});
