import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { lastJsonLine, runCli } from './helpers/cli.ts';
import { makeVideo } from './helpers/make-video.ts';
import { tempDir } from './helpers/tmp.ts';

const PAIRS = '../shared/vmaf/pairs';

interface CompareJson {
  frames: number;
  vmaf: { mean: number; min: number; p5: number };
  psnr: { mean: number; min: number; p5: number };
  ssim: { mean: number; min: number; p5: number };
  perFrame: { frame: number; vmaf?: number; psnr?: number; ssim?: number }[];
}

test('compare --json: pooled and per-frame VMAF, PSNR and SSIM; VMAF matches libvmaf; CSV and SVG written', async () => {
  using dir = tempDir();
  const csv = join(dir.path, 'frames.csv');
  const svg = join(dir.path, 'plot.svg');
  const r = await runCli([
    'compare',
    `${PAIRS}/sky_ref.mkv`,
    `${PAIRS}/sky_crf30.mp4`,
    '--metrics',
    'psnr,ssim,vmaf',
    '--json',
    '--csv',
    csv,
    '--plot',
    svg,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const report = lastJsonLine(r.stdout) as CompareJson;
  const reference = JSON.parse(readFileSync('../shared/vmaf/scores/sky_crf30.json', 'utf8')) as {
    pooled: { vmaf: number };
  };
  assert.equal(report.frames, 30);
  assert.ok(
    Math.abs(report.vmaf.mean - reference.pooled.vmaf) < 0.05,
    `${report.vmaf.mean} vs libvmaf ${reference.pooled.vmaf}`,
  );
  assert.ok(report.vmaf.min <= report.vmaf.p5 && report.vmaf.p5 <= report.vmaf.mean);
  assert.ok(report.psnr.mean > 25 && report.ssim.mean > 0.8 && report.ssim.mean < 1);
  assert.equal(report.perFrame.length, 30);
  assert.ok(report.perFrame.every((f, i) => f.frame === i && f.vmaf !== undefined && f.psnr !== undefined));
  const lines = readFileSync(csv, 'utf8').trim().split('\n');
  assert.equal(lines.length, 31);
  assert.equal(lines[0], 'frame,psnr,psnrY,psnrU,psnrV,ssim,ssimY,vmaf');
  assert.match(readFileSync(svg, 'utf8'), /^<svg [^>]*>[\s\S]*VMAF[\s\S]*<\/svg>$/);
});

test('compare scales a smaller distorted video and says so on stderr', async () => {
  using dir = tempDir();
  const ref = await makeVideo({
    dir: dir.path,
    name: 'ref.mkv',
    width: 320,
    height: 180,
    frames: 6,
    crf: 12,
  });
  const small = await makeVideo({
    dir: dir.path,
    name: 'small.mkv',
    source: 'lavfi:testsrc2=size=320x180:rate=25',
    width: 160,
    height: 90,
    frames: 6,
  });
  const r = await runCli(['compare', ref, small, '--metrics', 'psnr,vmaf', '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /note: distorted 160x90 scaled to 320x180 \(bicubic\)/);
  assert.equal((lastJsonLine(r.stdout) as CompareJson).frames, 6);
});

test('bad input: mismatched frame counts, a non-video file, a 10-bit input, an unknown metric → exit 2 and one line', async () => {
  using dir = tempDir();
  const a = await makeVideo({ dir: dir.path, name: 'a.mkv', frames: 10 });
  const b = await makeVideo({ dir: dir.path, name: 'b.mkv', frames: 7 });
  const text = join(dir.path, 'notes.txt');
  writeFileSync(text, 'this is not a video\n'.repeat(50));
  const deep = await makeVideo({ dir: dir.path, name: 'deep.mkv', frames: 4, tenBit: true });
  const deepRef = await makeVideo({ dir: dir.path, name: 'deep-ref.mkv', frames: 4, tenBit: true, crf: 5 });
  const cases: [string[], RegExp][] = [
    [['compare', a, b, '--metrics', 'psnr'], /b\.mkv: has 7 frames, the reference .*a\.mkv has 10/],
    [
      ['compare', a, b, '--metrics', 'vmaf'],
      /a\.mkv: has more frames than the other input \(7 frames in the shorter one\)/,
    ],
    [['compare', a, text], /notes\.txt: not a media file FFmpeg can read/],
    [
      ['compare', deepRef, deep, '--metrics', 'vmaf'],
      /deep(-ref)?\.mkv: 10-bit video \(yuv420p10le\) is not supported yet/,
    ],
    [['compare', a, a, '--metrics', 'psnr,bogus'], /--metrics: unknown metric bogus/],
  ];
  for (const [args, pattern] of cases) {
    const r = await runCli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  // PSNR/SSIM do measure 10-bit video (in 10 bits).
  const ok = await runCli(['compare', deepRef, deep, '--metrics', 'psnr,ssim', '--json']);
  assert.equal(ok.code, 0, ok.stderr);
});
