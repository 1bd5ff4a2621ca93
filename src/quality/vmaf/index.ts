/**
 * VMAF v0.6.1 in TypeScript, matching libvmaf 3.2.0's integer features (VIF, ADM2, motion2) bit
 * for bit on 8-bit input, and its model prediction to within floating-point rounding. The
 * per-pixel work runs in WebAssembly SIMD kernels (`wasm/*.wat`, compiled at import with wabt);
 * `reference/` holds the same arithmetic in plain TypeScript, which the tests check them against.
 *
 * `scoreVmaf(reference, distorted)` decodes two files and scores them; {@link VmafScorer} and
 * {@link FrameExtractor} work on luma planes the caller already has.
 */
import { QuadStreamError } from '../../core/errors.ts';
import { decodeLumaPlanes, type LumaFrame } from '../../media/planes.ts';
import { defaultThreadCount, VmafPool } from './pool.ts';
import {
  assembleVmafResult,
  FrameExtractor,
  type FrameMeasurement,
  type VmafAssembleOptions,
  type VmafResult,
} from './vmaf.ts';

export { AdmExtractor } from './adm.ts';
export { MotionExtractor, motion2Scores } from './motion.ts';
export {
  parseVmafModel,
  predictVmaf,
  VMAF_FEATURES,
  VMAF_V061,
  type PredictOptions,
  type VmafFeatureName,
  type VmafFeatures,
  type VmafModel,
} from './model.ts';
export type { LumaPlane } from './plane.ts';
export { defaultThreadCount, VmafPool } from './pool.ts';
export { VifExtractor, type VifScores } from './vif.ts';
export {
  assembleVmafResult,
  copyPlane,
  FrameExtractor,
  VMAF_MAX_WIDTH,
  VMAF_MIN_SIZE,
  VmafScorer,
  type FrameMeasurement,
  type VmafAssembleOptions,
  type VmafFrame,
  type VmafPooled,
  type VmafResult,
  type VmafScorerOptions,
} from './vmaf.ts';

/** Options of {@link scoreVmaf}. */
export interface ScoreVmafOptions extends VmafAssembleOptions {
  /** Worker threads measuring frames; 0 measures on the calling thread. Default: cores - 1. */
  readonly threads?: number;
  /** Score every `subsample`-th frame (libvmaf's `n_subsample`); default 1. */
  readonly subsample?: number;
  /** Rescale both inputs to this size first (swscale bicubic, as FFmpeg's `scale` would). */
  readonly scaleTo?: { readonly width: number; readonly height: number };
  /** Stop after this many frames. */
  readonly maxFrames?: number;
  /** Called with the number of frames measured so far. */
  readonly onProgress?: (framesMeasured: number) => void;
  readonly signal?: AbortSignal;
}

/** {@link VmafResult} plus the number of frames both inputs had. */
export interface ScoreVmafResult extends VmafResult {
  /** Frames decoded from each input (scored or skipped by subsampling). */
  readonly totalFrames: number;
}

/**
 * Decodes `referencePath` and `distortedPath` (8-bit video of the same size, or rescaled with
 * `scaleTo`) and computes VMAF v0.6.1 per frame and pooled. Throws a `QuadStreamError` of kind
 * `input` when a file cannot be decoded, is not 8-bit, or the inputs differ in size or length.
 */
export async function scoreVmaf(
  referencePath: string,
  distortedPath: string,
  options: ScoreVmafOptions = {},
): Promise<ScoreVmafResult> {
  const subsample = options.subsample ?? 1;
  if (!Number.isInteger(subsample) || subsample < 1) {
    throw new QuadStreamError(
      'config',
      'config.vmaf-subsample',
      `subsample must be a positive integer, got ${subsample}`,
    );
  }
  const threads = options.threads ?? defaultThreadCount();
  const decodeOptions = {
    ...(options.scaleTo === undefined ? {} : { scaleTo: options.scaleTo }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  };
  const refFrames = decodeLumaPlanes(referencePath, decodeOptions);
  const disFrames = decodeLumaPlanes(distortedPath, decodeOptions);
  await using pool = threads > 0 ? new VmafPool(threads) : undefined;
  let extractor: FrameExtractor | undefined;
  const pending: Promise<FrameMeasurement>[] = [];
  let measured = 0;
  let prev: LumaFrame | undefined;
  let index = 0;
  try {
    for (;;) {
      if (options.maxFrames !== undefined && index >= options.maxFrames) break;
      const [r, d] = await Promise.all([refFrames.next(), disFrames.next()]);
      if (r.done === true || d.done === true) {
        if (r.done !== d.done) {
          const longer = r.done === true ? distortedPath : referencePath;
          throw new QuadStreamError(
            'input',
            'input.frame-count-mismatch',
            `${longer}: has more frames than the other input (${index} frames in the shorter one)`,
            { subject: longer },
          );
        }
        break;
      }
      const ref = r.value;
      const dis = d.value;
      if (ref.width !== dis.width || ref.height !== dis.height) {
        throw new QuadStreamError(
          'input',
          'input.size-mismatch',
          `${distortedPath}: ${dis.width}x${dis.height} differs from the reference's ${ref.width}x${ref.height}; pass scaleTo`,
          { subject: distortedPath },
        );
      }
      const scored = index % subsample === 0;
      const onDone = (m: FrameMeasurement): FrameMeasurement => {
        measured += 1;
        options.onProgress?.(measured);
        return m;
      };
      if (pool !== undefined) {
        const job = pool
          .measure({
            index,
            width: ref.width,
            height: ref.height,
            ref: ref.data,
            dis: scored ? dis.data : null,
            prevRef: prev?.data ?? null,
          })
          .then(onDone);
        job.catch(() => undefined);
        pending.push(job);
      } else {
        extractor ??= new FrameExtractor(ref.width, ref.height);
        pending.push(
          Promise.resolve(onDone(extractor.measure(index, ref, scored ? dis : null, prev ?? null))),
        );
      }
      prev = ref;
      index += 1;
    }
    const measurements = await Promise.all(pending);
    if (measurements.length === 0) {
      throw new QuadStreamError('input', 'input.no-frames', `${referencePath}: no frames to score`, {
        subject: referencePath,
      });
    }
    return { ...assembleVmafResult(measurements, options), totalFrames: index };
  } finally {
    await refFrames.return(undefined);
    await disFrames.return(undefined);
  }
}
