import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  balancedMaxSeconds,
  constantFrameTimes,
  planSegments,
  type PlannedSegment,
} from '../src/core/segments.ts';
import { isQuadStreamError } from '../src/core/errors.ts';

/** `[startFrame, frames, reason]` of each segment, for compact golden comparisons. */
function shape(segments: readonly PlannedSegment[]): [number, number, string][] {
  return segments.map((s) => [s.startFrame, s.frames, s.reason]);
}

function scores(frames: number, cuts: Record<number, number>): number[] {
  return Array.from({ length: frames }, (_, i) => cuts[i] ?? 0.5);
}

test('cuts at scene changes above the threshold, nowhere else', () => {
  const fps = 25;
  const n = 200;
  const plan = planSegments({
    frameTimesS: constantFrameTimes(n, fps),
    scores: scores(n, { 50: 40, 100: 25, 150: 60, 120: 9.9 }),
    endTimeS: n / fps,
  });
  assert.deepEqual(shape(plan), [
    [0, 50, 'start'],
    [50, 50, 'scene'],
    [100, 50, 'scene'],
    [150, 50, 'scene'],
  ]);
  assert.deepEqual(
    plan.map((s) => s.seconds),
    [2, 2, 2, 2],
  );
});

test('of two cuts closer than the minimum, the stronger wins; no segment shorter than the minimum', () => {
  const fps = 25;
  const n = 250;
  const plan = planSegments({
    frameTimesS: constantFrameTimes(n, fps),
    // 60 and 70 are 0.4 s apart: 70 is stronger. 240 is 0.4 s before the end: dropped.
    scores: scores(n, { 60: 20, 70: 50, 240: 90 }),
    endTimeS: n / fps,
  });
  assert.deepEqual(shape(plan), [
    [0, 70, 'start'],
    [70, 180, 'scene'],
  ]);
});

test('a scene longer than the maximum is split at the calmest frame near its middle', () => {
  const fps = 10;
  const n = 150; // 15 s, one scene
  const s = scores(n, {});
  // Middle is 7.5 s = frame 75; window ±10% of 15 s = ±1.5 s → frames 60..90.
  s[68] = 0.1; // calmest inside the window
  s[20] = 0.0; // calmer, but far from the middle
  s[95] = 0.0; // calmer, just outside the window
  const plan = planSegments({ frameTimesS: constantFrameTimes(n, fps), scores: s, endTimeS: n / fps });
  assert.deepEqual(shape(plan), [
    [0, 68, 'start'],
    [68, 82, 'split'],
  ]);
});

test('very long scenes are split until every part fits; equal distances go to the earlier frame', () => {
  const fps = 10;
  const n = 450; // 45 s of uniform content
  const plan = planSegments({
    frameTimesS: constantFrameTimes(n, fps),
    scores: scores(n, {}),
    endTimeS: n / fps,
  });
  assert.deepEqual(shape(plan), [
    [0, 56, 'start'],
    [56, 56, 'split'],
    [112, 56, 'split'],
    [168, 57, 'split'],
    [225, 56, 'split'],
    [281, 56, 'split'],
    [337, 56, 'split'],
    [393, 57, 'split'],
  ]);
  assert.ok(plan.every((p) => p.seconds <= 10 && p.seconds >= 1));
  assert.equal(
    plan.reduce((a, p) => a + p.frames, 0),
    n,
  );
});

test('variable frame rate: lengths are measured in time, not frames', () => {
  // 2 s at 10 fps, then 2 s at 50 fps, then 2 s at 10 fps.
  const times: number[] = [];
  for (let i = 0; i < 20; i++) times.push(i / 10);
  for (let i = 0; i < 100; i++) times.push(2 + i / 50);
  for (let i = 0; i < 20; i++) times.push(4 + i / 10);
  const s = times.map(() => 0.5);
  s[20] = 30; // the fast part starts at 2 s
  s[120] = 30; // the slow part starts at 4 s
  s[125] = 80; // 0.5 s after the previous cut: stronger, so it wins and 120 is dropped
  const plan = planSegments({ frameTimesS: times, scores: s, endTimeS: 6 }, { maxSeconds: 4 });
  assert.deepEqual(shape(plan), [
    [0, 20, 'start'],
    [20, 105, 'scene'],
    [125, 15, 'scene'],
  ]);
  assert.deepEqual(
    plan.map((p) => Number(p.seconds.toFixed(6))),
    [2, 2.5, 1.5],
  );
});

test('a video shorter than the minimum is one segment; an empty one has none', () => {
  const plan = planSegments({ frameTimesS: [0, 0.04, 0.08], scores: [0, 99, 99], endTimeS: 0.12 });
  assert.deepEqual(shape(plan), [[0, 3, 'start']]);
  assert.deepEqual(planSegments({ frameTimesS: [], scores: [], endTimeS: 0 }), []);
});

test('rejects settings and inputs it cannot honour, as config errors', () => {
  const ok = { frameTimesS: [0, 1], scores: [0, 0], endTimeS: 2 };
  for (const [input, options, pattern] of [
    [ok, { minSeconds: 3, maxSeconds: 5 }, /at least twice/],
    [ok, { minSeconds: 0 }, /must be positive/],
    [{ frameTimesS: [0, 1], scores: [0], endTimeS: 2 }, {}, /1 scene scores for 2 frames/],
    [{ frameTimesS: [0, 0], scores: [0, 0], endTimeS: 2 }, {}, /must increase/],
  ] as const) {
    assert.throws(
      () => planSegments(input, options),
      (e: unknown) => isQuadStreamError(e) && e.kind === 'config' && pattern.test(e.message),
    );
  }
});

test('short videos get a lower maximum so that every worker has about three segments', () => {
  assert.equal(balancedMaxSeconds(22.5, 2), 3.75);
  assert.equal(balancedMaxSeconds(600, 8), 10, 'long videos keep the configured maximum');
  assert.equal(balancedMaxSeconds(4, 4), 2, 'never below twice the minimum');
  assert.equal(balancedMaxSeconds(30, 1, { maxSeconds: 6, minSeconds: 0.5 }), 6);
  assert.equal(balancedMaxSeconds(3, 2, { minSeconds: 0.25 }), 0.5);
});
