import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { RateObservation } from '../src/core/rate/estimator.ts';
import {
  createGccParams,
  createGccState,
  detectOveruse,
  gccStep,
  linkLowerBps,
  linkUpperBps,
  updateLink,
} from '../src/core/rate/gcc.ts';
import type { GccState } from '../src/core/rate/gcc.ts';
import { mulberry32 } from '../src/core/rate/simulator.ts';

const M = 1_000_000;
const params = createGccParams({ minBitrateBps: 1 * M, maxBitrateBps: 50 * M });

/** A calm observation: 10 Mbit/s delivered, no queue, no loss, 40 ms RTT, 60 fps. */
function obs(over: Partial<RateObservation> = {}): RateObservation {
  return {
    throughputBps: 10 * M,
    recentThroughputBps: 10 * M,
    sentBitrateBps: 10 * M,
    deliveryRatio: 1,
    delayTrendMsPerMs: 0,
    trendSamples: 100,
    queuingDelayMs: 0,
    standingQueueMs: 0,
    rttMs: 40,
    minRttMs: 40,
    lossRate: 0,
    lateRate: 0,
    inFlightBytes: 0,
    frameRateHz: 60,
    feedbackCount: 1,
    deliveredBytes: 0,
    lastSendTimeMs: null,
    lastReceiveTimeMs: null,
    feedbackAgeMs: 5,
    linkRateBps: null,
    recentLinkRateBps: null,
    newestLinkRateBps: null,
    pendingDelayMs: 0,
    ...over,
  };
}

test('detector: over-use after more than 10 ms and two samples above the threshold; threshold adapts', () => {
  const d0 = createGccState(10 * M, params).detector;
  // modified trend = min(60, 100) × 0.1 × 4 = 24 > 12.5
  const d1 = detectOveruse(d0, obs({ delayTrendMsPerMs: 0.1 }), 1000, params);
  assert.equal(d1.hypothesis, 'normal');
  assert.equal(d1.overuseCounter, 1);
  assert.equal(d1.timeOverUsingMs, 0);
  assert.equal(d1.threshold, 12.5);
  const d2 = detectOveruse(d1, obs({ delayTrendMsPerMs: 0.1, feedbackCount: 2 }), 1020, params);
  assert.equal(d2.hypothesis, 'overusing');
  assert.equal(d2.overuseCounter, 0);
  // 12.5 + 0.0087 × (24 − 12.5) × 20 ms
  assert.ok(Math.abs(d2.threshold - 14.501) < 1e-12, `${d2.threshold}`);
  // Below −threshold: under-use at once; in between: normal, and the threshold comes down.
  const d3 = detectOveruse(d2, obs({ delayTrendMsPerMs: -0.1 }), 1040, params);
  assert.equal(d3.hypothesis, 'underusing');
  const d4 = detectOveruse(d3, obs({ delayTrendMsPerMs: 0 }), 1060, params);
  assert.equal(d4.hypothesis, 'normal');
  // |−24| ≥ 14.501 adapts up; then |0| < threshold adapts down with 0.039 × 20 ms (to 3.55),
  // clamped at the floor of 6.
  const t3 = 14.501 + 0.0087 * (24 - 14.501) * 20;
  assert.ok(Math.abs(d3.threshold - t3) < 1e-12);
  assert.equal(d4.threshold, 6);
});

test('detector: a spike far above the threshold does not raise it; the threshold stays within 6..600', () => {
  const d0 = createGccState(10 * M, params).detector;
  const d1 = detectOveruse(d0, obs({ delayTrendMsPerMs: 1 }), 1000, params);
  const d2 = detectOveruse(d1, obs({ delayTrendMsPerMs: 1 }), 1100, params);
  assert.equal(d2.threshold, 12.5);
  let d = d0;
  for (let t = 0; t < 10_000; t += 100) d = detectOveruse(d, obs({ delayTrendMsPerMs: 0 }), t, params);
  assert.equal(d.threshold, 6);
});

test('detector queue guards: a growing queue above 60 ms, or a standing queue above 30 ms, is over-use', () => {
  const d0 = createGccState(10 * M, params).detector;
  assert.equal(detectOveruse(d0, obs({ queuingDelayMs: 70 }), 1000, params).hypothesis, 'overusing');
  const shrinking = { ...d0, prevQueuingDelayMs: 90 };
  assert.equal(detectOveruse(shrinking, obs({ queuingDelayMs: 70 }), 1000, params).hypothesis, 'normal');
  assert.equal(detectOveruse(d0, obs({ standingQueueMs: 31 }), 1000, params).hypothesis, 'overusing');
  assert.equal(detectOveruse(d0, obs({ standingQueueMs: 29 }), 1000, params).hypothesis, 'normal');
});

test('link capacity estimate: exponential average and variance as in GCC, with a 3% minimum margin', () => {
  const l1 = updateLink(null, 20 * M, params);
  assert.deepEqual(l1, { estimateKbps: 20_000, deviation: 0.4 });
  // 3·sqrt(0.4 × 20000) = 268 kbit/s < 3% = 600 kbit/s
  assert.equal(linkUpperBps(l1, params), 20_600_000);
  assert.equal(linkLowerBps(l1, params), 19_400_000);
  const l2 = updateLink(l1, 10 * M, params);
  assert.equal(l2.estimateKbps, 19_500);
  assert.equal(l2.deviation, 2.5); // 0.38 + 0.05 × 9500² / 19500, clamped
  assert.ok(Math.abs(linkUpperBps(l2, params) - (19_500 + 3 * Math.sqrt(2.5 * 19_500)) * 1000) < 1e-6);
});

test('waits for feedback, then decreases to 0.85 × throughput on over-use', () => {
  const s0 = createGccState(20 * M, params);
  const w = gccStep(s0, obs({ feedbackAgeMs: null, feedbackCount: 0 }), 0, params);
  assert.deepEqual(w.decision, { targetBitrateBps: 20 * M, reason: 'waiting' });
  const r = gccStep(s0, obs({ queuingDelayMs: 70, recentThroughputBps: 10 * M }), 100, params);
  assert.deepEqual(r.decision, { targetBitrateBps: 8.5 * M, reason: 'decrease-overuse' });
  assert.equal(r.state.rateControl, 'hold');
  assert.deepEqual(r.state.link, { estimateKbps: 10_000, deviation: 0.4 });
  // Still over-using 20 ms later: not yet time to reduce again (one RTT, 40 ms).
  const r2 = gccStep(
    r.state,
    obs({ queuingDelayMs: 80, recentThroughputBps: 9 * M, feedbackCount: 2 }),
    120,
    params,
  );
  assert.equal(r2.decision.targetBitrateBps, 8.5 * M);
  // After an RTT: 0.85 × 9 Mbit/s.
  const r3 = gccStep(
    r2.state,
    obs({ queuingDelayMs: 90, recentThroughputBps: 9 * M, feedbackCount: 3 }),
    160,
    params,
  );
  assert.ok(Math.abs(r3.decision.targetBitrateBps - 0.85 * 9 * M) < 1e-6);
});

test('queue drain: the output drops by the queued bits over 300 ms while the queue is above 100 ms', () => {
  const s0 = { ...createGccState(8 * M, params), rateControl: 'increase' as const, lastChangeMs: 0 };
  // 100 000 bytes in flight; 8 Mbit/s × 40 ms = 320 000 bits of it are the pipe, 480 000 queued.
  const o = obs({
    queuingDelayMs: 150,
    recentThroughputBps: 8 * M,
    throughputBps: 8 * M,
    inFlightBytes: 100_000,
    // A shrinking queue: no over-use, only the drain.
  });
  const state: GccState = { ...s0, detector: { ...s0.detector, prevQueuingDelayMs: 200 } };
  const r = gccStep(state, o, 0, params);
  assert.equal(r.state.bitrateBps, 8 * M);
  assert.equal(r.decision.targetBitrateBps, 8 * M - 480_000 / 0.3);
  assert.equal(r.decision.reason, 'drain');
});

test('increase: multiplicative 8%/s without a link estimate, one frame per two response times near it', () => {
  const base: GccState = { ...createGccState(10 * M, params), rateControl: 'increase', lastChangeMs: 1000 };
  const noProbe = createGccParams(params, { probing: false });
  const mult = gccStep(base, obs(), 1100, noProbe);
  assert.equal(mult.decision.reason, 'increase-multiplicative');
  assert.ok(Math.abs(mult.decision.targetBitrateBps - 10 * M * Math.pow(1.08, 0.1)) < 1e-6);
  const near: GccState = { ...base, link: { estimateKbps: 10_500, deviation: 0.4 } };
  const add = gccStep(near, obs(), 1100, noProbe);
  assert.equal(add.decision.reason, 'increase-additive');
  // 0.5 × (10 Mbit/s / 60 fps) / (40 + 100 ms) per second, for 100 ms.
  const expected = 10 * M + (0.5 * (10 * M)) / 60 / 0.14 / 10;
  assert.ok(Math.abs(add.decision.targetBitrateBps - expected) < 1e-6);
  // Plain GCC counts packets of 1200 bytes instead of frames: much slower.
  const classic = createGccParams(params, { probing: false, additivePacketBytes: 1200 });
  const slow = gccStep(near, obs(), 1100, classic);
  assert.ok(Math.abs(slow.decision.targetBitrateBps - (10 * M + (0.5 * 9600) / 0.14 / 10)) < 1e-6);
  // Never above 1.5 × throughput + 10 kbit/s.
  const limited = gccStep(base, obs({ throughputBps: 5 * M }), 1100, noProbe);
  assert.equal(limited.decision.targetBitrateBps, 10 * M);
});

test('loss: above 10% cut by half the loss; 2–10% hold; the cut repeats after 300 ms + RTT', () => {
  const base: GccState = { ...createGccState(10 * M, params), rateControl: 'increase', lastChangeMs: 1000 };
  const noProbe = createGccParams(params, { probing: false });
  const cut = gccStep(base, obs({ lossRate: 0.2 }), 1100, noProbe);
  assert.deepEqual(cut.decision, { targetBitrateBps: 9 * M, reason: 'loss-decrease' });
  const again = gccStep(cut.state, obs({ lossRate: 0.2, feedbackCount: 2 }), 1300, noProbe);
  assert.equal(again.decision.targetBitrateBps, 9 * M);
  const later = gccStep(again.state, obs({ lossRate: 0.2, feedbackCount: 3 }), 1440, noProbe);
  assert.equal(later.decision.targetBitrateBps, 8.1 * M);
  const hold = gccStep(base, obs({ lossRate: 0.05 }), 1100, noProbe);
  assert.deepEqual(hold.decision, { targetBitrateBps: 10 * M, reason: 'loss-hold' });
  const ok = gccStep(base, obs({ lossRate: 0.01 }), 1100, noProbe);
  assert.ok(ok.decision.targetBitrateBps > 10 * M);
});

test('probe: a far step of 1.25× when delay is flat; withdrawn at once when it queues', () => {
  const s0: GccState = { ...createGccState(8 * M, params), rateControl: 'increase', lastChangeMs: 2000 };
  const start = gccStep(s0, obs({ recentThroughputBps: 8 * M, throughputBps: 8 * M }), 2000, params);
  assert.equal(start.decision.reason, 'probe-start');
  assert.equal(start.decision.targetBitrateBps, 10 * M);
  assert.equal(start.state.probe.baseBitrateBps, 8 * M);
  const failed = gccStep(start.state, obs({ queuingDelayMs: 30, feedbackCount: 2 }), 2100, params);
  assert.deepEqual(failed.decision, { targetBitrateBps: 8 * M, reason: 'probe-failed' });
  assert.equal(failed.state.probe.nextProbeMs, 2100 + 2000);
});

test('probe: judged on its own frames — success keeps the step and probes on at once', () => {
  const s0: GccState = { ...createGccState(8 * M, params), rateControl: 'increase', lastChangeMs: 2000 };
  const start = gccStep(s0, obs({ recentThroughputBps: 8 * M, throughputBps: 8 * M }), 2000, params);
  const at = (send: number, bytes: number, receive: number, n: number): RateObservation =>
    obs({ lastSendTimeMs: send, deliveredBytes: bytes, lastReceiveTimeMs: receive, feedbackCount: n });
  // First frame sent after the step is reported: the mark.
  const m = gccStep(start.state, at(2017, 1_000_000, 50_000, 2), 2060, params);
  assert.deepEqual(m.state.probe.mark, { bytes: 1_000_000, sendMs: 2017, receiveMs: 50_000 });
  assert.equal(m.decision.targetBitrateBps, 10 * M);
  // 200 ms of frames later: 250 000 bytes in 200 ms of arrivals = 10 Mbit/s, delivered as sent.
  // The step is kept, and the next one starts in the same step: 1.25 × 10 Mbit/s.
  const ok = gccStep(m.state, at(2217, 1_250_000, 50_200, 3), 2260, params);
  assert.equal(ok.decision.reason, 'probe-start');
  assert.equal(ok.state.probe.baseBitrateBps, 10 * M);
  assert.equal(ok.decision.targetBitrateBps, 12.5 * M);
  // Had they arrived over 230 ms (ratio 0.87), the probe would be withdrawn.
  const slow = gccStep(m.state, at(2217, 1_250_000, 50_230, 3), 2260, params);
  assert.deepEqual(slow.decision, { targetBitrateBps: 8 * M, reason: 'probe-failed' });
});

test('no feedback for a second (or three RTTs): halve, once per timeout', () => {
  const s0 = createGccState(20 * M, params);
  const r1 = gccStep(s0, obs({ feedbackAgeMs: 1500 }), 5000, params);
  assert.deepEqual(r1.decision, { targetBitrateBps: 10 * M, reason: 'feedback-timeout' });
  const r2 = gccStep(r1.state, obs({ feedbackAgeMs: 1600 }), 5100, params);
  assert.equal(r2.decision.targetBitrateBps, 10 * M);
  const r3 = gccStep(r2.state, obs({ feedbackAgeMs: 2600 }), 6000, params);
  assert.equal(r3.decision.targetBitrateBps, 5 * M);
  // A long RTT lengthens the timeout.
  const r4 = gccStep(s0, obs({ feedbackAgeMs: 1400, rttMs: 500 }), 5000, params);
  assert.notEqual(r4.decision.reason, 'feedback-timeout');
});

test('any observation, however odd, gives a finite target within the bounds', () => {
  const random = mulberry32(42);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  let s = createGccState(5 * M, params);
  for (let i = 0; i < 20_000; i++) {
    const o = obs({
      throughputBps: pick([null, 0, 1, random() * 200 * M, Number.MAX_VALUE]),
      recentThroughputBps: pick([null, 0, random() * 200 * M]),
      deliveryRatio: pick([null, 0, random() * 2, 1]),
      delayTrendMsPerMs: pick([0, (random() - 0.5) * 10, -1e9, 1e9]),
      trendSamples: pick([0, 1, 2, 60, 1000]),
      queuingDelayMs: pick([0, random() * 2000]),
      standingQueueMs: pick([0, random() * 100]),
      rttMs: pick([0, 1, random() * 1000]),
      lossRate: pick([0, random(), 1]),
      inFlightBytes: pick([0, random() * 1e8]),
      frameRateHz: pick([null, 1, 60, 240]),
      feedbackCount: i,
      lastSendTimeMs: pick([null, i * 16]),
      lastReceiveTimeMs: pick([null, i * 16 + random() * 100]),
      deliveredBytes: i * 10_000,
      feedbackAgeMs: pick([null, 0, random() * 3000]),
    });
    const r = gccStep(s, o, i * 16.7, params);
    s = r.state;
    const t = r.decision.targetBitrateBps;
    assert.ok(Number.isFinite(t) && t >= 1 * M && t <= 50 * M, `step ${i}: ${t}`);
    assert.ok(Number.isFinite(s.bitrateBps));
  }
});

test('link rate far above the target: 90% of it at once; not when the last frames show a drop', () => {
  const s0: GccState = { ...createGccState(5 * M, params), rateControl: 'increase', lastChangeMs: 2000 };
  const calm = { throughputBps: 5 * M, recentThroughputBps: 5 * M };
  const up = gccStep(s0, obs({ ...calm, linkRateBps: 20 * M, recentLinkRateBps: 20 * M }), 2100, params);
  assert.deepEqual(up.decision, { targetBitrateBps: 18 * M, reason: 'increase-link-rate' });
  // The 30-frame median still says 20 Mbit/s, the last five frames 4.5: the link has dropped.
  const stale = gccStep(s0, obs({ ...calm, linkRateBps: 20 * M, recentLinkRateBps: 4.5 * M }), 2100, params);
  assert.ok(stale.decision.targetBitrateBps < 6 * M, `${stale.decision.targetBitrateBps}`);
  assert.notEqual(stale.decision.reason, 'increase-link-rate');
});

test('a queue while under the measured link rate is jitter; with the link rate dropping, over-use', () => {
  const s0: GccState = { ...createGccState(9 * M, params), rateControl: 'increase', lastChangeMs: 2000 };
  const jitter = { standingQueueMs: 35, queuingDelayMs: 40, recentThroughputBps: 9 * M };
  const held = gccStep(
    s0,
    obs({ ...jitter, linkRateBps: 9.5 * M, recentLinkRateBps: 9.4 * M }),
    2100,
    params,
  );
  assert.equal(held.state.detector.hypothesis, 'overusing');
  assert.equal(held.decision.targetBitrateBps, 9 * M);
  // The last frames arrive at 7 Mbit/s: a real drop; decrease to 0.85 × that.
  const cut = gccStep(s0, obs({ ...jitter, linkRateBps: 9.5 * M, recentLinkRateBps: 7 * M }), 2100, params);
  assert.deepEqual(cut.decision, { targetBitrateBps: 0.85 * 7 * M, reason: 'decrease-overuse' });
  // A queue above 60 ms that still grows is over-use whatever the link rate says.
  const big = gccStep(
    s0,
    obs({ ...jitter, queuingDelayMs: 70, linkRateBps: 9.5 * M, recentLinkRateBps: 9.4 * M }),
    2100,
    params,
  );
  assert.equal(big.decision.reason, 'decrease-overuse');
});

test('increases stop at 97% of the link rate for 3 s after it was last measured; no probe near it', () => {
  let s: GccState = { ...createGccState(9 * M, params), rateControl: 'increase', lastChangeMs: 0 };
  const calm = { throughputBps: 9 * M, recentThroughputBps: 9 * M };
  s = gccStep(s, obs({ ...calm, linkRateBps: 10 * M, recentLinkRateBps: 10 * M }), 0, params).state;
  const reasons = new Set<string>();
  let n = 2;
  // Measured now: no probe, and no increase past 9.7 Mbit/s.
  for (let t = 100; t <= 2000; t += 100) {
    const r = gccStep(
      s,
      obs({ ...calm, linkRateBps: 10 * M, recentLinkRateBps: 10 * M, feedbackCount: n++ }),
      t,
      params,
    );
    s = r.state;
    reasons.add(r.decision.reason);
    assert.ok(r.decision.targetBitrateBps <= 9.7 * M + 1, `${t}: ${r.decision.targetBitrateBps}`);
  }
  assert.ok(!reasons.has('probe-start'), [...reasons].join());
  // The link stops showing its rate (not measured): still capped until 3 s after the last sample…
  for (let t = 2100; t <= 4900; t += 100) {
    const r = gccStep(s, obs({ ...calm, feedbackCount: n++ }), t, params);
    s = r.state;
    assert.ok(r.decision.targetBitrateBps <= 9.7 * M + 1, `${t}: ${r.decision.targetBitrateBps}`);
  }
  // …then increases (and probes) go on.
  let last = 0;
  for (let t = 5000; t <= 8000; t += 100) {
    const r = gccStep(s, obs({ ...calm, feedbackCount: n++ }), t, params);
    s = r.state;
    last = r.decision.targetBitrateBps;
  }
  assert.ok(last > 9.7 * M, `${last}`);
});

test('a target over 1.1 × the recent link rate is over-use without any queue; no jump within 1 s of a decrease', () => {
  const s0: GccState = { ...createGccState(18 * M, params), rateControl: 'increase', lastChangeMs: 2000 };
  // The last frames crossed a 5 Mbit/s link; the queue is still short (the in-flight window).
  const drop = gccStep(s0, obs({ linkRateBps: 19 * M, recentLinkRateBps: 5 * M }), 2100, params);
  assert.deepEqual(drop.decision, { targetBitrateBps: 0.85 * 5 * M, reason: 'decrease-overuse' });
  // Half a second later the 30-frame median still says 19 and the last frames 5.5: no jump back.
  const calm = { linkRateBps: 19 * M, recentLinkRateBps: 5.5 * M, feedbackCount: 2 };
  const r = gccStep({ ...drop.state, rateControl: 'increase' }, obs(calm), 2600, params);
  assert.notEqual(r.decision.reason, 'increase-link-rate');
  assert.ok(r.decision.targetBitrateBps < 5 * M, `${r.decision.targetBitrateBps}`);
});
