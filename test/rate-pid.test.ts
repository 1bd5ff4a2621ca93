import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { RateObservation } from '../src/core/rate/estimator.ts';
import { createPidParams, createPidState, pidStep } from '../src/core/rate/pid.ts';
import type { PidState } from '../src/core/rate/pid.ts';
import { mulberry32 } from '../src/core/rate/simulator.ts';

const M = 1_000_000;
// The 8k60-live bounds; the base refresh is pushed out of the way except where tested.
const params = createPidParams({ minBitrateBps: 5 * M, maxBitrateBps: 120 * M }, { refreshFirstMs: 1e9 });

function obs(over: Partial<RateObservation> = {}): RateObservation {
  return {
    throughputBps: 10 * M,
    recentThroughputBps: 10 * M,
    sentBitrateBps: 10 * M,
    deliveryRatio: 1,
    delayTrendMsPerMs: 0,
    trendSamples: 100,
    queuingDelayMs: 10,
    standingQueueMs: 0,
    rttMs: 100,
    minRttMs: 100,
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

const close = (actual: number, expected: number): void =>
  assert.ok(Math.abs(actual - expected) < 1e-6, `${actual} ≠ ${expected}`);

test('P and I: half the set point of queue gives e = 0.5; the integral grows by ki·e·dt', () => {
  const s0 = createPidState(8 * M, params);
  // First update: no elapsed time, u = kp × 0.5 = 0.075 on a 10 Mbit/s base.
  const r1 = pidStep(s0, obs(), 1000, params);
  assert.equal(r1.decision.reason, 'pid');
  close(r1.decision.targetBitrateBps, 10.75 * M);
  // 100 ms later: integral 0.05 × 0.5 × 0.1 = 0.0025.
  const r2 = pidStep(r1.state, obs({ feedbackCount: 2 }), 1100, params);
  close(r2.state.integral, 0.0025);
  close(r2.decision.targetBitrateBps, 10 * M * (1 + 0.075 + 0.0025));
  // No fresh feedback: nothing moves.
  const r3 = pidStep(r2.state, obs({ feedbackCount: 2 }), 1200, params);
  assert.deepEqual(r3.decision, { targetBitrateBps: r2.decision.targetBitrateBps, reason: 'hold' });
});

test('D: a rising delay trend pulls the target down before the delay is large', () => {
  const s0 = createPidState(8 * M, params);
  // e = 0.5, de/dt = −0.1 × 1000 / 20 = −5 per second; u = 0.075 − 0.005 × 5 = 0.05.
  const r = pidStep(s0, obs({ delayTrendMsPerMs: 0.1 }), 1000, params);
  close(r.decision.targetBitrateBps, 10.5 * M);
});

test('output clamps: a huge queue cuts to 20% of the throughput, an empty one raises by at most 25%', () => {
  const s0 = createPidState(8 * M, params);
  // e is clamped at −4 (u = −0.6): 40% of the throughput ...
  const deep = pidStep(s0, obs({ queuingDelayMs: 500, recentThroughputBps: 40 * M }), 1000, params);
  close(deep.decision.targetBitrateBps, 16 * M);
  // ... and with the delay still rising fast (D = 0.005 × −50), the −0.8 floor of u: 20%.
  const down = pidStep(
    s0,
    obs({ queuingDelayMs: 500, delayTrendMsPerMs: 1, recentThroughputBps: 40 * M }),
    1000,
    params,
  );
  close(down.decision.targetBitrateBps, 8 * M);
  const up = pidStep(
    s0,
    obs({ queuingDelayMs: 0, delayTrendMsPerMs: -1, recentThroughputBps: 40 * M }),
    1000,
    params,
  );
  close(up.decision.targetBitrateBps, 50 * M);
  // And the profile's bounds hold.
  assert.equal(pidStep(s0, obs({ queuingDelayMs: 500 }), 1000, params).decision.targetBitrateBps, 5 * M);
  assert.equal(
    pidStep(s0, obs({ queuingDelayMs: 0, recentThroughputBps: 110 * M }), 1000, params).decision
      .targetBitrateBps,
    120 * M,
  );
});

test('anti-windup: the integral is frozen while the output is pinned and never exceeds its limit', () => {
  let s: PidState = createPidState(8 * M, params);
  // P alone (0.3 × 1) is past the 0.25 output limit: the integral must not wind up.
  const hot = createPidParams(params, { kp: 0.3, refreshFirstMs: 1e9 });
  for (let i = 0; i < 100; i++)
    s = pidStep(s, obs({ queuingDelayMs: 0, feedbackCount: i + 1 }), i * 100, hot).state;
  assert.equal(s.integral, 0);
  // At the ceiling the integral stops too.
  let c: PidState = createPidState(8 * M, params);
  for (let i = 0; i < 100; i++) {
    c = pidStep(
      c,
      obs({ queuingDelayMs: 15, recentThroughputBps: 119 * M, feedbackCount: i + 1 }),
      i * 100,
      params,
    ).state;
  }
  assert.equal(c.integral, 0);
  // Unpinned, it integrates up to the limit and stays there.
  let u: PidState = createPidState(8 * M, params);
  for (let i = 0; i < 1000; i++)
    u = pidStep(u, obs({ queuingDelayMs: 15, feedbackCount: i + 1 }), i * 100, params).state;
  close(u.integral, 0.1);
});

test('long RTT scales the gains by √(100 ms / RTT)', () => {
  const s0 = createPidState(8 * M, params);
  const r = pidStep(s0, obs({ rttMs: 400 }), 1000, params);
  close(r.decision.targetBitrateBps, 10 * M * (1 + 0.5 * 0.075));
});

test('loss up to 50% is added back to the base; above it the target is never raised', () => {
  const s0 = createPidState(8 * M, params);
  const r = pidStep(s0, obs({ lossRate: 0.2 }), 1000, params);
  close(r.decision.targetBitrateBps, (10 * M * 1.075) / 0.8);
  const broken = pidStep(s0, obs({ lossRate: 0.85, queuingDelayMs: 0 }), 1000, params);
  assert.equal(broken.decision.targetBitrateBps, 8 * M);
});

test('base refresh: 2 s after the first feedback, 15% below the average target until the delay stops falling', () => {
  const p = createPidParams({ minBitrateBps: 1 * M, maxBitrateBps: 50 * M });
  let s = createPidState(10 * M, p);
  let n = 0;
  const step = (t: number, q: number): ReturnType<typeof pidStep> => {
    const r = pidStep(s, obs({ queuingDelayMs: q, feedbackCount: ++n }), t, p);
    s = r.state;
    return r;
  };
  step(0, 20);
  assert.equal(s.nextRefreshMs, 2000);
  for (let t = 100; t < 2000; t += 100) step(t, 20);
  const avg = s.averageTargetBps;
  const r = step(2000, 20);
  assert.deepEqual(r.decision, { targetBitrateBps: avg * 0.85, reason: 'base-refresh' });
  // The delay falls (new lows), then reads flat for 100 ms after at least 100 ms + RTT: done.
  assert.equal(step(2050, 10).decision.reason, 'base-refresh');
  assert.equal(step(2100, 0).decision.reason, 'base-refresh');
  assert.equal(step(2150, 0).decision.reason, 'base-refresh');
  assert.equal(step(2200, 0.2).decision.reason, 'base-refresh');
  assert.equal(step(2260, 0.3).decision.reason, 'pid');
  assert.equal(s.refreshStartMs, null);
  assert.equal(s.nextRefreshMs, 2260 + 10_000);
});

test('no feedback for a second: halve, once per timeout; waiting before the first', () => {
  const s0 = createPidState(20 * M, params);
  assert.deepEqual(pidStep(s0, obs({ feedbackAgeMs: null }), 0, params).decision, {
    targetBitrateBps: 20 * M,
    reason: 'waiting',
  });
  const r = pidStep(s0, obs({ feedbackAgeMs: 1500 }), 5000, params);
  assert.deepEqual(r.decision, { targetBitrateBps: 10 * M, reason: 'feedback-timeout' });
  assert.equal(
    pidStep(r.state, obs({ feedbackAgeMs: 1600 }), 5100, params).decision.targetBitrateBps,
    10 * M,
  );
});

test('any observation, however odd, gives a finite target within the bounds', () => {
  const random = mulberry32(7);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  let s = createPidState(5 * M, params);
  for (let i = 0; i < 20_000; i++) {
    const r = pidStep(
      s,
      obs({
        throughputBps: pick([null, 0, random() * 300 * M]),
        recentThroughputBps: pick([null, 0, 1, random() * 300 * M, Number.MAX_VALUE]),
        delayTrendMsPerMs: pick([0, (random() - 0.5) * 10, 1e12, -1e12]),
        queuingDelayMs: pick([0, random() * 5000]),
        rttMs: pick([0, 1, random() * 2000]),
        lossRate: pick([0, random(), 1]),
        feedbackCount: pick([i, i - 1]),
        feedbackAgeMs: pick([null, 0, random() * 4000]),
      }),
      i * 16.7,
      params,
    );
    s = r.state;
    const t = r.decision.targetBitrateBps;
    assert.ok(Number.isFinite(t) && t >= 5 * M && t <= 120 * M, `step ${i}: ${t}`);
    assert.ok(Number.isFinite(s.integral) && Math.abs(s.integral) <= 0.1);
  }
});
