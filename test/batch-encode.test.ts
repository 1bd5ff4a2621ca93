import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { EncodeReport } from '../src/batch/report.ts';
import { inspectVideo } from '../src/media/inspect.ts';
import { scanPackets } from '../src/media/packet-scan.ts';
import { buildStandardMultiScene, type MultiScene } from './helpers/batch-clips.ts';
import { eventsOf, reportOf, runCli } from './helpers/batch-cli.ts';
import { tempDir } from './helpers/tmp.ts';

// Five 1.8 s clips of the shared media, 320x180 at 25 fps, joined with their audio: cuts at 45, 90, 135, 180.
// (Short enough that no scene exceeds the plan's maximum, which is lowered to 2 s for a 9 s video on 2 workers.)
const dir = tempDir('qs-batch-encode-');
let input: MultiScene;

before(async () => {
  input = await buildStandardMultiScene(join(dir.path, 'multi.mp4'));
});
after(() => dir[Symbol.dispose]());

test('multi-scene input: segments start on the clip boundaries, every frame arrives, audio stays in sync', async () => {
  const output = join(dir.path, 'out.mp4');
  const run = await runCli([
    'encode',
    input.path,
    '-o',
    output,
    '--preset',
    'fast',
    '--workers',
    '2',
    '--json',
  ]);
  assert.equal(run.code, 0, run.stderr);
  const report = reportOf<EncodeReport>(run);

  // Segment boundaries on the clip boundaries (±2 frames), and nowhere else.
  const starts = report.segments.map((s) => s.startFrame);
  assert.equal(report.plan.maxSeconds, 2);
  assert.ok(report.segments.every((s) => s.reason !== 'split'));
  assert.equal(starts.length, input.clipStarts.length, `starts ${starts.join(',')}`);
  for (const [i, clip] of input.clipStarts.entries()) {
    assert.ok(Math.abs(starts[i]! - clip) <= 2, `segment ${i} starts at ${starts[i]}, clip at ${clip}`);
  }
  assert.equal(report.inputFrames, input.frames);
  assert.equal(report.outputFrames, input.frames);
  assert.equal(report.workers, 2);
  assert.equal(report.encoder.name, 'libx264');
  assert.equal(report.encoder.options['preset'], 'veryfast');
  assert.equal(report.workerStats.length, 2);
  assert.equal(
    report.workerStats.reduce((a, w) => a + w.frames, 0),
    input.frames,
  );
  assert.ok(report.segments.every((s) => s.attempts === 1 && !s.reused));

  // Independently of the report: decode the output, and look at its packets.
  const decoded = await inspectVideo(output);
  assert.equal(decoded.codec, 'h264');
  assert.equal(decoded.frames, input.frames);
  assert.equal(decoded.width, 320);
  const streams = await scanPackets(output);
  const video = streams.find((s) => s.kind === 'video')!;
  const audio = streams.find((s) => s.kind === 'audio')!;
  assert.equal(audio.codec, 'aac', 'AAC is copied into MP4');
  const order = video.pts
    .map((pts, i) => ({ pts: pts!, key: video.keyframes[i]! }))
    .sort((a, b) => a.pts - b.pts);
  for (const s of starts) assert.ok(order[s]!.key, `frame ${s} starts a segment and must be a keyframe`);
  const tick = (tb: readonly [number, number]): number => tb[0] / tb[1];
  const videoStart = order[0]!.pts * tick(video.timeBase);
  const lastVideo = order.at(-1)!;
  const videoEnd =
    (lastVideo.pts + video.durations[video.pts.indexOf(lastVideo.pts)]!) * tick(video.timeBase);
  assert.ok(
    Math.abs(videoEnd - videoStart - input.frames / 25) < 1e-3,
    `video lasts ${videoEnd - videoStart} s`,
  );
  const audioStart =
    Math.min(...audio.pts.map((p) => p!)) * tick(audio.timeBase) + audio.skipSamples / 48_000;
  const audioEnd = Math.max(...audio.pts.map((p, i) => p! + audio.durations[i]!)) * tick(audio.timeBase);
  // The input's audio starts with the video and lasts exactly as long.
  assert.ok(
    Math.abs(audioStart - videoStart) < 0.05,
    `audio starts ${((audioStart - videoStart) * 1000).toFixed(1)} ms off`,
  );
  assert.ok(Math.abs(audioEnd - audioStart - input.audioSamples / 48_000) < 0.05, 'audio duration kept');

  // Progress: NDJSON events on stderr, in phase order, with per-worker figures.
  const events = eventsOf(run);
  const phases = events.filter((e) => e['type'] === 'phase').map((e) => e['phase']);
  assert.deepEqual(phases, ['audio', 'analyze', 'encode', 'join', 'verify', 'done']);
  const progress = events.filter((e) => e['type'] === 'progress');
  assert.ok(progress.length > 0);
  assert.equal(progress.at(-1)!['framesDone'], input.frames);
  assert.equal((progress.at(-1)!['workers'] as unknown[]).length, 2);

  // No leftovers next to the output: the work folder and the temporary file are gone.
  assert.deepEqual(
    readdirSync(dir.path).filter((f) => f.startsWith('.out.mp4')),
    [],
  );
});

test('frame-exact: a lossless encode (crf 0) across segments and workers matches the input exactly', async () => {
  const output = join(dir.path, 'lossless.mkv');
  const run = await runCli([
    'encode',
    input.path,
    '-o',
    output,
    '--crf',
    '0',
    '--metrics',
    '--workers',
    '2',
    '--preset',
    'fast',
    '--json',
  ]);
  assert.equal(run.code, 0, run.stderr);
  const report = reportOf<EncodeReport>(run);
  assert.ok(report.segments.length >= 4);
  assert.equal(report.outputFrames, input.frames);
  // Identical frames: SSIM 1 and PSNR at its cap (60 dB for 8-bit). One misplaced frame would break both.
  assert.equal(report.ssim, 1);
  assert.equal(report.psnr, 60);
  assert.equal(report.encoder.options['crf'], '0');
});

test('--bitrate: busier segments get more bits, the mean stays on target, and the segments still join', async () => {
  const output = join(dir.path, 'bitrate.mp4');
  const run = await runCli([
    'encode',
    input.path,
    '-o',
    output,
    '--bitrate',
    '400k',
    '--workers',
    '1',
    '--preset',
    'fast',
    '--json',
  ]);
  assert.equal(run.code, 0, run.stderr);
  const report = reportOf<EncodeReport>(run);
  const rates = report.segments.map((s) => s.bitrateBps!);
  assert.ok(rates.every((r) => r > 0));
  assert.ok(Math.max(...rates) > 1.2 * Math.min(...rates), `rates ${rates.join(',')}`);
  const seconds = report.segments.map((s) => s.frames / 25);
  const mean = rates.reduce((a, r, i) => a + r * seconds[i]!, 0) / seconds.reduce((a, s) => a + s, 0);
  assert.ok(Math.abs(mean - 400_000) < 1000, `weighted mean ${mean}`);
  // One maximum rate for all segments, so their headers match and they join.
  assert.equal(report.encoder.options['maxrate'], String(Math.round(1.5 * Math.max(...rates))));
  assert.equal(report.outputFrames, input.frames);
  assert.ok(existsSync(output));
});
