/**
 * Reference model of libvmaf 3.2.0's per-frame motion (`integer_motion.c`, 8-bit luma) in plain
 * TypeScript: the mean absolute value of the blurred difference between a reference frame and the
 * previous one. The tests check the WebAssembly kernel ({@link MotionExtractor}) against it bit for
 * bit; production code uses the kernel.
 */
import type { LumaPlane } from '../plane.ts';

/** The 5-tap blur of libvmaf's motion feature. */
const FILTER = [3571, 16004, 26386, 16004, 3571] as const;
/** libvmaf's `DEFAULT_MOTION_MAX_VAL`. */
const MOTION_MAX = 10000;

function mirror(idx: number, size: number): number {
  if (idx < 0) return -idx;
  if (idx >= size) return 2 * size - idx - 2;
  return idx;
}

/**
 * Computes the motion score between consecutive reference frames. Owns a one-row scratch
 * buffer; not safe for concurrent use.
 */
export class MotionReference {
  readonly width: number;
  readonly height: number;
  readonly #row: Int32Array;
  readonly #prevOffs = new Int32Array(5);
  readonly #curOffs = new Int32Array(5);

  /**
   * @param width - luma width in pixels
   * @param height - luma height in pixels
   */
  constructor(width: number, height: number) {
    this.width = width;
    this.height = height;
    this.#row = new Int32Array(width + 4);
  }

  /**
   * The motion score of `cur` relative to `prev` (`VMAF_integer_feature_motion_sad_score` of
   * `cur`'s index): the sum of absolute blurred differences divided by 256 and by the pixel count.
   */
  compute(prev: LumaPlane, cur: LumaPlane): number {
    const w = this.width;
    const h = this.height;
    const row = this.#row;
    const pd = prev.data;
    const cd = cur.data;
    const po = this.#prevOffs;
    const co = this.#curOffs;
    const f0 = FILTER[0];
    const f1 = FILTER[1];
    const f2 = FILTER[2];
    let sad = 0;
    for (let i = 0; i < h; ++i) {
      for (let k = 0; k < 5; ++k) {
        const r = mirror(i - 2 + k, h);
        po[k] = r * prev.stride;
        co[k] = r * cur.stride;
      }
      const p0 = po[0] as number;
      const p1 = po[1] as number;
      const p2 = po[2] as number;
      const p3 = po[3] as number;
      const p4 = po[4] as number;
      const c0 = co[0] as number;
      const c1 = co[1] as number;
      const c2 = co[2] as number;
      const c3 = co[3] as number;
      const c4 = co[4] as number;
      let any = 0;
      for (let j = 0; j < w; ++j) {
        const d0 = (pd[p0 + j] as number) - (cd[c0 + j] as number);
        const d1 = (pd[p1 + j] as number) - (cd[c1 + j] as number);
        const d2 = (pd[p2 + j] as number) - (cd[c2 + j] as number);
        const d3 = (pd[p3 + j] as number) - (cd[c3 + j] as number);
        const d4 = (pd[p4 + j] as number) - (cd[c4 + j] as number);
        const v = (f0 * (d0 + d4) + f1 * (d1 + d3) + f2 * d2 + 128) >> 8;
        row[j + 2] = v;
        any |= v;
      }
      if (any === 0) continue;
      // Mirror the filtered row horizontally: index -1 → 1, -2 → 2, w → w-2, w+1 → w-3.
      row[1] = row[3] as number;
      row[0] = row[4] as number;
      row[w + 2] = row[w] as number;
      row[w + 3] = row[w - 1] as number;
      let rowSad = 0;
      for (let j = 0; j < w; ++j) {
        const acc =
          f0 * ((row[j] as number) + (row[j + 4] as number)) +
          f1 * ((row[j + 1] as number) + (row[j + 3] as number)) +
          f2 * (row[j + 2] as number);
        const val = Math.floor((acc + 32768) / 65536);
        rowSad += val < 0 ? -val : val;
      }
      sad += rowSad;
    }
    const score = sad / 256 / (w * h);
    return score < MOTION_MAX ? score : MOTION_MAX;
  }
}
