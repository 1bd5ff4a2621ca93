/**
 * File-encoding speed: `quadstream encode` against two baselines measured in the same run, on a
 * 1080p input of at least 20 s built from the shared clips.
 *
 *   (a) quadstream, default workers (segments in parallel, audio copied, verified output);
 *   (b) one encoder instance with all threads in one process (node-av: decode → encode → MP4,
 *       the same encoder options, no segmentation);
 *   (c) Debian's `ffmpeg` CLI with the same encoder options (install it first:
 *       `apt-get install -y ffmpeg`; skipped with a note when it is not on the PATH).
 *
 * Prints wall times (the best of `--repeat` runs, the variants interleaved so that load from other
 * processes hits them alike), CPU seconds (user + system, all threads), the ratios b/a and c/a
 * (above 1: quadstream is faster), the encoder's own one-thread speed, and parallel efficiency.
 * Usage:
 *
 *   npm run bench:encode                          # x264 and SVT-AV1, preset balanced
 *   npm run bench:encode -- --codecs h264 --seconds 24 --repeat 3
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Frame } from 'node-av/lib';
import { encodeFile } from '../src/batch/encode-file.ts';
import { ffmpegOptions, segmentSettings } from '../src/batch/encode-settings.ts';
import type { PresetName } from '../src/batch/presets.ts';
import type { EncodePhase } from '../src/batch/report.ts';
import type { Codec } from '../src/core/units.ts';
import { analyzeMedia } from '../src/media/analyze.ts';
import { openInput, videoStreamOf } from '../src/media/input.ts';
import { readPackets } from '../src/media/read-packets.ts';
import { VideoDecoder } from '../src/media/video-decoder.ts';
import { VideoEncoder } from '../src/media/video-encoder.ts';
import { VideoFileWriter } from '../src/media/video-writer.ts';
import { buildMultiScene, CLIPS_WITH_AUDIO } from '../test/helpers/batch-clips.ts';

const { values } = parseArgs({
  options: {
    codecs: { type: 'string', default: 'h264,av1' },
    preset: { type: 'string', default: 'balanced' },
    seconds: { type: 'string', default: '22.5' },
    'one-thread-frames': { type: 'string', default: '100' },
    repeat: { type: 'string', default: '1' },
  },
});
const codecs = values.codecs.split(',') as Codec[];
const preset = values.preset as PresetName;
const seconds = Number(values.seconds);
const cores = availableParallelism();

const folder = join(tmpdir(), 'quadstream-bench');
mkdirSync(folder, { recursive: true });
const input = join(folder, `input-1080p-${seconds}s.mp4`);
if (!existsSync(input)) {
  process.stdout.write(
    `building ${input} (${seconds} s of 1080p from ${CLIPS_WITH_AUDIO.length} shared clips)…\n`,
  );
  await buildMultiScene(input, {
    clips: CLIPS_WITH_AUDIO,
    secondsPerClip: seconds / CLIPS_WITH_AUDIO.length,
    width: 1920,
    height: 1080,
    fps: 25,
    preset: 'veryfast',
  });
}
const analysis = await analyzeMedia(input);
const video = analysis.video;
const frames = video.frames;
const ffmpeg = spawnSync('ffmpeg', ['-hide_banner', '-version'], { encoding: 'utf8' });
const ffmpegVersion = ffmpeg.status === 0 ? (ffmpeg.stdout.split('\n')[0] ?? 'ffmpeg') : null;

process.stdout.write(
  `input: ${video.width}x${video.height} ${video.frameRate[0]}/${video.frameRate[1]} fps, ${frames} frames, ` +
    `${video.durationS.toFixed(1)} s; ${cores} cores; load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}\n` +
    `ffmpeg CLI: ${ffmpegVersion ?? 'not installed (apt-get install -y ffmpeg), baseline (c) skipped'}\n\n`,
);

interface Timing {
  wallS: number;
  cpuS: number;
}

interface Row {
  codec: string;
  encoder: string;
  args: string;
  a: Timing;
  workers: string;
  phases: string;
  b: Timing;
  c: Timing | null;
  oneThreadFps: number;
}
const rows: Row[] = [];
const repeat = Math.max(1, Number(values.repeat));

/** Runs `fn` and measures wall and CPU time of this process (all its threads). */
async function timed<T>(fn: () => Promise<T>): Promise<[T, Timing]> {
  const cpu = process.cpuUsage();
  const t = performance.now();
  const value = await fn();
  const used = process.cpuUsage(cpu);
  return [value, { wallS: (performance.now() - t) / 1000, cpuS: (used.user + used.system) / 1e6 }];
}

function best(a: Timing | null, b: Timing | null): Timing | null {
  if (a === null) return b;
  if (b === null) return a;
  return b.wallS < a.wallS ? b : a;
}

for (const codec of codecs) {
  const choices = { codec, preset };
  const settings = segmentSettings(video, choices, 0);
  const options = ffmpegOptions(settings);
  delete options['threads'];
  const args = Object.entries(options).flatMap(([k, v]) => [`-${k}`, v]);
  let a: Timing | null = null;
  let b: Timing | null = null;
  let c: Timing | null = null;
  let workers = '';
  let phases = '';
  for (let run = 1; run <= repeat; run++) {
    // (a) quadstream.
    const outA = join(folder, `a-${codec}.mp4`);
    const phaseStart = new Map<EncodePhase, number>();
    const [report, ta] = await timed(() =>
      encodeFile(
        { input, output: outA, ...choices },
        { onEvent: (e) => e.type === 'phase' && phaseStart.set(e.phase, performance.now()) },
      ),
    );
    const order: EncodePhase[] = ['audio', 'analyze', 'encode', 'join', 'verify', 'done'];
    const runPhases = order
      .slice(0, -1)
      .map((p, i) => {
        const from = phaseStart.get(p);
        const to = phaseStart.get(order[i + 1]!);
        return from === undefined || to === undefined ? null : `${p} ${((to - from) / 1000).toFixed(1)}`;
      })
      .filter((x) => x !== null)
      .join(', ');
    rmSync(outA, { force: true });
    if (a === null || ta.wallS < a.wallS) phases = runPhases;
    a = best(a, ta);
    workers = `${report.workers}×${report.threadsPerWorker}`;
    log(
      `(a) quadstream ${codec} #${run}: ${fmt(ta)}, ${workers} threads, ${report.segments.length} segments [${runPhases}]`,
    );

    // (b) one encoder instance, all threads, one process.
    const outB = join(folder, `b-${codec}.mp4`);
    const [, tb] = await timed(() => singleInstance(outB, settings));
    rmSync(outB, { force: true });
    b = best(b, tb);
    log(`(b) one instance ${codec} #${run}: ${fmt(tb)}`);

    // (c) Debian's ffmpeg CLI with the same options, timed by /usr/bin/time for its CPU seconds.
    if (ffmpegVersion !== null) {
      const outC = join(folder, `c-${codec}.mp4`);
      const t2 = performance.now();
      const r = spawnSync(
        '/usr/bin/time',
        [
          '-f',
          'cpu %U %S',
          'ffmpeg',
          '-hide_banner',
          '-loglevel',
          'error',
          '-y',
          '-i',
          input,
          '-map',
          '0:v',
          '-map',
          '0:a?',
          ...args,
          '-c:a',
          'copy',
          outC,
        ],
        { encoding: 'utf8', env: { ...process.env, SVT_LOG: '1' } },
      );
      const wallS = (performance.now() - t2) / 1000;
      rmSync(outC, { force: true });
      const m = /cpu ([\d.]+) ([\d.]+)/.exec(r.stderr);
      if (r.status !== 0 || m === null) {
        log(`(c) ffmpeg ${codec} failed: ${r.stderr.trim().split('\n').at(-1)}`);
      } else {
        const tc = { wallS, cpuS: Number(m[1]) + Number(m[2]) };
        c = best(c, tc);
        log(`(c) ffmpeg CLI ${codec} #${run}: ${fmt(tc)}`);
      }
    }
  }

  // The encoder alone on one thread, on frames decoded beforehand.
  const oneThreadFps = await oneThread(settings, Number(values['one-thread-frames']));
  log(`one-thread ${settings.encoder}: ${oneThreadFps.toFixed(2)} fps`);

  rows.push({
    codec,
    encoder: settings.encoder,
    args: args.join(' '),
    a: a!,
    workers,
    phases,
    b: b!,
    c,
    oneThreadFps,
  });
}

function fmt(t: Timing): string {
  return `${t.wallS.toFixed(1)} s wall, ${t.cpuS.toFixed(1)} s CPU`;
}

process.stdout.write(
  `\nload after: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}\n\n`,
);
process.stdout.write(
  `| encoder (preset ${preset}) | (a) quadstream | workers×threads | (b) one instance | (c) ffmpeg CLI | b/a | c/a | CPU s a / b / c | 1-thread fps | quadstream fps | efficiency | 1-thread fps × cores ÷ quadstream fps |\n` +
    '|---|---|---|---|---|---|---|---|---|---|---|---|\n',
);
for (const r of rows) {
  const fpsA = frames / r.a.wallS;
  const ideal = r.oneThreadFps * cores;
  process.stdout.write(
    `| ${r.encoder} | ${r.a.wallS.toFixed(1)} s | ${r.workers} | ${r.b.wallS.toFixed(1)} s | ${r.c === null ? 'n/a' : `${r.c.wallS.toFixed(1)} s`} | ` +
      `${(r.b.wallS / r.a.wallS).toFixed(2)} | ${r.c === null ? 'n/a' : (r.c.wallS / r.a.wallS).toFixed(2)} | ` +
      `${r.a.cpuS.toFixed(0)} / ${r.b.cpuS.toFixed(0)} / ${r.c === null ? 'n/a' : r.c.cpuS.toFixed(0)} | ${r.oneThreadFps.toFixed(2)} | ` +
      `${fpsA.toFixed(2)} | ${((100 * fpsA) / ideal).toFixed(0)} % | ${(ideal / fpsA).toFixed(2)} |\n`,
  );
}
process.stdout.write(
  '\nquadstream phases (s): ' + rows.map((r) => `${r.encoder}: ${r.phases}`).join('; ') + '\n',
);
process.stdout.write('options: ' + rows.map((r) => `${r.encoder}: ${r.args}`).join('; ') + '\n');

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Decodes `input` and encodes every frame with one encoder instance (threads: FFmpeg's choice). */
async function singleInstance(output: string, settings: ReturnType<typeof segmentSettings>): Promise<void> {
  await using demuxer = await openInput(input);
  const stream = videoStreamOf(demuxer, input);
  using decoder = await VideoDecoder.open(stream, input);
  using encoder = await VideoEncoder.open({
    ...settings,
    threads: 0,
    timeBase: [stream.timeBase.num, stream.timeBase.den],
  });
  await using writer = await VideoFileWriter.open(output, encoder.context);
  let first = true;
  const encode = async (list: Awaited<ReturnType<VideoDecoder['decode']>>): Promise<void> => {
    for (const d of list) {
      using f = d;
      for (const p of await encoder.encode(f.frame, first)) await writer.write(p);
      first = false;
    }
  };
  for await (const packet of readPackets(demuxer, input)) {
    if (packet.streamIndex === stream.index) await encode(await decoder.decode(packet));
  }
  await encode(await decoder.decode(null));
  for (const p of await encoder.encode(null)) await writer.write(p);
  await writer.finish();
}

/** Frames per second of the encoder alone with one thread, on `count` frames decoded first. */
async function oneThread(settings: ReturnType<typeof segmentSettings>, count: number): Promise<number> {
  const held: Frame[] = [];
  {
    await using demuxer = await openInput(input);
    const stream = videoStreamOf(demuxer, input);
    using decoder = await VideoDecoder.open(stream, input);
    for await (const packet of readPackets(demuxer, input)) {
      if (packet.streamIndex !== stream.index) continue;
      for (const d of await decoder.decode(packet)) {
        if (held.length < count) held.push(d.frame);
        else d.frame.free();
      }
      if (held.length >= count) break;
    }
  }
  using encoder = await VideoEncoder.open({ ...settings, threads: 1 });
  const t = performance.now();
  for (const [i, f] of held.entries()) {
    f.pts = BigInt(i);
    await encoder.encode(f, i === 0);
  }
  await encoder.encode(null);
  const fps = held.length / ((performance.now() - t) / 1000);
  for (const f of held) f.free();
  return fps;
}
