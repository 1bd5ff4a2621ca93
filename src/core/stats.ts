/**
 * Statistics for live figures: percentiles, sliding time windows and a compact histogram for
 * whole-session percentiles. Pure: time is always passed in, never read.
 */

/** The percentiles QuadStream reports. */
export interface Percentiles {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
}

/**
 * The `p`-th percentile (0–100) of values sorted ascending, interpolating linearly between the two
 * nearest ranks (the same definition as NumPy's default). `NaN` for no values.
 */
export function percentileOfSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const rank = (Math.min(100, Math.max(0, p)) / 100) * (n - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  return a + (b - a) * (rank - lo);
}

/** p50/p95/p99 of `values` (any order; not modified), or `null` when there are none. */
export function percentilesOf(values: ArrayLike<number>): Percentiles | null {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  return {
    p50: percentileOfSorted(sorted, 50),
    p95: percentileOfSorted(sorted, 95),
    p99: percentileOfSorted(sorted, 99),
  };
}

/** Rounds each percentile to `decimals` places (for reports). */
export function roundPercentiles(p: Percentiles | null, decimals = 2): Percentiles | null {
  if (p === null) return null;
  const f = 10 ** decimals;
  return {
    p50: Math.round(p.p50 * f) / f,
    p95: Math.round(p.p95 * f) / f,
    p99: Math.round(p.p99 * f) / f,
  };
}

/**
 * Samples `(timeMs, value)` over the last `horizonMs` milliseconds. Samples must be pushed in
 * non-decreasing time order; older ones are dropped when a later time is seen.
 */
export class TimeWindow {
  readonly horizonMs: number;
  #times: number[] = [];
  #values: number[] = [];
  #head = 0;
  #sum = 0;

  constructor(horizonMs: number) {
    this.horizonMs = horizonMs;
  }

  /** Adds a sample at `timeMs` and drops those older than `timeMs − horizonMs`. */
  push(timeMs: number, value: number): void {
    this.#times.push(timeMs);
    this.#values.push(value);
    this.#sum += value;
    this.prune(timeMs);
  }

  /** Drops samples at or before `nowMs − horizonMs`. */
  prune(nowMs: number): void {
    const limit = nowMs - this.horizonMs;
    while (this.#head < this.#times.length && this.#times[this.#head]! <= limit) {
      this.#sum -= this.#values[this.#head]!;
      this.#head++;
    }
    if (this.#head > 1024 && this.#head * 2 > this.#times.length) {
      this.#times = this.#times.slice(this.#head);
      this.#values = this.#values.slice(this.#head);
      this.#head = 0;
    }
    if (this.#head === this.#times.length) this.#sum = 0;
  }

  /** The values of the samples within the window ending at `nowMs`. */
  values(nowMs: number): number[] {
    this.prune(nowMs);
    return this.#values.slice(this.#head);
  }

  /** How many samples the window ending at `nowMs` holds. */
  count(nowMs: number): number {
    this.prune(nowMs);
    return this.#times.length - this.#head;
  }

  /** Sum of the values within the window ending at `nowMs`. */
  sum(nowMs: number): number {
    this.prune(nowMs);
    return this.#sum;
  }
}

/**
 * A histogram with logarithmic buckets for percentiles over a whole session in constant memory.
 * Bucket `i` covers `(min·g^(i−1), min·g^i]` with `g = 1 + relativePrecision`; a percentile is
 * reported as its bucket's geometric centre, so it is within ±relativePrecision/2 of the exact
 * value (for values above `min`; values at or below `min` are reported as `min`).
 */
export class LogHistogram {
  readonly #min: number;
  readonly #logGrowth: number;
  readonly #growth: number;
  readonly #counts = new Map<number, number>();
  #total = 0;

  /** `min`: smallest value told apart (default 0.01); `relativePrecision`: bucket width (default 0.01). */
  constructor(min = 0.01, relativePrecision = 0.01) {
    this.#min = min;
    this.#growth = 1 + relativePrecision;
    this.#logGrowth = Math.log(this.#growth);
  }

  /** Number of values recorded. */
  get count(): number {
    return this.#total;
  }

  /** Records a value; `NaN` and infinities are ignored. */
  record(value: number): void {
    if (!Number.isFinite(value)) return;
    const index = value <= this.#min ? 0 : Math.ceil(Math.log(value / this.#min) / this.#logGrowth);
    this.#counts.set(index, (this.#counts.get(index) ?? 0) + 1);
    this.#total++;
  }

  /** The `p`-th percentile (0–100) by nearest rank, or `NaN` when empty. */
  percentile(p: number): number {
    if (this.#total === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil((Math.min(100, Math.max(0, p)) / 100) * this.#total));
    const indices = [...this.#counts.keys()].sort((a, b) => a - b);
    let seen = 0;
    for (const i of indices) {
      seen += this.#counts.get(i)!;
      if (seen >= rank) return i === 0 ? this.#min : this.#min * this.#growth ** (i - 0.5);
    }
    return Number.NaN;
  }

  /** p50/p95/p99, or `null` when empty. */
  percentiles(): Percentiles | null {
    if (this.#total === 0) return null;
    return { p50: this.percentile(50), p95: this.percentile(95), p99: this.percentile(99) };
  }
}
