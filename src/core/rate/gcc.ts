/**
 * A delay-based rate controller in the style of WebRTC's Google Congestion Control (goog_cc:
 * trendline over-use detector with an adaptive threshold, AIMD rate control, loss rules), working
 * on whole video frames instead of RTP packet groups, with three additions that make it fit a
 * live high-bitrate stream:
 *
 * 1. **Probing ramp-up.** When the delay is flat and what is sent is delivered, the target is
 *    stepped up — 1.25× far below the link estimate, or to 3% above the estimate's upper bound
 *    near it — and the frames sent in the next 200 ms (400 ms near) are judged when their
 *    feedback is in: delivered as fast as sent (and, near, faster than the estimate allowed),
 *    the step stays and the next one follows at once; a queue, over-use or loss withdraws it
 *    at once and the next probe waits 1–2 s. GCC's own ramp near its link estimate is tens of
 *    kbit/s per second; this brings 5 → 20 Mbit/s back in two to four seconds.
 * 2. **Queue drain.** After a capacity drop the queue built before the detector fired would take
 *    seconds to drain at 0.85 × capacity, so while the observed queuing delay is high the output
 *    is lowered further by the estimated queued bits over `drainTimeMs` (the stored target is
 *    unchanged, so the output returns to it as the queue empties).
 * 3. **Queue guards.** A queuing delay above `queueOveruseMs` that is still growing, or a standing
 *    queue above `standingQueueLimitMs`, also counts as over-use: the trendline cannot see a
 *    send rate a few per cent above capacity, and frames make a coarser signal than packets.
 *
 * Additive increase is GCC's "one transmission unit per response time", with the unit a frame
 * rather than a packet.
 *
 * Pure: `gccStep(state, observation, nowMs, params) → { state, decision }`.
 */

import { clampBitrate } from './decision.ts';
import type { BitrateBounds, RateDecision, RateReason } from './decision.ts';
import type { RateObservation } from './estimator.ts';

/** Tunables of {@link gccStep}; build them with {@link createGccParams}. */
export interface GccParams extends BitrateBounds {
  // Over-use detector (trendline_estimator.cc).
  /** Scales the trend before it is compared with the threshold (GCC: 4). */
  readonly thresholdGain: number;
  /** Initial adaptive threshold (GCC: 12.5). */
  readonly initialThreshold: number;
  /** Threshold bounds (GCC: 6 and 600). */
  readonly minThreshold: number;
  readonly maxThreshold: number;
  /** Threshold adaptation per millisecond when the trend is above / below it (GCC: 0.0087, 0.039). */
  readonly thresholdUpGain: number;
  readonly thresholdDownGain: number;
  /** The threshold does not adapt to trends further above it than this (GCC: 15). */
  readonly maxAdaptOffset: number;
  /** Longest time step the threshold adapts over, ms (GCC: 100). */
  readonly maxThresholdStepMs: number;
  /** Over-use must last this long before it is signalled, ms (GCC: 10). */
  readonly overuseTimeThresholdMs: number;
  /** Cap on the delta count that multiplies the trend (GCC's `kMinNumDeltas`: 60). */
  readonly maxTrendSamples: number;
  /** A queuing delay above this that is still growing is over-use, ms (addition). */
  readonly queueOveruseMs: number;
  /** A standing queue above this is over-use, ms (addition). */
  readonly standingQueueLimitMs: number;

  // AIMD rate control (aimd_rate_control.cc).
  /** Decrease to this times the measured throughput on over-use (GCC: 0.85). */
  readonly beta: number;
  /** Multiplicative increase per second far from the link estimate (GCC: 1.08). */
  readonly multiplicativeIncreasePerS: number;
  /** Added to the RTT to get the response time of additive increase, ms (GCC: 100). */
  readonly responseTimeExtraMs: number;
  /** Additive increase is this many units per response time (GCC: half a packet). */
  readonly additiveUnitsPerResponseTime: number;
  /**
   * The unit of additive increase: `null` for one video frame (this controller), or a packet
   * size in bytes (GCC: about 1200) for plain GCC's much slower ramp.
   */
  readonly additivePacketBytes: number | null;
  /** Smallest additive increase, bit/s per second (GCC: 4000). */
  readonly minAdditiveIncreaseBpsPerS: number;
  /** Increases stop above this times the throughput plus `throughputLimitExtraBps` (GCC: 1.5, 10k). */
  readonly throughputLimitFactor: number;
  readonly throughputLimitExtraBps: number;
  /** Smoothing of the link capacity estimate at each over-use (GCC: 0.05). */
  readonly linkEstimateAlpha: number;
  /** Bounds of the normalised variance of that estimate (GCC: 0.4 and 2.5). */
  readonly linkDeviationMin: number;
  readonly linkDeviationMax: number;
  /**
   * The estimate's bounds are at least this fraction either side of it (addition: GCC's three
   * standard deviations shrink to about 1% at 20 Mbit/s, and one throughput sample taken during a
   * transient would then reset the estimate and restart the fast ramp-up).
   */
  readonly linkBoundMinFraction: number;
  /** Fallback frame rate for additive increase before one is measured. */
  readonly frameRateHz: number;

  // Queue drain (addition).
  /** The queued bits are drained over this long, ms. */
  readonly drainTimeMs: number;
  /** Drain only while the observed queuing delay is above this, ms. */
  readonly drainMinQueueMs: number;

  // Loss rules (send_side_bandwidth_estimation.cc).
  /** Above this loss the target drops by half the loss (GCC: 10%). */
  readonly lossHigh: number;
  /** Below this loss increases are allowed (GCC: 2%). */
  readonly lossLow: number;
  /** Loss decreases are at least this plus one RTT apart, ms (GCC: 300). */
  readonly lossDecreaseIntervalMs: number;

  // Probing (addition).
  /** Probing on (false gives plain GCC). */
  readonly probing: boolean;
  /** Probe step with no link estimate, or far below it. */
  readonly probeFactorFar: number;
  /**
   * Probe step near the link estimate: to this factor above the larger of the current target and
   * the estimate's upper bound, so a success proves the estimate stale.
   */
  readonly probeFactorNear: number;
  /** Below this fraction of the link estimate the far probe step applies. */
  readonly probeNearFraction: number;
  /**
   * Between `probeNearFraction` and this fraction of the estimate no probe starts (additive
   * increase climbs); from here up, near probes test just above the estimate.
   */
  readonly probeNearStartFraction: number;
  /**
   * A probe is judged on the frames sent during its first this many ms (far / near probes),
   * once their feedback is in. Near probes measure longer: their step is small.
   */
  readonly probeFarDurationMs: number;
  readonly probeNearDurationMs: number;
  /** Wait after a decrease before probing, ms. */
  readonly probeAfterDecreaseMs: number;
  /** Back-off after a failed probe, doubled at each failure up to the maximum, ms. */
  readonly probeBackoffMinMs: number;
  readonly probeBackoffMaxMs: number;
  /** A probe starts only with the queuing delay at most this, ms. */
  readonly probeMaxQueueMs: number;
  /** A probe fails at once when the queuing delay exceeds this, ms. */
  readonly probeGuardQueueMs: number;
  /**
   * A probe succeeds if its frames were delivered at this fraction of the rate they were sent,
   * and starts only when the observation's `deliveryRatio` is at least this at the current rate.
   */
  readonly probeSuccessFraction: number;
  /** ... and if their delivered rate reached this fraction of the probe target. */
  readonly probeFillFraction: number;

  /** Without feedback for this long (or three RTTs), the target halves, ms. */
  readonly feedbackTimeoutMs: number;

  // Sender-side signals (addition).
  /**
   * Count the wait of the oldest frame still in flight (beyond the smallest round trip and one
   * frame interval) as queuing delay: a queue shows before the first report about it arrives.
   */
  readonly pendingDelayGuard: boolean;
  /**
   * Use the link rate measured from frame arrivals: decreases go no higher than beta × the
   * recent link rate, and a probe far below the link rate steps to `probeLinkFraction` of it
   * (at most `probeMaxFactor` × the target) instead of `probeFactorFar`.
   */
  readonly useLinkRate: boolean;
  readonly probeLinkFraction: number;
  readonly probeMaxFactor: number;
  /** A probe that would pass the measured link rate goes this far above it (at most `probeFactorFar` ×). */
  readonly probeAboveLinkFactor: number;
  /** Additive and multiplicative increases stop at this fraction of the measured link rate. */
  readonly linkRateCapFraction: number;
  /**
   * For this long after the link rate was last measured, increases stay under it even when the
   * link has not been busy since (a stream held just under the link does not fill it), ms.
   */
  readonly linkRateMemoryMs: number;
  /** Under this fraction of the link rate measured now, the target goes to `probeLinkFraction` of it. */
  readonly linkRateJumpBelowFraction: number;
  /** A target above this times the recent link rate is over-use. */
  readonly linkRateOveruseFactor: number;
}

/** Default GCC tunables apart from the bounds; every constant is explained in docs/abr.md. */
export const DEFAULT_GCC_TUNING: Omit<GccParams, keyof BitrateBounds> = {
  thresholdGain: 4,
  initialThreshold: 12.5,
  minThreshold: 6,
  maxThreshold: 600,
  thresholdUpGain: 0.0087,
  thresholdDownGain: 0.039,
  maxAdaptOffset: 15,
  maxThresholdStepMs: 100,
  overuseTimeThresholdMs: 10,
  maxTrendSamples: 60,
  queueOveruseMs: 60,
  standingQueueLimitMs: 30,
  beta: 0.85,
  multiplicativeIncreasePerS: 1.08,
  responseTimeExtraMs: 100,
  additiveUnitsPerResponseTime: 0.5,
  additivePacketBytes: null,
  minAdditiveIncreaseBpsPerS: 4_000,
  throughputLimitFactor: 1.5,
  throughputLimitExtraBps: 10_000,
  linkEstimateAlpha: 0.05,
  linkDeviationMin: 0.4,
  linkDeviationMax: 2.5,
  linkBoundMinFraction: 0.03,
  frameRateHz: 60,
  drainTimeMs: 300,
  drainMinQueueMs: 100,
  lossHigh: 0.1,
  lossLow: 0.02,
  lossDecreaseIntervalMs: 300,
  probing: true,
  probeFactorFar: 1.25,
  probeFactorNear: 1.03,
  probeNearFraction: 0.7,
  probeNearStartFraction: 0.85,
  probeFarDurationMs: 200,
  probeNearDurationMs: 400,
  probeAfterDecreaseMs: 1_000,
  probeBackoffMinMs: 1_000,
  probeBackoffMaxMs: 2_000,
  probeMaxQueueMs: 10,
  probeGuardQueueMs: 25,
  probeSuccessFraction: 0.95,
  probeFillFraction: 0.8,
  feedbackTimeoutMs: 1_000,
  pendingDelayGuard: true,
  useLinkRate: true,
  probeLinkFraction: 0.9,
  probeMaxFactor: 2,
  probeAboveLinkFactor: 1.03,
  linkRateCapFraction: 0.97,
  linkRateMemoryMs: 3_000,
  linkRateJumpBelowFraction: 0.85,
  linkRateOveruseFactor: 1.1,
};

/** GCC parameters for `bounds`, with any tunable overridden. */
export function createGccParams(
  bounds: BitrateBounds,
  overrides: Partial<Omit<GccParams, keyof BitrateBounds>> = {},
): GccParams {
  return {
    ...DEFAULT_GCC_TUNING,
    ...overrides,
    minBitrateBps: bounds.minBitrateBps,
    maxBitrateBps: bounds.maxBitrateBps,
  };
}

/** The over-use detector's verdict (GCC's `BandwidthUsage`). */
export const BANDWIDTH_USAGES = ['normal', 'overusing', 'underusing'] as const;
/** One of {@link BANDWIDTH_USAGES}. */
export type BandwidthUsage = (typeof BANDWIDTH_USAGES)[number];

/** State of the over-use detector. */
export interface OveruseDetectorState {
  readonly hypothesis: BandwidthUsage;
  /** Adaptive threshold on the modified trend. */
  readonly threshold: number;
  /** Time spent above the threshold, ms; -1 when not over it. */
  readonly timeOverUsingMs: number;
  readonly overuseCounter: number;
  readonly prevTrend: number;
  readonly prevQueuingDelayMs: number;
  readonly lastUpdateMs: number | null;
  readonly lastThresholdUpdateMs: number | null;
}

/** GCC link capacity estimate: mean and normalised variance of throughput at over-use, kbit/s. */
export interface LinkCapacityEstimate {
  readonly estimateKbps: number;
  readonly deviation: number;
}

/** The probe in progress, if any. */
export interface ProbeState {
  readonly active: boolean;
  /** A near probe (just above the link estimate) rather than a far one. */
  readonly near: boolean;
  /** Target before the probe step, restored when the probe fails. */
  readonly baseBitrateBps: number;
  readonly probeBitrateBps: number;
  /** A near probe must deliver more than this to succeed (the capacity it tests above), bit/s. */
  readonly refBps: number;
  readonly startedMs: number;
  /** The probe's frames are those sent from `startedMs` to this, ms. */
  readonly endSendMs: number;
  /** Counters at the first reported frame of the probe (see `RateObservation.deliveredBytes`). */
  readonly mark: { readonly bytes: number; readonly sendMs: number; readonly receiveMs: number } | null;
  /** No probe starts before this. */
  readonly nextProbeMs: number;
  readonly backoffMs: number;
  /** After a failed probe, over-use does not cut below the restored target until this time. */
  readonly recoverUntilMs: number;
}

/** State of {@link gccStep}: an immutable value. */
export interface GccState {
  /** The target before the drain adjustment (the AIMD rate). */
  readonly bitrateBps: number;
  readonly rateControl: 'hold' | 'increase' | 'decrease';
  readonly detector: OveruseDetectorState;
  readonly link: LinkCapacityEstimate | null;
  readonly probe: ProbeState;
  readonly lastChangeMs: number | null;
  readonly lastDecreaseMs: number | null;
  readonly lastLossDecreaseMs: number | null;
  readonly lastTimeoutDecreaseMs: number | null;
  readonly lastFeedbackCount: number;
  /**
   * A probe delivered this rate: a measured link rate below it is out of date and ignored until
   * the next decrease (bit/s; 0: none).
   */
  readonly linkRateFloorBps: number;
  /** The last link rate measured (kept after the observation forgets it), for sizing probes. */
  readonly lastLinkRateBps: number | null;
  /** When it was last measured, ms. */
  readonly lastLinkRateAtMs: number | null;
}

/** A GCC state starting at `startBitrateBps` (clamped into the bounds). */
export function createGccState(startBitrateBps: number, params: GccParams): GccState {
  return {
    bitrateBps: clampBitrate(startBitrateBps, params),
    rateControl: 'hold',
    detector: {
      hypothesis: 'normal',
      threshold: params.initialThreshold,
      timeOverUsingMs: -1,
      overuseCounter: 0,
      prevTrend: 0,
      prevQueuingDelayMs: 0,
      lastUpdateMs: null,
      lastThresholdUpdateMs: null,
    },
    link: null,
    probe: {
      active: false,
      near: false,
      baseBitrateBps: 0,
      probeBitrateBps: 0,
      refBps: 0,
      startedMs: 0,
      endSendMs: 0,
      mark: null,
      nextProbeMs: 0,
      backoffMs: params.probeBackoffMinMs,
      recoverUntilMs: 0,
    },
    lastChangeMs: null,
    lastDecreaseMs: null,
    lastLossDecreaseMs: null,
    lastTimeoutDecreaseMs: null,
    lastFeedbackCount: 0,
    linkRateFloorBps: 0,
    lastLinkRateBps: null,
    lastLinkRateAtMs: null,
  };
}

/**
 * One GCC step at `nowMs`: updates the over-use detector on fresh feedback, runs the AIMD state
 * machine, the probe and the loss rules, and returns the target for the encoder.
 */
export function gccStep(
  state: GccState,
  obs: RateObservation,
  nowMs: number,
  params: GccParams,
): { state: GccState; decision: RateDecision } {
  if (obs.feedbackAgeMs === null) {
    return { state, decision: { targetBitrateBps: state.bitrateBps, reason: 'waiting' } };
  }
  const rttMs = obs.rttMs;

  // No feedback for a while: halve, at most once per timeout.
  const timeoutMs = Math.max(params.feedbackTimeoutMs, 3 * rttMs);
  if (obs.feedbackAgeMs > timeoutMs) {
    if (state.lastTimeoutDecreaseMs === null || nowMs - state.lastTimeoutDecreaseMs >= timeoutMs) {
      const bitrateBps = clampBitrate(state.bitrateBps * 0.5, params);
      const next: GccState = {
        ...state,
        bitrateBps,
        rateControl: 'hold',
        probe: { ...state.probe, active: false },
        lastTimeoutDecreaseMs: nowMs,
        lastChangeMs: nowMs,
        lastDecreaseMs: nowMs,
      };
      return { state: next, decision: { targetBitrateBps: bitrateBps, reason: 'feedback-timeout' } };
    }
    return { state, decision: { targetBitrateBps: state.bitrateBps, reason: 'feedback-timeout' } };
  }

  const fresh = obs.feedbackCount !== state.lastFeedbackCount;
  let detector = fresh ? detectOveruse(state.detector, obs, nowMs, params) : state.detector;
  // A target well above what the last few frames show the link carrying is over-use, queue or
  // not (the in-flight window can keep the queue short after a drop while frames pile up at the
  // sender).
  if (
    params.useLinkRate &&
    obs.recentLinkRateBps !== null &&
    state.bitrateBps > params.linkRateOveruseFactor * obs.recentLinkRateBps
  ) {
    detector = { ...detector, hypothesis: 'overusing' };
  }
  let s: GccState = {
    ...state,
    detector,
    lastFeedbackCount: obs.feedbackCount,
    lastLinkRateBps: obs.linkRateBps ?? state.lastLinkRateBps,
    lastLinkRateAtMs: obs.linkRateBps !== null ? nowMs : state.lastLinkRateAtMs,
  };
  let reason: RateReason = 'hold';
  const throughputBps = obs.throughputBps ?? obs.recentThroughputBps;
  const recentBps = obs.recentThroughputBps ?? obs.throughputBps;

  // A probe in progress is judged first: its guard backs off at once.
  if (s.probe.active) {
    const failed =
      detector.hypothesis === 'overusing' ||
      obs.queuingDelayMs > params.probeGuardQueueMs ||
      obs.lossRate > params.lossHigh;
    if (failed) {
      const backoffMs = Math.min(params.probeBackoffMaxMs, s.probe.backoffMs * 2);
      const bitrateBps = Math.min(s.bitrateBps, s.probe.baseBitrateBps);
      s = {
        ...s,
        bitrateBps,
        rateControl: 'hold',
        link: recentBps === null ? s.link : updateLink(s.link, recentBps, params),
        // The queue the probe made is the probe's: withdrawing the step is the decrease, and
        // over-use read while that queue drains does not cut again (unless the queue is large).
        probe: {
          ...s.probe,
          active: false,
          nextProbeMs: nowMs + backoffMs,
          backoffMs,
          recoverUntilMs: nowMs + rttMs + params.probeFarDurationMs,
        },
        lastChangeMs: nowMs,
      };
      return finish(s, obs, params, 'probe-failed');
    }
    // Mark the counters at the first reported frame sent after the step, judge once the last
    // frame of the probe is reported.
    let mark = s.probe.mark;
    if (mark === null && obs.lastSendTimeMs !== null && obs.lastSendTimeMs > s.probe.startedMs) {
      mark = { bytes: obs.deliveredBytes, sendMs: obs.lastSendTimeMs, receiveMs: obs.lastReceiveTimeMs ?? 0 };
      s = { ...s, probe: { ...s.probe, mark } };
    }
    const timedOut = nowMs > s.probe.endSendMs + 2 * rttMs + params.feedbackTimeoutMs;
    if (
      timedOut ||
      (mark !== null && obs.lastSendTimeMs !== null && obs.lastSendTimeMs >= s.probe.endSendMs)
    ) {
      // A probe succeeds when its frames arrived as fast as they were sent (the encoder's
      // frame-size noise cancels in this ratio) and the encoder filled most of the step. A near
      // probe must also have carried more than the link estimate's upper bound: that, not the
      // absence of a queue, is what shows the estimate to be stale.
      const receiveSpanMs = mark === null ? 0 : (obs.lastReceiveTimeMs ?? 0) - mark.receiveMs;
      const sendSpanMs = mark === null ? 0 : (obs.lastSendTimeMs ?? 0) - mark.sendMs;
      const probeRateBps =
        mark !== null && receiveSpanMs > 0
          ? ((obs.deliveredBytes - mark.bytes) * 8 * 1000) / receiveSpanMs
          : 0;
      const link = s.link;
      const delivered =
        !timedOut &&
        receiveSpanMs > 0 &&
        sendSpanMs / receiveSpanMs >= params.probeSuccessFraction &&
        probeRateBps >= params.probeFillFraction * s.probe.probeBitrateBps &&
        (!s.probe.near || probeRateBps > s.probe.refBps);
      if (delivered) {
        s = {
          ...s,
          link: link !== null && probeRateBps > linkUpperBps(link, params) ? null : link,
          linkRateFloorBps: Math.max(s.linkRateFloorBps, probeRateBps),
          probe: { ...s.probe, active: false, nextProbeMs: nowMs, backoffMs: params.probeBackoffMinMs },
          lastChangeMs: nowMs,
        };
        reason = 'probe-ok';
      } else {
        // Not carried, though without a queue to show for it (yet): the link is at capacity, or
        // the encoder did not fill the step. Withdraw it like a failure; with no queue at all the
        // probe was inconclusive (encoder noise) and the next one comes after the shortest wait.
        const inconclusive = obs.queuingDelayMs <= params.probeMaxQueueMs && !timedOut;
        const backoffMs = inconclusive
          ? params.probeBackoffMinMs
          : Math.min(params.probeBackoffMaxMs, s.probe.backoffMs * 2);
        s = {
          ...s,
          bitrateBps: Math.min(s.bitrateBps, s.probe.baseBitrateBps),
          probe: { ...s.probe, active: false, nextProbeMs: nowMs + backoffMs, backoffMs },
          lastChangeMs: nowMs,
        };
        return finish(s, obs, params, 'probe-failed');
      }
    } else {
      return finish(s, obs, params, 'hold');
    }
  }

  // AIMD state machine (aimd_rate_control.cc ChangeState).
  let rateControl = s.rateControl;
  if (detector.hypothesis === 'overusing') rateControl = 'decrease';
  else if (detector.hypothesis === 'underusing') rateControl = 'hold';
  else if (rateControl === 'hold') {
    rateControl = 'increase';
    s = { ...s, lastChangeMs: nowMs };
  }

  if (
    rateControl === 'decrease' &&
    effectiveQueueMs(obs, params) <= params.queueOveruseMs &&
    (nowMs < s.probe.recoverUntilMs || underLinkRate(s, obs, params))
  ) {
    rateControl = 'hold';
  }
  if (rateControl === 'decrease') {
    const reduceIntervalMs = Math.min(200, Math.max(10, rttMs));
    const timeToReduce =
      s.lastChangeMs === null ||
      nowMs - s.lastChangeMs >= reduceIntervalMs ||
      (recentBps !== null && recentBps < 0.5 * s.bitrateBps);
    if (timeToReduce && recentBps !== null) {
      // Frames arriving back to back show the link's rate before the throughput window does.
      // The link's rate, measured on the last few frames, is what the link carries; the delivered
      // throughput over a few frames dips below it with every hiccup of the sender.
      const linkBps = params.useLinkRate ? obs.recentLinkRateBps : null;
      s = { ...s, linkRateFloorBps: 0 };
      let decreased = params.beta * (linkBps ?? recentBps);
      if (decreased > s.bitrateBps && s.link !== null) decreased = params.beta * s.link.estimateKbps * 1000;
      let link = s.link;
      if (link !== null && recentBps < linkLowerBps(link, params)) link = null;
      link = updateLink(link, recentBps, params);
      s = {
        ...s,
        bitrateBps: decreased < s.bitrateBps ? decreased : s.bitrateBps,
        link,
        rateControl: 'hold',
        lastChangeMs: nowMs,
        lastDecreaseMs: nowMs,
      };
      if (decreased < state.bitrateBps) reason = 'decrease-overuse';
    } else {
      s = { ...s, rateControl: 'decrease' };
    }
  } else if (rateControl === 'increase') {
    let link = s.link;
    const linkRateBps = usableLinkRate(s, obs, params);
    const linkRateAbove =
      link !== null &&
      linkRateBps !== null &&
      params.probeLinkFraction * linkRateBps > params.probeFactorFar * linkUpperBps(link, params);
    if (
      (throughputBps !== null && link !== null && throughputBps > linkUpperBps(link, params)) ||
      linkRateAbove
    ) {
      // More gets through than the link was thought to carry, or frames arrive at a rate well
      // above it: find out how much more, now.
      link = null;
      s = { ...s, probe: { ...s.probe, nextProbeMs: nowMs, backoffMs: params.probeBackoffMinMs } };
    }
    const lastMs = s.lastChangeMs ?? nowMs;
    const dtMs = Math.max(0, nowMs - lastMs);
    let limitBps =
      throughputBps === null
        ? s.bitrateBps
        : params.throughputLimitFactor * throughputBps + params.throughputLimitExtraBps;
    // Increases stop just under the link rate last measured (also for `linkRateMemoryMs` after,
    // when the link has not been busy since: a stream held just under it does not fill it): past
    // it they only build a queue. Probes still test above it, and one that delivers more lifts
    // this (`linkRateFloorBps`).
    const capRateBps = rememberedLinkRate(s, obs, nowMs, params);
    if (capRateBps !== null) limitBps = Math.min(limitBps, params.linkRateCapFraction * capRateBps);
    let bitrateBps = s.bitrateBps;
    if (bitrateBps < limitBps) {
      if (link !== null) {
        const frameRateHz = obs.frameRateHz ?? params.frameRateHz;
        const responseS = (rttMs + params.responseTimeExtraMs) / 1000;
        const unitBits =
          params.additivePacketBytes === null
            ? bitrateBps / frameRateHz
            : Math.min(bitrateBps / frameRateHz, params.additivePacketBytes * 8);
        const perS = Math.max(
          params.minAdditiveIncreaseBpsPerS,
          (params.additiveUnitsPerResponseTime * unitBits) / responseS,
        );
        bitrateBps += (perS * dtMs) / 1000;
        reason = 'increase-additive';
      } else {
        const alpha = Math.pow(params.multiplicativeIncreasePerS, Math.min(dtMs / 1000, 1));
        bitrateBps += Math.max(bitrateBps * (alpha - 1), 1000 * Math.min(dtMs / 1000, 1));
        reason = 'increase-multiplicative';
      }
      bitrateBps = Math.min(bitrateBps, limitBps);
    }
    // A link rate measured now, clearly above the target (the frames' own transmission shows it,
    // see the estimator's first-byte samples): go to `probeLinkFraction` of it at once, no probe
    // needed — but not within `probeAfterDecreaseMs` of a decrease, which had its reasons.
    if (
      linkRateBps !== null &&
      s.bitrateBps < params.linkRateJumpBelowFraction * linkRateBps &&
      (s.lastDecreaseMs === null || nowMs - s.lastDecreaseMs >= params.probeAfterDecreaseMs)
    ) {
      const jumpBps = params.probeLinkFraction * linkRateBps;
      if (jumpBps > bitrateBps) {
        bitrateBps = jumpBps;
        reason = 'increase-link-rate';
      }
    }
    s = { ...s, link, bitrateBps: Math.max(bitrateBps, s.bitrateBps), rateControl, lastChangeMs: nowMs };
  } else {
    s = { ...s, rateControl };
  }

  // Loss rules: above `lossHigh` cut by half the loss, between the thresholds no increase.
  if (obs.lossRate > params.lossHigh) {
    const intervalMs = params.lossDecreaseIntervalMs + rttMs;
    if (s.lastLossDecreaseMs === null || nowMs - s.lastLossDecreaseMs >= intervalMs) {
      s = {
        ...s,
        bitrateBps: Math.min(s.bitrateBps, state.bitrateBps) * (1 - 0.5 * obs.lossRate),
        lastLossDecreaseMs: nowMs,
        lastChangeMs: nowMs,
      };
      reason = 'loss-decrease';
    } else if (s.bitrateBps > state.bitrateBps) {
      s = { ...s, bitrateBps: state.bitrateBps };
      reason = 'loss-hold';
    }
  } else if (obs.lossRate >= params.lossLow && s.bitrateBps > state.bitrateBps) {
    s = { ...s, bitrateBps: state.bitrateBps };
    reason = 'loss-hold';
  }

  // Probe start: delay flat, what is sent is delivered, loss low, room above.
  if (
    params.probing &&
    reason !== 'decrease-overuse' &&
    reason !== 'loss-decrease' &&
    detector.hypothesis === 'normal' &&
    nowMs >= s.probe.nextProbeMs &&
    (s.lastDecreaseMs === null || nowMs - s.lastDecreaseMs >= params.probeAfterDecreaseMs) &&
    // A frame's own transmission time reads as queuing delay when frames have grown since the
    // smallest delay was recorded (after a fast ramp): allow one frame interval of it.
    obs.queuingDelayMs <= params.probeMaxQueueMs + 1000 / (obs.frameRateHz ?? params.frameRateHz) &&
    obs.lossRate < params.lossLow &&
    (obs.deliveryRatio === null || obs.deliveryRatio >= params.probeSuccessFraction) &&
    recentBps !== null &&
    recentBps >= params.probeSuccessFraction * s.bitrateBps &&
    s.bitrateBps < params.maxBitrateBps &&
    // A link rate measured now is the capacity: near it there is nothing to find out.
    !(
      params.useLinkRate &&
      obs.linkRateBps !== null &&
      obs.linkRateBps >= s.linkRateFloorBps &&
      s.bitrateBps >= params.probeNearFraction * obs.linkRateBps
    ) &&
    (s.link === null ||
      s.bitrateBps < params.probeNearFraction * s.link.estimateKbps * 1000 ||
      s.bitrateBps >= params.probeNearStartFraction * s.link.estimateKbps * 1000)
  ) {
    const near = s.link !== null && s.bitrateBps >= params.probeNearFraction * s.link.estimateKbps * 1000;
    // A near probe tests just above the link estimate's upper bound.
    const refBps = near && s.link !== null ? linkUpperBps(s.link, params) : 0;
    const probeBitrateBps = clampBitrate(
      near && s.link !== null
        ? Math.max(s.bitrateBps, refBps) * params.probeFactorNear
        : farProbeBps(
            s.bitrateBps,
            usableLinkRate(s, { ...obs, linkRateBps: s.lastLinkRateBps }, params),
            params,
          ),
      params,
    );
    s = {
      ...s,
      bitrateBps: probeBitrateBps,
      probe: {
        ...s.probe,
        active: true,
        near,
        refBps,
        baseBitrateBps: s.bitrateBps,
        probeBitrateBps,
        startedMs: nowMs,
        endSendMs: nowMs + (near ? params.probeNearDurationMs : params.probeFarDurationMs),
        mark: null,
      },
      lastChangeMs: nowMs,
    };
    reason = 'probe-start';
  }

  return finish(s, obs, params, reason);
}

/**
 * A far probe's target: `probeFactorFar` above the current one; with `useLinkRate` and a link
 * rate measured, `probeLinkFraction` of that rate when it is further above (at most
 * `probeMaxFactor` ×), or only `probeAboveLinkFactor` above the link rate (at least
 * `probeFactorNear` above the target) when the far step would pass it.
 */
function farProbeBps(bitrateBps: number, linkRateBps: number | null, params: GccParams): number {
  const step = bitrateBps * params.probeFactorFar;
  if (linkRateBps === null) return step;
  if (step > linkRateBps) {
    return Math.max(
      bitrateBps * params.probeFactorNear,
      Math.min(step, linkRateBps * params.probeAboveLinkFactor),
    );
  }
  return Math.max(step, Math.min(bitrateBps * params.probeMaxFactor, params.probeLinkFraction * linkRateBps));
}

/**
 * The link rate measured now, or else the one last measured if within `linkRateMemoryMs`, when
 * `useLinkRate` is on and no probe has since delivered more.
 */
function rememberedLinkRate(
  s: GccState,
  obs: RateObservation,
  nowMs: number,
  params: GccParams,
): number | null {
  const remembered =
    s.lastLinkRateAtMs !== null && nowMs - s.lastLinkRateAtMs <= params.linkRateMemoryMs
      ? s.lastLinkRateBps
      : null;
  return usableLinkRate(s, { ...obs, linkRateBps: obs.linkRateBps ?? remembered }, params);
}

/**
 * With `useLinkRate`: the target is at most the link rate measured (increases stop at
 * `linkRateCapFraction` of it), and the last few frames show no drop of it (their rate within `beta` of it), so a queue that is not
 * large is the sender's jitter, not over-use. After a capacity drop the recent link rate falls
 * within a few frames and this no longer holds.
 */
function underLinkRate(s: GccState, obs: RateObservation, params: GccParams): boolean {
  return (
    params.useLinkRate &&
    obs.linkRateBps !== null &&
    obs.recentLinkRateBps !== null &&
    obs.recentLinkRateBps >= params.beta * obs.linkRateBps &&
    s.bitrateBps <= obs.linkRateBps
  );
}

/** The observation's link rate when `useLinkRate` is on and no probe has since delivered more. */
function usableLinkRate(s: GccState, obs: RateObservation, params: GccParams): number | null {
  if (!params.useLinkRate || obs.linkRateBps === null || obs.linkRateBps < s.linkRateFloorBps) return null;
  // The rate of the last few frames when lower: after a capacity drop the longer median lags.
  return Math.min(obs.linkRateBps, obs.recentLinkRateBps ?? Infinity);
}

/**
 * The queuing delay to act on: the estimator's, or the wait of the oldest frame in flight beyond
 * one frame interval when that is longer (with `pendingDelayGuard`).
 */
export function effectiveQueueMs(obs: RateObservation, params: GccParams): number {
  if (!params.pendingDelayGuard) return obs.queuingDelayMs;
  const frameMs = 1000 / (obs.frameRateHz ?? params.frameRateHz);
  return Math.max(obs.queuingDelayMs, obs.pendingDelayMs - frameMs);
}

/** Clamps the stored rate and applies the queue drain to the output. */
function finish(
  s: GccState,
  obs: RateObservation,
  params: GccParams,
  reason: RateReason,
): { state: GccState; decision: RateDecision } {
  const bitrateBps = clampBitrate(s.bitrateBps, params);
  const state = bitrateBps === s.bitrateBps ? s : { ...s, bitrateBps };
  let targetBitrateBps = bitrateBps;
  let why = reason;
  if (effectiveQueueMs(obs, params) > params.drainMinQueueMs) {
    const rateBps = obs.recentThroughputBps ?? obs.throughputBps ?? bitrateBps;
    // In-flight bytes beyond one base RTT's worth at the delivery rate are sitting in a queue.
    const queuedBits = Math.max(0, obs.inFlightBytes * 8 - (rateBps * obs.minRttMs) / 1000);
    const drainBps = (queuedBits * 1000) / params.drainTimeMs;
    if (drainBps > 0) {
      targetBitrateBps = clampBitrate(bitrateBps - drainBps, params);
      const decisive: readonly RateReason[] = ['decrease-overuse', 'loss-decrease', 'probe-failed'];
      if (targetBitrateBps < bitrateBps && !decisive.includes(why)) why = 'drain';
    }
  }
  return { state, decision: { targetBitrateBps, reason: why } };
}

/** GCC's over-use detector (trendline_estimator.cc Detect and UpdateThreshold) plus queue guards. */
export function detectOveruse(
  d: OveruseDetectorState,
  obs: RateObservation,
  nowMs: number,
  params: GccParams,
): OveruseDetectorState {
  const tsDeltaMs = d.lastUpdateMs === null ? 0 : Math.max(0, nowMs - d.lastUpdateMs);
  const trend = obs.delayTrendMsPerMs;
  let hypothesis = d.hypothesis;
  let timeOverUsingMs = d.timeOverUsingMs;
  let overuseCounter = d.overuseCounter;
  let threshold = d.threshold;
  let lastThresholdUpdateMs = d.lastThresholdUpdateMs;
  const queueMs = effectiveQueueMs(obs, params);
  const growingQueue = queueMs > params.queueOveruseMs && queueMs > d.prevQueuingDelayMs;
  const standingQueue = obs.standingQueueMs > params.standingQueueLimitMs;

  if (obs.trendSamples >= 2) {
    const modifiedTrend = Math.min(obs.trendSamples, params.maxTrendSamples) * trend * params.thresholdGain;
    if (modifiedTrend > threshold) {
      timeOverUsingMs = timeOverUsingMs === -1 ? tsDeltaMs / 2 : timeOverUsingMs + tsDeltaMs;
      overuseCounter += 1;
      if (timeOverUsingMs > params.overuseTimeThresholdMs && overuseCounter > 1 && trend >= d.prevTrend) {
        timeOverUsingMs = 0;
        overuseCounter = 0;
        hypothesis = 'overusing';
      }
    } else if (modifiedTrend < -threshold) {
      timeOverUsingMs = -1;
      overuseCounter = 0;
      hypothesis = 'underusing';
    } else {
      timeOverUsingMs = -1;
      overuseCounter = 0;
      hypothesis = 'normal';
    }
    // Adaptive threshold: follows |modified trend| slowly upwards and faster downwards, but not
    // towards spikes far above it (a sudden capacity drop must stay detectable).
    const updateFromMs = lastThresholdUpdateMs ?? nowMs;
    const absTrend = Math.abs(modifiedTrend);
    if (absTrend <= threshold + params.maxAdaptOffset) {
      const k = absTrend < threshold ? params.thresholdDownGain : params.thresholdUpGain;
      const stepMs = Math.min(nowMs - updateFromMs, params.maxThresholdStepMs);
      threshold = Math.min(
        params.maxThreshold,
        Math.max(params.minThreshold, threshold + k * (absTrend - threshold) * stepMs),
      );
    }
    lastThresholdUpdateMs = nowMs;
  }
  if (growingQueue || standingQueue) hypothesis = 'overusing';
  else if (hypothesis === 'overusing' && obs.trendSamples < 2) hypothesis = 'normal';

  return {
    hypothesis,
    threshold,
    timeOverUsingMs,
    overuseCounter,
    prevTrend: obs.trendSamples >= 2 ? trend : d.prevTrend,
    prevQueuingDelayMs: queueMs,
    lastUpdateMs: nowMs,
    lastThresholdUpdateMs,
  };
}

/** Updates the link capacity estimate with a throughput sample taken at over-use. */
export function updateLink(
  link: LinkCapacityEstimate | null,
  throughputBps: number,
  params: GccParams,
): LinkCapacityEstimate {
  const sampleKbps = throughputBps / 1000;
  const a = params.linkEstimateAlpha;
  const estimateKbps = link === null ? sampleKbps : (1 - a) * link.estimateKbps + a * sampleKbps;
  const norm = Math.max(estimateKbps, 1);
  const errorKbps = estimateKbps - sampleKbps;
  const prevDeviation = link?.deviation ?? params.linkDeviationMin;
  const deviation = Math.min(
    params.linkDeviationMax,
    Math.max(params.linkDeviationMin, (1 - a) * prevDeviation + (a * errorKbps * errorKbps) / norm),
  );
  return { estimateKbps, deviation };
}

/** Upper bound of the link estimate: three standard deviations (or the minimum margin) above, bit/s. */
export function linkUpperBps(link: LinkCapacityEstimate, params: GccParams): number {
  return (link.estimateKbps + linkMarginKbps(link, params)) * 1000;
}

/** Lower bound of the link estimate: three standard deviations (or the minimum margin) below, bit/s. */
export function linkLowerBps(link: LinkCapacityEstimate, params: GccParams): number {
  return Math.max(0, link.estimateKbps - linkMarginKbps(link, params)) * 1000;
}

function linkMarginKbps(link: LinkCapacityEstimate, params: GccParams): number {
  return Math.max(
    3 * Math.sqrt(link.deviation * link.estimateKbps),
    params.linkBoundMinFraction * link.estimateKbps,
  );
}
