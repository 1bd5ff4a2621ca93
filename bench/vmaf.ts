/**
 * VMAF throughput at 1080p: 60 frames of ../shared/media/video.mp4 against a libx264 CRF 38
 * re-encode made in a temporary folder, scored from planes already in memory on the calling
 * thread and with 1 and 2 worker threads (decoding is not timed). Prints frames per second, the
 * ratio to the goal of 5 frames per second per thread, the milliseconds per frame of each
 * feature, how many cores the process kept busy, and the load average before and after (other
 * processes on the machine slow every figure down).
 *
 *   npm run bench:vmaf [-- --frames 60]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Decoder, Demuxer, Encoder, Muxer } from 'node-av/api';
import { FF_ENCODER_LIBX264 } from 'node-av/constants';
import { ensureFfmpegLog } from '../src/media/ffmpeg-log.ts';
import { decodeLumaPlanes, type LumaFrame } from '../src/media/planes.ts';
import {
  AdmExtractor,
  assembleVmafResult,
  FrameExtractor,
  MotionExtractor,
  VifExtractor,
  VmafPool,
  type FrameMeasurement,
  type LumaPlane,
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
  const request = (i: number) => {
    const r = ref[i] as LumaFrame;
    return {
      index: i,
      width: r.width,
      height: r.height,
      ref: r.data,
      dis: (dis[i] as LumaFrame).data,
      prevRef: i === 0 ? null : (ref[i - 1] as LumaFrame).data,
    };
  };
  // Warm every worker (kernel compilation, the optimizing tier, buffers) before timing: two
  // frames each, sent together so that the pool spreads them.
  await Promise.all(Array.from({ length: 2 * threads }, (_, i) => pool.measure(request(i % ref.length))));
  const started = performance.now();
  const cpu = process.cpuUsage();
  const measurements = await Promise.all(ref.map((_, i) => pool.measure(request(i))));
  const ms = performance.now() - started;
  report(`${threads} worker thread${threads === 1 ? '' : 's'}`, threads, ref.length, ms, cpu);
  return measurements;
}

/**
 * Prints frames per second, the ratio to the goal, and the cores the process kept busy: on a
 * machine shared with other work, frames per busy core is the figure that compares across runs.
 */
function report(label: string, threads: number, frames: number, ms: number, cpu: NodeJS.CpuUsage): void {
  const fps = (frames * 1000) / ms;
  const perThread = fps / threads;
  const used = process.cpuUsage(cpu);
  const cores = (used.user + used.system) / 1000 / ms;
  console.log(
    `${label.padEnd(17)} ${fps.toFixed(2).padStart(6)} fps  ${perThread.toFixed(2).padStart(5)} fps/thread  ` +
      `${(perThread / GOAL_FPS_PER_THREAD).toFixed(2)}x of the ${GOAL_FPS_PER_THREAD} fps/thread goal  ` +
      `busy ${cores.toFixed(2)} cores, ${(fps / cores).toFixed(2)} fps per busy core`,
  );
}

/** Milliseconds per frame of each feature on the calling thread: wall clock and thread CPU time. */
function featureTimes(ref: LumaFrame[], dis: LumaFrame[]): void {
  const { width, height } = ref[0] as LumaFrame;
  const vif = new VifExtractor(width, height);
  const adm = new AdmExtractor(width, height);
  const motion = new MotionExtractor(width, height);
  const features: [string, (r: LumaPlane, d: LumaPlane, prev: LumaPlane) => unknown][] = [
    ['VIF', (r, d) => vif.compute(r, d)],
    ['ADM', (r, d) => adm.compute(r, d)],
    ['motion', (r, _d, prev) => motion.compute(prev, r)],
  ];
  for (const [name, run] of features) {
    const frame = (i: number): unknown =>
      run(ref[i] as LumaFrame, dis[i] as LumaFrame, ref[Math.max(0, i - 1)] as LumaFrame);
    frame(0);
    frame(1);
    const started = performance.now();
    const cpu = process.threadCpuUsage();
    for (let i = 0; i < ref.length; ++i) frame(i);
    const used = process.threadCpuUsage(cpu);
    const wallMs = (performance.now() - started) / ref.length;
    const cpuMs = (used.user + used.system) / 1000 / ref.length;
    console.log(
      `  ${name.padEnd(8)} ${wallMs.toFixed(1).padStart(6)} ms/frame  (${cpuMs.toFixed(1)} ms thread CPU)`,
    );
  }
}

function load(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

const dir = mkdtempSync(join(tmpdir(), 'qs-bench-vmaf-'));
try {
  const distorted = join(dir, 'crf38.mp4');
  await reencode(SOURCE, distorted, FRAMES);
  const ref = await planes(SOURCE, FRAMES);
  const dis = await planes(distorted, FRAMES);
  const first = ref[0] as LumaFrame;
  console.log(`VMAF v0.6.1, ${ref.length} frames ${first.width}x${first.height}, libx264 CRF 38 vs source`);

  console.log(`load average before: ${load()} (${availableParallelism()} cores)`);

  // Calling thread: no messaging, a baseline for the pool's overhead.
  const extractor = new FrameExtractor(first.width, first.height);
  extractor.measure(0, first, first, null);
  extractor.measure(1, first, first, first);
  const started = performance.now();
  const cpu = process.cpuUsage();
  const inline = ref.map((r, i) =>
    extractor.measure(i, r, dis[i] as LumaFrame, i === 0 ? null : (ref[i - 1] as LumaFrame)),
  );
  report('calling thread', 1, ref.length, performance.now() - started, cpu);

  const one = await scoreWithPool(1, ref, dis);
  const two = await scoreWithPool(2, ref, dis);
  const result = assembleVmafResult(two);
  const same = JSON.stringify(assembleVmafResult(one)) === JSON.stringify(result);
  const sameInline = JSON.stringify(assembleVmafResult(inline)) === JSON.stringify(result);
  console.log(
    `pooled VMAF ${result.pooled.mean.toFixed(4)} (min ${result.pooled.min.toFixed(2)}); ` +
      `1 thread, 2 threads and calling thread agree: ${same && sameInline}`,
  );
  console.log('per feature, calling thread:');
  featureTimes(ref, dis);
  console.log(`load average after: ${load()}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
