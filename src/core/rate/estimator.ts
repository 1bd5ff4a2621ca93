/**
 * Network estimator for adaptive bitrate: turns what the sender sent and what the viewer reports
 * back into the figures the rate controllers need — delivered throughput, the one-way delay trend
 * (queues filling or emptying), the queuing delay itself, RTT and loss.
 *
 * Pure: every function takes the current time as an argument and returns a new state; nothing
 * here reads a clock. The state is an immutable value, so a recorded trace of inputs replays to
 * the same outputs.
 *
 * Inputs, in the order they usually happen:
 * - {@link estimatorOnSent} when a frame leaves the sender (sequence number, send time, size);
 * - {@link estimatorOnFeedback} when the viewer's per-frame report arrives (the same, plus the
 *   receive time in the *viewer's* clock — only differences of receive times are used, so the
 *   two clocks need not agree);
 * - {@link estimatorOnRtt} for each ping/pong round trip.
 *
 * Sequence numbers are plain increasing integers (unwrap wire sequence numbers before they get
 * here). A gap in the reported sequence numbers counts as loss; a report for a sequence number
 * below the highest one seen is a *late* frame (it arrived out of order): it stops counting as
 * lost and is counted as late.
 */

/** Tunables of the estimator. The defaults are {@link DEFAULT_ESTIMATOR_PARAMS}. */
export interface EstimatorParams {
  /** Frames in the throughput window (the seeds' one second at 60 fps). */
  readonly windowSamples: number;
  /** Frames in the short throughput window that reacts to a capacity drop within a few frames. */
  readonly shortWindowSamples: number;
  /** Throughputs are `null` until this many frames are in their window. */
  readonly minThroughputSamples: number;
  /** Points in the trendline regression (GCC uses 20 packet groups). */
  readonly trendlineWindowSamples: number;
  /** Exponential smoothing of the accumulated delay before the regression (GCC: 0.9). */
  readonly trendlineSmoothing: number;
  /** How long the minimum one-way delay (the "no queue" base) is remembered. */
  readonly baseDelayWindowMs: number;
  /** The base delay is kept as one minimum per bucket of this length. */
  readonly baseDelayBucketMs: number;
  /** Window for the standing queue: the smallest queuing delay over this much receive time. */
  readonly standingQueueWindowMs: number;
  /** Sequence numbers over which the loss rate is measured. */
  readonly lossWindowFrames: number;
  /** Gain of the smoothed RTT (RFC 6298's alpha). */
  readonly rttSmoothing: number;
  /** RTT assumed until the first sample. */
  readonly initialRttMs: number;
  /** A sent frame without feedback after this long no longer counts as in flight. */
  readonly inFlightTimeoutMs: number;
  /** Per-frame link-rate (dispersion) samples behind {@link RateObservation.linkRateBps}. */
  readonly linkRateSamples: number;
  /** Samples behind {@link RateObservation.recentLinkRateBps}. */
  readonly recentLinkRateSamples: number;
  /** The link rate is forgotten this long after its newest sample (the link was not busy since), ms. */
  readonly linkRateMaxAgeMs: number;
  /**
   * Take each frame's own transmission time at the measured link rate out of its receive time
   * before delays are computed (see {@link estimatorOnFeedback}). On for real links, where the
   * viewer timestamps whole frames; the simulator's controllers were tuned without it.
   */
  readonly correctTransmission: boolean;
}

/**
 * Default estimator tunables: a 60-frame throughput window, a 10-frame short window, GCC's
 * trendline (20 points, smoothing 0.9), a 10 s base-delay memory in 1 s buckets, a 200 ms
 * standing-queue window, loss over the last 60 sequence numbers, RFC 6298 RTT smoothing, link rate
 * as the median of 30 per-frame samples (5 for the recent one).
 */
export const DEFAULT_ESTIMATOR_PARAMS: EstimatorParams = {
  windowSamples: 60,
  shortWindowSamples: 10,
  minThroughputSamples: 5,
  trendlineWindowSamples: 20,
  trendlineSmoothing: 0.9,
  baseDelayWindowMs: 10_000,
  baseDelayBucketMs: 1_000,
  standingQueueWindowMs: 200,
  lossWindowFrames: 60,
  rttSmoothing: 0.125,
  initialRttMs: 100,
  inFlightTimeoutMs: 2_000,
  linkRateSamples: 30,
  recentLinkRateSamples: 5,
  linkRateMaxAgeMs: 1_000,
  correctTransmission: false,
};

/** A frame as the sender sent it. */
export interface SentFrame {
  /** Increasing frame sequence number (unwrapped). */
  readonly seq: number;
  /** Send time in the sender's clock, milliseconds. */
  readonly sendTimeMs: number;
  /** Bytes on the wire for this frame. */
  readonly sizeBytes: number;
}

/** The viewer's report for one received frame. */
export interface FrameFeedback {
  /** Sequence number of the received frame. */
  readonly seq: number;
  /** Send time in the sender's clock (echoed back, or looked up by the sender), milliseconds. */
  readonly sendTimeMs: number;
  /** Time the whole frame was received, in the viewer's clock, milliseconds. */
  readonly receiveTimeMs: number;
  /** Bytes received for this frame. */
  readonly sizeBytes: number;
  /**
   * When the frame's first byte arrived, in the viewer's clock, when the viewer reports it (a
   * marker sent right in front of the frame): `receiveTimeMs − firstByteMs` is the frame's own
   * transmission over the slowest link, measured rather than estimated.
   */
  readonly firstByteMs?: number;
}

/** One delivered frame kept in the windows. */
interface DeliveredSample {
  readonly seq: number;
  readonly sendTimeMs: number;
  readonly receiveTimeMs: number;
  readonly sizeBytes: number;
  /**
   * Receive time minus send time minus the frame's own transmission time at the link rate: the
   * one-way delay plus the (unknown, constant) clock offset.
   */
  readonly owdMs: number;
  /** False for a late (out-of-order) frame: it counts for throughput, not for the trend. */
  readonly inOrder: boolean;
}

/** The minimum of a value over one time bucket. */
interface MinBucket {
  readonly startMs: number;
  readonly minMs: number;
}

/** State of the trendline filter (GCC's TrendlineEstimator, on frames instead of packet groups). */
interface TrendlineState {
  /** Delay deltas seen, capped at 1000 as in GCC. */
  readonly numDeltas: number;
  readonly accumulatedDelayMs: number;
  readonly smoothedDelayMs: number;
  readonly firstArrivalMs: number | null;
  /** (arrival time since the first one, smoothed delay) points for the regression. */
  readonly points: readonly (readonly [number, number])[];
  /** Latest regression slope, milliseconds of delay per millisecond of time. */
  readonly slope: number;
  readonly prevSendMs: number | null;
  readonly prevReceiveMs: number | null;
}

/** The estimator's state: an immutable value; every update returns a new one. */
export interface EstimatorState {
  readonly params: EstimatorParams;
  /** Last `windowSamples` delivered frames in arrival order. */
  readonly delivered: readonly DeliveredSample[];
  /** Last `windowSamples` sent frames. */
  readonly sent: readonly SentFrame[];
  /** Sent frames without feedback yet, oldest first. */
  readonly inFlight: readonly SentFrame[];
  /** Received sequence numbers in the loss window, ascending. */
  readonly receivedSeqs: readonly number[];
  /** Late sequence numbers in the loss window. */
  readonly lateSeqs: readonly number[];
  readonly firstSeq: number | null;
  readonly highestSeq: number | null;
  readonly trendline: TrendlineState;
  readonly baseDelay: readonly MinBucket[];
  /** The same over raw receive times (no transmission correction): the busy test of link-rate samples. */
  readonly rawBaseDelay: readonly MinBucket[];
  readonly minRtt: readonly MinBucket[];
  readonly smoothedRttMs: number | null;
  /** Feedback reports processed so far (late ones included). */
  readonly feedbackCount: number;
  /** Sender-clock time of the last feedback report. */
  readonly lastFeedbackMs: number | null;
  /** Bytes of all in-order delivered frames so far. */
  readonly deliveredBytes: number;
  /** Recent per-frame link-rate samples, bits per second, oldest first. */
  readonly linkRates: readonly number[];
  /** Recent samples of {@link frameArrivalRate}, bits per second, oldest first. */
  readonly arrivalRates: readonly number[];
  /** The last median of `linkRates` (kept when the window restarts), for the transmission correction. */
  readonly lastLinkMedianBps: number | null;
  /** Sender-clock time of the newest link-rate sample. */
  readonly lastLinkRateMs: number | null;
  /** Raw receive time of the latest in-order frame (viewer clock). */
  readonly lastRawReceiveMs: number | null;
}

/**
 * What the estimator knows at one instant; the input of every controller. Throughputs are `null`
 * until two frames have been delivered.
 */
export interface RateObservation {
  /** Delivered throughput over the long window (bits per second). */
  readonly throughputBps: number | null;
  /** Delivered throughput over the short window (bits per second). */
  readonly recentThroughputBps: number | null;
  /** Rate the sender sent at over its last `windowSamples` frames (bits per second). */
  readonly sentBitrateBps: number | null;
  /**
   * Send span over receive span of the frames in the short window: about 1 when the link
   * delivers what is sent, below 1 when a queue builds (frames arrive further apart than they
   * were sent), above 1 when one drains.
   */
  readonly deliveryRatio: number | null;
  /**
   * Trendline slope of the one-way delay: milliseconds of extra delay per millisecond of time.
   * GCC reads it as (send rate − capacity) / capacity: 0 flat, above 0 a queue fills.
   */
  readonly delayTrendMsPerMs: number;
  /** Delay deltas behind the trend (capped at 1000), as GCC's `num_of_deltas`. */
  readonly trendSamples: number;
  /** One-way delay of the latest in-order frame above the smallest one remembered (ms). */
  readonly queuingDelayMs: number;
  /** Smallest queuing delay over the standing-queue window (ms): a queue that never empties. */
  readonly standingQueueMs: number;
  /** Smoothed RTT from ping/pong (ms); `initialRttMs` until the first sample. */
  readonly rttMs: number;
  /** Smallest RTT remembered, from pings and frame acknowledgements (ms). */
  readonly minRttMs: number;
  /** Fraction of the last `lossWindowFrames` sequence numbers not delivered, 0 to 1. */
  readonly lossRate: number;
  /** Fraction of those delivered out of order, 0 to 1. */
  readonly lateRate: number;
  /** Bytes sent and neither acknowledged nor given up on. */
  readonly inFlightBytes: number;
  /** Delivered frames per second over the long window (the receive-side frame rate). */
  readonly frameRateHz: number | null;
  /** Feedback reports processed so far; a controller compares it to tell fresh input from stale. */
  readonly feedbackCount: number;
  /**
   * Cumulative counters for measuring over any stretch of frames: bytes of all in-order
   * delivered frames, and the send time (sender clock) and receive time (viewer clock) of the
   * latest one. Between two observations, Δbytes / Δreceive is the delivered rate of the frames
   * in between and Δsend / Δreceive their delivery ratio. `null` times before the first frame.
   */
  readonly deliveredBytes: number;
  readonly lastSendTimeMs: number | null;
  readonly lastReceiveTimeMs: number | null;
  /** Milliseconds since the last feedback report, `null` before the first one. */
  readonly feedbackAgeMs: number | null;
  /**
   * Bottleneck rate (bits per second): the median of the last `linkRateSamples` per-frame samples.
   * With first-byte times every frame is one ({@link firstByteLinkRate}); without them only frames
   * that queued behind the one before ({@link frameLinkRate}), so only while the stream fills the
   * link. `null` before nine samples and `linkRateMaxAgeMs` after the newest.
   */
  readonly linkRateBps: number | null;
  /** The same over the last `recentLinkRateSamples` frames: follows a capacity change in a few frames. */
  readonly recentLinkRateBps: number | null;
  /**
   * The newest sample alone (`null` when the link rate is): after a capacity drop the first
   * frame that crossed the slower link shows it, a few frames before the medians do.
   */
  readonly newestLinkRateBps: number | null;
  /**
   * How long the oldest frame still in flight has been waiting beyond the smallest round trip and
   * its own transmission time (ms): a queue the sender sees before any report about it arrives.
   * 0 when nothing is late.
   */
  readonly pendingDelayMs: number;
}

/** A new estimator with no history. `params` default to {@link DEFAULT_ESTIMATOR_PARAMS}. */
export function createEstimator(params: Partial<EstimatorParams> = {}): EstimatorState {
  return {
    params: { ...DEFAULT_ESTIMATOR_PARAMS, ...params },
    delivered: [],
    sent: [],
    inFlight: [],
    receivedSeqs: [],
    lateSeqs: [],
    firstSeq: null,
    highestSeq: null,
    trendline: {
      numDeltas: 0,
      accumulatedDelayMs: 0,
      smoothedDelayMs: 0,
      firstArrivalMs: null,
      points: [],
      slope: 0,
      prevSendMs: null,
      prevReceiveMs: null,
    },
    baseDelay: [],
    rawBaseDelay: [],
    minRtt: [],
    smoothedRttMs: null,
    feedbackCount: 0,
    lastFeedbackMs: null,
    deliveredBytes: 0,
    linkRates: [],
    arrivalRates: [],
    lastLinkRateMs: null,
    lastLinkMedianBps: null,
    lastRawReceiveMs: null,
  };
}

/** Records a frame the sender has just sent. */
export function estimatorOnSent(state: EstimatorState, frame: SentFrame): EstimatorState {
  const { windowSamples, inFlightTimeoutMs } = state.params;
  const inFlight = state.inFlight.filter((f) => f.sendTimeMs >= frame.sendTimeMs - inFlightTimeoutMs);
  inFlight.push(frame);
  return {
    ...state,
    sent: pushWindow(state.sent, frame, windowSamples),
    inFlight,
    firstSeq: state.firstSeq === null ? frame.seq : Math.min(state.firstSeq, frame.seq),
  };
}

/**
 * Records the viewer's report of one received frame, processed by the sender at `nowMs` (its
 * clock). A duplicate report (a sequence number already received) changes nothing but the
 * feedback time.
 */
export function estimatorOnFeedback(
  state: EstimatorState,
  feedback: FrameFeedback,
  nowMs: number,
): EstimatorState {
  const p = state.params;
  const { seq } = feedback;
  const known = state.highestSeq !== null && seq <= state.highestSeq;
  if (known && binarySearch(state.receivedSeqs, seq) >= 0) {
    return { ...state, lastFeedbackMs: nowMs };
  }
  const inOrder = !known;
  const highestSeq = inOrder ? seq : (state.highestSeq ?? seq);
  const firstSeq = state.firstSeq === null ? seq : Math.min(state.firstSeq, seq);
  const lowestKept = highestSeq - p.lossWindowFrames + 1;
  const receivedSeqs = insertSorted(state.receivedSeqs, seq).filter((s) => s >= lowestKept);
  const lateSeqs = (inOrder ? state.lateSeqs : [...state.lateSeqs, seq]).filter((s) => s >= lowestKept);

  // A frame arrives whole: its arrival includes its own transmission at the link's rate, which
  // on a slow link is tens of milliseconds and would read as queueing. Measure the link's rate
  // from the frame's arrival, then take that time out of the receive time used for delays.
  let linkRates = state.linkRates;
  let arrivalRates = state.arrivalRates;
  let receiveTimeMs = feedback.receiveTimeMs;
  if (inOrder) {
    const rawBaseMs = minOf(state.rawBaseDelay);
    const arrival = frameArrivalRate(feedback, rawBaseMs, state.lastRawReceiveMs);
    if (arrival !== null) arrivalRates = pushWindow(arrivalRates, arrival, p.linkRateSamples);
    const measuredTxMs = transmissionMs(feedback);
    const rate =
      measuredTxMs !== null
        ? firstByteLinkRate(feedback.sizeBytes, measuredTxMs)
        : frameLinkRate(feedback, rawBaseMs, state.lastRawReceiveMs);
    if (rate !== null) {
      // Samples from before a spell without any (the link was not busy) start afresh: the
      // capacity may have moved, and one new sample must not revive the old median.
      const stale = state.lastLinkRateMs !== null && nowMs - state.lastLinkRateMs > p.linkRateMaxAgeMs;
      linkRates = pushWindow(stale ? [] : linkRates, rate, p.linkRateSamples);
    }
    // The busy samples' link rate, however old (the last median is kept when the window starts
    // afresh), or before any the arrival rate of every frame
    // (which reads high on an idle link, so never corrects too much).
    const linkBps = medianOf(linkRates, 5) ?? state.lastLinkMedianBps ?? medianOf(arrivalRates, 5);
    if (measuredTxMs !== null) {
      // The first byte's arrival: the delay without the frame's own transmission, as measured.
      receiveTimeMs -= measuredTxMs;
    } else if (linkBps !== null && rawBaseMs !== null && p.correctTransmission) {
      // Never more than the frame's delay above the smallest raw delay: a link rate measured
      // before the capacity rose would over-correct, and the base delay (a minimum) would keep
      // the error for its whole memory.
      const rawAboveBaseMs = Math.max(0, feedback.receiveTimeMs - feedback.sendTimeMs - rawBaseMs);
      receiveTimeMs -= Math.min((feedback.sizeBytes * 8 * 1000) / linkBps, rawAboveBaseMs);
    }
  }
  const owdMs = receiveTimeMs - feedback.sendTimeMs;
  const adjusted: FrameFeedback = { ...feedback, receiveTimeMs };
  const sample: DeliveredSample = {
    seq,
    sendTimeMs: feedback.sendTimeMs,
    receiveTimeMs,
    sizeBytes: feedback.sizeBytes,
    owdMs,
    inOrder,
  };
  // Everything at or below the highest reported sequence number has been delivered or lost.
  const inFlight = state.inFlight.filter(
    (f) => f.seq > highestSeq && f.sendTimeMs >= nowMs - p.inFlightTimeoutMs,
  );
  const ackRttMs = nowMs - feedback.sendTimeMs;
  return {
    ...state,
    delivered: pushWindow(state.delivered, sample, p.windowSamples),
    inFlight,
    receivedSeqs,
    lateSeqs,
    firstSeq,
    highestSeq,
    trendline: inOrder ? updateTrendline(state.trendline, adjusted, p) : state.trendline,
    baseDelay: inOrder
      ? updateMinBuckets(state.baseDelay, receiveTimeMs, owdMs, p.baseDelayBucketMs, p.baseDelayWindowMs)
      : state.baseDelay,
    rawBaseDelay: inOrder
      ? updateMinBuckets(
          state.rawBaseDelay,
          feedback.receiveTimeMs,
          feedback.receiveTimeMs - feedback.sendTimeMs,
          p.baseDelayBucketMs,
          p.baseDelayWindowMs,
        )
      : state.rawBaseDelay,
    minRtt:
      ackRttMs >= 0
        ? updateMinBuckets(state.minRtt, nowMs, ackRttMs, p.baseDelayBucketMs, p.baseDelayWindowMs)
        : state.minRtt,
    feedbackCount: state.feedbackCount + 1,
    lastFeedbackMs: nowMs,
    deliveredBytes: inOrder ? state.deliveredBytes + feedback.sizeBytes : state.deliveredBytes,
    linkRates,
    arrivalRates,
    lastLinkRateMs: linkRates !== state.linkRates ? nowMs : state.lastLinkRateMs,
    lastLinkMedianBps: medianOf(linkRates, 5) ?? state.lastLinkMedianBps,
    lastRawReceiveMs: inOrder ? feedback.receiveTimeMs : state.lastRawReceiveMs,
  };
}

/**
 * A frame's own transmission over the slowest link when its first byte's arrival is known
 * (`receiveTimeMs − firstByteMs`), else `null`. With the first byte known every frame is a
 * link-rate sample, whether it found the link busy or idle: its bytes came through back to back.
 */
export function transmissionMs(f: FrameFeedback): number | null {
  if (f.firstByteMs === undefined || !Number.isFinite(f.firstByteMs)) return null;
  const ms = f.receiveTimeMs - f.firstByteMs;
  return ms >= 0 ? ms : null;
}

/**
 * Bytes of a frame's first packet (a TCP segment of a 1500-byte MTU): it leaves the sender with the
 * frame-start marker and can arrive with it (a shaper's burst lets both through), so it is not
 * counted in the frame's transmission.
 */
const FIRST_PACKET_BYTES = 1448;

/**
 * The link rate from one frame's measured transmission (see {@link transmissionMs}), bits per
 * second: its bytes after the first packet over that time. `null` under half a millisecond (too
 * short to time) and for a frame of under two packets.
 */
export function firstByteLinkRate(sizeBytes: number, txMs: number): number | null {
  const bytes = sizeBytes - FIRST_PACKET_BYTES;
  if (txMs <= 0.5 || bytes < FIRST_PACKET_BYTES) return null;
  return (bytes * 8 * 1000) / txMs;
}

/**
 * One frame's arrival rate: its bits over the time from when it could first have arrived (send
 * time plus the smallest raw one-way delay) or from when the previous frame finished arriving,
 * whichever is later. On a busy link this is the link's rate; on an idle one it reads higher
 * (the smallest delay already holds a small frame's transmission). `null` under half a millisecond.
 */
export function frameArrivalRate(
  f: FrameFeedback,
  baseOwdMs: number | null,
  previousReceiveMs: number | null,
): number | null {
  if (baseOwdMs === null) return null;
  const earliestMs = f.sendTimeMs + baseOwdMs;
  const spanMs =
    f.receiveTimeMs - (previousReceiveMs === null ? earliestMs : Math.max(earliestMs, previousReceiveMs));
  return spanMs > 0.5 ? (f.sizeBytes * 8 * 1000) / spanMs : null;
}

/** Samples before the link rate is reported: fewer read a few per cent off. */
const MIN_LINK_SAMPLES = 9;

/** How far past a frame's earliest arrival the previous one must still be arriving to count as busy, ms. */
const BUSY_MARGIN_MS = 2;

/**
 * One frame's link-rate sample, taken only when the link was busy: the frame could have arrived
 * (its send time plus the smallest raw one-way delay, in the clocks that was measured in) well
 * before the previous frame finished arriving, so it waited in the bottleneck queue and the gap
 * between the two arrivals is its own transmission at the bottleneck's rate (packet-pair
 * dispersion, with whole frames as the pair). `null` for a frame that found the link idle, whose
 * arrival says nothing of the rate, and for a gap under half a millisecond (too short to time).
 */
export function frameLinkRate(
  f: FrameFeedback,
  baseOwdMs: number | null,
  previousReceiveMs: number | null,
): number | null {
  if (baseOwdMs === null || previousReceiveMs === null) return null;
  // The margin keeps receive-time jitter from passing an idle link off as a busy one.
  if (f.sendTimeMs + baseOwdMs + BUSY_MARGIN_MS >= previousReceiveMs) return null;
  const spanMs = f.receiveTimeMs - previousReceiveMs;
  return spanMs > 0.5 ? (f.sizeBytes * 8 * 1000) / spanMs : null;
}

/** Records one ping/pong round trip of `rttMs` milliseconds, measured at `nowMs`. */
export function estimatorOnRtt(state: EstimatorState, rttMs: number, nowMs: number): EstimatorState {
  if (!Number.isFinite(rttMs) || rttMs < 0) return state;
  const p = state.params;
  const smoothedRttMs =
    state.smoothedRttMs === null
      ? rttMs
      : state.smoothedRttMs + p.rttSmoothing * (rttMs - state.smoothedRttMs);
  return {
    ...state,
    smoothedRttMs,
    minRtt: updateMinBuckets(state.minRtt, nowMs, rttMs, p.baseDelayBucketMs, p.baseDelayWindowMs),
  };
}

/** Everything the estimator knows at `nowMs`, for a controller. */
export function estimatorObserve(state: EstimatorState, nowMs: number): RateObservation {
  const p = state.params;
  const inOrder = state.delivered.filter((s) => s.inOrder);
  const short = inOrder.slice(-p.shortWindowSamples);
  const baseOwdMs = minOf(state.baseDelay);
  const last = inOrder.at(-1);
  const queuingDelayMs = last === undefined || baseOwdMs === null ? 0 : Math.max(0, last.owdMs - baseOwdMs);
  let standingQueueMs = queuingDelayMs;
  if (last !== undefined && baseOwdMs !== null) {
    for (const s of inOrder) {
      if (s.receiveTimeMs >= last.receiveTimeMs - p.standingQueueWindowMs) {
        standingQueueMs = Math.min(standingQueueMs, Math.max(0, s.owdMs - baseOwdMs));
      }
    }
  }
  const rttMs = state.smoothedRttMs ?? p.initialRttMs;
  const minRttMs = minOf(state.minRtt) ?? rttMs;
  const expected =
    state.highestSeq === null || state.firstSeq === null
      ? 0
      : Math.min(p.lossWindowFrames, state.highestSeq - state.firstSeq + 1);
  const lossRate = expected <= 0 ? 0 : clamp(1 - state.receivedSeqs.length / expected, 0, 1);
  const lateRate = expected <= 0 ? 0 : clamp(state.lateSeqs.length / expected, 0, 1);
  let inFlightBytes = 0;
  for (const f of state.inFlight) inFlightBytes += f.sizeBytes;
  // The oldest frame in flight is late by its age beyond the smallest round trip and its own
  // transmission at the link rate (or at the delivered rate before a link rate is measured).
  const oldest = state.inFlight[0];
  const linkFresh = state.lastLinkRateMs !== null && nowMs - state.lastLinkRateMs <= p.linkRateMaxAgeMs;
  const linkRateBps = linkFresh ? medianOf(state.linkRates, MIN_LINK_SAMPLES) : null;
  const txRateBps = linkRateBps ?? rateBps(inOrder, (s) => s.receiveTimeMs, p.minThroughputSamples);
  const pendingDelayMs =
    oldest === undefined
      ? 0
      : Math.max(
          0,
          nowMs -
            oldest.sendTimeMs -
            minRttMs -
            (txRateBps === null ? 0 : (oldest.sizeBytes * 8000) / txRateBps),
        );
  const receiveSpanMs = spanMs(state.delivered, (s) => s.receiveTimeMs);
  const frameRateHz =
    receiveSpanMs !== null && receiveSpanMs > 0
      ? ((state.delivered.length - 1) * 1000) / receiveSpanMs
      : null;
  const shortReceiveSpanMs = spanMs(short, (s) => s.receiveTimeMs);
  const shortSendSpanMs = spanMs(short, (s) => s.sendTimeMs);
  return {
    throughputBps: rateBps(state.delivered, (s) => s.receiveTimeMs, p.minThroughputSamples),
    recentThroughputBps: rateBps(short, (s) => s.receiveTimeMs, p.minThroughputSamples),
    sentBitrateBps: rateBps(state.sent, (s) => s.sendTimeMs, p.minThroughputSamples),
    deliveryRatio:
      shortReceiveSpanMs !== null && shortSendSpanMs !== null && shortReceiveSpanMs > 0
        ? shortSendSpanMs / shortReceiveSpanMs
        : null,
    delayTrendMsPerMs: state.trendline.slope,
    trendSamples: state.trendline.numDeltas,
    queuingDelayMs,
    standingQueueMs,
    rttMs,
    minRttMs,
    lossRate,
    lateRate,
    inFlightBytes,
    frameRateHz,
    feedbackCount: state.feedbackCount,
    deliveredBytes: state.deliveredBytes,
    lastSendTimeMs: last?.sendTimeMs ?? null,
    lastReceiveTimeMs: last?.receiveTimeMs ?? null,
    feedbackAgeMs: state.lastFeedbackMs === null ? null : Math.max(0, nowMs - state.lastFeedbackMs),
    linkRateBps,
    recentLinkRateBps: linkFresh ? medianOf(state.linkRates.slice(-p.recentLinkRateSamples), 3) : null,
    newestLinkRateBps: linkFresh ? (state.linkRates.at(-1) ?? null) : null,
    pendingDelayMs,
  };
}

/** Median of `values`; `null` with fewer than `minCount`. */
function medianOf(values: readonly number[], minCount: number): number | null {
  if (values.length < minCount) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Deltas beyond which GCC stops counting (`kDeltaCounterMax`). */
const MAX_TREND_DELTAS = 1000;

function updateTrendline(t: TrendlineState, f: FrameFeedback, p: EstimatorParams): TrendlineState {
  if (t.prevSendMs === null || t.prevReceiveMs === null) {
    return {
      ...t,
      firstArrivalMs: f.receiveTimeMs,
      prevSendMs: f.sendTimeMs,
      prevReceiveMs: f.receiveTimeMs,
    };
  }
  // GCC's inter-arrival delta: how much later this frame arrived than it would have if the
  // spacing on the wire had stayed what it was at the sender.
  const deltaMs = f.receiveTimeMs - t.prevReceiveMs - (f.sendTimeMs - t.prevSendMs);
  const accumulatedDelayMs = t.accumulatedDelayMs + deltaMs;
  const a = p.trendlineSmoothing;
  const smoothedDelayMs = a * t.smoothedDelayMs + (1 - a) * accumulatedDelayMs;
  const firstArrivalMs = t.firstArrivalMs ?? f.receiveTimeMs;
  const points = pushWindow(
    t.points,
    [f.receiveTimeMs - firstArrivalMs, smoothedDelayMs] as const,
    p.trendlineWindowSamples,
  );
  // As in GCC, the slope only moves once the window is full.
  const slope = points.length === p.trendlineWindowSamples ? (linearFitSlope(points) ?? t.slope) : t.slope;
  return {
    numDeltas: Math.min(t.numDeltas + 1, MAX_TREND_DELTAS),
    accumulatedDelayMs,
    smoothedDelayMs,
    firstArrivalMs,
    points,
    slope,
    prevSendMs: f.sendTimeMs,
    prevReceiveMs: f.receiveTimeMs,
  };
}

/** Least-squares slope of y over x; `null` when all x are equal. */
export function linearFitSlope(points: readonly (readonly [number, number])[]): number | null {
  if (points.length < 2) return null;
  let sumX = 0;
  let sumY = 0;
  for (const [x, y] of points) {
    sumX += x;
    sumY += y;
  }
  const meanX = sumX / points.length;
  const meanY = sumY / points.length;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - meanX) * (y - meanY);
    den += (x - meanX) * (x - meanX);
  }
  return den === 0 ? null : num / den;
}

function updateMinBuckets(
  buckets: readonly MinBucket[],
  atMs: number,
  valueMs: number,
  bucketMs: number,
  windowMs: number,
): readonly MinBucket[] {
  const startMs = Math.floor(atMs / bucketMs) * bucketMs;
  const kept = buckets.filter((b) => b.startMs > atMs - windowMs);
  const lastBucket = kept.at(-1);
  if (lastBucket !== undefined && lastBucket.startMs === startMs) {
    if (valueMs >= lastBucket.minMs) return kept;
    return [...kept.slice(0, -1), { startMs, minMs: valueMs }];
  }
  return [...kept, { startMs, minMs: valueMs }];
}

function minOf(buckets: readonly MinBucket[]): number | null {
  let min: number | null = null;
  for (const b of buckets) if (min === null || b.minMs < min) min = b.minMs;
  return min;
}

/** Bits per second over a window: bytes after the first sample over the time they took. */
function rateBps<T extends { readonly sizeBytes: number }>(
  samples: readonly T[],
  time: (s: T) => number,
  minSamples: number,
): number | null {
  if (samples.length < Math.max(2, minSamples)) return null;
  const span = spanMs(samples, time);
  if (span === null || span <= 0) return null;
  let bytes = 0;
  for (let i = 1; i < samples.length; i++) bytes += samples[i]?.sizeBytes ?? 0;
  return (bytes * 8 * 1000) / span;
}

function spanMs<T>(samples: readonly T[], time: (s: T) => number): number | null {
  const first = samples[0];
  const last = samples.at(-1);
  if (samples.length < 2 || first === undefined || last === undefined) return null;
  return time(last) - time(first);
}

function pushWindow<T>(window: readonly T[], item: T, size: number): T[] {
  const next = window.length >= size ? window.slice(window.length - size + 1) : window.slice();
  next.push(item);
  return next;
}

function binarySearch(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = sorted[mid] ?? 0;
    if (v === value) return mid;
    if (v < value) lo = mid + 1;
    else hi = mid - 1;
  }
  return -(lo + 1);
}

function insertSorted(sorted: readonly number[], value: number): number[] {
  const at = binarySearch(sorted, value);
  if (at >= 0) return sorted.slice();
  const i = -(at + 1);
  return [...sorted.slice(0, i), value, ...sorted.slice(i)];
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}
