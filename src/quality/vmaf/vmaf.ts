/**
 * VMAF per frame and pooled, from luma planes: ties the feature extractors to the model the way
 * libvmaf does (features of every scored frame, `integer_motion2` settled once the next frame is
 * known, the SVM prediction per frame, and pooling over the scored frames).
 */
import { AdmExtractor } from './adm.ts';
import { MotionExtractor, motion2Scores } from './motion.ts';
import { predictVmaf, VMAF_V061, type PredictOptions, type VmafFeatures, type VmafModel } from './model.ts';
import type { LumaPlane } from './plane.ts';
import { VifExtractor } from './vif.ts';

/** Smallest width and height accepted (the coarsest ADM and VIF levels need a few samples). */
export const VMAF_MIN_SIZE = 64;

/** Largest width accepted (VIF's row scratch has a fixed stride); 8K UHD is 7680 wide. */
export const VMAF_MAX_WIDTH = 8192;

/** Features of one frame before motion2 is known (what a worker computes). */
export interface FrameMeasurement {
  /** Frame index in the stream, from 0. */
  readonly index: number;
  /** Per-frame motion against the previous reference frame (0 for the first frame). */
  readonly motion: number;
  /** Spatial features; absent for frames skipped by subsampling. */
  readonly spatial?: {
    readonly adm2: number;
    readonly vif: readonly [number, number, number, number];
  };
}

/** Scores of one frame. Feature values use libvmaf's names. */
export interface VmafFrame extends VmafFeatures {
  /** Frame index in the stream, from 0. */
  readonly index: number;
  /** The VMAF score, 0..100. */
  readonly vmaf: number;
}

/** Pooled VMAF over the scored frames. */
export interface VmafPooled {
  /** Arithmetic mean (libvmaf's `mean`). */
  readonly mean: number;
  /** Smallest frame score. */
  readonly min: number;
  /** 5th percentile, linear interpolation between the sorted scores. */
  readonly p5: number;
  /** libvmaf's `harmonic_mean`: `n / sum(1 / (s + 1)) - 1`. */
  readonly harmonicMean: number;
  /** Mean of each feature over the scored frames. */
  readonly features: VmafFeatures;
}

/** Result of scoring a stream. */
export interface VmafResult {
  /** Scored frames in stream order (every `subsample`-th frame). */
  readonly frames: readonly VmafFrame[];
  readonly pooled: VmafPooled;
}

function checkSize(width: number, height: number): void {
  if (
    !Number.isInteger(width) ||
    !Number.isInteger(height) ||
    width < VMAF_MIN_SIZE ||
    height < VMAF_MIN_SIZE
  ) {
    throw new RangeError(
      `VMAF needs frames of at least ${VMAF_MIN_SIZE}x${VMAF_MIN_SIZE}, got ${width}x${height}`,
    );
  }
  if (width > VMAF_MAX_WIDTH) {
    throw new RangeError(`VMAF scores frames up to ${VMAF_MAX_WIDTH} pixels wide, got ${width}x${height}`);
  }
}

/**
 * Computes the features of single frames of one size. Owns three WebAssembly instances (roughly
 * 30 bytes per pixel); one instance per thread.
 */
export class FrameExtractor {
  readonly width: number;
  readonly height: number;
  readonly #vif: VifExtractor;
  readonly #adm: AdmExtractor;
  readonly #motion: MotionExtractor;

  constructor(width: number, height: number) {
    checkSize(width, height);
    this.width = width;
    this.height = height;
    this.#vif = new VifExtractor(width, height);
    this.#adm = new AdmExtractor(width, height);
    this.#motion = new MotionExtractor(width, height);
  }

  /**
   * Measures frame `index`. `prevRef` is the previous reference frame (null for the first);
   * `dis` null skips the spatial features (a frame left out by subsampling still needs motion).
   */
  measure(index: number, ref: LumaPlane, dis: LumaPlane | null, prevRef: LumaPlane | null): FrameMeasurement {
    this.#check(ref);
    const motion = prevRef === null ? 0 : this.#motion.compute(this.#check(prevRef), ref);
    if (dis === null) return { index, motion };
    this.#check(dis);
    const v = this.#vif.compute(ref, dis);
    const adm2 = this.#adm.compute(ref, dis);
    return { index, motion, spatial: { adm2, vif: [v.scale0, v.scale1, v.scale2, v.scale3] } };
  }

  #check(plane: LumaPlane): LumaPlane {
    if (plane.width !== this.width || plane.height !== this.height) {
      throw new RangeError(
        `frame is ${plane.width}x${plane.height}, expected ${this.width}x${this.height} like the first frame`,
      );
    }
    if (plane.stride < plane.width || plane.data.length < plane.stride * (plane.height - 1) + plane.width) {
      throw new RangeError('luma plane is smaller than its width, height and stride say');
    }
    return plane;
  }
}

/** Options of {@link assembleVmafResult} and {@link VmafScorer}. */
export interface VmafAssembleOptions extends PredictOptions {
  /** Model to predict with; VMAF v0.6.1 by default. */
  readonly model?: VmafModel;
}

/**
 * Turns per-frame measurements (every frame of the stream, in any order) into scores: motion2
 * from consecutive motions, the model's prediction for frames with spatial features, pooling.
 */
export function assembleVmafResult(
  measurements: readonly FrameMeasurement[],
  options: VmafAssembleOptions = {},
): VmafResult {
  const model = options.model ?? VMAF_V061;
  const sorted = [...measurements].sort((a, b) => a.index - b.index);
  sorted.forEach((m, i) => {
    if (m.index !== i) throw new RangeError(`frame measurements are not contiguous: missing frame ${i}`);
  });
  const motion2 = motion2Scores(sorted.map((m) => m.motion));
  const frames: VmafFrame[] = [];
  for (const m of sorted) {
    if (m.spatial === undefined) continue;
    const features: VmafFeatures = {
      integer_adm2: m.spatial.adm2,
      integer_motion2: motion2[m.index] as number,
      integer_vif_scale0: m.spatial.vif[0],
      integer_vif_scale1: m.spatial.vif[1],
      integer_vif_scale2: m.spatial.vif[2],
      integer_vif_scale3: m.spatial.vif[3],
    };
    frames.push({ index: m.index, vmaf: predictVmaf(model, features, options), ...features });
  }
  return { frames, pooled: pool(frames) };
}

function pool(frames: readonly VmafFrame[]): VmafPooled {
  const n = frames.length;
  if (n === 0) throw new RangeError('no frames were scored');
  let sum = 0;
  let inverse = 0;
  let min = Number.POSITIVE_INFINITY;
  for (const f of frames) {
    sum += f.vmaf;
    inverse += 1 / (f.vmaf + 1);
    if (f.vmaf < min) min = f.vmaf;
  }
  const sorted = frames.map((f) => f.vmaf).sort((a, b) => a - b);
  const rank = 0.05 * (n - 1);
  const lo = Math.floor(rank);
  const hi = Math.min(lo + 1, n - 1);
  const p5 = (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (rank - lo);
  const mean = (name: keyof VmafFeatures): number => frames.reduce((s, f) => s + f[name], 0) / n;
  return {
    mean: sum / n,
    min,
    p5,
    harmonicMean: n / inverse - 1,
    features: {
      integer_adm2: mean('integer_adm2'),
      integer_motion2: mean('integer_motion2'),
      integer_vif_scale0: mean('integer_vif_scale0'),
      integer_vif_scale1: mean('integer_vif_scale1'),
      integer_vif_scale2: mean('integer_vif_scale2'),
      integer_vif_scale3: mean('integer_vif_scale3'),
    },
  };
}

/** Options of {@link VmafScorer}. */
export interface VmafScorerOptions extends VmafAssembleOptions {
  /** Score every `subsample`-th frame (libvmaf's `n_subsample`); 1 scores all. */
  readonly subsample?: number;
}

/**
 * Scores a stream frame by frame on the calling thread. Keeps a copy of the previous reference
 * luma (motion needs it), so the caller may reuse its buffers after {@link push} returns.
 */
export class VmafScorer {
  readonly #options: VmafScorerOptions;
  readonly #subsample: number;
  #extractor: FrameExtractor | undefined;
  #prev: LumaPlane | undefined;
  readonly #measurements: FrameMeasurement[] = [];

  constructor(options: VmafScorerOptions = {}) {
    this.#options = options;
    this.#subsample = options.subsample ?? 1;
    if (!Number.isInteger(this.#subsample) || this.#subsample < 1) {
      throw new RangeError(`subsample must be a positive integer, got ${String(options.subsample)}`);
    }
  }

  /** Number of frames pushed so far. */
  get frameCount(): number {
    return this.#measurements.length;
  }

  /** Measures the next frame pair and returns its measurement. */
  push(ref: LumaPlane, dis: LumaPlane): FrameMeasurement {
    const extractor = (this.#extractor ??= new FrameExtractor(ref.width, ref.height));
    const index = this.#measurements.length;
    const scored = index % this.#subsample === 0;
    const m = extractor.measure(index, ref, scored ? dis : null, this.#prev ?? null);
    this.#measurements.push(m);
    this.#prev = copyPlane(ref, this.#prev);
    return m;
  }

  /** Scores of every scored frame so far and their pooled values. */
  finish(): VmafResult {
    return assembleVmafResult(this.#measurements, this.#options);
  }
}

/** A tightly packed copy of `plane`, reusing `into`'s buffer when it has the right size. */
export function copyPlane(plane: LumaPlane, into?: LumaPlane): LumaPlane {
  const { width, height } = plane;
  const data =
    into !== undefined && into.data.length === width * height ? into.data : new Uint8Array(width * height);
  if (plane.stride === width) data.set(plane.data.subarray(0, width * height));
  else
    for (let y = 0; y < height; ++y)
      data.set(plane.data.subarray(y * plane.stride, y * plane.stride + width), y * width);
  return { data, width, height, stride: width };
}
