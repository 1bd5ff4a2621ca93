/**
 * Pooling per-frame quality scores into one figure: mean, minimum, 5th percentile and harmonic
 * mean. Pure.
 */

/** Pooled figures of one metric over a sequence. */
export interface Pooled {
  readonly mean: number;
  readonly min: number;
  /** 5th percentile (linear interpolation between closest ranks). */
  readonly p5: number;
  readonly harmonicMean: number;
}

/** Pools `values` (must be non-empty and finite). */
export function pool(values: readonly number[]): Pooled {
  if (values.length === 0) throw new RangeError('cannot pool an empty sequence');
  const sorted = [...values].sort((a, b) => a - b);
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const harmonicMean = values.length / values.reduce((s, v) => s + 1 / (v + 1), 0) - 1;
  return { mean, min: sorted[0]!, p5: percentile(sorted, 5), harmonicMean };
}

/** The `p`th percentile (0–100) of already-sorted values, interpolating between ranks. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError('percentile of an empty sequence');
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}
