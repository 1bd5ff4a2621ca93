import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { AV_PKT_DATA_DISPLAYMATRIX } from 'node-av/constants';
import { encodeFile } from '../src/batch/encode-file.ts';
import { analyzeMedia } from '../src/media/analyze.ts';
import { openInput, videoStreamOf } from '../src/media/input.ts';
import { MediaWriter } from '../src/media/mux.ts';
import { readPackets } from '../src/media/read-packets.ts';
import { VideoDecoder, type DecodedFrame } from '../src/media/video-decoder.ts';
import { decodedFrames } from '../src/media/frames.ts';
import { VideoEncoder } from '../src/media/video-encoder.ts';
import { VideoFileWriter } from '../src/media/video-writer.ts';
import { MEDIA } from './helpers/batch-clips.ts';
import { tempDir } from './helpers/tmp.ts';

const dir = tempDir('qs-batch-meta-');
after(() => dir[Symbol.dispose]());

/** A 3×3 display matrix (16.16 fixed point, last entry 2.30) rotating by `degrees` counter-clockwise. */
function displayMatrix(degrees: number): Buffer {
  const r = (degrees * Math.PI) / 180;
  const m = [Math.cos(r), -Math.sin(r), 0, Math.sin(r), Math.cos(r), 0, 0, 0, 1];
  const b = Buffer.alloc(36);
  m.forEach((v, i) => b.writeInt32LE(Math.round(v * (i === 8 ? 1 << 30 : 1 << 16)), i * 4));
  return b;
}

const rotated = join(dir.path, 'sar-rotated.mp4');

before(async () => {
  // The shared SAR 2:1 clip, remuxed with a 90° display matrix (a phone video's rotation).
  const src = `${MEDIA}sar_2x1.mp4`;
  await using demuxer = await openInput(src);
  const v = videoStreamOf(demuxer, src);
  await using writer = await MediaWriter.open(rotated, 'mp4', [
    {
      parameters: v.codecpar,
      timeBase: [v.timeBase.num, v.timeBase.den],
      sampleAspectRatio: [2, 1],
      sideData: [{ type: AV_PKT_DATA_DISPLAYMATRIX, data: displayMatrix(90) }],
    },
  ]);
  for await (const p of readPackets(demuxer, src)) if (p.streamIndex === v.index) await writer.write(p, 0);
  await writer.finish();
});

/** What the first decoded frame says (from the bitstream, not the container), and its mean luma sample. */
async function firstFrame(path: string): Promise<{ range: number; sar: [number, number]; meanY: number }> {
  await using demuxer = await openInput(path);
  const stream = videoStreamOf(demuxer, path);
  using decoder = await VideoDecoder.open(stream, path);
  const describe = (f: DecodedFrame): { range: number; sar: [number, number]; meanY: number } => {
    const frame = f.frame;
    const y = frame.data![0]!;
    const stride = frame.linesize[0]!;
    let sum = 0;
    for (let row = 0; row < frame.height; row++) {
      for (let x = 0; x < frame.width; x++) sum += y[row * stride + x]!;
    }
    return {
      range: frame.colorRange,
      sar: [frame.sampleAspectRatio.num, frame.sampleAspectRatio.den],
      meanY: sum / (frame.width * frame.height),
    };
  };
  for await (const packet of readPackets(demuxer, path)) {
    if (packet.streamIndex !== stream.index) continue;
    const frames = await decoder.decode(packet);
    const first = frames[0];
    if (first === undefined) continue;
    try {
      return describe(first);
    } finally {
      for (const f of frames) f.frame.free();
    }
  }
  const frames = await decoder.decode(null);
  try {
    if (frames[0] === undefined) throw new Error(`${path}: no frame`);
    return describe(frames[0]);
  } finally {
    for (const f of frames) f.frame.free();
  }
}

test('rotation and non-square pixels are carried: container and bitstream', async () => {
  const before = await analyzeMedia(rotated);
  assert.equal(before.video.rotationDeg, 90);
  const output = join(dir.path, 'rotated-out.mkv');
  const report = await encodeFile({ input: rotated, output, codec: 'h264', preset: 'fast', workers: 1 });
  assert.equal(report.video.rotationDeg, 90);
  assert.match(report.encoder.bitstreamFilter ?? '', /sample_aspect_ratio=2\/1/);
  const after = await analyzeMedia(output);
  assert.equal(after.video.rotationDeg, 90);
  assert.deepEqual(after.video.sampleAspectRatio, [2, 1]);
  assert.deepEqual((await firstFrame(output)).sar, [2, 1]);
});

test('full-range colour (a yuvj420p input) stays full range, unconverted, in the bitstream and the container', async () => {
  const input = `${MEDIA}video.mp4`;
  const source = await analyzeMedia(input);
  assert.equal(source.video.pixelFormat, 'yuvj420p');
  const output = join(dir.path, 'full-range.mp4');
  await encodeFile({ input, output, codec: 'h264', preset: 'fast' });
  const after = await analyzeMedia(output);
  assert.equal(after.video.colour.range, 2, 'container says full range');
  assert.equal(after.video.colour.matrix, source.video.colour.matrix);
  const [a, b] = [await firstFrame(input), await firstFrame(output)];
  assert.equal(b.range, 2, 'bitstream says full range');
  // The first frame is bright (mean luma about 204): squeezed into 16–235 it would drop to about 191.
  assert.ok(Math.abs(a.meanY - b.meanY) < 1, `mean luma ${a.meanY.toFixed(2)} → ${b.meanY.toFixed(2)}`);
});

test('10-bit input is encoded as 10-bit (x264 and SVT-AV1)', async () => {
  const input = join(dir.path, 'ten-bit.mkv');
  {
    using encoder = await VideoEncoder.open({
      encoder: 'libx265',
      width: 320,
      height: 180,
      pixelFormat: 'yuv420p10le',
      frameRate: [25, 1],
      gopFrames: 25,
      globalHeader: true,
      options: { preset: 'ultrafast', crf: '23', 'x265-params': 'log-level=error' },
    });
    await using writer = await VideoFileWriter.open(input, encoder.context);
    let i = 0;
    for await (const frame of decodedFrames('lavfi:testsrc2=size=320x180:rate=25', {
      pixelFormat: 'yuv420p10le',
      maxFrames: 40,
    })) {
      frame.pts = BigInt(i);
      for (const p of await encoder.encode(frame, i === 0)) await writer.write(p);
      i++;
    }
    for (const p of await encoder.encode(null)) await writer.write(p);
    await writer.finish();
  }
  assert.equal((await analyzeMedia(input)).video.bitDepth, 10);
  for (const codec of ['h264', 'av1'] as const) {
    const output = join(dir.path, `ten-bit-${codec}.mkv`);
    const report = await encodeFile({ input, output, codec, preset: 'fast', workers: 1 });
    assert.equal(report.encoder.options['pix_fmt'], 'yuv420p10le');
    const out = await analyzeMedia(output);
    assert.equal(out.video.codec, codec);
    assert.equal(out.video.bitDepth, 10, `${codec} output is ${out.video.pixelFormat}`);
    assert.equal(out.video.frames, 40);
  }
});
