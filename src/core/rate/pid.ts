/**
 * The seeds' PID rate controller. It holds the queuing delay at a small set point: the error is
 * how far the measured queuing delay is from the set point, relative to it, and the output `u` is
 * a relative step from the delivered throughput,
 *
 *     target = base × (1 + u),  u = g × (kp·e + ki·∫e dt + kd·de/dt),  e = (setpoint − delay) / setpoint
 *
 * with `base` the short-window delivered throughput corrected for loss. When the link is not
 * full the queue is empty, `e` is 1 and the target climbs by up to `outputMax` per measurement;
 * when it is full the delivered throughput is the capacity and `u` settles where the queue sits
 * at the set point. The derivative uses the estimator's delay trend (de/dt = −trend / setpoint),
 * so a capacity drop pulls the target down before the delay itself is large.
 *
 * Anti-windup: the integral is clamped to ±`integralLimit` and frozen while the output is
 * saturated in the direction of the error or the target sits at a bound. The gains are scaled
 * by `min(1, √(rttReferenceMs / rtt))` so the loop stays stable on long paths.
 *
 * Base refresh: the queuing delay is measured against the smallest one-way delay seen, and a
 * controller that always keeps a queue never sees the true minimum again (a queue present at
 * start, or one that creeps as old minima expire, would be held for ever; and "the queue looked
 * empty" cannot be trusted, because it is measured against that same minimum). So
 * `refreshFirstMs` after the first feedback and then every `refreshIntervalMs`, the target drops
 * to `1 − refreshDepth` of its recent average until the delay stops reaching new lows (LEDBAT++'s periodic slowdown, made gentle: a 15% dip for a few hundred ms).
 *
 * Pure: `pidStep(state, observation, nowMs, params) → { state, decision }`.
 */

import { clampBitrate } from './decision.ts';
import type { BitrateBounds, RateDecision } from './decision.ts';
import type { RateObservation } from './estimator.ts';

/** Tunables of {@link pidStep}; build them with {@link createPidParams}. */
export interface PidParams extends BitrateBounds {
  /** Queuing delay the controller holds, ms. */
  readonly setpointDelayMs: number;
  /** Proportional gain (dimensionless). */
  readonly kp: number;
  /** Integral gain, per second. */
  readonly kiPerS: number;
  /** Derivative gain, seconds. */
  readonly kdS: number;
  /** The integral term is kept within ±this. */
  readonly integralLimit: number;
  /** Bounds of the output `u`: the largest relative cut and the largest relative step up. */
  readonly outputMin: number;
  readonly outputMax: number;
  /** The error is clamped below at this (a huge queue must not swamp the other terms). */
  readonly errorMin: number;
  /** Gains are scaled by min(1, √(this / RTT)), ms. */
  readonly rttReferenceMs: number;
  /**
   * Loss up to this is added back to the base (random loss is not congestion); above it the
   * target is never raised.
   */
  readonly lossCompensationMax: number;
  /** Without feedback for this long (or three RTTs), the target halves, ms. */
  readonly feedbackTimeoutMs: number;
  /** A base refresh starts this long after the previous one ended, ms. */
  readonly refreshIntervalMs: number;
  /** The first base refresh starts this long after the first feedback, ms. */
  readonly refreshFirstMs: number;
  /** During a refresh the target is this fraction below the average target before it. */
  readonly refreshDepth: number;
  /** Time constant of that average, seconds. */
  readonly averageS: number;
  /** A refresh lasts at least this plus one RTT, and at most `refreshMaxMs`, ms. */
  readonly refreshMinMs: number;
  readonly refreshMaxMs: number;
  /** It ends once the queuing delay has made no new low for this long, ms. */
  readonly refreshSettleMs: number;
  /** A new low must be this much below the previous one (frame-size noise), ms. */
  readonly refreshStepMs: number;
}

/** Default PID tunables apart from the bounds; explained in docs/abr.md. */
export const DEFAULT_PID_TUNING: Omit<PidParams, keyof BitrateBounds> = {
  setpointDelayMs: 20,
  kp: 0.15,
  kiPerS: 0.05,
  kdS: 0.005,
  integralLimit: 0.1,
  outputMin: -0.8,
  outputMax: 0.25,
  errorMin: -4,
  rttReferenceMs: 100,
  lossCompensationMax: 0.5,
  feedbackTimeoutMs: 1_000,
  refreshIntervalMs: 10_000,
  refreshFirstMs: 2_000,
  refreshDepth: 0.15,
  averageS: 1,
  refreshMinMs: 100,
  refreshMaxMs: 2_000,
  refreshSettleMs: 100,
  refreshStepMs: 0.5,
};

/** PID parameters for `bounds`, with any tunable overridden. */
export function createPidParams(
  bounds: BitrateBounds,
  overrides: Partial<Omit<PidParams, keyof BitrateBounds>> = {},
): PidParams {
  return {
    ...DEFAULT_PID_TUNING,
    ...overrides,
    minBitrateBps: bounds.minBitrateBps,
    maxBitrateBps: bounds.maxBitrateBps,
  };
}

/** State of {@link pidStep}: an immutable value. */
export interface PidState {
  readonly targetBitrateBps: number;
  /** Integral of the error, already multiplied by `kiPerS` (dimensionless). */
  readonly integral: number;
  readonly lastUpdateMs: number | null;
  readonly lastFeedbackCount: number;
  readonly lastTimeoutDecreaseMs: number | null;
  /** When the next base refresh starts, ms; `null` before the first feedback. */
  readonly nextRefreshMs: number | null;
  /** Start of the base refresh in progress, ms; `null` when none. */
  readonly refreshStartMs: number | null;
  /** Target held during that refresh, bit/s. */
  readonly refreshBitrateBps: number;
  /** The target averaged over about a second (the refresh steps down from this), bit/s. */
  readonly averageTargetBps: number;
  /** Lowest queuing delay read during that refresh, and when it was reached, ms. */
  readonly refreshLowMs: number;
  readonly refreshLowAtMs: number;
}

/** A PID state starting at `startBitrateBps` (clamped into the bounds). */
export function createPidState(startBitrateBps: number, params: PidParams): PidState {
  return {
    targetBitrateBps: clampBitrate(startBitrateBps, params),
    integral: 0,
    lastUpdateMs: null,
    lastFeedbackCount: 0,
    lastTimeoutDecreaseMs: null,
    nextRefreshMs: null,
    refreshStartMs: null,
    refreshBitrateBps: 0,
    averageTargetBps: clampBitrate(startBitrateBps, params),
    refreshLowMs: 0,
    refreshLowAtMs: 0,
  };
}

/** One PID step at `nowMs`; the controller moves only on fresh feedback. */
export function pidStep(
  state: PidState,
  obs: RateObservation,
  nowMs: number,
  params: PidParams,
): { state: PidState; decision: RateDecision } {
  if (obs.feedbackAgeMs === null) {
    return { state, decision: { targetBitrateBps: state.targetBitrateBps, reason: 'waiting' } };
  }
  const timeoutMs = Math.max(params.feedbackTimeoutMs, 3 * obs.rttMs);
  if (obs.feedbackAgeMs > timeoutMs) {
    if (state.lastTimeoutDecreaseMs === null || nowMs - state.lastTimeoutDecreaseMs >= timeoutMs) {
      const targetBitrateBps = clampBitrate(state.targetBitrateBps * 0.5, params);
      return {
        state: { ...state, targetBitrateBps, integral: 0, lastTimeoutDecreaseMs: nowMs, lastUpdateMs: nowMs },
        decision: { targetBitrateBps, reason: 'feedback-timeout' },
      };
    }
    return { state, decision: { targetBitrateBps: state.targetBitrateBps, reason: 'feedback-timeout' } };
  }
  const recentBps = obs.recentThroughputBps ?? obs.throughputBps;
  if (obs.feedbackCount === state.lastFeedbackCount || recentBps === null) {
    return { state, decision: { targetBitrateBps: state.targetBitrateBps, reason: 'hold' } };
  }

  const loss = Math.min(params.lossCompensationMax, Math.max(0, obs.lossRate));
  const baseBps = recentBps / (1 - loss);
  let nextRefreshMs = state.nextRefreshMs ?? nowMs + params.refreshFirstMs;

  // Base refresh: hold the target below the throughput until the delay stops reaching new lows.
  let refreshStartMs = state.refreshStartMs;
  let refreshBitrateBps = state.refreshBitrateBps;
  let refreshLowMs = state.refreshLowMs;
  let refreshLowAtMs = state.refreshLowAtMs;
  if (refreshStartMs === null && nowMs >= nextRefreshMs) {
    refreshStartMs = nowMs;
    refreshBitrateBps = clampBitrate(state.averageTargetBps * (1 - params.refreshDepth), params);
    refreshLowMs = obs.queuingDelayMs;
    refreshLowAtMs = nowMs;
  }
  if (refreshStartMs !== null) {
    // Still falling: a new low in this refresh, or a new minimum altogether (a biased base is
    // lowered frame by frame while the real queue drains, and then reads exactly 0).
    if (obs.queuingDelayMs === 0 || obs.queuingDelayMs < refreshLowMs - params.refreshStepMs) {
      refreshLowMs = Math.min(refreshLowMs, obs.queuingDelayMs);
      refreshLowAtMs = nowMs;
    }
    const elapsedMs = nowMs - refreshStartMs;
    const settled =
      elapsedMs >= params.refreshMinMs + obs.rttMs && nowMs - refreshLowAtMs >= params.refreshSettleMs;
    if (!settled && elapsedMs < params.refreshMaxMs) {
      return {
        state: {
          ...state,
          targetBitrateBps: refreshBitrateBps,
          lastUpdateMs: nowMs,
          lastFeedbackCount: obs.feedbackCount,
          nextRefreshMs,
          refreshStartMs,
          refreshBitrateBps,
          refreshLowMs,
          refreshLowAtMs,
        },
        decision: { targetBitrateBps: refreshBitrateBps, reason: 'base-refresh' },
      };
    }
    refreshStartMs = null;
    nextRefreshMs = nowMs + params.refreshIntervalMs;
  }

  const dtS = state.lastUpdateMs === null ? 0 : Math.max(0, nowMs - state.lastUpdateMs) / 1000;
  const setpoint = params.setpointDelayMs;
  const error = Math.min(1, Math.max(params.errorMin, (setpoint - obs.queuingDelayMs) / setpoint));
  // de/dt in 1/s: the delay trend is ms of delay per ms of time.
  const errorRatePerS = (-obs.delayTrendMsPerMs * 1000) / setpoint;
  const gain = Math.min(1, Math.sqrt(params.rttReferenceMs / Math.max(obs.rttMs, 1)));

  const candidate = Math.min(
    params.integralLimit,
    Math.max(-params.integralLimit, state.integral + params.kiPerS * error * dtS),
  );
  const raw = (i: number): number => gain * (params.kp * error + i + params.kdS * errorRatePerS);
  const uWith = raw(candidate);
  const targetWith = baseBps * (1 + Math.min(params.outputMax, Math.max(params.outputMin, uWith)));
  // Conditional integration: keep the old integral when the output (or the target) is pinned in
  // the direction the error pushes.
  const pinnedHigh = error > 0 && (uWith >= params.outputMax || targetWith >= params.maxBitrateBps);
  const pinnedLow = error < 0 && (uWith <= params.outputMin || targetWith <= params.minBitrateBps);
  const integral = pinnedHigh || pinnedLow ? state.integral : candidate;
  const u = Math.min(params.outputMax, Math.max(params.outputMin, raw(integral)));
  let targetBitrateBps = clampBitrate(baseBps * (1 + u), params);
  // Beyond the loss that compensation covers, the link is broken rather than full: never raise.
  if (obs.lossRate > params.lossCompensationMax)
    targetBitrateBps = Math.min(targetBitrateBps, state.targetBitrateBps);
  const averageTargetBps =
    state.averageTargetBps + (targetBitrateBps - state.averageTargetBps) * Math.min(1, dtS / params.averageS);
  return {
    state: {
      ...state,
      targetBitrateBps,
      averageTargetBps,
      integral,
      lastUpdateMs: nowMs,
      lastFeedbackCount: obs.feedbackCount,
      nextRefreshMs,
      refreshStartMs,
      refreshBitrateBps,
    },
    decision: { targetBitrateBps, reason: 'pid' },
  };
}
