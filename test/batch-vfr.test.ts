import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { encodeFile } from '../src/batch/encode-file.ts';
import { analyzeMedia } from '../src/media/analyze.ts';
import { decodedFrames } from '../src/media/frames.ts';
import { VideoEncoder } from '../src/media/video-encoder.ts';
import { VideoFileWriter } from '../src/media/video-writer.ts';
import { tempDir } from './helpers/tmp.ts';

const dir = tempDir('qs-batch-vfr-');
const input = join(dir.path, 'vfr.mp4');
/** Frame durations in milliseconds, repeated: a variable frame rate between 20 and 60 fps. */
const DURATIONS_MS = [33, 17, 50, 33, 25, 40];
const FRAMES = 96;

before(async () => {
  using encoder = await VideoEncoder.open({
    encoder: 'libx264',
    width: 320,
    height: 180,
    pixelFormat: 'yuv420p',
    frameRate: [30, 1],
    timeBase: [1, 1000],
    gopFrames: 24,
    globalHeader: true,
    options: { preset: 'ultrafast', crf: '23' },
  });
  await using writer = await VideoFileWriter.open(input, encoder.context);
  let i = 0;
  let ms = 0;
  for await (const frame of decodedFrames('lavfi:testsrc2=size=320x180:rate=30', {
    pixelFormat: 'yuv420p',
    maxFrames: FRAMES,
  })) {
    frame.pts = BigInt(ms);
    ms += DURATIONS_MS[i % DURATIONS_MS.length]!;
    for (const p of await encoder.encode(frame, i === 0)) await writer.write(p);
    i++;
  }
  for (const p of await encoder.encode(null)) await writer.write(p);
  await writer.finish();
});
after(() => dir[Symbol.dispose]());

for (const ext of ['mp4', 'mkv'] as const) {
  test(`variable frame rate survives segmenting and joining into ${ext}: every frame at its input time`, async () => {
    const source = await analyzeMedia(input);
    assert.equal(source.video.constantFrameRate, false);
    assert.equal(source.video.frames, FRAMES);
    const output = join(dir.path, `out.${ext}`);
    const report = await encodeFile({
      input,
      output,
      codec: 'h264',
      preset: 'fast',
      workers: 2,
      plan: { minSeconds: 0.5, maxSeconds: 1 },
    });
    assert.ok(report.segments.length >= 3, `${report.segments.length} segments`);
    assert.equal(report.video.constantFrameRate, false);
    const out = await analyzeMedia(output);
    assert.equal(out.video.frames, FRAMES);
    const ms = (a: typeof source): number[] => {
      const [n, d] = a.video.timeBase;
      const first = a.frames.pts[0]!;
      return a.frames.pts.map((p) => Math.round(((p - first) * n * 1000) / d));
    };
    assert.deepEqual(ms(out), ms(source));
  });
}

test('timestamps that repeat cannot identify frames: decoded by index, restamped at the nominal rate, still exact', async () => {
  // Pairs of frames share a timestamp (Matroska accepts it); 25 fps nominal.
  const path = join(dir.path, 'repeated-pts.mkv');
  {
    using encoder = await VideoEncoder.open({
      encoder: 'libx264',
      width: 320,
      height: 180,
      pixelFormat: 'yuv420p',
      frameRate: [25, 1],
      timeBase: [1, 1000],
      gopFrames: 25,
      globalHeader: true,
      options: { preset: 'ultrafast', crf: '23' },
    });
    await using writer = await VideoFileWriter.open(path, encoder.context);
    let i = 0;
    for await (const frame of decodedFrames('lavfi:testsrc2=size=320x180:rate=25', {
      pixelFormat: 'yuv420p',
      maxFrames: 75,
    })) {
      frame.pts = BigInt(Math.floor(i / 2) * 80);
      for (const p of await encoder.encode(frame, i === 0)) await writer.write(p);
      i++;
    }
    for (const p of await encoder.encode(null)) await writer.write(p);
    await writer.finish();
  }
  assert.equal((await analyzeMedia(path)).video.timestampsUsable, false);
  const output = join(dir.path, 'restamped.mp4');
  const report = await encodeFile({
    input: path,
    output,
    codec: 'h264',
    preset: 'fast',
    crf: 0,
    metrics: true,
    workers: 2,
    plan: { minSeconds: 0.4, maxSeconds: 1 },
  });
  assert.ok(report.segments.length >= 3);
  assert.equal(report.outputFrames, 75);
  assert.equal(report.ssim, 1, 'every frame in its place');
  const out = await analyzeMedia(output);
  const [n, d] = out.video.timeBase;
  assert.deepEqual(
    out.frames.pts.map((p) => Math.round(((p - out.frames.pts[0]!) * n * 1000) / d)),
    Array.from({ length: 75 }, (_, i) => i * 40),
  );
});
