/**
 * Target-quality search: find the largest CRF (smallest file) whose measured quality still
 * reaches a target, in few probes. Pure: the caller encodes and measures each probe and feeds
 * the result back; this module only decides the next CRF and the final choice.
 *
 * Method: quality falls as CRF rises. The first probe is the caller's guess; until the target is
 * bracketed (one probe above it, one below) the search steps outwards by halving the distance to
 * the range's edge (bisection); once bracketed, it interpolates linearly between the two nearest
 * probes on either side (regula falsi, monotone by construction), rounding to the CRF step and
 * staying strictly inside the bracket. It stops when a probe lands within the tolerance, when
 * no untried CRF is left inside the bracket, or after `maxProbes`.
 */

/** One measured probe. */
export interface CrfProbe {
  readonly crf: number;
  /** Pooled quality (mean or 5th percentile VMAF, as the caller chose). */
  readonly score: number;
}

/** Search parameters. */
export interface CrfSearchParams {
  readonly target: number;
  /** Stop when a probe is within this distance of the target (default 0.5). */
  readonly tolerance?: number;
  readonly minCrf: number;
  readonly maxCrf: number;
  /** CRF granularity (default 1). */
  readonly step?: number;
  /** At most this many probes (default 6). */
  readonly maxProbes?: number;
  /** First probe (default the middle of the range). */
  readonly initialCrf?: number;
}

/** The search's verdict after the probes so far. */
export type CrfSearchStep =
  | { readonly done: false; readonly nextCrf: number }
  | {
      readonly done: true;
      /** The CRF to use. */
      readonly crf: number;
      /** Its measured score (a probe's, so "predicted" equals a measurement on the sample). */
      readonly score: number;
      readonly reason: 'within-tolerance' | 'bracket-exhausted' | 'max-probes' | 'range-edge';
    };

function snap(crf: number, p: CrfSearchParams): number {
  const step = p.step ?? 1;
  const s = Math.round(crf / step) * step;
  return Math.min(p.maxCrf, Math.max(p.minCrf, Number(s.toFixed(6))));
}

/**
 * The best acceptable probe: the highest CRF scoring at least `target - tolerance`; if none
 * does, the probe with the highest score.
 */
export function chooseProbe(probes: readonly CrfProbe[], p: CrfSearchParams): CrfProbe {
  const tol = p.tolerance ?? 0.5;
  const ok = probes.filter((x) => x.score >= p.target - tol).sort((a, b) => b.crf - a.crf);
  if (ok[0] !== undefined) return ok[0];
  // Nothing reaches the target: the best quality, and of equals the lowest CRF.
  const best = [...probes].sort((a, b) => b.score - a.score || a.crf - b.crf)[0];
  if (best === undefined) throw new RangeError('no probe to choose from');
  return best;
}

/** Decides the next probe, or the final CRF, from the probes so far (in any order). */
export function crfSearchStep(probes: readonly CrfProbe[], p: CrfSearchParams): CrfSearchStep {
  const tol = p.tolerance ?? 0.5;
  const maxProbes = p.maxProbes ?? 6;
  const step = p.step ?? 1;
  if (probes.length === 0)
    return { done: false, nextCrf: snap(p.initialCrf ?? (p.minCrf + p.maxCrf) / 2, p) };
  const finish = (
    reason: 'within-tolerance' | 'bracket-exhausted' | 'max-probes' | 'range-edge',
  ): CrfSearchStep => {
    const c = chooseProbe(probes, p);
    return { done: true, crf: c.crf, score: c.score, reason };
  };
  const near = probes.find((x) => Math.abs(x.score - p.target) <= tol);
  if (near !== undefined) {
    // Prefer the highest CRF among probes within tolerance that also reach target - tol.
    return finish('within-tolerance');
  }
  const above = probes.filter((x) => x.score > p.target).sort((a, b) => b.crf - a.crf)[0]; // highest CRF still above
  const below = probes.filter((x) => x.score < p.target).sort((a, b) => a.crf - b.crf)[0]; // lowest CRF already below
  if (above !== undefined && below !== undefined && below.crf - above.crf <= step)
    return finish('bracket-exhausted');
  if (above !== undefined && below === undefined && above.crf >= p.maxCrf) return finish('range-edge');
  if (below !== undefined && above === undefined && below.crf <= p.minCrf) return finish('range-edge');
  if (probes.length >= maxProbes) return finish('max-probes');
  const tried = new Set(probes.map((x) => x.crf));
  let next: number;
  if (above !== undefined && below !== undefined) {
    const t = (above.score - p.target) / (above.score - below.score);
    next = snap(above.crf + t * (below.crf - above.crf), p);
    // Stay strictly inside the bracket.
    if (next <= above.crf) next = snap(above.crf + step, p);
    if (next >= below.crf) next = snap(below.crf - step, p);
  } else if (above !== undefined) {
    // Everything so far is too good: go up, halfway to the top of the range.
    next = snap(Math.max(above.crf + step, (above.crf + p.maxCrf) / 2), p);
  } else if (below !== undefined) {
    next = snap(Math.min(below.crf - step, Math.floor((below.crf + p.minCrf) / 2 / step) * step), p);
  } else {
    return finish('within-tolerance');
  }
  if (tried.has(next)) return finish('bracket-exhausted');
  return { done: false, nextCrf: next };
}
