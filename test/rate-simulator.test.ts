import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  DEFAULT_ENCODER_MODEL,
  STANDARD_SCENARIOS,
  capacityBits,
  computeMetrics,
  mulberry32,
  percentile,
  runScenario,
  traceAt,
  transmitEndMs,
} from '../src/core/rate/simulator.ts';
import type { FrameRecord, Scenario, SimResult } from '../src/core/rate/simulator.ts';

const M = 1_000_000;
const scenario = (name: string): Scenario => {
  const s = STANDARD_SCENARIOS.find((x) => x.name === name);
  assert.ok(s !== undefined, name);
  return s;
};

// Each acceptance figure is checked on three seeds so that one lucky noise pattern cannot pass.
const SEEDS = [1, 2, 3] as const;
const runs = new Map<string, SimResult>();
function run(name: string, controller: 'gcc' | 'pid' | 'gcc-classic' | 'off', seed = 1): SimResult {
  const key = `${name}/${controller}/${seed}`;
  let r = runs.get(key);
  if (r === undefined) {
    r = runScenario({ ...scenario(name), seed }, controller);
    runs.set(key, r);
  }
  return r;
}

test('mulberry32: the reference sequence for seed 1', () => {
  const r = mulberry32(1);
  assert.equal(r(), 0.6270739405881613);
  assert.equal(r(), 0.002735721180215478);
  assert.equal(r(), 0.5274470399599522);
});

test('link arithmetic: piecewise capacity, outages skipped', () => {
  const cap = [
    { atMs: 0, value: 8 * M },
    { atMs: 1000, value: 0 },
    { atMs: 2000, value: 16 * M },
  ];
  assert.equal(traceAt(cap, 999), 8 * M);
  assert.equal(traceAt(cap, 1500), 0);
  assert.equal(transmitEndMs(cap, 999, 8000), 1000);
  assert.equal(transmitEndMs(cap, 999, 16_000), 2000.5);
  assert.equal(transmitEndMs(cap, 1500, 16_000), 2001);
  assert.equal(
    transmitEndMs(
      [
        { atMs: 0, value: 1 * M },
        { atMs: 10, value: 0 },
      ],
      0,
      20_000,
    ),
    Infinity,
  );
  assert.equal(capacityBits(cap, 500, 2500), 4_000_000 + 8_000_000);
  assert.equal(percentile([5, 1, 4, 2, 3], 95), 5);
  assert.equal(percentile([5, 1, 4, 2, 3], 50), 3);
  assert.equal(percentile([], 95), 0);
});

test('metrics from hand-made frames: utilisation, p95 wait, drop recovery, stall, oscillation', () => {
  const sc: Scenario = {
    ...scenario('steady'),
    durationMs: 10_000,
    fps: 10,
    measureFromMs: 0,
    settleMs: 0,
    bounds: { minBitrateBps: 0.1 * M, maxBitrateBps: 1 * M },
    capacityBps: [
      { atMs: 0, value: 1 * M },
      { atMs: 2000, value: 0.5 * M },
    ],
  };
  // 100 frames of 10 000 bytes (80 kbit) every 100 ms; frames 20–24 wait 150 ms, frame 30 is lost.
  const frames: FrameRecord[] = [];
  for (let i = 0; i < 100; i++) {
    const wait = i >= 20 && i < 25 ? 150 : 0;
    frames.push({
      seq: i,
      sendMs: i * 100,
      encoderTargetBps: 0.8 * M,
      decisionBps: i % 2 === 0 ? 0.4 * M : 0.6 * M,
      reason: 'hold',
      sizeBytes: 10_000,
      keyframe: false,
      capacityBps: 1 * M,
      fate: i === 30 ? 'queue-drop' : 'delivered',
      queueWaitMs: i === 30 ? 0 : wait,
      receiveMs: i === 30 ? null : i * 100 + wait + 80,
    });
  }
  const m = computeMetrics(sc, frames);
  // 99 frames × 80 kbit delivered before 10 s, over 2 + 4 Mbit of capacity.
  assert.equal(m.utilisation, (99 * 80_000) / 6_000_000);
  assert.equal(m.p95QueuingDelayMs, 150);
  // The last frame waiting ≥ 100 ms after the drop at 2 s was sent at 2.4 s: recovered at 2.5 s.
  assert.equal(m.dropRecoveryMs, 500);
  assert.equal(m.riseTo85Ms, null);
  // Frame 20 arrives 250 ms after frame 19 (more than the 200 ms around the lost frame 30).
  assert.equal(m.maxStallMs, 250);
  // From 2 s on the target alternates 0.4 / 0.6 around 0.5: ±20%.
  assert.ok(Math.abs((m.steadyOscillation ?? 0) - 0.2) < 1e-12);
  assert.equal(m.nanCount, 0);
  assert.equal(m.outOfBoundsCount, 0);
  assert.equal(m.framesDelivered, 99);
});

test('the simulation is deterministic and the receiver clock offset does not matter', () => {
  const a = run('step-down', 'gcc');
  const b = runScenario(scenario('step-down'), 'gcc');
  assert.deepEqual(b.frames, a.frames);
  const c = runScenario({ ...scenario('step-down'), seed: 99 }, 'gcc');
  assert.notDeepEqual(c.frames, a.frames);
});

test('encoder model: frames average the target; keyframes only at the start and on loss', () => {
  const r = run('steady', 'off');
  assert.equal(scenario('steady').encoder, DEFAULT_ENCODER_MODEL);
  // 'off' holds 8 Mbit/s on a 20 Mbit/s link: no loss, so one keyframe.
  assert.equal(r.frames.filter((f) => f.keyframe).length, 1);
  const bits = r.frames.reduce((a, f) => a + f.sizeBytes * 8, 0);
  const meanBps = bits / (scenario('steady').durationMs / 1000);
  assert.ok(Math.abs(meanBps / (8 * M) - 1) < 0.01, `${meanBps}`);
  const lossy = run('loss-ramp', 'gcc');
  assert.ok(lossy.frames.filter((f) => f.keyframe).length > 20);
});

for (const controller of ['gcc', 'pid'] as const) {
  test(`${controller}: step 20 → 5 Mbit/s: queue under 100 ms within 1 s, no stall over 500 ms`, () => {
    for (const seed of SEEDS) {
      const m = run('step-down', controller, seed).metrics;
      assert.ok(m.dropRecoveryMs !== null && m.dropRecoveryMs <= 1000, `seed ${seed}: ${m.dropRecoveryMs}`);
      assert.ok(m.maxStallMs <= 500, `seed ${seed}: stall ${m.maxStallMs}`);
    }
  });

  test(`${controller}: step 5 → 20 Mbit/s: sending at 85% of capacity within 5 s`, () => {
    for (const seed of SEEDS) {
      const m = run('step-up', controller, seed).metrics;
      assert.ok(typeof m.riseTo85Ms === 'number' && m.riseTo85Ms <= 5000, `seed ${seed}: ${m.riseTo85Ms}`);
    }
  });

  test(`${controller}: steady 20 Mbit/s: utilisation ≥ 90%, p95 queuing delay ≤ 50 ms`, () => {
    for (const seed of SEEDS) {
      const m = run('steady', controller, seed).metrics;
      assert.ok(m.utilisation >= 0.9, `seed ${seed}: ${m.utilisation}`);
      assert.ok(m.p95QueuingDelayMs <= 50, `seed ${seed}: ${m.p95QueuingDelayMs}`);
    }
  });

  test(`${controller}: every trace: no NaN, within bounds, steady oscillation within ±20%`, () => {
    for (const sc of STANDARD_SCENARIOS) {
      const m = run(sc.name, controller).metrics;
      assert.equal(m.nanCount, 0, sc.name);
      assert.equal(m.outOfBoundsCount, 0, sc.name);
      assert.ok(
        m.steadyOscillation === null || m.steadyOscillation <= 0.2,
        `${sc.name}: ${m.steadyOscillation}`,
      );
      for (const v of Object.values(m)) if (typeof v === 'number') assert.ok(Number.isFinite(v), sc.name);
    }
  });
}

test('start at 8 Mbit/s on a 3 Mbit/s link: under 3 Mbit/s by 20 s with a short queue', () => {
  for (const controller of ['gcc', 'pid'] as const) {
    for (const seed of SEEDS) {
      const r = run('start-above', controller, seed);
      const late = r.frames.filter((f) => f.sendMs >= 20_000);
      const sentBps = late.reduce((a, f) => a + f.sizeBytes * 8, 0) / 10;
      const targetBps = late.reduce((a, f) => a + f.decisionBps, 0) / late.length;
      // GCC stops its increases at 97% of the link rate it measures (which reads a few per cent
      // high or low with the encoder's noise); the PID sits at capacity on a 20 ms queue.
      const limitBps = controller === 'gcc' ? 3 * M : 3.02 * M;
      assert.ok(
        sentBps <= limitBps && targetBps <= limitBps,
        `${controller} seed ${seed}: ${sentBps} ${targetBps}`,
      );
      assert.ok(
        r.metrics.p95QueuingDelayMs <= 50,
        `${controller} seed ${seed}: ${r.metrics.p95QueuingDelayMs}`,
      );
    }
  }
});

test('the figures can fail: a fixed 8 Mbit/s misses the drop, and plain GCC misses the rise', () => {
  const off = run('step-down', 'off').metrics;
  assert.ok(off.dropRecoveryMs !== null && off.dropRecoveryMs > 1000, `${off.dropRecoveryMs}`);
  const classic = run('step-up', 'gcc-classic').metrics;
  assert.equal(classic.riseTo85Ms, 'never');
  // gcc-classic is still sane: no NaN, in bounds.
  for (const sc of STANDARD_SCENARIOS) {
    const m = run(sc.name, 'gcc-classic').metrics;
    assert.equal(m.nanCount + m.outOfBoundsCount, 0, sc.name);
  }
});

test('sustained 85% loss: both controllers go to the floor and stay there', () => {
  for (const controller of ['gcc', 'pid'] as const) {
    const r = run('loss-85', controller);
    const late = r.frames.filter((f) => f.sendMs >= 15_000);
    assert.ok(
      late.every((f) => f.decisionBps === r.scenario.bounds.minBitrateBps),
      controller,
    );
  }
});
