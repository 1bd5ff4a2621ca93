/**
 * The parameters and geometry ADM shares between its WebAssembly kernel (adm.ts) and its
 * TypeScript reference model: libvmaf 3.2.0's contrast sensitivity factors for viewing distance 3H
 * at 1080p, the regions each stage covers, the mirrored DWT indices, the reciprocal table of the
 * decoupling, and `powf(x, 1/3)` as glibc computes it.
 */
import { glibcPowf } from './powf.ts';

const BORDER_FACTOR = 0.1;
export const NOISE_WEIGHT = 0.03125;
const ONE_THIRD = Math.fround(1 / 3);

/** `cos(1°)²` as the float libvmaf uses. */
export const COS_1DEG_SQ = Math.fround(Math.cos(Math.PI / 180) * Math.cos(Math.PI / 180));

/** `div_lookup[32768 + i] = 2^30 / i` (truncated), negated for negative indices. */
export const DIV_LOOKUP: Int32Array = (() => {
  const table = new Int32Array(65537);
  for (let i = 1; i <= 32768; ++i) {
    const recip = Math.trunc(1073741824 / i);
    table[32768 + i] = recip;
    table[32768 - i] = -recip;
  }
  return table;
})();

/** Watson's DWT basis function amplitudes, [lambda][theta], as floats. */
const BASIS_AMPLITUDES = [
  [0.62171, 0.67234, 0.72709, 0.67234],
  [0.34537, 0.41317, 0.49428, 0.41317],
  [0.18004, 0.22727, 0.28688, 0.22727],
  [0.091401, 0.11792, 0.15214, 0.11792],
].map((row) => row.map((v) => Math.fround(v)));

/** `dwt_quant_step` for luma, in libvmaf's mix of float and double arithmetic. */
function quantStep(lambda: number, theta: number, viewDist: number, displayHeight: number): number {
  const a = Math.fround(0.495);
  const k = Math.fround(0.466);
  const f0 = Math.fround(0.401);
  const g = [Math.fround(1.501), 1, Math.fround(0.534), 1][theta] as number;
  const r = Math.fround((viewDist * displayHeight * Math.PI) / 180);
  const temp = Math.fround(Math.log10((2 ** (lambda + 1) * f0 * g) / r));
  const kt2 = Math.fround(Math.fround(k * temp) * temp);
  const amp = (BASIS_AMPLITUDES[lambda] as number[])[theta] as number;
  return Math.fround((2 * a * Math.pow(10, kt2)) / amp);
}

/** The float CSF weights `{ 1/Q(λ,1), 1/Q(λ,1), 1/Q(λ,2) }` of one scale. */
export function csfFactors(scale: number): [number, number, number] {
  const f1 = Math.fround(1 / quantStep(scale, 1, 3, 1080));
  const f2 = Math.fround(1 / quantStep(scale, 2, 3, 1080));
  return [f1, f1, f2];
}

/** `pow(f, 3)` for a float `f`: `f * f` is exact in a double, so one rounding remains. */
export function cube(f: number): number {
  const sq = f * f;
  return sq * f;
}

/** `powf(x, 1/3)` with `x` converted to float first, bit for bit as glibc computes it. */
export function cbrtf(x: number): number {
  return glibcPowf(x, ONE_THIRD);
}

/** `ceil(log2(n))` for a positive integer. */
export function ceilLog2(n: number): number {
  return n <= 1 ? 0 : 32 - Math.clz32(n - 1);
}

/** Region of a band that libvmaf scores (10 % border removed on each side). */
export interface Region {
  readonly top: number;
  readonly bottom: number;
  readonly left: number;
  readonly right: number;
}

export function scoreRegion(w: number, h: number): Region {
  const left = Math.trunc(w * BORDER_FACTOR - 0.5);
  const top = Math.trunc(h * BORDER_FACTOR - 0.5);
  return { top, bottom: h - top, left, right: w - left };
}

/** The scored region widened by the filter taps (used by decouple and CSF). */
export function tapRegion(w: number, h: number): Region {
  let left = Math.trunc(w * BORDER_FACTOR - 0.5 - 1);
  let top = Math.trunc(h * BORDER_FACTOR - 0.5 - 1);
  let right = w - left + 2;
  let bottom = h - top + 2;
  if (left < 0) left = 0;
  if (right > w) right = w;
  if (top < 0) top = 0;
  if (bottom > h) bottom = h;
  return { top, bottom, left, right };
}

/** The 4 source indices of each output sample of a DWT level (libvmaf's mirrored indices). */
export function dwtIndices(n: number): Int32Array {
  const half = (n + 1) >> 1;
  const out = new Int32Array(4 * half);
  out[0] = 1;
  out[1] = 0;
  out[2] = 1;
  out[3] = 2;
  for (let i = 1; i < half; ++i) {
    for (let k = 0; k < 4; ++k) {
      let ind = 2 * i - 1 + k;
      if (i >= half - 2 && ind >= n) ind = 2 * n - ind - 1;
      out[4 * i + k] = ind;
    }
  }
  return out;
}
