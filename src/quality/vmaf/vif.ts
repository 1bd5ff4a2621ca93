/**
 * VIF (visual information fidelity) at four scales, computed the way libvmaf's integer feature
 * extractor (`integer_vif.c`, libvmaf 3.2.0) does for 8-bit luma: the same fixed-point filters,
 * roundings, mirror padding, log2 lookup table and float results, so the per-scale scores match
 * `integer_vif_scale0..3` bit for bit. The per-pixel work runs in the `vif.wat` kernel.
 */
import type { LumaPlane } from './plane.ts';
import { instanceMemory, MemoryLayout, VMAF_KERNELS, writePlane } from './wasm/kernels.ts';

/** The Gaussian filters of the four scales (libvmaf's `vif_filter1d_table`). */
const FILTERS: readonly (readonly number[])[] = [
  [489, 935, 1640, 2640, 3896, 5274, 6547, 7455, 7784, 7455, 6547, 5274, 3896, 2640, 1640, 935, 489],
  [1244, 3663, 7925, 12590, 14692, 12590, 7925, 3663, 1244],
  [3571, 16004, 26386, 16004, 3571],
  [10904, 43728, 10904],
];

/** libvmaf's epsilon in the gain division, formed the same way (`65536 * 1.0e-10`). */
const GAIN_EPS = 65536 * 1.0e-10;

/** `round(log2f(i) * 2048)` for i in [32767, 65535], as libvmaf's `log_generate`. */
const LOG2_TABLE: Uint16Array = (() => {
  const table = new Uint16Array(65536);
  for (let i = 32767; i < 65536; ++i) table[i] = Math.round(Math.fround(Math.log2(i)) * 2048);
  return table;
})();

/** VIF scores of one frame, one per scale, as libvmaf reports them (float values). */
export interface VifScores {
  /** `integer_vif_scale0`. */
  readonly scale0: number;
  /** `integer_vif_scale1`. */
  readonly scale1: number;
  /** `integer_vif_scale2`. */
  readonly scale2: number;
  /** `integer_vif_scale3`. */
  readonly scale3: number;
}

interface VifKernel {
  max_width(): number;
  rows_bytes(): number;
  scale0(
    ref: number,
    dis: number,
    width: number,
    height: number,
    coef: number,
    log2: number,
    rows: number,
    acc: number,
    gainLimit: number,
    eps: number,
  ): void;
  scale16(
    ref: number,
    dis: number,
    width: number,
    height: number,
    half: number,
    coef: number,
    log2: number,
    rows: number,
    acc: number,
    gainLimit: number,
    eps: number,
  ): void;
  subsample8(
    ref: number,
    dis: number,
    width: number,
    height: number,
    coef: number,
    rows: number,
    outRef: number,
    outDis: number,
  ): void;
  subsample16(
    ref: number,
    dis: number,
    width: number,
    height: number,
    half: number,
    coef: number,
    rows: number,
    outRef: number,
    outDis: number,
  ): void;
}

/**
 * Computes integer VIF for frames of one size. Owns a WebAssembly instance holding both pictures,
 * their decimations and row scratch (about 4 bytes per pixel); not safe for concurrent use.
 */
export class VifExtractor {
  readonly width: number;
  readonly height: number;
  readonly #gainLimit: number;
  readonly #kernel: VifKernel;
  readonly #bytes: Uint8Array;
  readonly #acc: BigInt64Array;
  readonly #ref: number;
  readonly #dis: number;
  /** Two pairs of decimated pictures (ref, dis, ref, dis), used in turn from scale to scale. */
  readonly #decimated: readonly [number, number, number, number];
  readonly #coef: readonly number[];
  readonly #log2: number;
  readonly #rows: number;

  /**
   * @param width - luma width in pixels
   * @param height - luma height in pixels
   * @param gainLimit - `vif_enhn_gain_limit` (libvmaf default 100)
   */
  constructor(width: number, height: number, gainLimit = 100) {
    this.width = width;
    this.height = height;
    this.#gainLimit = gainLimit;
    const instance = new WebAssembly.Instance(VMAF_KERNELS.vif, {});
    this.#kernel = instance.exports as unknown as VifKernel;
    if (width > this.#kernel.max_width()) {
      throw new RangeError(`VIF supports frames up to ${this.#kernel.max_width()} pixels wide, got ${width}`);
    }
    const layout = new MemoryLayout();
    this.#ref = layout.take(width * height);
    this.#dis = layout.take(width * height);
    const decimated = 2 * (width >> 1) * (height >> 1);
    this.#decimated = [
      layout.take(decimated),
      layout.take(decimated),
      layout.take(decimated),
      layout.take(decimated),
    ];
    this.#coef = FILTERS.map((f) => layout.take(4 * f.length));
    this.#log2 = layout.take(LOG2_TABLE.byteLength);
    this.#rows = layout.take(this.#kernel.rows_bytes());
    const acc = layout.take(32);
    const buffer = instanceMemory(instance, layout.size).buffer;
    this.#bytes = new Uint8Array(buffer);
    this.#acc = new BigInt64Array(buffer, acc, 4);
    FILTERS.forEach((f, s) => new Int32Array(buffer, this.#coef[s], f.length).set(f));
    new Uint16Array(buffer, this.#log2, LOG2_TABLE.length).set(LOG2_TABLE);
  }

  /** Scores one reference/distorted pair of 8-bit luma planes of this extractor's size. */
  compute(ref: LumaPlane, dis: LumaPlane): VifScores {
    const k = this.#kernel;
    const gain = this.#gainLimit;
    const coef = this.#coef as [number, number, number, number];
    const [aRef, aDis, bRef, bDis] = this.#decimated;
    writePlane(this.#bytes, this.#ref, ref);
    writePlane(this.#bytes, this.#dis, dis);
    let w = this.width;
    let h = this.height;
    k.scale0(
      this.#ref,
      this.#dis,
      w,
      h,
      coef[0],
      this.#log2,
      this.#rows,
      this.#acc.byteOffset,
      gain,
      GAIN_EPS,
    );
    const scale0 = this.#score();
    // Scale 1 from the 8-bit pictures, then 2 and 3 from the decimated uint16 pictures.
    k.subsample8(this.#ref, this.#dis, w, h, coef[1], this.#rows, aRef, aDis);
    w >>= 1;
    h >>= 1;
    const scale1 = this.#scale16(aRef, aDis, w, h, 1);
    k.subsample16(aRef, aDis, w, h, 2, coef[2], this.#rows, bRef, bDis);
    w >>= 1;
    h >>= 1;
    const scale2 = this.#scale16(bRef, bDis, w, h, 2);
    k.subsample16(bRef, bDis, w, h, 1, coef[3], this.#rows, aRef, aDis);
    w >>= 1;
    h >>= 1;
    const scale3 = this.#scale16(aRef, aDis, w, h, 3);
    return { scale0, scale1, scale2, scale3 };
  }

  #scale16(ref: number, dis: number, w: number, h: number, scale: number): number {
    const half = ((FILTERS[scale] as readonly number[]).length - 1) / 2;
    const coef = this.#coef[scale] as number;
    this.#kernel.scale16(
      ref,
      dis,
      w,
      h,
      half,
      coef,
      this.#log2,
      this.#rows,
      this.#acc.byteOffset,
      this.#gainLimit,
      GAIN_EPS,
    );
    return this.#score();
  }

  /** The float score of one scale from the kernel's int64 accumulators, as libvmaf forms `num / den`. */
  #score(): number {
    const acc = this.#acc;
    // C converts each int64 to double where it meets a double; Number() rounds the same way.
    const numLog = Number(acc[0]);
    const denLog = Number(acc[1]);
    const numNonLog = Number(acc[2]);
    const denNonLog = Number(acc[3]);
    const num = Math.fround(numLog / 2048 + (denNonLog - numNonLog / 16384 / 65025));
    const den = Math.fround(denLog / 2048 + denNonLog);
    return Math.fround(num / den);
  }
}
