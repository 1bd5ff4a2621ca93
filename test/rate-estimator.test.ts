import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  createEstimator,
  estimatorObserve,
  estimatorOnFeedback,
  estimatorOnRtt,
  estimatorOnSent,
  firstByteLinkRate,
  linearFitSlope,
} from '../src/core/rate/estimator.ts';
import type { EstimatorState } from '../src/core/rate/estimator.ts';

/** The viewer's clock is far from the sender's: only differences may matter. */
const OFFSET_MS = 987_654.5;

/** Sends `seq` at `sendMs` and, unless `receiveMs` is null, reports it received then (+ offset). */
function frame(
  s: EstimatorState,
  seq: number,
  sendMs: number,
  receiveMs: number | null,
  sizeBytes = 1000,
  ackMs = (receiveMs ?? sendMs) + 10,
): EstimatorState {
  let next = estimatorOnSent(s, { seq, sendTimeMs: sendMs, sizeBytes });
  if (receiveMs !== null) {
    next = estimatorOnFeedback(
      next,
      { seq, sendTimeMs: sendMs, receiveTimeMs: receiveMs + OFFSET_MS, sizeBytes },
      ackMs,
    );
  }
  return next;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

test('throughput: bytes after the first frame over the receive span, null until five frames', () => {
  let s = createEstimator();
  for (let i = 0; i < 4; i++) s = frame(s, i, i * 10, 20 + i * 10);
  assert.equal(estimatorObserve(s, 100).throughputBps, null);
  s = frame(s, 4, 40, 60);
  const obs = estimatorObserve(s, 100);
  // 4 × 1000 bytes in 40 ms.
  assert.equal(obs.throughputBps, 800_000);
  assert.equal(obs.recentThroughputBps, 800_000);
  assert.equal(obs.sentBitrateBps, 800_000);
  assert.equal(obs.deliveryRatio, 1);
  assert.equal(obs.queuingDelayMs, 0);
  assert.equal(obs.lossRate, 0);
  assert.equal(obs.frameRateHz, 100);
  assert.equal(obs.feedbackCount, 5);
  assert.equal(obs.deliveredBytes, 5000);
  assert.equal(obs.lastSendTimeMs, 40);
  assert.equal(obs.lastReceiveTimeMs, 60 + OFFSET_MS);
  assert.equal(obs.feedbackAgeMs, 30);
});

test('long and short windows: the short one sees a capacity drop first', () => {
  let s = createEstimator();
  // 60 frames at 10 ms spacing arriving on time, then 10 that arrive 20 ms apart.
  for (let i = 0; i < 60; i++) s = frame(s, i, i * 10, 20 + i * 10);
  for (let i = 60; i < 70; i++) s = frame(s, i, i * 10, 20 + 590 + (i - 59) * 20);
  const obs = estimatorObserve(s, 1000);
  // Short window: 9 × 1000 bytes over 9 × 20 ms.
  assert.equal(obs.recentThroughputBps, 400_000);
  // Long window (the last 60 frames: 50 on time, 10 late): 59 000 bytes over 49 × 10 + 10 × 20 ms.
  assert.equal(obs.throughputBps, (59_000 * 8 * 1000) / 690);
  // The frames arrive twice as far apart as they were sent.
  assert.equal(obs.deliveryRatio, 0.5);
  // The last frame is 10 × 10 ms later than the smallest one-way delay.
  assert.equal(obs.queuingDelayMs, 100);
});

test('sequence gaps count as loss; a late frame fills its gap and counts as late', () => {
  let s = createEstimator();
  s = frame(s, 0, 0, 20);
  s = frame(s, 1, 10, 30);
  s = frame(s, 2, 20, null);
  s = frame(s, 3, 30, 50);
  let obs = estimatorObserve(s, 100);
  assert.equal(obs.lossRate, 0.25);
  assert.equal(obs.lateRate, 0);
  // Frame 2 arrives after frame 3.
  s = estimatorOnFeedback(s, { seq: 2, sendTimeMs: 20, receiveTimeMs: 55 + OFFSET_MS, sizeBytes: 1000 }, 65);
  obs = estimatorObserve(s, 100);
  assert.equal(obs.lossRate, 0);
  assert.equal(obs.lateRate, 0.25);
  assert.equal(obs.feedbackCount, 4);
  // A duplicate report changes nothing but the feedback time.
  const dup = estimatorOnFeedback(
    s,
    { seq: 2, sendTimeMs: 20, receiveTimeMs: 56 + OFFSET_MS, sizeBytes: 1000 },
    90,
  );
  assert.equal(estimatorObserve(dup, 100).feedbackCount, 4);
  assert.equal(estimatorObserve(dup, 100).feedbackAgeMs, 10);
});

test('loss is measured over the last 60 sequence numbers', () => {
  let s = createEstimator();
  // Every fourth frame lost for 40 frames, then 60 clean frames.
  for (let i = 0; i < 40; i++) s = frame(s, i, i * 10, i % 4 === 3 ? null : 20 + i * 10);
  assert.equal(estimatorObserve(s, 500).lossRate, 1 - 30 / 39); // frame 39 is not yet known lost
  for (let i = 40; i < 100; i++) s = frame(s, i, i * 10, 20 + i * 10);
  assert.equal(estimatorObserve(s, 1100).lossRate, 0);
});

test('RTT: RFC 6298 smoothing of ping samples, minimum over pings and acknowledgements', () => {
  let s = createEstimator();
  assert.equal(estimatorObserve(s, 0).rttMs, 100); // the initial guess
  s = estimatorOnRtt(s, 100, 0);
  s = estimatorOnRtt(s, 200, 500);
  const obs = estimatorObserve(s, 600);
  assert.equal(obs.rttMs, 112.5);
  assert.equal(obs.minRttMs, 100);
  // An acknowledgement 30 ms after the send is a smaller RTT sample.
  s = frame(s, 0, 1000, 1010, 1000, 1030);
  assert.equal(estimatorObserve(s, 1100).minRttMs, 30);
  assert.equal(estimatorObserve(s, 1100).rttMs, 112.5);
  // Nonsense samples are ignored.
  assert.equal(estimatorOnRtt(s, Number.NaN, 1200), s);
  assert.equal(estimatorOnRtt(s, -5, 1200), s);
});

test('in-flight bytes: sent frames without feedback, up to the highest reported sequence number', () => {
  let s = createEstimator();
  for (let i = 0; i < 5; i++) s = estimatorOnSent(s, { seq: i, sendTimeMs: i * 10, sizeBytes: 1000 + i });
  assert.equal(estimatorObserve(s, 50).inFlightBytes, 5010);
  // Feedback for frame 2 settles frames 0 to 2 (0 and 1 are lost or late).
  s = estimatorOnFeedback(s, { seq: 2, sendTimeMs: 20, receiveTimeMs: 40 + OFFSET_MS, sizeBytes: 1002 }, 60);
  assert.equal(estimatorObserve(s, 60).inFlightBytes, 1003 + 1004);
  // After the in-flight timeout, the rest are given up on.
  s = estimatorOnSent(s, { seq: 5, sendTimeMs: 2_100, sizeBytes: 7 });
  assert.equal(estimatorObserve(s, 2_100).inFlightBytes, 7);
});

test('trendline: GCC slope of the smoothed accumulated delay (reference values computed independently)', () => {
  let s = createEstimator();
  // Sent every 10 ms, received every 11 ms: the delay grows 1 ms per frame.
  for (let i = 0; i < 25; i++) s = frame(s, i, i * 10, 5000 + i * 11);
  const obs = estimatorObserve(s, 400);
  assert.equal(obs.trendSamples, 24);
  assert.ok(Math.abs(obs.delayTrendMsPerMs - 0.07005288491593711) < 1e-12, `${obs.delayTrendMsPerMs}`);
  // The slope stays 0 until the 20-point window is full.
  let t = createEstimator();
  for (let i = 0; i < 20; i++) t = frame(t, i, i * 10, 5000 + i * 11);
  assert.equal(estimatorObserve(t, 400).delayTrendMsPerMs, 0);
  // A flat delay has a zero trend.
  let f = createEstimator();
  for (let i = 0; i < 30; i++) f = frame(f, i, i * 10, 5000 + i * 10);
  assert.equal(estimatorObserve(f, 400).delayTrendMsPerMs, 0);
});

test('linearFitSlope: least squares, null when x does not vary', () => {
  assert.equal(
    linearFitSlope([
      [0, 1],
      [1, 3],
      [2, 5],
    ]),
    2,
  );
  assert.equal(
    linearFitSlope([
      [1, 1],
      [1, 5],
    ]),
    null,
  );
  assert.equal(linearFitSlope([[0, 0]]), null);
});

test('standing queue: the smallest queuing delay over the last 200 ms of arrivals', () => {
  let s = createEstimator();
  for (let i = 0; i < 10; i++) s = frame(s, i, i * 10, 20 + i * 10);
  // Then a queue of 30 ms that grows by 5 ms per frame for 20 frames (200 ms + of arrivals).
  for (let i = 10; i < 30; i++) s = frame(s, i, i * 10, 20 + i * 10 + 30 + (i - 10) * 5);
  const obs = estimatorObserve(s, 600);
  assert.equal(obs.queuingDelayMs, 125);
  // Those frames arrive at 15·i ms; within 200 ms before the last (435 ms) are i ≥ 16, whose
  // smallest queuing delay is 30 + 6 × 5 ms.
  assert.equal(obs.standingQueueMs, 60);
});

test('updates never modify the state passed in', () => {
  let s = createEstimator();
  for (let i = 0; i < 30; i++) s = frame(s, i, i * 10, 20 + i * 11);
  const frozen = deepFreeze(s);
  const before = JSON.stringify(frozen);
  const next = frame(estimatorOnRtt(frozen, 50, 400), 30, 300, 360);
  assert.equal(JSON.stringify(frozen), before);
  assert.notEqual(estimatorObserve(next, 400).feedbackCount, estimatorObserve(frozen, 400).feedbackCount);
});

test('first-byte samples: every frame with a frame-start marker measures the link, busy or idle', () => {
  // 5 Mbit/s link, 1 ms one way, frames of 20 000 B every 50 ms: the link is idle between them.
  let s = createEstimator();
  const txMs = (20_000 * 8) / 5000; // 32 ms on the wire
  for (let i = 0; i < 12; i++) {
    const sendMs = i * 50;
    s = estimatorOnSent(s, { seq: i, sendTimeMs: sendMs, sizeBytes: 20_000 });
    // The marker and the first packet arrive together; the rest of the frame follows at 5 Mbit/s.
    const firstByteMs = sendMs + 1 + OFFSET_MS;
    s = estimatorOnFeedback(
      s,
      {
        seq: i,
        sendTimeMs: sendMs,
        receiveTimeMs: firstByteMs + ((20_000 - 1448) * 8) / 5000,
        sizeBytes: 20_000,
        firstByteMs,
      },
      sendMs + txMs + 5,
    );
  }
  const o = estimatorObserve(s, 12 * 50);
  // Bytes after the first packet over the time from marker to frame: exactly the link rate.
  assert.equal(Math.round(o.linkRateBps ?? 0), 5_000_000);
  assert.equal(Math.round(o.recentLinkRateBps ?? 0), 5_000_000);
  // The delay is the first byte's: no queue, though each frame takes 30 ms to arrive.
  assert.equal(o.queuingDelayMs, 0);
  assert.equal(o.standingQueueMs, 0);
  // Without markers the same frames found the link idle and measure nothing.
  let plain = createEstimator();
  for (let i = 0; i < 12; i++) plain = frame(plain, i, i * 50, i * 50 + 1 + txMs, 20_000);
  assert.equal(estimatorObserve(plain, 600).linkRateBps, null);
});

test('first-byte samples: a queue shows in the first byte, and tiny frames give no rate', () => {
  let s = createEstimator();
  for (let i = 0; i < 10; i++) {
    const sendMs = i * 50;
    // Frame i waits i × 4 ms before its first byte leaves: a queue growing 4 ms per frame.
    const firstByteMs = sendMs + 1 + 4 * i + OFFSET_MS;
    s = estimatorOnSent(s, { seq: i, sendTimeMs: sendMs, sizeBytes: 2000 });
    s = estimatorOnFeedback(
      s,
      { seq: i, sendTimeMs: sendMs, receiveTimeMs: firstByteMs + 0.9, sizeBytes: 2000, firstByteMs },
      sendMs + 20 + 4 * i,
    );
  }
  const o = estimatorObserve(s, 500);
  assert.ok(Math.abs(o.queuingDelayMs - 36) < 1e-6, `${o.queuingDelayMs}`);
  // 2000 B is under two packets: the marker may have brought most of it, so no rate.
  assert.equal(o.linkRateBps, null);
  assert.equal(firstByteLinkRate(2000, 0.9), null);
  assert.equal(firstByteLinkRate(1448 + 10_000, 8), 10_000_000);
  assert.equal(firstByteLinkRate(20_000, 0.4), null);
});
