import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Encoder, Muxer } from 'node-av/api';
import { AV_PIX_FMT_YUV420P10LE, FF_ENCODER_FFV1 } from 'node-av/constants';
import { Frame } from 'node-av/lib';
import { isQuadStreamError } from '../src/core/errors.ts';
import { decodeLumaPlanes } from '../src/media/planes.ts';
import {
  AdmExtractor,
  MotionExtractor,
  motion2Scores,
  predictVmaf,
  scoreVmaf,
  VifExtractor,
  VMAF_FEATURES,
  VMAF_MAX_WIDTH,
  VMAF_V061,
  VmafScorer,
  type LumaPlane,
  type VmafFeatureName,
} from '../src/quality/vmaf/index.ts';
import { AdmReference } from '../src/quality/vmaf/reference/adm.ts';
import { MotionReference } from '../src/quality/vmaf/reference/motion.ts';
import { VifReference } from '../src/quality/vmaf/reference/vif.ts';
import { tempDir } from './helpers/tmp.ts';

const SHARED = join(import.meta.dirname, '..', '..', 'shared', 'vmaf');

interface ScoreFile {
  libvmaf: string;
  model: string;
  pooled: Record<VmafFeatureName | 'vmaf', number>;
  frames: Record<VmafFeatureName | 'vmaf', number>[];
}

/**
 * The reference scores are libvmaf 3.2.0's, printed with 6 decimals. Our features are bit-exact, so
 * they may differ from the printed values by the rounding only (5e-7); VMAF may add ~1e-12 from
 * `exp` in the SVM. The brief's tolerances (0.001 per feature, 0.2 per frame, 0.05 pooled) are far
 * looser; these are the ones that say "exact".
 */
const PRINT_ROUNDING = 5.000001e-7;

for (const file of readdirSync(join(SHARED, 'scores')).filter((f) => f.endsWith('.json'))) {
  const name = file.replace(/\.json$/, '');
  test(`libvmaf 3.2.0 reference ${name}: every frame's VMAF and features match to the printed precision`, async () => {
    const expected = JSON.parse(readFileSync(join(SHARED, 'scores', file), 'utf8')) as ScoreFile;
    assert.equal(expected.model, 'vmaf_v0.6.1');
    const pairs = join(SHARED, 'pairs');
    const distorted = readdirSync(pairs).find((f) => f.replace(/\.[^.]+$/, '') === name);
    assert.ok(distorted, `distorted file for ${name}`);
    const reference = join(pairs, `${name.split('_')[0] ?? ''}_ref.mkv`);
    const result = await scoreVmaf(reference, join(pairs, distorted), { threads: 2 });
    assert.equal(result.totalFrames, expected.frames.length);
    assert.equal(result.frames.length, expected.frames.length);
    for (const frame of result.frames) {
      const want = expected.frames[frame.index];
      assert.ok(want);
      for (const key of [...VMAF_FEATURES, 'vmaf'] as const) {
        const diff = Math.abs(frame[key] - want[key]);
        assert.ok(
          diff <= PRINT_ROUNDING,
          `${name} frame ${frame.index} ${key}: ${frame[key]} vs ${want[key]}`,
        );
      }
    }
    assert.ok(Math.abs(result.pooled.mean - expected.pooled.vmaf) <= PRINT_ROUNDING);
    for (const key of VMAF_FEATURES) {
      assert.ok(
        Math.abs(result.pooled.features[key] - expected.pooled[key]) <= 1e-6,
        `${name} pooled ${key}`,
      );
    }
    assert.ok(result.pooled.min <= result.pooled.p5 && result.pooled.p5 <= result.pooled.mean);
    assert.ok(result.pooled.harmonicMean <= result.pooled.mean);
  });
}

/** A deterministic textured plane: gradients plus pseudo-random noise. */
function texture(width: number, height: number, seed: number, noise = 40): LumaPlane {
  const data = new Uint8Array(width * height);
  let s = seed >>> 0;
  for (let y = 0; y < height; ++y) {
    for (let x = 0; x < width; ++x) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      const v = 60 + ((x * 3 + y * 2) % 120) + ((s >>> 24) * noise) / 255;
      data[y * width + x] = Math.min(255, Math.round(v));
    }
  }
  return { data, width, height, stride: width };
}

function blurred(plane: LumaPlane): LumaPlane {
  const { width, height } = plane;
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; ++y) {
    for (let x = 0; x < width; ++x) {
      const at = (dx: number): number =>
        plane.data[y * width + Math.min(width - 1, Math.max(0, x + dx))] ?? 0;
      data[y * width + x] = Math.round((at(-1) + 2 * at(0) + at(1)) / 4);
    }
  }
  return { data, width, height, stride: width };
}

test('identical frames: VIF 1 at every scale, ADM 1, motion 0, VMAF near the top of the scale', () => {
  const ref = texture(96, 80, 7);
  const vif = new VifExtractor(96, 80).compute(ref, ref);
  for (const s of [vif.scale0, vif.scale1, vif.scale2, vif.scale3])
    assert.ok(Math.abs(s - 1) < 1e-4, String(s));
  // ADM's fixed-point pipeline lands a hair above 1 for identical pictures (libvmaf does the same).
  assert.ok(Math.abs(new AdmExtractor(96, 80).compute(ref, ref) - 1) < 1e-4);
  assert.equal(new MotionExtractor(96, 80).compute(ref, ref), 0);
  const scorer = new VmafScorer();
  scorer.push(ref, ref);
  scorer.push(ref, ref);
  const result = scorer.finish();
  assert.equal(result.frames.length, 2);
  for (const f of result.frames) {
    assert.equal(f.integer_motion2, 0);
    assert.ok(f.vmaf > 95, String(f.vmaf));
  }
});

test('a blurred distortion lowers VIF and ADM, and VMAF with them; a padded stride changes nothing', () => {
  const ref = texture(128, 96, 3);
  const dis = blurred(ref);
  const vif = new VifExtractor(128, 96).compute(ref, dis);
  assert.ok(vif.scale0 < 0.9 && vif.scale0 > 0, String(vif.scale0));
  assert.ok(vif.scale0 < vif.scale3);
  const adm = new AdmExtractor(128, 96).compute(ref, dis);
  assert.ok(adm < 1 && adm > 0.5, String(adm));

  const stride = 160;
  const padded = (p: LumaPlane): LumaPlane => {
    const data = new Uint8Array(stride * p.height).fill(255);
    for (let y = 0; y < p.height; ++y) data.set(p.data.subarray(y * p.width, (y + 1) * p.width), y * stride);
    return { data, width: p.width, height: p.height, stride };
  };
  const again = new VifExtractor(128, 96).compute(padded(ref), padded(dis));
  assert.deepEqual(again, vif);
  assert.equal(new AdmExtractor(128, 96).compute(padded(ref), padded(dis)), adm);

  const clean = predictVmaf(VMAF_V061, {
    integer_adm2: 1,
    integer_motion2: 0,
    integer_vif_scale0: 1,
    integer_vif_scale1: 1,
    integer_vif_scale2: 1,
    integer_vif_scale3: 1,
  });
  const hurt = predictVmaf(VMAF_V061, {
    integer_adm2: adm,
    integer_motion2: 0,
    integer_vif_scale0: vif.scale0,
    integer_vif_scale1: vif.scale1,
    integer_vif_scale2: vif.scale2,
    integer_vif_scale3: vif.scale3,
  });
  assert.ok(hurt < clean - 5, `${hurt} vs ${clean}`);
  assert.ok(clean <= 100 && hurt >= 0);
});

test('motion: a shifted frame moves, motion2 is the smaller of a frame and the next, the last keeps its own', () => {
  const a = texture(96, 64, 11, 0);
  const shifted = new Uint8Array(a.data.length);
  for (let y = 0; y < a.height; ++y) {
    for (let x = 0; x < a.width; ++x)
      shifted[y * a.width + x] = a.data[y * a.width + Math.max(0, x - 2)] ?? 0;
  }
  const motion = new MotionExtractor(96, 64).compute(a, { ...a, data: shifted });
  assert.ok(motion > 1, String(motion));
  assert.deepEqual(motion2Scores([0, 3, 1, 2, 5]), [0, 1, 1, 2, 5]);
  assert.deepEqual(motion2Scores([0]), [0]);
});

test('subsampling scores every n-th frame but keeps motion from every frame', () => {
  const frames = [0, 1, 2, 3, 4].map((i) => texture(96, 64, 100 + i, 30));
  const all = new VmafScorer();
  const sub = new VmafScorer({ subsample: 2 });
  for (const f of frames) {
    all.push(f, blurred(f));
    sub.push(f, blurred(f));
  }
  const full = all.finish();
  const some = sub.finish();
  assert.deepEqual(
    some.frames.map((f) => f.index),
    [0, 2, 4],
  );
  for (const f of some.frames) assert.deepEqual(f, full.frames[f.index]);
});

test('the worker pool gives the same result as the calling thread, and frames past maxFrames are not read', async () => {
  const pairs = join(SHARED, 'pairs');
  const opts = { maxFrames: 4 } as const;
  const inline = await scoreVmaf(join(pairs, 'sky_ref.mkv'), join(pairs, 'sky_crf30.mp4'), {
    ...opts,
    threads: 0,
  });
  const pooled = await scoreVmaf(join(pairs, 'sky_ref.mkv'), join(pairs, 'sky_crf30.mp4'), {
    ...opts,
    threads: 2,
  });
  assert.equal(inline.totalFrames, 4);
  assert.deepEqual(pooled, inline);
});

test('decodeLumaPlanes: rescales with scaleTo, and rejects 10-bit input naming the file', async () => {
  const pairs = join(SHARED, 'pairs');
  for await (const frame of decodeLumaPlanes(join(pairs, 'anim_ref.mkv'), {
    scaleTo: { width: 320, height: 180 },
  })) {
    assert.equal(frame.width, 320);
    assert.equal(frame.height, 180);
    assert.equal(frame.data.length, 320 * 180);
    break;
  }

  using dir = tempDir();
  const path = join(dir.path, 'ten-bit.mkv');
  {
    await using muxer = await Muxer.open(path);
    // The encoder takes size, format and time base from the first frame.
    using encoder = await Encoder.create(FF_ENCODER_FFV1);
    const width = 64;
    const height = 64;
    const buffer = Buffer.alloc(width * height * 3); // 10-bit 4:2:0: 2 bytes per sample, 1.5 samples per pixel
    const stream = muxer.addStream(encoder);
    for (let i = 0; i < 2; ++i) {
      using frame = Frame.fromVideoBuffer(buffer, {
        width,
        height,
        format: AV_PIX_FMT_YUV420P10LE,
        timeBase: { num: 1, den: 25 },
        pts: BigInt(i),
      });
      for await (using packet of encoder.packets(frame)) {
        if (packet === null) break;
        await muxer.writePacket(packet, stream);
      }
    }
    for await (using packet of encoder.packets(null)) {
      if (packet === null) break;
      await muxer.writePacket(packet, stream);
    }
  }
  await assert.rejects(
    async () => {
      for await (const frame of decodeLumaPlanes(path))
        assert.fail(`decoded a ${frame.width}-wide 10-bit frame`);
    },
    (error: unknown) => {
      assert.ok(isQuadStreamError(error));
      assert.equal(error.code, 'input.unsupported-bit-depth');
      assert.equal(error.kind, 'input');
      assert.match(error.message, /ten-bit\.mkv/);
      assert.match(error.message, /10-bit .*not supported yet/);
      return true;
    },
  );
});

/** Planes that reach the corners of the kernels' arithmetic: noise, flat extremes, hard edges. */
function awkwardPlanes(width: number, height: number, seed: number): LumaPlane[] {
  const make = (fill: (x: number, y: number) => number): LumaPlane => {
    const data = new Uint8Array(width * height);
    for (let y = 0; y < height; ++y) for (let x = 0; x < width; ++x) data[y * width + x] = fill(x, y);
    return { data, width, height, stride: width };
  };
  let s = seed >>> 0;
  const noise = (): number => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 24;
  const tex = texture(width, height, seed);
  return [
    make(noise),
    tex,
    blurred(tex),
    make(() => 0),
    make(() => 255),
    make((x, y) => ((x + y) & 1 ? 255 : 0)),
    make((x, y) => (((x >> 2) + (y >> 3)) & 1 ? 250 : 3)),
  ];
}

test('the WebAssembly kernels match the TypeScript reference bit for bit on synthetic planes of awkward sizes', () => {
  for (const [width, height] of [
    [64, 64],
    [65, 67],
    [127, 71],
    [200, 99],
  ] as const) {
    const planes = awkwardPlanes(width, height, width * 31 + height);
    const vif = new VifExtractor(width, height);
    const vifRef = new VifReference(width, height);
    const adm = new AdmExtractor(width, height);
    const admRef = new AdmReference(width, height);
    const motion = new MotionExtractor(width, height);
    const motionRef = new MotionReference(width, height);
    for (const [i, a] of planes.entries()) {
      for (const [j, b] of planes.entries()) {
        const what = `${width}x${height} planes ${i} and ${j}`;
        assert.deepStrictEqual(vif.compute(a, b), vifRef.compute(a, b), `VIF ${what}`);
        const admScore = adm.compute(a, b);
        assert.ok(Object.is(admScore, admRef.compute(a, b)), `ADM ${what}: ${admScore}`);
        const motionScore = motion.compute(a, b);
        assert.ok(Object.is(motionScore, motionRef.compute(a, b)), `motion ${what}: ${motionScore}`);
      }
    }
  }
});

test('the WebAssembly kernels match the TypeScript reference bit for bit on decoded frames', async () => {
  const pairs = join(SHARED, 'pairs');
  for (const [reference, distorted] of [
    ['anim_ref.mkv', 'anim_crf40.mp4'],
    ['keys_ref.mkv', 'keys_crf35.mp4'],
  ] as const) {
    const refFrames: LumaPlane[] = [];
    const disFrames: LumaPlane[] = [];
    for await (const frame of decodeLumaPlanes(join(pairs, reference))) {
      refFrames.push(frame);
      if (refFrames.length === 3) break;
    }
    for await (const frame of decodeLumaPlanes(join(pairs, distorted))) {
      disFrames.push(frame);
      if (disFrames.length === 3) break;
    }
    const { width, height } = refFrames[0] as LumaPlane;
    const vif = new VifExtractor(width, height);
    const vifRef = new VifReference(width, height);
    const adm = new AdmExtractor(width, height);
    const admRef = new AdmReference(width, height);
    const motion = new MotionExtractor(width, height);
    const motionRef = new MotionReference(width, height);
    for (const [i, ref] of refFrames.entries()) {
      const dis = disFrames[i] as LumaPlane;
      const what = `${reference} frame ${i}`;
      const scores = vif.compute(ref, dis);
      assert.ok(scores.scale0 > 0 && scores.scale0 < 1, `VIF ${what}: ${scores.scale0}`);
      assert.deepStrictEqual(scores, vifRef.compute(ref, dis), `VIF ${what}`);
      assert.ok(Object.is(adm.compute(ref, dis), admRef.compute(ref, dis)), `ADM ${what}`);
      const prev = refFrames[i === 0 ? 0 : i - 1] as LumaPlane;
      assert.ok(Object.is(motion.compute(prev, ref), motionRef.compute(prev, ref)), `motion ${what}`);
    }
  }
});

test('frames wider than the kernels support are refused with the limit in the message', () => {
  assert.equal(VMAF_MAX_WIDTH, 8192);
  const wide = { data: new Uint8Array(8200 * 64), width: 8200, height: 64, stride: 8200 };
  assert.throws(() => new VmafScorer().push(wide, wide), /up to 8192 pixels wide, got 8200x64/);
  assert.throws(() => new VifExtractor(8200, 64), /up to 8192 pixels wide, got 8200/);
  // The widest accepted frame is scored.
  const edge = texture(8192, 64, 5);
  const scores = new VifExtractor(8192, 64).compute(edge, blurred(edge));
  assert.ok(scores.scale0 > 0 && scores.scale0 < 1, String(scores.scale0));
});
