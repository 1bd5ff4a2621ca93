import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolutionLadder } from '../src/core/rate/ladder.ts';
import { AdaptiveRate, type RateChange } from '../src/stream/adaptive-rate.ts';

/**
 * Drives the actuator the way the hub does: one frame per 1/60 s at the current target, through a
 * bottleneck of `capacityBps(t)` (a FIFO queue), feedback arriving when each frame is through.
 */
function drive(
  rate: AdaptiveRate,
  opts: {
    seconds: number;
    capacityBps: (tMs: number) => number;
    viewers: number[];
    runtimeBitrate?: boolean;
    startBps: number;
    /** The encoder's picture size and rate, reported to the actuator (its ladder needs them). */
    size?: { width: number; height: number; fps: number };
  },
): { bitrateAt: (tMs: number) => number; sizes: [number, string][] } {
  let bitrate = opts.startBps;
  let size = opts.size;
  const sizes: [number, string][] = [];
  const history: [number, number][] = [[0, bitrate]];
  const linkFreeMs = new Map<number, number>(opts.viewers.map((v) => [v, 0]));
  const pending: {
    viewerId: number;
    seq: number;
    bytes: number;
    sentMs: number;
    receivedMs: number;
    firstByteMs: number;
  }[] = [];
  const frameMs = 1000 / 60;
  for (let i = 0; i * frameMs < opts.seconds * 1000; i++) {
    const now = i * frameMs;
    // Deliver feedback that has arrived by now.
    pending.sort((a, b) => a.receivedMs - b.receivedMs);
    while (pending.length > 0 && pending[0]!.receivedMs <= now) {
      const p = pending.shift()!;
      rate.onDelivery(
        { ...p, sequence: p.seq, keyframe: false, captureMs: p.sentMs, decodedMs: p.receivedMs + 2 },
        now,
      );
    }
    const bytes = Math.round(bitrate / 8 / 60);
    for (const v of opts.viewers) {
      const cap = v === opts.viewers[0] ? opts.capacityBps(now) : 1e6; // later viewers: a 1 Mbit/s link
      const start = Math.max(now, linkFreeMs.get(v)!);
      const done = start + (bytes * 8 * 1000) / cap;
      linkFreeMs.set(v, done);
      rate.onSent({ viewerId: v, sequence: i & 0xffffffff, bytes, sentMs: now }, now);
      // The frame-start marker: the frame's first byte arrives when the link starts sending it.
      pending.push({
        viewerId: v,
        seq: i & 0xffffffff,
        bytes,
        sentMs: now,
        receivedMs: done + 5,
        firstByteMs: start + 5,
      });
    }
    const d = rate.decide(
      {
        bitrateBps: bitrate,
        codec: 'h264',
        encoder: 'libx264',
        runtimeBitrate: opts.runtimeBitrate ?? true,
        ...(size === undefined ? {} : size),
      },
      now,
    );
    if (d !== undefined) {
      bitrate = d.bitrateBps;
      history.push([now, bitrate]);
      if (d.size !== undefined && size !== undefined) {
        size = { ...size, ...d.size };
        sizes.push([
          now,
          `${d.size.width}x${d.size.height}${d.size.fps === undefined ? '' : `@${d.size.fps}`}`,
        ]);
      }
    }
  }
  return { bitrateAt: (t) => [...history].reverse().find(([at]) => at <= t)?.[1] ?? opts.startBps, sizes };
}

test('a capacity drop from 20 to 5 Mbit/s brings the encoder under 5 Mbit/s within 2 s', () => {
  const changes: RateChange[] = [];
  const rate = new AdaptiveRate({
    kind: 'gcc',
    minBitrateBps: 500_000,
    maxBitrateBps: 30e6,
    startBitrateBps: 15e6,
    onChange: (c) => changes.push(c),
  });
  rate.viewerJoined({ id: 1, adaptive: false, label: '' }, 0);
  const r = drive(rate, {
    seconds: 14,
    startBps: 15e6,
    viewers: [1],
    capacityBps: (t) => (t < 8000 ? 20e6 : 5e6),
  });
  assert.ok(r.bitrateAt(7900) > 12e6, `before the drop ${r.bitrateAt(7900)}`);
  assert.ok(r.bitrateAt(10_000) < 5e6, `2 s after the drop ${r.bitrateAt(10_000)}`);
  assert.ok(changes.length > 0 && changes.every((c) => c.viewerId === 1));
});

test('with no viewer marked adaptive the encoder follows the first viewer, not a slow later one', () => {
  const rate = new AdaptiveRate({
    kind: 'gcc',
    minBitrateBps: 500_000,
    maxBitrateBps: 30e6,
    startBitrateBps: 8e6,
  });
  rate.viewerJoined({ id: 1, adaptive: false, label: '' }, 0);
  rate.viewerJoined({ id: 2, adaptive: false, label: '' }, 10);
  const r = drive(rate, { seconds: 6, startBps: 8e6, viewers: [1, 2], capacityBps: () => 20e6 });
  assert.ok(r.bitrateAt(6000) > 7e6, `followed the fast first viewer: ${r.bitrateAt(6000)}`);
  assert.deepEqual(
    rate.targets().map((t) => t.viewerId),
    [1],
  );
});

test('viewers marked adaptive are followed, the lowest estimate wins', () => {
  const rate = new AdaptiveRate({
    kind: 'gcc',
    minBitrateBps: 300_000,
    maxBitrateBps: 30e6,
    startBitrateBps: 8e6,
  });
  rate.viewerJoined({ id: 1, adaptive: false, label: '' }, 0);
  rate.viewerJoined({ id: 2, adaptive: true, label: '' }, 10);
  const r = drive(rate, { seconds: 6, startBps: 8e6, viewers: [1, 2], capacityBps: () => 20e6 });
  assert.ok(r.bitrateAt(6000) < 1e6, `followed the 1 Mbit/s adaptive viewer: ${r.bitrateAt(6000)}`);
  assert.deepEqual(
    rate.targets().map((t) => t.viewerId),
    [2],
  );
});

test('encoders that reopen for a change get at most one change per 2 s', () => {
  const changes: RateChange[] = [];
  const rate = new AdaptiveRate({
    kind: 'gcc',
    minBitrateBps: 500_000,
    maxBitrateBps: 30e6,
    startBitrateBps: 15e6,
    onChange: (c) => changes.push(c),
  });
  rate.viewerJoined({ id: 1, adaptive: false, label: '' }, 0);
  drive(rate, {
    seconds: 14,
    startBps: 15e6,
    viewers: [1],
    runtimeBitrate: false,
    capacityBps: (t) => (t < 6000 ? 20e6 : 4e6),
  });
  assert.ok(changes.length >= 1);
  for (let i = 1; i < changes.length; i++) {
    assert.ok(
      changes[i]!.atMs - changes[i - 1]!.atMs >= 2000,
      `changes at ${changes[i - 1]!.atMs} and ${changes[i]!.atMs}`,
    );
    assert.ok(Math.abs(changes[i]!.toBps - changes[i]!.fromBps) / changes[i]!.fromBps >= 0.15);
  }
});

test('resolution ladder: the stream size, 3/4, 1/2, 3/8, 1/4, even sizes, at least 144 lines; frame rate halved above 30', () => {
  assert.deepEqual(
    resolutionLadder(1280, 720, 30).map((r) => `${r.width}x${r.height}@${r.fps}`),
    ['1280x720@30', '960x540@30', '640x360@30', '480x270@30', '320x180@30'],
  );
  // Above 30 fps the rate is halved at half the size (and above 60 first at full size).
  assert.deepEqual(
    resolutionLadder(640, 360, 60).map((r) => `${r.width}x${r.height}@${r.fps}`),
    ['640x360@60', '480x270@60', '320x180@60', '320x180@30'],
  );
  assert.deepEqual(
    resolutionLadder(3840, 2160, 120).map((r) => `${r.height}p${r.fps}`),
    ['2160p120', '2160p60', '1620p60', '1080p60', '1080p30', '810p30', '540p30'],
  );
  assert.deepEqual(resolutionLadder(256, 144, 30).length, 1);
});

/** A 1280x720 stream at `fps` on a 0.3 Mbit/s link for 15 s, then 6 Mbit/s, for `seconds`. */
function slowThenFast(fps: number, seconds: number): ReturnType<typeof drive> {
  const rate = new AdaptiveRate({
    kind: 'gcc',
    minBitrateBps: 100_000,
    maxBitrateBps: 8e6,
    startBitrateBps: 2e6,
  });
  rate.viewerJoined({ id: 1, adaptive: false, label: '' }, 0);
  return drive(rate, {
    seconds,
    startBps: 2e6,
    viewers: [1],
    capacityBps: (t) => (t < 15_000 ? 0.3e6 : 6e6),
    size: { width: 1280, height: 720, fps },
  });
}

test('on a link too slow for the picture size the encoder steps down the ladder, and back up when it returns', () => {
  // 1280x720@30 steps down below 0.02 bit per pixel: 0.55 Mbit/s.
  const r = slowThenFast(30, 40);
  const down = r.sizes.filter(([at]) => at < 15_000);
  assert.ok(down.length > 0, 'stepped down on the slow link');
  assert.ok(
    ['640x360@30', '480x270@30', '320x180@30'].includes(down.at(-1)![1]),
    `at ${down.at(-1)![1]} on 0.3 Mbit/s`,
  );
  assert.equal(r.sizes.at(-1)![1], '1280x720@30', `back at full size: ${JSON.stringify(r.sizes)}`);
  // No flapping: a handful of changes, not one per second.
  assert.ok(r.sizes.length <= 8, `${r.sizes.length} size changes`);
});

test('with the ladder off the picture size never changes', () => {
  const rate = new AdaptiveRate({
    kind: 'gcc',
    minBitrateBps: 100_000,
    maxBitrateBps: 8e6,
    startBitrateBps: 2e6,
    ladder: false,
  });
  rate.viewerJoined({ id: 1, adaptive: false, label: '' }, 0);
  const r = drive(rate, {
    seconds: 10,
    startBps: 2e6,
    viewers: [1],
    capacityBps: () => 0.3e6,
    size: { width: 1280, height: 720, fps: 30 },
  });
  assert.deepEqual(r.sizes, []);
});

test('a 60 fps stream on a slow link steps down size and frame rate, and comes back to 60', () => {
  const r = slowThenFast(60, 45);
  const down = r.sizes.filter(([at]) => at < 15_000);
  // Under 0.3 Mbit/s 640x360@60 needs 0.28 to stay (0.02 bit per pixel): the ladder goes on
  // down to a 30 fps rung.
  assert.ok(
    ['640x360@30', '480x270@30'].includes(down.at(-1)![1]),
    `at ${down.at(-1)![1]}: ${JSON.stringify(r.sizes)}`,
  );
  assert.equal(r.sizes.at(-1)![1], '1280x720@60', JSON.stringify(r.sizes));
});

test('the in-flight window follows the newest frame over a slower link at once', () => {
  const rate = new AdaptiveRate({
    kind: 'gcc',
    minBitrateBps: 1e6,
    maxBitrateBps: 30e6,
    startBitrateBps: 18e6,
  });
  rate.viewerJoined({ id: 1, adaptive: false, label: '' }, 0);
  // 30 fps frames of 75 000 B on 20 Mbit/s (30 ms each), then one frame over 5 Mbit/s (120 ms).
  const frame = (i: number, txMs: number): void => {
    const sentMs = i * 33.3;
    rate.onSent({ viewerId: 1, sequence: i, bytes: 75_000, sentMs }, sentMs);
    rate.onDelivery(
      {
        viewerId: 1,
        sequence: i,
        bytes: 75_000,
        keyframe: false,
        captureMs: sentMs,
        sentMs,
        firstByteMs: sentMs + 2,
        receivedMs: sentMs + 2 + txMs,
        decodedMs: sentMs + 5 + txMs,
      },
      sentMs + 10 + txMs,
    );
  };
  for (let i = 0; i < 20; i++) frame(i, ((75_000 - 1448) * 8) / 20_000);
  const before = rate.inFlightBudgetBytes(1, 20 * 33.3 + 40) ?? 0;
  frame(20, ((75_000 - 1448) * 8) / 5000);
  const after = rate.inFlightBudgetBytes(1, 21 * 33.3 + 130) ?? 0;
  // 20 Mbit/s × (min RTT + 60 ms) before; after one slow frame, a quarter of it and a little.
  assert.ok(before > 150_000, `${before}`);
  assert.ok(after < 0.35 * before, `${after} vs ${before}`);
});
