/**
 * What every rate controller returns, and the bounds they share. Pure types and helpers.
 */

/** Why a controller chose its target; one word for logs, `/stats` and plots. */
export const RATE_REASONS = [
  /** No feedback yet: the start bitrate stands. */
  'waiting',
  /** Nothing to change. */
  'hold',
  /** GCC: far below any known link capacity, multiplicative increase. */
  'increase-multiplicative',
  /** GCC: near the link capacity estimate, additive increase. */
  'increase-additive',
  /** GCC: the delay detector signalled over-use. */
  'decrease-overuse',
  /** GCC: a standing queue is being drained below the base target. */
  'drain',
  /** GCC: the link rate measured on every frame is far above the target: most of the way at once. */
  'increase-link-rate',
  /** GCC: a probe step above the current target started. */
  'probe-start',
  /** GCC: a probe step held without queueing and became the new target. */
  'probe-ok',
  /** GCC: a probe caused queueing and was withdrawn. */
  'probe-failed',
  /** GCC: loss above the high threshold. */
  'loss-decrease',
  /** GCC: loss between the thresholds, increases withheld. */
  'loss-hold',
  /** No feedback for too long. */
  'feedback-timeout',
  /** PID: the control output. */
  'pid',
  /** PID: a short slowdown that lets the queue empty so the base delay is measured afresh. */
  'base-refresh',
  /** Fixed bitrate (`--abr off`). */
  'fixed',
] as const;
/** One of {@link RATE_REASONS}. */
export type RateReason = (typeof RATE_REASONS)[number];

/** A controller's decision for the encoder. */
export interface RateDecision {
  /** Bitrate the encoder should aim for, bits per second, within the controller's bounds. */
  readonly targetBitrateBps: number;
  /** Why. */
  readonly reason: RateReason;
}

/** Bitrate bounds of a profile. */
export interface BitrateBounds {
  /** Floor, bits per second. */
  readonly minBitrateBps: number;
  /** Ceiling, bits per second. */
  readonly maxBitrateBps: number;
}

/** `bitrateBps` clamped into `bounds`; a non-finite input gives the floor. */
export function clampBitrate(bitrateBps: number, bounds: BitrateBounds): number {
  if (!Number.isFinite(bitrateBps)) return bounds.minBitrateBps;
  return Math.min(bounds.maxBitrateBps, Math.max(bounds.minBitrateBps, bitrateBps));
}
