/**
 * VMAF throughput at 1080p: 60 frames of ../shared/media/video.mp4 against a libx264 CRF 38
 * re-encode made in a temporary folder, scored from planes already in memory with 1 and 2
 * worker threads (decoding is not timed). Prints frames per second and the ratio to the goal of
 * 5 frames per second per thread.
 *
 *   npm run bench:vmaf [-- --frames 60]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Decoder, Demuxer, Encoder, Muxer } from 'node-av/api';
import { FF_ENCODER_LIBX264 } from 'node-av/constants';
import { ensureFfmpegLog } from '../src/media/ffmpeg-log.ts';
import { decodeLumaPlanes, type LumaFrame } from '../src/media/planes.ts';
import {
  assembleVmafResult,
  FrameExtractor,
  VmafPool,
  type FrameMeasurement,
} from '../src/quality/vmaf/index.ts';

const SOURCE = join(import.meta.dirname, '..', '..', 'shared', 'media', 'video.mp4');
const GOAL_FPS_PER_THREAD = 5;
const framesArg = process.argv.indexOf('--frames');
const FRAMES = framesArg > 0 ? Number(process.argv[framesArg + 1]) : 60;

/** Re-encodes the first `frames` frames of `input` with libx264 at a high CRF. */
async function reencode(input: string, output: string, frames: number): Promise<void> {
  ensureFfmpegLog();
  await using demuxer = await Demuxer.open(input);
  const stream = demuxer.video();
  if (stream === undefined) throw new Error(`${input}: no video`);
  using decoder = await Decoder.create(stream);
  using encoder = await Encoder.create(FF_ENCODER_LIBX264, {
    decoder,
    options: { crf: 38, preset: 'veryfast' },
  });
  await using muxer = await Muxer.open(output);
  const index = muxer.addStream(encoder);
  let n = 0;
  for await (using frame of decoder.frames(demuxer.packets(stream.index))) {
    if (frame === null || n >= frames) break;
    n += 1;
    for await (using packet of encoder.packets(frame)) {
      if (packet === null) break;
      await muxer.writePacket(packet, index);
    }
  }
  for await (using packet of encoder.packets(null)) {
    if (packet === null) break;
    await muxer.writePacket(packet, index);
  }
}

async function planes(path: string, frames: number): Promise<LumaFrame[]> {
  const out: LumaFrame[] = [];
  for await (const frame of decodeLumaPlanes(path)) {
    out.push(frame);
    if (out.length >= frames) break;
  }
  return out;
}

async function scoreWithPool(
  threads: number,
  ref: LumaFrame[],
  dis: LumaFrame[],
): Promise<FrameMeasurement[]> {
  await using pool = new VmafPool(threads);
  // Warm the workers (JIT, buffers) on one frame before timing.
  const first = ref[0] as LumaFrame;
  await pool.measure({
    index: 0,
    width: first.width,
    height: first.height,
    ref: first.data,
    dis: first.data,
    prevRef: null,
  });
  const started = performance.now();
  const measurements = await Promise.all(
    ref.map((r, i) =>
      pool.measure({
        index: i,
        width: r.width,
        height: r.height,
        ref: r.data,
        dis: (dis[i] as LumaFrame).data,
        prevRef: i === 0 ? null : (ref[i - 1] as LumaFrame).data,
      }),
    ),
  );
  report(
    `${threads} worker thread${threads === 1 ? '' : 's'}`,
    threads,
    ref.length,
    performance.now() - started,
  );
  return measurements;
}

function report(label: string, threads: number, frames: number, ms: number): void {
  const fps = (frames * 1000) / ms;
  const perThread = fps / threads;
  console.log(
    `${label.padEnd(20)} ${fps.toFixed(2).padStart(6)} fps  ${perThread.toFixed(2)} fps/thread  ` +
      `${(perThread / GOAL_FPS_PER_THREAD).toFixed(2)}x of the ${GOAL_FPS_PER_THREAD} fps/thread goal`,
  );
}

const dir = mkdtempSync(join(tmpdir(), 'qs-bench-vmaf-'));
try {
  const distorted = join(dir, 'crf38.mp4');
  await reencode(SOURCE, distorted, FRAMES);
  const ref = await planes(SOURCE, FRAMES);
  const dis = await planes(distorted, FRAMES);
  const first = ref[0] as LumaFrame;
  console.log(`VMAF v0.6.1, ${ref.length} frames ${first.width}x${first.height}, libx264 CRF 38 vs source`);

  // Calling thread: no messaging, a baseline for the pool's overhead.
  const extractor = new FrameExtractor(first.width, first.height);
  extractor.measure(0, first, first, null);
  const started = performance.now();
  const inline = ref.map((r, i) =>
    extractor.measure(i, r, dis[i] as LumaFrame, i === 0 ? null : (ref[i - 1] as LumaFrame)),
  );
  report('calling thread', 1, ref.length, performance.now() - started);

  const one = await scoreWithPool(1, ref, dis);
  const two = await scoreWithPool(2, ref, dis);
  const result = assembleVmafResult(two);
  const same = JSON.stringify(assembleVmafResult(one)) === JSON.stringify(result);
  const sameInline = JSON.stringify(assembleVmafResult(inline)) === JSON.stringify(result);
  console.log(
    `pooled VMAF ${result.pooled.mean.toFixed(4)} (min ${result.pooled.min.toFixed(2)}); ` +
      `1 thread, 2 threads and calling thread agree: ${same && sameInline}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
