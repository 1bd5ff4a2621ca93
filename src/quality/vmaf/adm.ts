/**
 * ADM (additive detail measure, `integer_adm2`) computed the way libvmaf 3.2.0's integer feature
 * extractor (`integer_adm.c`) does for 8-bit luma with the default options of VMAF v0.6.1:
 * a 4-level db2 wavelet in fixed point, decoupling of the distorted detail into restored and
 * additive parts, contrast sensitivity weighting, contrast masking, and the float pooling of
 * numerators and denominators. The integer stages run in the `adm.wat` kernel up to their int64
 * sums; the float pooling of those sums is here.
 */
import {
  cbrtf,
  ceilLog2,
  COS_1DEG_SQ,
  csfFactors,
  cube,
  DIV_LOOKUP,
  dwtIndices,
  NOISE_WEIGHT,
  scoreRegion,
  tapRegion,
} from './adm-params.ts';
import type { LumaPlane } from './plane.ts';
import { instanceMemory, MemoryLayout, VMAF_KERNELS, writePlane } from './wasm/kernels.ts';

interface AdmKernel {
  dwt8(
    src: number,
    width: number,
    height: number,
    indY: number,
    tmp: number,
    a: number,
    h: number,
    v: number,
    d: number,
    stride: number,
  ): void;
  dwt123(
    src: number,
    width: number,
    height: number,
    vpAdd: bigint,
    vpShift: number,
    hpAdd: bigint,
    hpShift: number,
    indY: number,
    tmp: number,
    a: number,
    h: number,
    v: number,
    d: number,
    stride: number,
  ): void;
  decouple(
    ref: number,
    dis: number,
    r: number,
    f: number,
    t: number,
    bandBytes: number,
    stride: number,
    top: number,
    bottom: number,
    left: number,
    right: number,
    scale: number,
    gainLimit: number,
    divLookup: number,
    cos1DegSq: number,
    rf0: number,
    rf1: number,
    rf2: number,
  ): void;
  den(
    band: number,
    stride: number,
    top: number,
    bottom: number,
    left: number,
    right: number,
    scale: number,
    addSq: bigint,
    shiftSq: bigint,
    addCub: bigint,
    shiftCub: bigint,
    addAccum: bigint,
    shiftAccum: bigint,
  ): number;
  cm(
    r: number,
    f: number,
    t: number,
    bandBytes: number,
    stride: number,
    width: number,
    height: number,
    top: number,
    bottom: number,
    left: number,
    right: number,
    scale: number,
    rf0: number,
    rf1: number,
    rf2: number,
    shiftCubHV: bigint,
    addCubHV: bigint,
    shiftCubD: bigint,
    addCubD: bigint,
    addInner: bigint,
    shiftInner: bigint,
    out: number,
  ): void;
}

/** Scale-0 CSF factors in Q21/Q21/Q23 (libvmaf hard-codes them for viewing distance 3H, 1080p). */
const I_RFACTOR0 = [36453, 36453, 49417] as const;

/** `floor(2^(shift - 1))` as a bigint: libvmaf's rounding terms (0 for shift 0). */
function half(shift: number): bigint {
  return shift > 0 ? 1n << BigInt(shift - 1) : 0n;
}

/** Offsets of a picture's band set: the approximation and the h, v, d bands (`bb` apart). */
interface BandSet {
  a: number;
  next: number;
  readonly h: number;
}

/**
 * Computes integer ADM2 for frames of one size. Owns a WebAssembly instance holding both pictures
 * and the bands of every stage (about 17 bytes per pixel); not safe for concurrent use.
 */
export class AdmExtractor {
  readonly width: number;
  readonly height: number;
  readonly #gainLimit: number;
  readonly #kernel: AdmKernel;
  readonly #bytes: Uint8Array;
  readonly #out: Float64Array;
  readonly #stride: number;
  readonly #bb: number;
  readonly #ref8: number;
  readonly #dis8: number;
  readonly #tmp: number;
  readonly #div: number;
  readonly #indY: number[] = [];
  readonly #ref: BandSet;
  readonly #dis: BandSet;
  readonly #r: number;
  /** Per pixel, the masking threshold's inputs summed over orientations (see `adm.wat`). */
  readonly #maskF: number;
  readonly #maskT: number;
  /** Float CSF weights of each scale and their Q32 fixed-point forms (scales 1..3). */
  readonly #rfactors: [number, number, number][] = [];
  readonly #rfactorsQ32: [number, number, number][] = [];

  /**
   * @param width - luma width in pixels
   * @param height - luma height in pixels
   * @param gainLimit - `adm_enhn_gain_limit` (libvmaf default 100)
   */
  constructor(width: number, height: number, gainLimit = 100) {
    this.width = width;
    this.height = height;
    this.#gainLimit = gainLimit;
    const instance = new WebAssembly.Instance(VMAF_KERNELS.adm, {});
    this.#kernel = instance.exports as unknown as AdmKernel;
    const stride = (width + 1) >> 1;
    this.#stride = stride;
    // Bands are 16 bytes longer than their samples: vector stores may run 3 lanes past the end.
    this.#bb = (4 * stride * ((height + 1) >> 1) + 31) & ~15;
    const layout = new MemoryLayout();
    this.#ref8 = layout.take(width * height);
    this.#dis8 = layout.take(width * height);
    this.#tmp = layout.take(8 * width + 512);
    this.#div = layout.take(DIV_LOOKUP.byteLength);
    const indices: Int32Array[] = [];
    let w = width;
    let h = height;
    for (let scale = 0; scale < 4; ++scale) {
      // Source rows of each output row; columns are mirrored the same way by padding in the kernel.
      const rows = dwtIndices(h);
      indices.push(rows);
      this.#indY.push(layout.take(rows.byteLength));
      const rf = csfFactors(scale);
      this.#rfactors.push(rf);
      // libvmaf's (uint32_t)(rfactor * 2^32), passed to the kernel as int32 bits.
      this.#rfactorsQ32.push(rf.map((f) => Math.trunc(f * 2 ** 32) | 0) as [number, number, number]);
      w = (w + 1) >> 1;
      h = (h + 1) >> 1;
    }
    // Five bands per picture (a, the next a, h, v, d), then r (h, v, d), F and T.
    const bands = layout.take(15 * this.#bb);
    const band = (n: number): number => bands + n * this.#bb;
    this.#ref = { a: band(0), next: band(1), h: band(2) };
    this.#dis = { a: band(5), next: band(6), h: band(7) };
    this.#r = band(10);
    this.#maskF = band(13);
    this.#maskT = band(14);
    const out = layout.take(24);
    const buffer = instanceMemory(instance, layout.size).buffer;
    this.#bytes = new Uint8Array(buffer);
    this.#out = new Float64Array(buffer, out, 3);
    new Int32Array(buffer, this.#div, DIV_LOOKUP.length).set(DIV_LOOKUP);
    indices.forEach((rows, scale) => new Int32Array(buffer, this.#indY[scale], rows.length).set(rows));
  }

  /** The `integer_adm2` score of one reference/distorted pair of 8-bit luma planes. */
  compute(ref: LumaPlane, dis: LumaPlane): number {
    const k = this.#kernel;
    const stride = this.#stride;
    const bb = this.#bb;
    writePlane(this.#bytes, this.#ref8, ref);
    writePlane(this.#bytes, this.#dis8, dis);
    let w = this.width;
    let h = this.height;
    const numdenLimit = (1e-10 * (w * h)) / (1920.0 * 1080.0);
    let num = 0;
    let den = 0;
    for (let scale = 0; scale < 4; ++scale) {
      const indY = this.#indY[scale] as number;
      if (scale === 0) {
        for (const [src, set] of [
          [this.#ref8, this.#ref],
          [this.#dis8, this.#dis],
        ] as const) {
          k.dwt8(src, w, h, indY, this.#tmp, set.a, set.h, set.h + bb, set.h + 2 * bb, stride);
        }
      } else {
        const vpAdd = scale === 1 ? 0n : 32768n;
        const vpShift = scale === 1 ? 0 : 16;
        const hpAdd = scale === 2 ? 32768n : 16384n;
        const hpShift = scale === 2 ? 16 : 15;
        for (const set of [this.#ref, this.#dis]) {
          k.dwt123(
            set.a,
            w,
            h,
            vpAdd,
            vpShift,
            hpAdd,
            hpShift,
            indY,
            this.#tmp,
            set.next,
            set.h,
            set.h + bb,
            set.h + 2 * bb,
            stride,
          );
          // The new approximation becomes the input of the next level.
          [set.a, set.next] = [set.next, set.a];
        }
      }
      w = (w + 1) >> 1;
      h = (h + 1) >> 1;
      const tap = tapRegion(w, h);
      const rfQ = this.#rfactorsQ32[scale] as [number, number, number];
      k.decouple(
        this.#ref.h,
        this.#dis.h,
        this.#r,
        this.#maskF,
        this.#maskT,
        bb,
        stride,
        tap.top,
        tap.bottom,
        tap.left,
        tap.right,
        scale,
        this.#gainLimit,
        this.#div,
        COS_1DEG_SQ,
        ...rfQ,
      );
      den += this.#den(w, h, scale);
      num += this.#cm(w, h, scale);
    }
    if (num < numdenLimit) num = 0;
    if (den < numdenLimit) den = 0;
    return den === 0 ? 1 : num / den;
  }

  /** Denominator of one scale (`adm_csf_den_scale`, `adm_csf_den_s123`) from the reference bands. */
  #den(w: number, h: number, scale: number): number {
    const { top, bottom, left, right } = scoreRegion(w, h);
    const area = (bottom - top) * (right - left);
    let addSq = 0n;
    let shiftSq = 0n;
    let shiftCub = 0;
    let shiftAccum: number;
    let shiftCsf: number;
    if (scale === 0) {
      shiftAccum = Math.max(ceilLog2(area) - 20, 0);
      shiftCsf = 2 ** (18 - shiftAccum);
    } else {
      const sq = [31, 30, 31][scale - 1] as number;
      shiftSq = BigInt(sq);
      addSq = 1n << shiftSq;
      shiftCub = ceilLog2(right - left);
      shiftAccum = ceilLog2(bottom - top);
      shiftCsf = 2 ** (([32, 27, 23][scale - 1] as number) - shiftAccum - shiftCub);
    }
    const rf = this.#rfactors[scale] as [number, number, number];
    const areaTerm = cbrtf(area * NOISE_WEIGHT);
    let result = 0;
    for (let t = 0; t < 3; ++t) {
      const sum = this.#kernel.den(
        this.#ref.h + t * this.#bb,
        this.#stride,
        top,
        bottom,
        left,
        right,
        scale,
        addSq,
        shiftSq,
        half(shiftCub),
        BigInt(shiftCub),
        half(shiftAccum),
        BigInt(shiftAccum),
      );
      const csf = (sum / shiftCsf) * cube(rf[t] as number);
      result = Math.fround(result + Math.fround(cbrtf(csf) + areaTerm));
    }
    return result;
  }

  /** Contrast-masked numerator of one scale (`adm_cm`, `i4_adm_cm`). */
  #cm(w: number, h: number, scale: number): number {
    const { top, bottom, left, right } = scoreRegion(w, h);
    const shiftInner = ceilLog2(h);
    const shiftCubHV = scale === 0 ? ceilLog2(w) - 4 : ceilLog2(w);
    const shiftCubD = scale === 0 ? ceilLog2(w) - 3 : shiftCubHV;
    const rf = scale === 0 ? I_RFACTOR0 : (this.#rfactorsQ32[scale] as [number, number, number]);
    this.#kernel.cm(
      this.#r,
      this.#maskF,
      this.#maskT,
      this.#bb,
      this.#stride,
      w,
      h,
      top,
      bottom,
      left,
      right,
      scale,
      rf[0],
      rf[1],
      rf[2],
      BigInt(shiftCubHV),
      half(shiftCubHV),
      BigInt(shiftCubD),
      half(shiftCubD),
      half(shiftInner),
      BigInt(shiftInner),
      this.#out.byteOffset,
    );
    const areaTerm = cbrtf((bottom - top) * (right - left) * NOISE_WEIGHT);
    let result = 0;
    for (let t = 0; t < 3; ++t) {
      const total = this.#out[t] as number;
      let f: number;
      if (scale === 0) {
        f = Math.fround(total / 2 ** ((t === 2 ? 57 - shiftCubD : 52 - shiftCubHV) - shiftInner));
      } else {
        // libvmaf keeps this divisor in a float.
        const finalShift = 2 ** ([45, 39, 36][scale - 1] as number) / 2 ** (shiftCubHV + shiftInner);
        f = Math.fround(total / Math.fround(finalShift));
      }
      result = Math.fround(result + Math.fround(cbrtf(f) + areaTerm));
    }
    return result;
  }
}
