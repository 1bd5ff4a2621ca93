import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { containerOf } from '../src/batch/encode-file.ts';
import { ffmpegArgs, ffmpegOptions, frameConversion, segmentSettings } from '../src/batch/encode-settings.ts';
import { parseSegmentJob } from '../src/batch/job.ts';
import { WorkFolder, type Journal } from '../src/batch/journal.ts';
import { ProgressTracker } from '../src/batch/progress.ts';
import { allocateSegmentBitrates, meanOf } from '../src/batch/segment-bitrate.ts';
import { sizeWorkers } from '../src/batch/workers.ts';
import { isQuadStreamError } from '../src/core/errors.ts';
import { planAudio } from '../src/media/audio.ts';
import { metadataFilter } from '../src/media/concat.ts';
import { tempDir } from './helpers/tmp.ts';

test('bitrate allocation: sqrt of relative motion, clamped, duration-weighted mean on target (golden)', () => {
  const rates = allocateSegmentBitrates(
    [
      { seconds: 2, complexity: 3 },
      { seconds: 2, complexity: 15 },
      { seconds: 4, complexity: 0 },
      { seconds: 1, complexity: 99 },
    ],
    1_000_000,
  );
  // Mean complexity C = (6 + 30 + 0 + 99) / 9 = 15; weights sqrt((c+1)/16) = 0.5, 1, 0.5 (clamped from 0.25), 2 (clamped from 2.5).
  // Weighted mean of weights = (1 + 2 + 2 + 2) / 9 = 7/9, so rates = 1e6 × w × 9/7.
  assert.deepEqual(rates, [642857, 1285714, 642857, 2571429]);
  const mean = (rates[0]! * 2 + rates[1]! * 2 + rates[2]! * 4 + rates[3]!) / 9;
  assert.ok(Math.abs(mean - 1_000_000) < 1);
  assert.deepEqual(allocateSegmentBitrates([], 1e6), []);
  assert.deepEqual(allocateSegmentBitrates([{ seconds: 3, complexity: 7 }], 500_000), [500_000]);
  assert.equal(meanOf([1, 2, 3, 4], 1, 2), 2.5);
});

test('worker sizing: cores, memory per megapixel, segments, and --workers', () => {
  const base = {
    cores: 8,
    freeMemoryBytes: 16e9,
    encoder: 'libx264',
    width: 1920,
    height: 1080,
    segments: 40,
  };
  // 1.5 encoder threads per core in all: 12 threads over 8 workers, rounded up.
  assert.deepEqual(sizeWorkers(base), { workers: 8, threadsPerWorker: 2, reason: 'limited by 8 cores' });
  // SVT-AV1 at 4K: 300 MB + 500 MB × 8.3 MP ≈ 4.4 GB per worker; 75% of 8 GB fits one.
  const svt = sizeWorkers({ ...base, encoder: 'libsvtav1', width: 3840, height: 2160, freeMemoryBytes: 8e9 });
  assert.equal(svt.workers, 1);
  assert.equal(svt.threadsPerWorker, 12);
  assert.match(svt.reason, /memory \(4447 MB per worker\)/);
  assert.deepEqual(sizeWorkers({ ...base, segments: 3 }), {
    workers: 3,
    threadsPerWorker: 4,
    reason: 'limited by 3 segments',
  });
  assert.deepEqual(sizeWorkers({ ...base, requested: 3 }), {
    workers: 3,
    threadsPerWorker: 4,
    reason: '--workers 3',
  });
  assert.equal(sizeWorkers({ ...base, requestedThreads: 4 }).threadsPerWorker, 4);
});

test('progress: totals, per-worker rates over a rolling window, and the ETA', () => {
  const p = new ProgressTracker(2, 1000, 100);
  p.start(0, 3, 0);
  p.start(1, 4, 0);
  p.progress(0, 100, 2000);
  p.progress(1, 50, 2000);
  let s = p.snapshot(2000);
  assert.equal(s.framesDone, 250);
  assert.equal(s.fps, 75);
  assert.equal(s.etaS, 10);
  assert.deepEqual(
    s.workers.map((w) => [w.segment, w.frames, w.fps]),
    [
      [3, 100, 50],
      [4, 50, 25],
    ],
  );
  p.end(0, 120, true, 3000);
  p.end(1, 0, false, 3000); // a failed attempt's frames do not count
  s = p.snapshot(3000);
  assert.equal(s.framesDone, 220);
  assert.deepEqual(
    s.workers.map((w) => w.segment),
    [null, null],
  );
  // Ten seconds later the window only holds the last sample: no recent progress, no rate.
  p.progress(0, 0, 13_000);
  assert.equal(p.snapshot(13_000).fps, 0);
  assert.equal(p.snapshot(13_000).etaS, null);
});

test('frame conversion: full-range JPEG formats are relabelled, others converted, 10-bit kept', () => {
  assert.deepEqual(frameConversion({ pixelFormat: 'yuvj420p', bitDepth: 8 }), {
    pixelFormat: 'yuv420p',
    relabel: 'yuv420p',
    filter: null,
  });
  assert.deepEqual(frameConversion({ pixelFormat: 'yuv420p', bitDepth: 8 }), {
    pixelFormat: 'yuv420p',
    relabel: null,
    filter: null,
  });
  assert.deepEqual(frameConversion({ pixelFormat: 'yuvj422p', bitDepth: 8 }), {
    pixelFormat: 'yuv420p',
    relabel: 'yuv422p',
    filter: 'format=yuv420p',
  });
  assert.deepEqual(frameConversion({ pixelFormat: 'yuv422p10le', bitDepth: 10 }), {
    pixelFormat: 'yuv420p10le',
    relabel: null,
    filter: 'format=yuv420p10le',
  });
});

test('encoder settings: preset, crf, keyframe interval, global headers, and the ffmpeg options to reproduce them', () => {
  const video = { width: 1280, height: 720, frameRate: [25, 1] as const, bitDepth: 8 };
  const s = segmentSettings(video, { codec: 'h264', preset: 'balanced' }, 2);
  assert.equal(s.encoder, 'libx264');
  assert.equal(s.gopFrames, 125);
  assert.equal(s.globalHeader, true);
  const o = ffmpegOptions(s);
  assert.deepEqual(o, {
    'c:v': 'libx264',
    pix_fmt: 'yuv420p',
    g: '125',
    threads: '2',
    preset: 'medium',
    'forced-idr': '1',
    crf: '21',
    'x264-params': 'stitchable=1',
  });
  assert.equal(
    ffmpegArgs(o),
    '-c:v libx264 -pix_fmt yuv420p -g 125 -threads 2 -preset medium -forced-idr 1 -crf 21 -x264-params stitchable=1',
  );
  const vp9 = ffmpegOptions(segmentSettings(video, { codec: 'vp9', preset: 'fast', crf: 40 }, 1));
  assert.equal(vp9['b:v'], '0', 'VP9 constant quality needs b:v 0');
  assert.equal(vp9['crf'], '40');
  assert.equal(vp9['cpu-used'], '5');
  const hevc = ffmpegOptions(
    segmentSettings(video, { codec: 'hevc', preset: 'fast' }, 1, { bitrateBps: 1e6, maxBitrateBps: 3e6 }),
  );
  assert.equal(hevc['b:v'], '1000000');
  assert.equal(hevc['maxrate'], '3000000');
  assert.match(hevc['x265-params']!, /info=0/);
  const av1 = segmentSettings({ ...video, bitDepth: 10 }, { codec: 'av1', preset: 'quality' }, 1);
  assert.equal(av1.pixelFormat, 'yuv420p10le');
  assert.equal(av1.options['preset'], '5');
});

test('containers by extension, and codecs they cannot hold, are config errors', () => {
  assert.equal(containerOf('a.MP4', 'h264'), 'mp4');
  assert.equal(containerOf('a.mkv', 'hevc'), 'matroska');
  assert.equal(containerOf('a.webm', 'av1'), 'webm');
  for (const [path, codec] of [
    ['a.avi', 'h264'],
    ['noext', 'h264'],
    ['a.webm', 'hevc'],
  ] as const) {
    assert.throws(
      () => containerOf(path, codec),
      (e: unknown) => isQuadStreamError(e) && e.kind === 'config',
    );
  }
});

test('audio: copied where the container allows, else AAC (MP4) or Opus (WebM)', () => {
  assert.deepEqual(planAudio(1, 'aac', 2, 'mp4'), { streamIndex: 1, action: 'copy', codec: 'aac' });
  assert.deepEqual(planAudio(1, 'aac', 6, 'matroska'), { streamIndex: 1, action: 'copy', codec: 'aac' });
  assert.deepEqual(planAudio(2, 'aac', 2, 'webm'), {
    streamIndex: 2,
    action: 'opus',
    codec: 'opus',
    bitrateBps: 96_000,
  });
  assert.deepEqual(planAudio(1, 'vorbis', 2, 'mp4'), {
    streamIndex: 1,
    action: 'aac',
    codec: 'aac',
    bitrateBps: 128_000,
  });
  assert.deepEqual(planAudio(1, 'opus', 2, 'webm'), { streamIndex: 1, action: 'copy', codec: 'opus' });
});

test('colour and aspect metadata become the codec’s *_metadata bitstream filter options', () => {
  const meta = {
    colour: { range: 2, primaries: 9, transfer: 16, matrix: 9, chromaLocation: 3 },
    sampleAspectRatio: [2, 1] as const,
    frameRate: [25, 1] as const,
    sideData: [],
  };
  assert.deepEqual(metadataFilter('h264', meta), {
    name: 'h264_metadata',
    options: {
      video_full_range_flag: '1',
      colour_primaries: '9',
      transfer_characteristics: '16',
      matrix_coefficients: '9',
      chroma_sample_loc_type: '2',
      sample_aspect_ratio: '2/1',
    },
  });
  assert.deepEqual(metadataFilter('vp9', meta), {
    name: 'vp9_metadata',
    options: { color_range: 'pc', color_space: 'bt2020' },
  });
  assert.equal(metadataFilter('av1', meta)?.options['color_range'], 'pc');
  const unspecified = {
    ...meta,
    colour: { range: 0, primaries: 2, transfer: 2, matrix: 2, chromaLocation: 0 },
    sampleAspectRatio: [1, 1] as const,
  };
  assert.equal(metadataFilter('h264', unspecified), null);
});

test('segment jobs are validated where they cross a thread boundary', () => {
  assert.throws(
    () => parseSegmentJob({ segment: -1 }),
    (e: unknown) => isQuadStreamError(e) && e.code === 'job.invalid' && /segment/.test(e.message),
  );
});

test('journal saves from segments finishing together are queued, and the last one wins', async () => {
  using dir = tempDir('qs-journal-');
  const work = await WorkFolder.open(join(dir.path, 'work'), 'key');
  try {
    const journal = (n: number): Journal => ({
      version: 1,
      inputKey: 'key',
      settingsKey: 'settings',
      plan: [],
      done: Object.fromEntries(
        Array.from({ length: n }, (_, i) => [
          String(i),
          { segment: i, file: `s${i}`, frames: 1, bytes: 1, attempts: 1, seconds: 0, causes: [] },
        ]),
      ),
    });
    await Promise.all(Array.from({ length: 20 }, (_, i) => work.save(journal(i + 1))));
    const saved = JSON.parse(readFileSync(join(dir.path, 'work', 'journal.json'), 'utf8')) as Journal;
    assert.equal(Object.keys(saved.done).length, 20);
    assert.deepEqual(
      readdirSync(join(dir.path, 'work')).filter((f) => f.endsWith('.tmp')),
      [],
    );
  } finally {
    await work[Symbol.asyncDispose]();
  }
});
