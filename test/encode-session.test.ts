import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { findEncoder, type EncoderInfo } from '../src/encode/catalogue.ts';
import { EncoderSession, type SessionEvent, type SessionPacket } from '../src/encode/session.ts';
import type { EncodeIntent } from '../src/encode/settings.ts';
import { decodedFrames } from '../src/media/frames.ts';
import { inspectVideo } from '../src/media/inspect.ts';
import { VideoFileWriter } from '../src/media/video-writer.ts';
import { tempDir } from './helpers/tmp.ts';

const SOURCE = 'lavfi:testsrc2=size=640x360:rate=30';

function enc(name: string): EncoderInfo {
  const info = findEncoder(name);
  assert.ok(info, name);
  return info;
}

/** Encodes `frames` frames of the test source, calling `beforeFrame(i)` first; returns packets per frame index. */
async function run(
  session: EncoderSession,
  frames: number,
  beforeFrame: (i: number) => void = () => {},
): Promise<{ perFrame: SessionPacket[][]; all: SessionPacket[] }> {
  const perFrame: SessionPacket[][] = [];
  let i = 0;
  for await (const frame of decodedFrames(SOURCE, { pixelFormat: 'yuv420p', maxFrames: frames })) {
    beforeFrame(i);
    frame.pts = BigInt(i);
    perFrame.push(await session.encode(frame));
    i++;
  }
  const tail = await session.flush();
  return { perFrame, all: [...perFrame.flat(), ...tail] };
}

const lowLatency = (bitrateBps: number): EncodeIntent => ({
  width: 640,
  height: 360,
  frameRate: [30, 1],
  bitrateBps,
  lowLatency: true,
});

for (const [name, codec, ext] of [
  ['libx264', 'h264', 'mp4'],
  ['libx265', 'hevc', 'mkv'],
  ['libsvtav1', 'av1', 'mkv'],
  ['libvpx-vp9', 'vp9', 'webm'],
] as const) {
  test(`${name}: 30 frames round-trip through ${ext} with the right codec, size, count and a first keyframe`, async () => {
    using dir = tempDir();
    using session = await EncoderSession.open({
      candidates: [enc(name)],
      intent: {
        width: 320,
        height: 240,
        frameRate: [30, 1],
        bitrateBps: 600_000,
        lowLatency: false,
        globalHeader: true,
      },
    });
    const path = join(dir.path, `out.${ext}`);
    let i = 0;
    await using writer = await VideoFileWriter.open(path, session.codecContext);
    for await (const frame of decodedFrames('lavfi:testsrc2=size=320x240:rate=30', {
      pixelFormat: 'yuv420p',
      maxFrames: 30,
    })) {
      frame.pts = BigInt(i++);
      for (const p of await session.encode(frame)) await writer.write(p);
    }
    for (const p of await session.flush()) await writer.write(p);
    await writer.finish();
    const info = await inspectVideo(path);
    assert.equal(info.codec, codec);
    assert.equal(info.width, 320);
    assert.equal(info.height, 240);
    assert.equal(info.frames, 30);
    assert.equal(info.keyframePackets[0], 0);
  });
}

test('libx264 applies a bitrate drop from 4 to 0.5 Mbit/s live: the next second carries at most 40% of the bits', async () => {
  const events: SessionEvent[] = [];
  using session = await EncoderSession.open({
    candidates: [enc('libx264')],
    intent: lowLatency(4_000_000),
    onEvent: (e) => events.push(e),
  });
  const { perFrame } = await run(session, 90, (i) => {
    if (i === 60) session.setBitrate(500_000);
  });
  const bytes = (from: number, to: number) =>
    perFrame
      .slice(from, to)
      .flat()
      .reduce((n, p) => n + p.data.length, 0);
  const before = bytes(30, 60);
  const after = bytes(60, 90);
  assert.ok(after <= 0.4 * before, `after ${after} B vs before ${before} B`);
  assert.ok(events.some((e) => e.type === 'bitrate' && e.applied === 'live'));
  // Live change: no keyframe at the change.
  assert.equal(perFrame[60]?.[0]?.keyframe, false);
});

test('libx265 applies a bitrate drop by reopening at a keyframe; the whole stream decodes with every frame', async () => {
  using dir = tempDir();
  using session = await EncoderSession.open({ candidates: [enc('libx265')], intent: lowLatency(4_000_000) });
  const { perFrame, all } = await run(session, 90, (i) => {
    if (i === 60) session.setBitrate(500_000);
  });
  const bytes = (from: number, to: number) =>
    perFrame
      .slice(from, to)
      .flat()
      .reduce((n, p) => n + p.data.length, 0);
  const before = bytes(30, 60);
  const after = bytes(60, 90);
  assert.ok(after <= 0.4 * before, `after ${after} B vs before ${before} B`);
  assert.equal(perFrame[60]?.at(-1)?.keyframe, true, 'the reopened encoder starts with a keyframe');
  assert.equal(perFrame[60]?.at(-1)?.generation, 1);
  const path = join(dir.path, 'out.hevc');
  writeFileSync(path, Buffer.concat(all.map((p) => p.data)));
  const info = await inspectVideo(path);
  assert.equal(info.frames, 90);
});

for (const name of ['libx264', 'libx265', 'libvpx-vp9', 'libsvtav1']) {
  test(`${name}: the packet after requestKeyframe() is a keyframe`, async () => {
    using session = await EncoderSession.open({ candidates: [enc(name)], intent: lowLatency(2_000_000) });
    const requested = [12, 25];
    const { perFrame } = await run(session, 30, (i) => {
      if (requested.includes(i)) session.requestKeyframe();
    });
    for (const i of requested) {
      const first = perFrame[i]?.[0];
      assert.ok(first, `frame ${i} produced a packet at once (low latency)`);
      assert.equal(first.keyframe, true, `frame ${i}`);
    }
    const keyIndices = perFrame.flatMap((ps, i) => (ps.some((p) => p.keyframe) ? [i] : []));
    assert.deepEqual(keyIndices, [0, ...requested]);
  });
}

test('failover at open: an unusable first choice is skipped with a reason, libx264 encodes every frame', async () => {
  using dir = tempDir();
  const events: SessionEvent[] = [];
  using session = await EncoderSession.open({
    // h264_nvenc is forced in as if a probe had found it; there is no NVIDIA GPU here.
    candidates: [enc('h264_nvenc'), enc('libx264')],
    intent: lowLatency(2_000_000),
    onEvent: (e) => events.push(e),
  });
  assert.equal(session.encoder.name, 'libx264');
  const failover = events.find((e) => e.type === 'failover');
  assert.ok(failover?.type === 'failover');
  assert.equal(failover.from, 'h264_nvenc');
  assert.equal(failover.to, 'libx264');
  assert.match(failover.reason, /h264_nvenc/);
  const { all } = await run(session, 30);
  const path = join(dir.path, 'out.h264');
  writeFileSync(path, Buffer.concat(all.map((p) => p.data)));
  assert.equal((await inspectVideo(path)).frames, 30);
});

test('failover mid-stream: the failed frame is encoded on the next encoder as a keyframe, no frame lost', async () => {
  using dir = tempDir();
  const events: SessionEvent[] = [];
  using session = await EncoderSession.open({
    candidates: [enc('libx264'), enc('libx264')],
    intent: lowLatency(2_000_000),
    onEvent: (e) => events.push(e),
    faults: { failAtFrame: 15 },
  });
  const { perFrame, all } = await run(session, 30);
  const failover = events.find((e) => e.type === 'failover');
  assert.ok(failover?.type === 'failover');
  assert.equal(failover.frame, 15);
  assert.match(failover.reason, /injected fault at frame 15/);
  assert.equal(perFrame[15]?.[0]?.keyframe, true);
  assert.equal(perFrame[15]?.[0]?.generation, 1);
  const path = join(dir.path, 'out.h264');
  writeFileSync(path, Buffer.concat(all.map((p) => p.data)));
  assert.equal((await inspectVideo(path)).frames, 30);
});

test('a keyframe requested while a frame is being encoded applies to the next frame, not lost', async () => {
  using session = await EncoderSession.open({ candidates: [enc('libx264')], intent: lowLatency(2_000_000) });
  const keyIndices: number[] = [];
  let i = 0;
  for await (const frame of decodedFrames(SOURCE, { pixelFormat: 'yuv420p', maxFrames: 12 })) {
    frame.pts = BigInt(i);
    const pending = session.encode(frame);
    if (i === 5) session.requestKeyframe(); // while frame 5 is inside the encoder
    if ((await pending).some((p) => p.keyframe)) keyIndices.push(i);
    i++;
  }
  assert.deepEqual(keyIndices, [0, 6]);
});

test('SVT-AV1 at 60 fps opens with low latency (its rate buffer is at least 20 ms)', async () => {
  using session = await EncoderSession.open({
    candidates: [enc('libsvtav1')],
    intent: { width: 320, height: 180, frameRate: [60, 1], bitrateBps: 1_000_000, lowLatency: true },
  });
  assert.equal(session.encoder.name, 'libsvtav1');
  assert.ok((session.settings.bufferBits ?? 0) >= 20_000);
});
