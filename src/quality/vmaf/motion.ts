/**
 * Temporal features of VMAF, as libvmaf 3.2.0's `integer_motion.c` computes them for 8-bit luma:
 * the per-frame motion (mean absolute value of the blurred difference between a reference frame
 * and the previous one, computed by the `motion.wat` kernel) and `integer_motion2`, the smaller of
 * a frame's motion and the next one's.
 */
import type { LumaPlane } from './plane.ts';
import { instanceMemory, MemoryLayout, VMAF_KERNELS, writePlane } from './wasm/kernels.ts';

/** libvmaf's `DEFAULT_MOTION_MAX_VAL`. */
const MOTION_MAX = 10000;

type MotionSad = (prev: number, cur: number, row: number, width: number, height: number) => number;

/**
 * Computes the motion score between consecutive reference frames. Owns a WebAssembly instance
 * holding two frames and a row (about 2 bytes per pixel); not safe for concurrent use.
 */
export class MotionExtractor {
  readonly width: number;
  readonly height: number;
  readonly #bytes: Uint8Array;
  readonly #sad: MotionSad;
  readonly #prev: number;
  readonly #cur: number;
  readonly #row: number;

  /**
   * @param width - luma width in pixels
   * @param height - luma height in pixels
   */
  constructor(width: number, height: number) {
    this.width = width;
    this.height = height;
    const layout = new MemoryLayout();
    this.#prev = layout.take(width * height);
    this.#cur = layout.take(width * height);
    this.#row = layout.take(4 * (width + 16));
    const instance = new WebAssembly.Instance(VMAF_KERNELS.motion, {});
    this.#bytes = new Uint8Array(instanceMemory(instance, layout.size).buffer);
    this.#sad = instance.exports.motion_sad as MotionSad;
  }

  /**
   * The motion score of `cur` relative to `prev` (`VMAF_integer_feature_motion_sad_score` of
   * `cur`'s index): the sum of absolute blurred differences divided by 256 and by the pixel count.
   */
  compute(prev: LumaPlane, cur: LumaPlane): number {
    writePlane(this.#bytes, this.#prev, prev);
    writePlane(this.#bytes, this.#cur, cur);
    const sad = this.#sad(this.#prev, this.#cur, this.#row, this.width, this.height);
    const score = sad / 256 / (this.width * this.height);
    return score < MOTION_MAX ? score : MOTION_MAX;
  }
}

/**
 * `integer_motion2` for every frame from the per-frame motion scores (index 0 has none and
 * scores 0): `min(motion[i], motion[i + 1])`, and the frame's own motion for the last frame,
 * as libvmaf's flush step writes it.
 */
export function motion2Scores(motion: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < motion.length; ++i) {
    if (i < 1) {
      out.push(0);
      continue;
    }
    const cur = motion[i] as number;
    const next = motion[i + 1];
    out.push(next === undefined ? cur : cur < next ? cur : next);
  }
  return out;
}
