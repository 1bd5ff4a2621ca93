/**
 * Segment planning for the parallel file encoder: where to cut a video into independently encoded
 * segments. Pure: it takes per-frame presentation times and scene-change scores and returns the
 * segments; no clock, no I/O.
 *
 * Rules, in order:
 * 1. Every frame whose scene score is at least `threshold` is a candidate cut. Candidates are
 *    taken strongest first; one is kept when it leaves at least `minSeconds` to the kept cuts
 *    (and to the start and end of the video) on both sides. So of two cuts closer than the
 *    minimum, the stronger wins, and no segment is shorter than the minimum unless the whole
 *    video is.
 * 2. A segment longer than `maxSeconds` is split in two at the frame with the lowest score within
 *    `splitWindow` (a fraction of its duration) of its middle, both halves still at least
 *    `minSeconds` long; ties go to the frame nearest the middle, then to the earlier one. Halves that are still too long are
 *    split again.
 */
import { QuadStreamError } from './errors.ts';

/** Planner settings; times in seconds. */
export interface SegmentPlanOptions {
  /** Shortest segment (unless the whole video is shorter). Default 1 s. */
  readonly minSeconds: number;
  /** Longest segment; longer scenes are split. Default 10 s. Must be at least twice `minSeconds`. */
  readonly maxSeconds: number;
  /** Scene score (FFmpeg `scdet` scale, 0–100) from which a frame starts a new scene. Default 10. */
  readonly threshold: number;
  /** Width of the window around the middle searched for a split, as a fraction of the scene. Default 0.2. */
  readonly splitWindow: number;
}

/** The defaults of {@link SegmentPlanOptions}. */
export const DEFAULT_PLAN_OPTIONS: SegmentPlanOptions = {
  minSeconds: 1,
  maxSeconds: 10,
  threshold: 10,
  splitWindow: 0.2,
};

/** What the planner needs to know about the video. */
export interface SegmentPlanInput {
  /** Presentation time of each frame in seconds, strictly increasing (display order). */
  readonly frameTimesS: readonly number[];
  /** Scene-change score of each frame against the previous one (same length; the first is ignored). */
  readonly scores: readonly number[];
  /** End of the last frame (its time plus its duration), in seconds. */
  readonly endTimeS: number;
}

/** Why a segment starts where it does. */
export type SegmentStart = 'start' | 'scene' | 'split';

/** One planned segment: frames `[startFrame, startFrame + frames)` in display order. */
export interface PlannedSegment {
  readonly index: number;
  readonly startFrame: number;
  readonly frames: number;
  /** Duration in seconds (from its first frame to the next segment's first frame, or the end). */
  readonly seconds: number;
  readonly reason: SegmentStart;
}

/** Plans segments for a video; see the module comment for the rules. */
export function planSegments(
  input: SegmentPlanInput,
  options: Partial<SegmentPlanOptions> = {},
): PlannedSegment[] {
  const o: SegmentPlanOptions = { ...DEFAULT_PLAN_OPTIONS, ...options };
  validate(input, o);
  const n = input.frameTimesS.length;
  if (n === 0) return [];
  const time = (frame: number): number => (frame >= n ? input.endTimeS : input.frameTimesS[frame]!);
  const score = (frame: number): number => input.scores[frame] ?? 0;

  // 1. Scene cuts, strongest first, each at least minSeconds from its kept neighbours.
  const cuts = new Map<number, SegmentStart>([[0, 'start']]);
  const kept: number[] = [0, n];
  const candidates: number[] = [];
  for (let i = 1; i < n; i++) if (score(i) >= o.threshold) candidates.push(i);
  candidates.sort((a, b) => score(b) - score(a) || a - b);
  for (const c of candidates) {
    const at = upperBound(kept, c);
    const before = kept[at - 1]!;
    const after = kept[at]!;
    if (time(c) - time(before) >= o.minSeconds && time(after) - time(c) >= o.minSeconds) {
      kept.splice(at, 0, c);
      cuts.set(c, 'scene');
    }
  }

  // 2. Split scenes longer than maxSeconds near their middle, at the calmest frame.
  const split = (from: number, to: number): void => {
    const duration = time(to) - time(from);
    if (duration <= o.maxSeconds) return;
    const at = splitPoint(from, to, time, score, o);
    if (at === undefined) return;
    cuts.set(at, 'split');
    split(from, at);
    split(at, to);
  };
  const scenes = [...kept];
  for (let i = 0; i + 1 < scenes.length; i++) split(scenes[i]!, scenes[i + 1]!);

  const starts = [...cuts.keys()].sort((a, b) => a - b);
  return starts.map((startFrame, index) => {
    const end = starts[index + 1] ?? n;
    return {
      index,
      startFrame,
      frames: end - startFrame,
      seconds: time(end) - time(startFrame),
      reason: cuts.get(startFrame)!,
    };
  });
}

/** The frame to split `[from, to)` at, or `undefined` when no frame keeps both halves long enough. */
function splitPoint(
  from: number,
  to: number,
  time: (frame: number) => number,
  score: (frame: number) => number,
  o: SegmentPlanOptions,
): number | undefined {
  const start = time(from);
  const end = time(to);
  const middle = (start + end) / 2;
  const halfWindow = Math.max((o.splitWindow * (end - start)) / 2, 0);
  let best: number | undefined;
  let nearest: number | undefined;
  for (let f = from + 1; f < to; f++) {
    const t = time(f);
    if (t - start < o.minSeconds || end - t < o.minSeconds) continue;
    const distance = Math.abs(t - middle);
    if (nearest === undefined || distance < Math.abs(time(nearest) - middle) - EPSILON_S) nearest = f;
    if (distance > halfWindow + EPSILON_S) continue;
    if (
      best === undefined ||
      score(f) < score(best) ||
      (score(f) === score(best) && distance < Math.abs(time(best) - middle) - EPSILON_S)
    ) {
      best = f;
    }
  }
  // A window narrower than one frame still splits, at the frame nearest the middle.
  return best ?? nearest;
}

/** Distances closer than this are ties (which go to the earlier frame), so float noise cannot decide. */
const EPSILON_S = 1e-9;

/** Index of the first element of sorted `values` greater than `x`. */
function upperBound(values: readonly number[], x: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (values[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function validate(input: SegmentPlanInput, o: SegmentPlanOptions): void {
  const bad = (message: string): never => {
    throw new QuadStreamError('config', 'plan.invalid', message);
  };
  if (!(o.minSeconds > 0)) bad(`minimum segment length must be positive (got ${o.minSeconds} s)`);
  if (!(o.maxSeconds >= 2 * o.minSeconds))
    bad(`maximum segment length (${o.maxSeconds} s) must be at least twice the minimum (${o.minSeconds} s)`);
  if (!(o.splitWindow >= 0 && o.splitWindow <= 1))
    bad(`split window must be between 0 and 1 (got ${o.splitWindow})`);
  if (input.scores.length !== input.frameTimesS.length)
    bad(`${input.scores.length} scene scores for ${input.frameTimesS.length} frames`);
  const times = input.frameTimesS;
  for (let i = 1; i < times.length; i++) {
    if (!(times[i]! > times[i - 1]!)) bad(`frame times must increase (frame ${i})`);
  }
  const last = times.at(-1);
  if (last !== undefined && !(input.endTimeS > last)) bad('the end time must be after the last frame');
}

/** Segments per worker the plan aims for at least, so that the last round of the pool is not one worker alone. */
export const SEGMENTS_PER_WORKER = 3;

/**
 * The maximum segment length to plan with for `workers` workers: the configured maximum, lowered
 * for short videos so that there are at least {@link SEGMENTS_PER_WORKER} segments per worker
 * (e.g. 22 s on 2 workers: at most 3.7 s), but never below twice the minimum.
 */
export function balancedMaxSeconds(
  durationS: number,
  workers: number,
  options: Partial<SegmentPlanOptions> = {},
): number {
  const o: SegmentPlanOptions = { ...DEFAULT_PLAN_OPTIONS, ...options };
  const target = durationS / (SEGMENTS_PER_WORKER * Math.max(1, workers));
  return Math.min(o.maxSeconds, Math.max(2 * o.minSeconds, target));
}

/** Presentation times for `frames` frames at a constant `fps`, starting at 0. A helper for callers and tests. */
export function constantFrameTimes(frames: number, fps: number): number[] {
  return Array.from({ length: frames }, (_, i) => i / fps);
}
