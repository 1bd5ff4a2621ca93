/**
 * Per-segment bitrates for `--bitrate`: segments with more motion get more bits, calmer ones fewer,
 * with the duration-weighted mean kept at the target so the file size stays what was asked for.
 * Pure.
 *
 * Rule: a segment's complexity `c` is its mean absolute frame difference (scdet's `mafd`, 0–100).
 * Its weight is `sqrt((c + 1) / (C + 1))`, where `C` is the duration-weighted mean complexity,
 * clamped to [0.5, 2]; weights are then scaled so that their duration-weighted mean is 1, and the
 * bitrate is `target × weight`. The square root keeps the response gentle: a segment with four
 * times the average motion gets about twice the bits.
 */

/** Input per segment. */
export interface SegmentComplexity {
  readonly seconds: number;
  /** Mean absolute frame difference over the segment's frames (0–100). */
  readonly complexity: number;
}

/** Bounds of the weight before normalisation. */
export const BITRATE_WEIGHT_RANGE = [0.5, 2] as const;

/** Bitrate per segment in bits per second (same order as `segments`). */
export function allocateSegmentBitrates(segments: readonly SegmentComplexity[], targetBps: number): number[] {
  const total = segments.reduce((a, s) => a + s.seconds, 0);
  if (segments.length === 0) return [];
  if (!(total > 0)) return segments.map(() => Math.round(targetBps));
  const mean = segments.reduce((a, s) => a + s.complexity * s.seconds, 0) / total;
  const [lo, hi] = BITRATE_WEIGHT_RANGE;
  const raw = segments.map((s) => Math.min(hi, Math.max(lo, Math.sqrt((s.complexity + 1) / (mean + 1)))));
  const weightedMean = raw.reduce((a, w, i) => a + w * segments[i]!.seconds, 0) / total;
  return raw.map((w) => Math.round((targetBps * w) / weightedMean));
}

/** Mean of `values[from .. from + count)`. */
export function meanOf(values: readonly number[], from: number, count: number): number {
  let sum = 0;
  let n = 0;
  for (let i = from; i < from + count && i < values.length; i++) {
    sum += values[i]!;
    n++;
  }
  return n === 0 ? 0 : sum / n;
}
