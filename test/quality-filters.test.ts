import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isQuadStreamError } from '../src/core/errors.ts';
import { psnrCapDb } from '../src/media/metric-filters.ts';
import { compareWithFilters, describeSides } from '../src/media/filter-compare.ts';
import { pool } from '../src/quality/pooling.ts';
import { makeVideo } from './helpers/make-video.ts';
import { tempDir } from './helpers/tmp.ts';

const PAIRS = '../shared/vmaf/pairs';

test('pooling: mean, min, 5th percentile, harmonic mean', () => {
  const p = pool([90, 80, 100, 70, 60]);
  assert.equal(p.mean, 80);
  assert.equal(p.min, 60);
  assert.equal(p.p5, 62); // sorted 60,70,…: rank 0.2 → 60 + 0.2 × 10
  assert.ok(Math.abs(p.harmonicMean - (5 / (1 / 91 + 1 / 81 + 1 / 101 + 1 / 71 + 1 / 61) - 1)) < 1e-12);
});

test('identical videos: PSNR at its cap, SSIM 1, every frame', async () => {
  const ref = `${PAIRS}/sky_ref.mkv`;
  const setup = await describeSides(ref, ref, false);
  const r = await compareWithFilters(setup, ['psnr', 'ssim']);
  assert.equal(r.frames, 30);
  assert.equal(r.perFrame.length, 30);
  for (const f of r.perFrame) {
    assert.equal(f.psnr?.weighted, psnrCapDb(8));
    assert.equal(f.ssim?.all, 1);
  }
});

test('an encoded copy scores lower than itself, worse at a higher CRF; XPSNR too', async () => {
  const ref = `${PAIRS}/anim_ref.mkv`;
  const good = await compareWithFilters(await describeSides(ref, `${PAIRS}/anim_crf28.mp4`, false), [
    'psnr',
    'ssim',
    'xpsnr',
  ]);
  const bad = await compareWithFilters(await describeSides(ref, `${PAIRS}/anim_crf40.mp4`, false), [
    'psnr',
    'ssim',
    'xpsnr',
  ]);
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const psnrGood = mean(good.perFrame.map((f) => f.psnr?.y ?? NaN));
  const psnrBad = mean(bad.perFrame.map((f) => f.psnr?.y ?? NaN));
  assert.ok(psnrGood > 30 && psnrGood < 60, `crf28 PSNR-Y ${psnrGood}`);
  assert.ok(psnrBad < psnrGood - 2, `crf40 ${psnrBad} vs crf28 ${psnrGood}`);
  assert.ok(
    mean(bad.perFrame.map((f) => f.ssim?.all ?? NaN)) < mean(good.perFrame.map((f) => f.ssim?.all ?? NaN)),
  );
  assert.ok(
    mean(bad.perFrame.map((f) => f.xpsnr?.y ?? NaN)) < mean(good.perFrame.map((f) => f.xpsnr?.y ?? NaN)),
  );
});

test('a smaller distorted video is scaled to the reference and says so', async () => {
  using dir = tempDir();
  const ref = await makeVideo({
    dir: dir.path,
    name: 'ref.mkv',
    width: 320,
    height: 180,
    frames: 10,
    crf: 10,
  });
  const small = await makeVideo({
    dir: dir.path,
    name: 'small.mkv',
    source: 'lavfi:testsrc2=size=320x180:rate=25',
    width: 160,
    height: 90,
    frames: 10,
  });
  const setup = await describeSides(ref, small, false);
  assert.equal(setup.scaled, true);
  assert.deepEqual(setup.notes, ['distorted 160x90 scaled to 320x180 (bicubic)']);
  const r = await compareWithFilters(setup, ['psnr']);
  assert.equal(r.frames, 10);
  assert.ok((r.perFrame[0]?.psnr?.y ?? 0) > 15);
});

test('different frame rates are refused unless allowed; different frame counts are an error naming both counts', async () => {
  using dir = tempDir();
  const a = await makeVideo({ dir: dir.path, name: 'a.mkv', fps: 25, frames: 12 });
  const b = await makeVideo({ dir: dir.path, name: 'b.mkv', fps: 30, frames: 12 });
  const c = await makeVideo({ dir: dir.path, name: 'c.mkv', fps: 25, frames: 8 });
  await assert.rejects(describeSides(a, b, false), (e: unknown) => {
    assert.ok(isQuadStreamError(e));
    assert.equal(e.code, 'compare.fps-mismatch');
    assert.match(
      e.message,
      /b\.mkv: frame rate 30 fps differs from the reference's 25 fps \(use --allow-fps-mismatch/,
    );
    return true;
  });
  const allowed = await describeSides(a, b, true);
  assert.match(allowed.notes[0] ?? '', /frame rates differ/);
  await assert.rejects(
    compareWithFilters(await describeSides(a, c, false), ['psnr']),
    /c\.mkv: has 8 frames, the reference .*a\.mkv has 12/,
  );
});
