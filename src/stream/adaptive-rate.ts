/**
 * The actuator of adaptive bitrate: a {@link RateController} for the stream hub that runs the pure
 * estimator and controller (src/core/rate) for each adaptive viewer and turns their targets into
 * encoder bitrate changes. The encoder follows the lowest target among the viewers marked
 * adaptive (the first viewer when none is marked); the others fall back to the hub's
 * drop-to-keyframe policy. Changes are rate-limited on encoders that must reopen for them, so
 * keyframes do not storm.
 */
import {
  controllerStep,
  createController,
  createLadderParams,
  createLadderState,
  ladderStep,
  resolutionLadder,
  createEstimator,
  estimatorObserve,
  estimatorOnFeedback,
  estimatorOnRtt,
  estimatorOnSent,
  type Controller,
  type ControllerKind,
  type EstimatorState,
  type LadderParams,
  type LadderState,
  type RateDecision as CoreRateDecision,
  type RateObservation,
  type RateReason,
} from '../core/rate/index.ts';
import type {
  DeliverySample,
  EncoderState,
  QueueDropSample,
  RateController,
  RateDecision,
  RateViewer,
  SentSample,
} from './rate-control.ts';

/** Options of {@link AdaptiveRate}. Bitrates in bits per second. */
export interface AdaptiveRateOptions {
  readonly kind: ControllerKind;
  readonly minBitrateBps: number;
  readonly maxBitrateBps: number;
  readonly startBitrateBps: number;
  /**
   * In-flight window per viewer: the link rate times the smallest round trip plus this many ms
   * (default 60): after a capacity drop at most about this much (at the old rate) is queued.
   * `null` for no window.
   */
  readonly inFlightWindowMs?: number | null;
  /**
   * Step down a resolution ladder (the stream's own size, 3/4, 1/2, 3/8, 1/4, see
   * `resolutionLadder`) when the bitrate is too low for the picture size, and back up with
   * hysteresis (default true).
   */
  readonly ladder?: boolean;
  /** Encoders that reopen for a change: at most one change per this interval (default 2000 ms). */
  readonly reopenIntervalMs?: number;
  /** …and only for a change of at least this fraction (default 0.15). */
  readonly reopenMinChange?: number;
  /** Live-reconfigurable encoders: changes smaller than this fraction are skipped (default 0.02). */
  readonly liveMinChange?: number;
  /** Called for every change handed to the encoder. */
  readonly onChange?: (change: RateChange) => void;
  /** Called at every controller step with what it saw and decided (figures, debugging). */
  readonly onStep?: (
    viewerId: number,
    observation: RateObservation,
    decision: CoreRateDecision,
    nowMs: number,
  ) => void;
}

/** A bitrate change handed to the encoder, for logs and figures. */
export interface RateChange {
  readonly atMs: number;
  readonly fromBps: number;
  readonly toBps: number;
  /** The viewer whose estimate set the target. */
  readonly viewerId: number;
  readonly reason: RateReason;
}

interface Track {
  readonly viewer: RateViewer;
  readonly joinedMs: number;
  estimator: EstimatorState;
  controller: Controller;
  /**
   * The estimator numbers frames in the order they were sent to this viewer (not by the
   * stream's sequence numbers): frames cut from its queue were never sent, and must not count
   * as lost on the network. Wire sequence number → send index, for frames not yet reported.
   */
  sendIndex: Map<number, number>;
  nextIndex: number;
  target: { bitrateBps: number; reason: RateReason } | null;
  /** The last link rate measured for this viewer, until more than it is delivered. */
  linkRateBps: number | null;
  /** Since when the controller has wanted more than that while the link showed idle, ms. */
  idleAboveSinceMs: number | null;
}

/** The encoder is set to at most this times the link rate last measured… */
const LINK_RATE_HEADROOM = 0.97;
/** …until the controller has wanted this times that rate for `LINK_RATE_RELEASE_MS` on an idle link. */
const LINK_RATE_WANT_FACTOR = 1.05;
const LINK_RATE_RELEASE_MS = 1_500;

/** The in-flight window follows the newest link-rate sample when it is this much under the recent one. */
const NEWEST_LINK_RATE_SLACK = 1.25;

/** Send indexes kept for frames not yet reported. */
const MAX_UNREPORTED = 4096;

/** Adaptive bitrate for the stream hub. */
export class AdaptiveRate implements RateController {
  readonly #o: AdaptiveRateOptions;
  readonly #tracks = new Map<number, Track>();
  #lastChangeMs = Number.NEGATIVE_INFINITY;
  #current: number;
  /** Encoded frames of the last two seconds: time, bytes, and the bits the target asked for. */
  readonly #encoded: { atMs: number; bytes: number; askedBits: number }[] = [];
  /** The resolution ladder, built from the first size the encoder reports, and where it stands. */
  #ladder: { params: LadderParams; state: LadderState } | null = null;
  /** Encoded bits over the bits the target asked for, over the last two seconds; 1 until known. */
  #encoderRatio = 1;

  constructor(options: AdaptiveRateOptions) {
    this.#o = options;
    this.#current = options.startBitrateBps;
  }

  viewerJoined(viewer: RateViewer, nowMs: number): void {
    const bounds = { minBitrateBps: this.#o.minBitrateBps, maxBitrateBps: this.#o.maxBitrateBps };
    this.#tracks.set(viewer.id, {
      viewer,
      joinedMs: nowMs,
      // The viewer timestamps whole frames: take each frame's transmission time out of its delay.
      estimator: createEstimator({ correctTransmission: true }),
      controller: createController(this.#o.kind, bounds, this.#current),
      sendIndex: new Map(),
      nextIndex: 0,
      target: null,
      linkRateBps: null,
      idleAboveSinceMs: null,
    });
  }

  viewerLeft(viewerId: number): void {
    this.#tracks.delete(viewerId);
  }

  inFlightBudgetBytes(viewerId: number, nowMs: number): number | undefined {
    const windowMs = this.#o.inFlightWindowMs === undefined ? 60 : this.#o.inFlightWindowMs;
    const t = this.#tracks.get(viewerId);
    if (windowMs === null || t === undefined) return undefined;
    const obs = estimatorObserve(t.estimator, nowMs);
    // The recent link rate follows a drop within a few frames, and the newest frame's rate (with
    // first-byte times) within one: the window takes the lower, allowing the newest sample its
    // noise (NEWEST_LINK_RATE_SLACK); before any is measured, what is delivered gets through.
    const recent = obs.recentLinkRateBps ?? obs.linkRateBps;
    const rateBps =
      recent === null
        ? obs.throughputBps
        : Math.min(recent, NEWEST_LINK_RATE_SLACK * (obs.newestLinkRateBps ?? Infinity));
    if (rateBps === null) return undefined;
    return (rateBps / 8) * ((obs.minRttMs + windowMs) / 1000);
  }

  onSent(sample: SentSample, _nowMs: number): void {
    const t = this.#tracks.get(sample.viewerId);
    if (t === undefined) return;
    this.#recordSent(t, sample.sequence, sample.sentMs, sample.bytes);
  }

  #recordSent(t: Track, wire: number, sentMs: number, bytes: number): number {
    const seq = t.nextIndex++;
    t.sendIndex.set(wire, seq);
    // Frames never reported (the viewer left them undecided) are forgotten after a while.
    if (t.sendIndex.size > MAX_UNREPORTED) {
      const oldest = t.sendIndex.keys().next().value;
      if (oldest !== undefined) t.sendIndex.delete(oldest);
    }
    t.estimator = estimatorOnSent(t.estimator, { seq, sendTimeMs: sentMs, sizeBytes: bytes });
    return seq;
  }

  onDelivery(sample: DeliverySample, nowMs: number): void {
    const t = this.#tracks.get(sample.viewerId);
    if (t === undefined) return;
    // A frame sent before this viewer's track existed: record its sending first.
    const seq =
      t.sendIndex.get(sample.sequence) ?? this.#recordSent(t, sample.sequence, sample.sentMs, sample.bytes);
    t.sendIndex.delete(sample.sequence);
    t.estimator = estimatorOnFeedback(
      t.estimator,
      {
        seq,
        sendTimeMs: sample.sentMs,
        receiveTimeMs: sample.receivedMs,
        sizeBytes: sample.bytes,
        ...(Number.isFinite(sample.firstByteMs) ? { firstByteMs: sample.firstByteMs } : {}),
      },
      nowMs,
    );
  }

  onRtt(viewerId: number, rttMs: number, nowMs: number): void {
    const t = this.#tracks.get(viewerId);
    if (t !== undefined) t.estimator = estimatorOnRtt(t.estimator, rttMs, nowMs);
  }

  onQueueDrop(_sample: QueueDropSample): void {
    // Frames cut from a slow viewer's queue were never sent: not network loss (the estimator
    // numbers frames as they are sent). The queue that made the cut shows as delay.
  }

  decide(encoder: EncoderState, nowMs: number): RateDecision | undefined {
    this.#current = encoder.bitrateBps;
    this.#measureEncoder(encoder, nowMs);
    const followed = this.#followed();
    let best: {
      bitrateBps: number;
      reason: RateReason;
      viewerId: number;
      linkRateBps: number | null;
    } | null = null;
    for (const t of followed) {
      const observation = estimatorObserve(t.estimator, nowMs);
      const step = controllerStep(t.controller, observation, nowMs);
      this.#o.onStep?.(t.viewer.id, observation, step.decision, nowMs);
      t.controller = step.controller;
      this.#rememberLinkRate(t, observation, step.decision.targetBitrateBps, nowMs);
      t.target = { bitrateBps: step.decision.targetBitrateBps, reason: step.decision.reason };
      if (best === null || t.target.bitrateBps < best.bitrateBps)
        best = { ...t.target, viewerId: t.viewer.id, linkRateBps: t.linkRateBps };
    }
    if (best === null) return undefined;
    // The controllers decide what should go on the wire; an encoder that undershoots its target
    // is asked for more. Neither that nor a probe sets the encoder past the link rate last
    // measured (see #rememberLinkRate).
    const compensated = Math.min(
      best.bitrateBps / this.#encoderRatio,
      LINK_RATE_HEADROOM * (best.linkRateBps ?? Infinity),
    );
    const setting = Math.round(Math.min(this.#o.maxBitrateBps, Math.max(this.#o.minBitrateBps, compensated)));
    best = { ...best, bitrateBps: setting };
    const size = this.#ladderSize(encoder, setting, nowMs);
    const change = Math.abs(best.bitrateBps - encoder.bitrateBps) / encoder.bitrateBps;
    const skip = encoder.runtimeBitrate
      ? change < (this.#o.liveMinChange ?? 0.02)
      : change < (this.#o.reopenMinChange ?? 0.15) ||
        nowMs - this.#lastChangeMs < (this.#o.reopenIntervalMs ?? 2000);
    // A size change reopens the encoder anyway: the bitrate goes with it.
    if (skip && size === undefined) return undefined;
    this.#lastChangeMs = nowMs;
    this.#o.onChange?.({
      atMs: nowMs,
      fromBps: encoder.bitrateBps,
      toBps: best.bitrateBps,
      viewerId: best.viewerId,
      reason: best.reason,
    });
    this.#current = best.bitrateBps;
    return size === undefined ? { bitrateBps: best.bitrateBps } : { bitrateBps: best.bitrateBps, size };
  }

  /** The ladder's size and rate for `bitrateBps` when they differ from the encoder's, else undefined. */
  #ladderSize(
    encoder: EncoderState,
    bitrateBps: number,
    nowMs: number,
  ): { width: number; height: number; fps: number } | undefined {
    if (this.#o.ladder === false) return undefined;
    const { width, height, fps } = encoder;
    if (width === undefined || height === undefined || fps === undefined) return undefined;
    this.#ladder ??= {
      params: createLadderParams(resolutionLadder(width, height, fps)),
      state: createLadderState(),
    };
    const step = ladderStep(this.#ladder.state, bitrateBps, nowMs, this.#ladder.params);
    this.#ladder.state = step.state;
    const rung = step.decision.rung;
    if (rung.width === width && rung.height === height && Math.abs(rung.fps - fps) < 0.01) return undefined;
    return { width: rung.width, height: rung.height, fps: rung.fps };
  }

  /** The ladder rung in use (for figures), or null without a ladder. */
  get ladderRung(): { width: number; height: number; fps: number } | null {
    const l = this.#ladder;
    const rung = l === null ? undefined : l.params.rungs[l.state.rungIndex];
    return rung === undefined ? null : { width: rung.width, height: rung.height, fps: rung.fps };
  }

  /**
   * Keeps the link rate last measured for the viewer, which caps the encoder's setting (see
   * `decide`): the estimator measures it while the link is busy, and an encoder held at it keeps
   * the link busy, so on a link whose rate is known it is refreshed and probes never set the
   * encoder past it. It is forgotten when the controller has wanted clearly more than it for
   * `LINK_RATE_RELEASE_MS` during which no frame queued at all — the link has become faster —
   * and the controller's probes then go through.
   */
  #rememberLinkRate(t: Track, observation: RateObservation, targetBps: number, nowMs: number): void {
    if (observation.linkRateBps !== null) {
      t.linkRateBps = observation.linkRateBps;
      t.idleAboveSinceMs = null;
      return;
    }
    if (t.linkRateBps === null) return;
    if (targetBps <= LINK_RATE_WANT_FACTOR * t.linkRateBps) {
      t.idleAboveSinceMs = null;
      return;
    }
    t.idleAboveSinceMs ??= nowMs;
    if (nowMs - t.idleAboveSinceMs >= LINK_RATE_RELEASE_MS) {
      t.linkRateBps = null;
      t.idleAboveSinceMs = null;
    }
  }

  #measureEncoder(encoder: EncoderState, nowMs: number): void {
    if (encoder.frameBytes === undefined) return;
    const prev = this.#encoded.at(-1);
    // What the encoder was asked for over this frame's interval, against what it made.
    const intervalMs = prev === undefined ? 0 : Math.min(200, nowMs - prev.atMs);
    this.#encoded.push({
      atMs: nowMs,
      bytes: encoder.frameBytes,
      askedBits: (encoder.bitrateBps * intervalMs) / 1000,
    });
    while (this.#encoded.length > 0 && this.#encoded[0]!.atMs < nowMs - 2000) this.#encoded.shift();
    const first = this.#encoded[0];
    if (first === undefined || first.atMs > nowMs - 1000) return;
    // Skip the first frame's bytes: its interval is not in the window.
    const made = this.#encoded.slice(1).reduce((a, e) => a + e.bytes * 8, 0);
    const asked = this.#encoded.slice(1).reduce((a, e) => a + e.askedBits, 0);
    if (asked <= 0) return;
    // Compensate undershoot only (overshoot is the controllers' to see as queueing), at most 2×.
    this.#encoderRatio = Math.min(1, Math.max(0.5, made / asked));
  }

  /** Encoded bitrate over its target as last measured (1: on target). */
  get encoderRatio(): number {
    return this.#encoderRatio;
  }

  /** The latest target per followed viewer (for /stats). */
  targets(): { viewerId: number; bitrateBps: number; reason: RateReason }[] {
    return this.#followed().flatMap((t) =>
      t.target === null ? [] : [{ viewerId: t.viewer.id, ...t.target }],
    );
  }

  #followed(): Track[] {
    const all = [...this.#tracks.values()];
    const adaptive = all.filter((t) => t.viewer.adaptive);
    if (adaptive.length > 0) return adaptive;
    const first = all.sort((a, b) => a.joinedMs - b.joinedMs || a.viewer.id - b.viewer.id)[0];
    return first === undefined ? [] : [first];
  }
}
