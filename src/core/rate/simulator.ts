/**
 * A deterministic link simulator that drives the real estimator and controllers.
 *
 * The model, one video frame at a time:
 * - **Sender.** Frames leave at exactly `fps`; each is one burst (no pacing within a frame).
 * - **Encoder.** A frame is `target / fps` bits times log-normal noise; a keyframe (the first
 *   frame and one every `keyframeIntervalMs`) is `keyframeScale` times bigger, and the excess is
 *   paid back from the following frames, as a VBV does. The encoder codes frame *k* with the
 *   target decided at frame *k − 1*: it follows the controller within a frame.
 * - **Link.** Random loss first (netem-like, per frame, from a seeded PRNG), then a FIFO
 *   bottleneck whose capacity follows a piecewise-constant trace, with a tail-drop queue limit
 *   expressed in milliseconds at the current capacity (as `tc tbf latency` does); a frame that
 *   does not fit is dropped whole. Then half the base RTT of propagation.
 * - **Feedback.** The viewer reports every frame it receives, in its own clock (offset by
 *   {@link RECEIVER_CLOCK_OFFSET_MS}); the report takes half the base RTT back and is never lost.
 *   A ping every `pingIntervalMs` waits in the same queue and gives an RTT sample.
 * - **Control.** At each frame the sender feeds all reports that have arrived to the estimator,
 *   asks the controller for a target, and hands it to the encoder.
 *
 * Everything is a function of the scenario and its seed: the same inputs give the same frames.
 */

import type { BitrateBounds, RateReason } from './decision.ts';
import { controllerStep, createController } from './controller.ts';
import type { ControllerKind } from './controller.ts';
import {
  createEstimator,
  estimatorObserve,
  estimatorOnFeedback,
  estimatorOnRtt,
  estimatorOnSent,
} from './estimator.ts';
import type { EstimatorParams } from './estimator.ts';

/** A value that holds from `atMs` until the next point. */
export interface TracePoint {
  readonly atMs: number;
  readonly value: number;
}

/** The encoder model. */
export interface EncoderModel {
  /** Standard deviation of the log of the frame-size noise. */
  readonly noiseSigma: number;
  /** Keyframe period, ms; 0 for keyframes only at the start and on request. */
  readonly keyframeIntervalMs: number;
  /**
   * The viewer asks for a keyframe when it sees a sequence gap; the encoder grants at most one
   * such request per this many ms (0: requests are ignored).
   */
  readonly keyframeRequestMinIntervalMs: number;
  /** Keyframe size over an average frame. */
  readonly keyframeScale: number;
  /** Each frame after a keyframe repays up to this fraction of an average frame. */
  readonly repayFraction: number;
  /** Smallest frame, bytes. */
  readonly minFrameBytes: number;
}

/**
 * Default encoder model, as the low-latency profiles run: keyframes only at the start and on
 * request after a loss (at most one per 500 ms), ±10% frame-size noise, a keyframe 4× an average
 * frame and repaid over the next 12 frames.
 */
export const DEFAULT_ENCODER_MODEL: EncoderModel = {
  noiseSigma: 0.1,
  keyframeIntervalMs: 0,
  keyframeRequestMinIntervalMs: 500,
  keyframeScale: 4,
  repayFraction: 0.25,
  minFrameBytes: 200,
};

/** One simulated run's conditions. */
export interface Scenario {
  /** Short name, used for file names. */
  readonly name: string;
  readonly description: string;
  readonly durationMs: number;
  readonly fps: number;
  /** Bottleneck capacity, bits per second, piecewise constant; the first point is at 0. */
  readonly capacityBps: readonly TracePoint[];
  /** Random loss probability per frame, piecewise constant. */
  readonly lossRate: readonly TracePoint[];
  /** Base round-trip time without queueing, ms. */
  readonly baseRttMs: number;
  /** Tail-drop limit of the bottleneck queue, ms at the current capacity. */
  readonly queueLimitMs: number;
  readonly seed: number;
  readonly bounds: BitrateBounds;
  readonly startBitrateBps: number;
  readonly encoder: EncoderModel;
  readonly pingIntervalMs: number;
  /** Utilisation and p95 delay are measured from here to the end, ms. */
  readonly measureFromMs: number;
  /** After a change of capacity or loss, steady state starts this much later, ms. */
  readonly settleMs: number;
  /** Estimator tunables, if not the defaults. */
  readonly estimator?: Partial<EstimatorParams>;
}

/** The receiver's clock runs this far ahead of the sender's, to show only differences matter. */
export const RECEIVER_CLOCK_OFFSET_MS = 123_456.789;

/** What happened to one frame. */
export interface FrameRecord {
  readonly seq: number;
  readonly sendMs: number;
  /** Target the encoder used for this frame (the previous decision), bit/s. */
  readonly encoderTargetBps: number;
  /** Decision taken at this frame's tick, bit/s. */
  readonly decisionBps: number;
  readonly reason: RateReason;
  readonly sizeBytes: number;
  readonly keyframe: boolean;
  readonly capacityBps: number;
  readonly fate: 'delivered' | 'random-loss' | 'queue-drop';
  /** Wait in the bottleneck queue before transmission, ms (0 when not delivered). */
  readonly queueWaitMs: number;
  /** Receive time in the sender's clock, ms (`null` when not delivered). */
  readonly receiveMs: number | null;
}

/** Figures of merit of one run. */
export interface SimMetrics {
  /** Delivered bits over capacity bits from `measureFromMs` to the end. */
  readonly utilisation: number;
  /** 95th percentile queue wait of frames sent from `measureFromMs`, ms. */
  readonly p95QueuingDelayMs: number;
  /**
   * For capacity drops: time from the drop until every frame entering the queue waits under
   * 100 ms, ms (the worst drop); `null` without a drop.
   */
  readonly dropRecoveryMs: number | null;
  /**
   * For capacity rises: time from the rise until the sent bitrate (trailing 500 ms) reaches 85%
   * of what can be carried (capacity, or the ceiling if lower), ms (the worst rise); `'never'`
   * if not before the next change; `null` without a rise.
   */
  readonly riseTo85Ms: number | 'never' | null;
  /** Longest gap between two delivered frames, ms. */
  readonly maxStallMs: number;
  /**
   * Widest excursion of the decided target from its mean in the last steady stretch, as a
   * fraction (0.1 = ±10%); `null` when there is no stretch of at least 5 s.
   */
  readonly steadyOscillation: number | null;
  /** Decisions that were not finite numbers. */
  readonly nanCount: number;
  /** Decisions outside the bounds. */
  readonly outOfBoundsCount: number;
  /** Mean decided target from `measureFromMs`, bit/s. */
  readonly meanTargetBps: number;
  readonly framesSent: number;
  readonly framesDelivered: number;
}

/** Frames and figures of one run. */
export interface SimResult {
  readonly scenario: Scenario;
  readonly controller: ControllerKind;
  readonly frames: readonly FrameRecord[];
  readonly metrics: SimMetrics;
}

/** Value of a piecewise-constant trace at `atMs`. */
export function traceAt(trace: readonly TracePoint[], atMs: number): number {
  let value = trace[0]?.value ?? 0;
  for (const p of trace) {
    if (p.atMs <= atMs) value = p.value;
    else break;
  }
  return value;
}

/** Seeded 32-bit PRNG (mulberry32): returns a function giving floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal deviate from two uniforms (Box–Muller). */
function gaussian(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/**
 * The time the link finishes sending `bits` that start at `startMs`, ms. Capacity segments of 0
 * are skipped; if the trace ends at 0 the bits never finish (Infinity).
 */
export function transmitEndMs(capacity: readonly TracePoint[], startMs: number, bits: number): number {
  let t = startMs;
  let left = bits;
  for (let i = 0; i < capacity.length; i++) {
    const seg = capacity[i];
    if (seg === undefined) break;
    const endMs = capacity[i + 1]?.atMs ?? Infinity;
    if (endMs <= t) continue;
    const from = Math.max(t, seg.atMs);
    if (seg.value > 0) {
      const canBits = endMs === Infinity ? Infinity : (seg.value * (endMs - from)) / 1000;
      if (canBits >= left) return from + (left * 1000) / seg.value;
      left -= canBits;
    }
    t = endMs;
  }
  return left <= 0 ? t : Infinity;
}

/** Bits the link can carry between `fromMs` and `toMs`. */
export function capacityBits(capacity: readonly TracePoint[], fromMs: number, toMs: number): number {
  let bits = 0;
  for (let i = 0; i < capacity.length; i++) {
    const seg = capacity[i];
    if (seg === undefined) break;
    const a = Math.max(fromMs, seg.atMs);
    const b = Math.min(toMs, capacity[i + 1]?.atMs ?? Infinity);
    if (b > a) bits += (seg.value * (b - a)) / 1000;
  }
  return bits;
}

interface PendingEvent {
  readonly atMs: number;
  readonly kind: 'feedback' | 'pong' | 'keyframe-request';
  readonly seq: number;
  readonly sendMs: number;
  readonly receiveMs: number;
  readonly sizeBytes: number;
}

/** Runs `scenario` with the controller `kind`. */
export function runScenario(scenario: Scenario, kind: ControllerKind): SimResult {
  const sc = scenario;
  const frameMs = 1000 / sc.fps;
  const oneWayMs = sc.baseRttMs / 2;
  const lossRandom = mulberry32(sc.seed);
  const noiseRandom = mulberry32(sc.seed ^ 0x9e3779b9);
  const pingRandom = mulberry32(sc.seed ^ 0x85ebca6b);
  let estimator = createEstimator(sc.estimator ?? {});
  let controller = createController(kind, sc.bounds, sc.startBitrateBps);
  let encoderTargetBps = controller.kind === 'off' ? controller.bitrateBps : sc.startBitrateBps;
  let linkFreeAtMs = 0;
  let debtBytes = 0;
  let lastKeyframeMs = -Infinity;
  let nextPingMs = 0;
  let keyframeRequested = false;
  let lastDeliveredSeq = -1;
  const pending: PendingEvent[] = [];
  const frames: FrameRecord[] = [];

  const schedule = (e: PendingEvent): void => {
    let i = pending.length;
    while (i > 0 && (pending[i - 1]?.atMs ?? 0) > e.atMs) i--;
    pending.splice(i, 0, e);
  };

  for (let seq = 0; seq * frameMs < sc.durationMs; seq++) {
    const nowMs = seq * frameMs;

    // Pings due by now: they wait behind the frames already queued.
    while (nextPingMs <= nowMs) {
      const pingMs = nextPingMs;
      nextPingMs += sc.pingIntervalMs;
      if (pingRandom() < traceAt(sc.lossRate, pingMs)) continue;
      const atReceiverMs = Math.max(pingMs, linkFreeAtMs) + oneWayMs;
      schedule({
        atMs: atReceiverMs + oneWayMs,
        kind: 'pong',
        seq: -1,
        sendMs: pingMs,
        receiveMs: 0,
        sizeBytes: 0,
      });
    }

    // Reports that have reached the sender.
    while (pending.length > 0 && (pending[0]?.atMs ?? Infinity) <= nowMs) {
      const e = pending.shift();
      if (e === undefined) break;
      if (e.kind === 'pong') {
        estimator = estimatorOnRtt(estimator, e.atMs - e.sendMs, e.atMs);
      } else if (e.kind === 'keyframe-request') {
        const minMs = sc.encoder.keyframeRequestMinIntervalMs;
        if (minMs > 0 && e.atMs - lastKeyframeMs >= minMs) keyframeRequested = true;
      } else {
        estimator = estimatorOnFeedback(
          estimator,
          {
            seq: e.seq,
            sendTimeMs: e.sendMs,
            receiveTimeMs: e.receiveMs + RECEIVER_CLOCK_OFFSET_MS,
            sizeBytes: e.sizeBytes,
          },
          e.atMs,
        );
      }
    }

    const obs = estimatorObserve(estimator, nowMs);
    const step = controllerStep(controller, obs, nowMs);
    controller = step.controller;
    const decision = step.decision;

    // The encoder codes this frame at the previous decision.
    const periodMs = sc.encoder.keyframeIntervalMs > 0 ? sc.encoder.keyframeIntervalMs : Infinity;
    const keyframe = seq === 0 || keyframeRequested || nowMs - lastKeyframeMs >= periodMs;
    keyframeRequested = false;
    const nominalBytes = encoderTargetBps / 8 / sc.fps;
    const sigma = sc.encoder.noiseSigma;
    const noise = Math.exp(sigma * gaussian(noiseRandom) - (sigma * sigma) / 2);
    let sizeBytes: number;
    if (keyframe) {
      lastKeyframeMs = nowMs;
      sizeBytes = nominalBytes * sc.encoder.keyframeScale * noise;
      debtBytes += sizeBytes - nominalBytes;
    } else {
      const repay = Math.min(debtBytes, sc.encoder.repayFraction * nominalBytes);
      debtBytes -= repay;
      sizeBytes = nominalBytes * noise - repay;
    }
    sizeBytes = Math.max(sc.encoder.minFrameBytes, Math.round(sizeBytes));
    estimator = estimatorOnSent(estimator, { seq, sendTimeMs: nowMs, sizeBytes });

    const capacityBps = traceAt(sc.capacityBps, nowMs);
    let fate: FrameRecord['fate'] = 'delivered';
    let queueWaitMs = 0;
    let receiveMs: number | null = null;
    if (lossRandom() < traceAt(sc.lossRate, nowMs)) {
      fate = 'random-loss';
    } else {
      const backlogBits = linkFreeAtMs > nowMs ? capacityBits(sc.capacityBps, nowMs, linkFreeAtMs) : 0;
      const limitBits = (capacityBps * sc.queueLimitMs) / 1000;
      if (backlogBits > 0 && backlogBits + sizeBytes * 8 > limitBits) {
        fate = 'queue-drop';
      } else {
        const startMs = Math.max(nowMs, linkFreeAtMs);
        const endMs = transmitEndMs(sc.capacityBps, startMs, sizeBytes * 8);
        if (endMs === Infinity) {
          fate = 'queue-drop';
        } else {
          linkFreeAtMs = endMs;
          queueWaitMs = startMs - nowMs;
          receiveMs = endMs + oneWayMs;
          schedule({
            atMs: receiveMs + oneWayMs,
            kind: 'feedback',
            seq,
            sendMs: nowMs,
            receiveMs,
            sizeBytes,
          });
          // The viewer sees the gap when this frame arrives and asks for a keyframe.
          if (seq > lastDeliveredSeq + 1) {
            schedule({
              atMs: receiveMs + oneWayMs,
              kind: 'keyframe-request',
              seq,
              sendMs: nowMs,
              receiveMs,
              sizeBytes: 0,
            });
          }
          lastDeliveredSeq = seq;
        }
      }
    }
    frames.push({
      seq,
      sendMs: nowMs,
      encoderTargetBps,
      decisionBps: decision.targetBitrateBps,
      reason: decision.reason,
      sizeBytes,
      keyframe,
      capacityBps,
      fate,
      queueWaitMs,
      receiveMs,
    });
    encoderTargetBps = decision.targetBitrateBps;
  }
  return { scenario: sc, controller: kind, frames, metrics: computeMetrics(sc, frames) };
}

/** Percentile `p` (0–100) of `values` by nearest rank; 0 for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? 0;
}

/** Times at which the capacity or loss trace changes, ascending. */
function changeTimes(sc: Scenario): number[] {
  const times = new Set<number>();
  for (const p of [...sc.capacityBps, ...sc.lossRate]) if (p.atMs > 0) times.add(p.atMs);
  return [...times].sort((a, b) => a - b);
}

/** Computes {@link SimMetrics} from the frames of a run. */
export function computeMetrics(sc: Scenario, frames: readonly FrameRecord[]): SimMetrics {
  const frameMs = 1000 / sc.fps;
  const end = sc.durationMs;
  const from = sc.measureFromMs;
  const delivered = frames.filter((f) => f.receiveMs !== null);

  let deliveredBits = 0;
  for (const f of delivered) {
    if (f.receiveMs !== null && f.receiveMs >= from && f.receiveMs < end) deliveredBits += f.sizeBytes * 8;
  }
  const capBits = capacityBits(sc.capacityBps, from, end);
  const utilisation = capBits > 0 ? deliveredBits / capBits : 0;
  const p95QueuingDelayMs = percentile(
    delivered.filter((f) => f.sendMs >= from).map((f) => f.queueWaitMs),
    95,
  );

  const changes = changeTimes(sc);
  const capChanges = sc.capacityBps.filter((p, i) => i > 0 && p.value !== sc.capacityBps[i - 1]?.value);
  let dropRecoveryMs: number | null = null;
  let riseTo85Ms: number | 'never' | null = null;
  for (const c of capChanges) {
    const prev = traceAt(sc.capacityBps, c.atMs - 1e-6);
    const next = changes.find((t) => t > c.atMs) ?? end;
    if (c.value < prev) {
      let lastBadMs: number | null = null;
      for (const f of delivered) {
        if (f.sendMs >= c.atMs && f.sendMs < next && f.queueWaitMs >= 100) lastBadMs = f.sendMs;
      }
      const rec = lastBadMs === null ? 0 : lastBadMs + frameMs - c.atMs;
      dropRecoveryMs = Math.max(dropRecoveryMs ?? 0, rec);
    } else {
      const goalBps = 0.85 * Math.min(c.value, sc.bounds.maxBitrateBps);
      let reached: number | null = null;
      let windowBits = 0;
      let tail = 0;
      const inRange = frames.filter((f) => f.sendMs >= c.atMs - 500 && f.sendMs < next);
      for (let i = 0; i < inRange.length; i++) {
        const f = inRange[i];
        if (f === undefined) continue;
        windowBits += f.sizeBytes * 8;
        while ((inRange[tail]?.sendMs ?? Infinity) <= f.sendMs - 500) {
          windowBits -= (inRange[tail]?.sizeBytes ?? 0) * 8;
          tail++;
        }
        if (f.sendMs >= c.atMs && (windowBits * 1000) / 500 >= goalBps) {
          reached = f.sendMs - c.atMs;
          break;
        }
      }
      if (reached === null) riseTo85Ms = 'never';
      else if (riseTo85Ms !== 'never') riseTo85Ms = Math.max(riseTo85Ms ?? 0, reached);
    }
  }

  let maxStallMs = 0;
  const receiveTimes = delivered.map((f) => f.receiveMs ?? 0).sort((a, b) => a - b);
  for (let i = 1; i < receiveTimes.length; i++) {
    maxStallMs = Math.max(maxStallMs, (receiveTimes[i] ?? 0) - (receiveTimes[i - 1] ?? 0));
  }

  const steadyFrom = Math.max(sc.measureFromMs, (changes.at(-1) ?? 0) + sc.settleMs);
  let steadyOscillation: number | null = null;
  if (end - steadyFrom >= 5_000) {
    const targets = frames.filter((f) => f.sendMs >= steadyFrom).map((f) => f.decisionBps);
    const mean = targets.reduce((a, b) => a + b, 0) / Math.max(1, targets.length);
    const max = Math.max(...targets);
    const min = Math.min(...targets);
    steadyOscillation = mean > 0 ? Math.max(max / mean - 1, 1 - min / mean) : null;
  }

  const measured = frames.filter((f) => f.sendMs >= from);
  return {
    utilisation,
    p95QueuingDelayMs,
    dropRecoveryMs,
    riseTo85Ms,
    maxStallMs,
    steadyOscillation,
    nanCount: frames.filter((f) => !Number.isFinite(f.decisionBps)).length,
    outOfBoundsCount: frames.filter(
      (f) => f.decisionBps < sc.bounds.minBitrateBps || f.decisionBps > sc.bounds.maxBitrateBps,
    ).length,
    meanTargetBps: measured.reduce((a, f) => a + f.decisionBps, 0) / Math.max(1, measured.length),
    framesSent: frames.length,
    framesDelivered: delivered.length,
  };
}

const M = 1_000_000;

function scenario(
  name: string,
  description: string,
  rest: Partial<Omit<Scenario, 'name' | 'description'>> & Pick<Scenario, 'capacityBps'>,
): Scenario {
  return {
    name,
    description,
    durationMs: 30_000,
    fps: 60,
    lossRate: [{ atMs: 0, value: 0 }],
    baseRttMs: 40,
    queueLimitMs: 500,
    seed: 1,
    bounds: { minBitrateBps: 1 * M, maxBitrateBps: 50 * M },
    startBitrateBps: 8 * M,
    encoder: DEFAULT_ENCODER_MODEL,
    pingIntervalMs: 500,
    measureFromMs: 10_000,
    settleMs: 5_000,
    ...rest,
  };
}

/**
 * The standard traces: steady 20 Mbit/s; steps 20 → 5 and 5 → 20; starting at 8 Mbit/s on a
 * 3 Mbit/s link; the seeds' 50 Mbit/s ↔ 1 Gbit/s swing; 20 Mbit/s at 5 ms and 500 ms RTT; random loss rising 0 → 20%; sustained 85%
 * loss. 60 fps, 40 ms RTT, a 500 ms tail-drop queue and 1–50 Mbit/s bounds unless stated.
 */
export const STANDARD_SCENARIOS: readonly Scenario[] = [
  scenario('steady', 'steady 20 Mbit/s', { capacityBps: [{ atMs: 0, value: 20 * M }] }),
  scenario('step-down', '20 → 5 Mbit/s at 15 s', {
    durationMs: 40_000,
    settleMs: 10_000,
    capacityBps: [
      { atMs: 0, value: 20 * M },
      { atMs: 15_000, value: 5 * M },
    ],
  }),
  scenario('step-up', '5 → 20 Mbit/s at 15 s', {
    durationMs: 40_000,
    settleMs: 10_000,
    capacityBps: [
      { atMs: 0, value: 5 * M },
      { atMs: 15_000, value: 20 * M },
    ],
  }),
  scenario('start-above', 'start at 8 Mbit/s on a 3 Mbit/s link (the serve check), bounds 1–20 Mbit/s', {
    capacityBps: [{ atMs: 0, value: 3 * M }],
    bounds: { minBitrateBps: 1 * M, maxBitrateBps: 20 * M },
  }),
  scenario('swing', '50 Mbit/s ↔ 1 Gbit/s every 10 s, then 1 Gbit/s for 20 s; bounds 5 Mbit/s–1 Gbit/s', {
    durationMs: 70_000,
    settleMs: 10_000,
    capacityBps: [
      { atMs: 0, value: 50 * M },
      { atMs: 10_000, value: 1000 * M },
      { atMs: 20_000, value: 50 * M },
      { atMs: 30_000, value: 1000 * M },
      { atMs: 40_000, value: 50 * M },
      { atMs: 50_000, value: 1000 * M },
    ],
    bounds: { minBitrateBps: 5 * M, maxBitrateBps: 1000 * M },
    startBitrateBps: 20 * M,
  }),
  scenario('rtt-5ms', 'steady 20 Mbit/s, 5 ms RTT', {
    capacityBps: [{ atMs: 0, value: 20 * M }],
    baseRttMs: 5,
  }),
  scenario('rtt-500ms', 'steady 20 Mbit/s, 500 ms RTT', {
    capacityBps: [{ atMs: 0, value: 20 * M }],
    baseRttMs: 500,
    durationMs: 50_000,
    measureFromMs: 20_000,
  }),
  scenario('loss-ramp', '20 Mbit/s, random loss 0 → 2 → 5 → 10 → 20% every 6 s', {
    capacityBps: [{ atMs: 0, value: 20 * M }],
    lossRate: [
      { atMs: 0, value: 0 },
      { atMs: 6_000, value: 0.02 },
      { atMs: 12_000, value: 0.05 },
      { atMs: 18_000, value: 0.1 },
      { atMs: 24_000, value: 0.2 },
    ],
    measureFromMs: 6_000,
  }),
  scenario('loss-85', '20 Mbit/s, sustained 85% random loss from 5 s', {
    capacityBps: [{ atMs: 0, value: 20 * M }],
    lossRate: [
      { atMs: 0, value: 0 },
      { atMs: 5_000, value: 0.85 },
    ],
    measureFromMs: 5_000,
  }),
];
