import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nextSlot } from '../src/capture/pacer.ts';
import { LogHistogram, TimeWindow, percentileOfSorted, percentilesOf } from '../src/core/stats.ts';
import { LatestSlot } from '../src/stream/latest-slot.ts';
import { ViewerQueue, type QueueItem } from '../src/stream/viewer-queue.ts';

test('percentiles interpolate between ranks (golden numbers)', () => {
  assert.ok(Number.isNaN(percentileOfSorted([], 50)));
  assert.equal(percentileOfSorted([7], 99), 7);
  assert.equal(percentileOfSorted([1, 2, 3, 4], 50), 2.5);
  const values = Array.from({ length: 101 }, (_, i) => 100 - i); // 100 … 0, unsorted
  assert.deepEqual(percentilesOf(values), { p50: 50, p95: 95, p99: 99 });
  assert.deepEqual(percentilesOf([10, 20]), { p50: 15, p95: 19.5, p99: 19.9 });
  assert.equal(percentilesOf([]), null);
});

test('time window keeps only the last horizon, by the times passed in', () => {
  const w = new TimeWindow(1000);
  w.push(0, 1);
  w.push(500, 2);
  w.push(999, 3);
  assert.equal(w.sum(999), 6);
  assert.deepEqual(w.values(1000), [2, 3]);
  assert.equal(w.count(1600), 1);
  assert.equal(w.count(1999), 0);
  assert.equal(w.sum(1999), 0);
  for (let t = 2000; t < 12_000; t++) w.push(t, 1);
  assert.equal(w.count(11_999), 1000);
  assert.equal(w.sum(11_999), 1000);
});

test('log histogram: percentiles within half its relative precision', () => {
  const h = new LogHistogram(0.01, 0.01);
  assert.equal(h.percentiles(), null);
  for (let i = 1; i <= 1000; i++) h.record(i / 10); // 0.1 … 100 ms
  h.record(Number.NaN);
  assert.equal(h.count, 1000);
  for (const [p, exact] of [
    [50, 50],
    [95, 95],
    [99, 99],
  ] as const) {
    const got = h.percentile(p);
    assert.ok(Math.abs(got - exact) / exact <= 0.005 + 1e-9, `p${p}: ${got} vs ${exact}`);
  }
});

interface F extends QueueItem {
  readonly id: string;
}
const frame = (sequence: number, keyframe = false): F => ({
  id: `${keyframe ? 'K' : 'P'}${sequence}`,
  sequence,
  keyframe,
  captureMs: sequence * 10,
  durationMs: 10,
});
const ids = (fs: readonly F[]): string[] => fs.map((f) => f.id);

test('viewer queue: waits for a keyframe first, without counting drops', () => {
  const q = new ViewerQueue<F>(50);
  assert.deepEqual(q.push(frame(0)), { dropped: [], needsKeyframe: false });
  assert.equal(q.length, 0);
  assert.equal(q.push(frame(1, true)).dropped.length, 0);
  assert.equal(q.push(frame(2)).dropped.length, 0);
  assert.equal(q.dropped, 0);
  assert.deepEqual(q.shift(), { item: frame(1, true), discontinuity: false });
  assert.equal(q.mediaMs, 10);
});

test('viewer queue: over its bound it is cut to its newest keyframe when that fits', () => {
  const q = new ViewerQueue<F>(50);
  q.push(frame(0, true));
  for (let i = 1; i <= 3; i++) q.push(frame(i));
  q.push(frame(4, true));
  assert.equal(q.mediaMs, 50);
  const r = q.push(frame(5)); // 60 ms > 50: cut to K4
  assert.deepEqual(ids(r.dropped), ['K0', 'P1', 'P2', 'P3']);
  assert.equal(r.needsKeyframe, false);
  assert.equal(q.shift()?.discontinuity, true);
  assert.equal(q.shift()?.discontinuity, false);
  assert.equal(q.cuts, 1);
});

test('viewer queue: without a usable keyframe it drops all and waits for the next one', () => {
  const q = new ViewerQueue<F>(30);
  q.push(frame(0, true));
  q.push(frame(1));
  q.push(frame(2));
  const r = q.push(frame(3)); // 40 ms, only keyframe at the head
  assert.deepEqual(ids(r.dropped), ['K0', 'P1', 'P2', 'P3']);
  assert.equal(r.needsKeyframe, true);
  assert.equal(q.waitingForKeyframe, true);
  assert.deepEqual(ids(q.push(frame(4)).dropped), ['P4']);
  q.push(frame(5, true));
  assert.deepEqual(q.shift(), { item: frame(5, true), discontinuity: true });
  assert.equal(q.dropped, 5);
  assert.deepEqual(ids(q.resetToKeyframe()), []);
  assert.equal(q.waitingForKeyframe, true);
});

test('latest slot: the newest item wins and replaced ones are released', async () => {
  const released: number[] = [];
  const slot = new LatestSlot<number>((n) => released.push(n));
  slot.put(1);
  slot.put(2);
  assert.equal(await slot.take(AbortSignal.timeout(1000)), 2);
  assert.deepEqual(released, [1]);
  const waiting = slot.take(AbortSignal.timeout(1000));
  slot.put(3);
  assert.equal(await waiting, 3);
  const ac = new AbortController();
  const aborted = slot.take(ac.signal);
  ac.abort(new Error('stop'));
  await assert.rejects(aborted, /stop/);
  slot.put(4);
  slot.clear();
  assert.deepEqual(released, [1, 4]);
  assert.equal(slot.dropped, 1);
});

test('pacer: skips to the current slot only when more than a frame late', () => {
  assert.equal(nextSlot(-1, 1000, 10, 1000), 0);
  assert.equal(nextSlot(4, 1000, 10, 1055), 5);
  assert.equal(nextSlot(4, 1000, 10, 1069), 6);
  assert.equal(nextSlot(4, 1000, 10, 1150), 15);
});

test('latest slot: a producer can wait until its item was taken', async () => {
  const slot = new LatestSlot<number>(() => undefined);
  await slot.waitEmpty(AbortSignal.timeout(1000)); // empty: at once
  slot.put(1);
  let emptied = false;
  const waiting = slot.waitEmpty(AbortSignal.timeout(1000)).then(() => (emptied = true));
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(emptied, false);
  assert.equal(await slot.take(AbortSignal.timeout(1000)), 1);
  await waiting;
  assert.equal(emptied, true);
  slot.put(2);
  const ac = new AbortController();
  const aborted = slot.waitEmpty(ac.signal);
  ac.abort(new Error('stop'));
  await assert.rejects(aborted, /stop/);
});
