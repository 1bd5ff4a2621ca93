/**
 * Reference model of ADM (additive detail measure, `integer_adm2`) in plain TypeScript, computed
 * the way libvmaf 3.2.0's integer feature extractor (`integer_adm.c`) does for 8-bit luma with the
 * default options of VMAF v0.6.1:
 * a 4-level db2 wavelet in fixed point (int16 at scale 0, int32 at scales 1..3), decoupling of
 * the distorted detail into restored and additive parts, contrast sensitivity weighting,
 * contrast masking, and the float pooling of numerators and denominators.
 *
 * Bands of every scale are kept in Int32Array buffers; where libvmaf stores into int16 the value
 * is wrapped to 16 bits explicitly. 64-bit products that may pass 2^53 go through exact helpers,
 * and sums that may pass 2^53 fall back to bigint. It is the readable statement of that
 * arithmetic; the tests check the WebAssembly kernel ({@link AdmExtractor}) against it bit for
 * bit, and production code uses the kernel.
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
} from '../adm-params.ts';
import { dotToFloat32, mulShiftExact, TWO_16, TWO_53 } from '../fixed-point.ts';
import type { LumaPlane } from '../plane.ts';

const LO = [15826, 27411, 7345, -4240] as const;
const HI = [-4240, -7345, 27411, -15826] as const;
const LO_SUM = 46342;

/** Scale-0 CSF factors in Q21/Q21/Q23 (libvmaf hard-codes them for viewing distance 3H, 1080p). */
const I_RFACTOR0 = [36453, 36453, 49417] as const;
const CSF0_SHIFT = [15, 15, 17] as const;
const CSF0_ADD = [16384, 16384, 65535] as const;
const FIX_ONE_BY_30 = 4369;
const ONE_BY_15 = 8738;
const I4_FIX_ONE_BY_30 = 143165577;
const I4_ONE_BY_15 = 286331153;
/**
 * Rounding term of the Q32 products at scales 1..3. libvmaf computes `1u << 31` but stores it in
 * an int32, so the term that is added is -2^31.
 */
const I4_FLT_ROUND = -2147483648;

/** A band set of one picture at one scale. */
interface Bands {
  a: Int32Array;
  h: Int32Array;
  v: Int32Array;
  d: Int32Array;
}

function bands(size: number): Bands {
  return {
    a: new Int32Array(size),
    h: new Int32Array(size),
    v: new Int32Array(size),
    d: new Int32Array(size),
  };
}

/**
 * Computes integer ADM2 for frames of one size. Owns its scratch buffers (about 90 bytes per
 * pixel); not safe for concurrent use.
 */
export class AdmReference {
  readonly width: number;
  readonly height: number;
  readonly #gainLimit: number;
  readonly #stride: number;
  #ref: Bands;
  #dis: Bands;
  #nextRefA: Int32Array;
  #nextDisA: Int32Array;
  readonly #r: Bands;
  readonly #add: Bands;
  readonly #csfA: Bands;
  readonly #csfF: Bands;
  readonly #tmp: Float64Array;
  readonly #indY: Int32Array[] = [];
  readonly #indX: Int32Array[] = [];
  readonly #rfactors: [number, number, number][] = [];
  /** Numerator and denominator of each scale of the last computed frame: `[num0, den0, …, num3, den3]`. */
  readonly scaleTerms = new Float64Array(8);

  /**
   * @param width - luma width in pixels
   * @param height - luma height in pixels
   * @param gainLimit - `adm_enhn_gain_limit` (libvmaf default 100)
   */
  constructor(width: number, height: number, gainLimit = 100) {
    this.width = width;
    this.height = height;
    this.#gainLimit = gainLimit;
    const bw = (width + 1) >> 1;
    const bh = (height + 1) >> 1;
    this.#stride = bw;
    const size = bw * bh;
    this.#ref = bands(size);
    this.#dis = bands(size);
    this.#nextRefA = new Int32Array(size);
    this.#nextDisA = new Int32Array(size);
    this.#r = bands(0);
    this.#r.h = new Int32Array(size);
    this.#r.v = new Int32Array(size);
    this.#r.d = new Int32Array(size);
    this.#add = { a: this.#r.a, h: new Int32Array(size), v: new Int32Array(size), d: new Int32Array(size) };
    this.#csfA = { a: this.#r.a, h: new Int32Array(size), v: new Int32Array(size), d: new Int32Array(size) };
    this.#csfF = { a: this.#r.a, h: new Int32Array(size), v: new Int32Array(size), d: new Int32Array(size) };
    this.#tmp = new Float64Array(4 * width);
    let w = width;
    let h = height;
    for (let scale = 0; scale < 4; ++scale) {
      this.#indY.push(dwtIndices(h));
      this.#indX.push(dwtIndices(w));
      this.#rfactors.push(csfFactors(scale));
      w = (w + 1) >> 1;
      h = (h + 1) >> 1;
    }
  }

  /** The `integer_adm2` score of one reference/distorted pair of 8-bit luma planes. */
  compute(ref: LumaPlane, dis: LumaPlane): number {
    let w = this.width;
    let h = this.height;
    const numdenLimit = (1e-10 * (w * h)) / (1920.0 * 1080.0);
    let num = 0;
    let den = 0;
    for (let scale = 0; scale < 4; ++scale) {
      const prevNum = num;
      const prevDen = den;
      const indY = this.#indY[scale] as Int32Array;
      const indX = this.#indX[scale] as Int32Array;
      if (scale === 0) {
        this.#dwt8(ref, this.#ref, w, h, indY, indX);
        this.#dwt8(dis, this.#dis, w, h, indY, indX);
      } else {
        this.#dwtS123(this.#ref, this.#nextRefA, w, h, scale, indY, indX);
        this.#dwtS123(this.#dis, this.#nextDisA, w, h, scale, indY, indX);
      }
      w = (w + 1) >> 1;
      h = (h + 1) >> 1;
      this.#decouple(w, h, scale === 0);
      if (scale === 0) {
        den += this.#den0(w, h);
        this.#csf0(w, h);
        num += this.#cm0(w, h);
      } else {
        den += this.#denS123(w, h, scale);
        this.#csfS123(w, h, scale);
        num += this.#cmS123(w, h, scale);
      }
      this.scaleTerms[2 * scale] = num - prevNum;
      this.scaleTerms[2 * scale + 1] = den - prevDen;
    }
    if (num < numdenLimit) num = 0;
    if (den < numdenLimit) den = 0;
    return den === 0 ? 1 : num / den;
  }

  /** Scale-0 DWT of an 8-bit picture (`adm_dwt2_8`): int16 results in all four bands. */
  #dwt8(src: LumaPlane, dst: Bands, w: number, h: number, indY: Int32Array, indX: Int32Array): void {
    const data = src.data;
    const stride = src.stride;
    const tmp = this.#tmp;
    const bw = (w + 1) >> 1;
    const bh = (h + 1) >> 1;
    const out = this.#stride;
    const { a, v, h: bandH, d } = dst;
    const lo0 = LO[0];
    const lo1 = LO[1];
    const lo2 = LO[2];
    const lo3 = LO[3];
    const hi0 = HI[0];
    const hi1 = HI[1];
    const hi2 = HI[2];
    const hi3 = HI[3];
    const loOffset = LO_SUM * 128;
    for (let i = 0; i < bh; ++i) {
      const r0 = (indY[4 * i] as number) * stride;
      const r1 = (indY[4 * i + 1] as number) * stride;
      const r2 = (indY[4 * i + 2] as number) * stride;
      const r3 = (indY[4 * i + 3] as number) * stride;
      for (let j = 0; j < w; ++j) {
        const s0 = data[r0 + j] as number;
        const s1 = data[r1 + j] as number;
        const s2 = data[r2 + j] as number;
        const s3 = data[r3 + j] as number;
        const lo = lo0 * s0 + lo1 * s1 + lo2 * s2 + lo3 * s3 - loOffset;
        const hi = hi0 * s0 + hi1 * s1 + hi2 * s2 + hi3 * s3;
        tmp[j] = (((lo + 128) >> 8) << 16) >> 16;
        tmp[w + j] = (((hi + 128) >> 8) << 16) >> 16;
      }
      const row = i * out;
      for (let j = 0; j < bw; ++j) {
        const j0 = indX[4 * j] as number;
        const j1 = indX[4 * j + 1] as number;
        const j2 = indX[4 * j + 2] as number;
        const j3 = indX[4 * j + 3] as number;
        let s0 = tmp[j0] as number;
        let s1 = tmp[j1] as number;
        let s2 = tmp[j2] as number;
        let s3 = tmp[j3] as number;
        a[row + j] = (((lo0 * s0 + lo1 * s1 + lo2 * s2 + lo3 * s3 + 32768) >> 16) << 16) >> 16;
        v[row + j] = (((hi0 * s0 + hi1 * s1 + hi2 * s2 + hi3 * s3 + 32768) >> 16) << 16) >> 16;
        s0 = tmp[w + j0] as number;
        s1 = tmp[w + j1] as number;
        s2 = tmp[w + j2] as number;
        s3 = tmp[w + j3] as number;
        bandH[row + j] = (((lo0 * s0 + lo1 * s1 + lo2 * s2 + lo3 * s3 + 32768) >> 16) << 16) >> 16;
        d[row + j] = (((hi0 * s0 + hi1 * s1 + hi2 * s2 + hi3 * s3 + 32768) >> 16) << 16) >> 16;
      }
    }
  }

  /**
   * DWT of scales 1..3 on the previous scale's approximation band (`adm_dwt2_s123_combined`).
   * The new approximation goes to `nextA`, which then becomes the band set's `a`.
   */
  #dwtS123(
    pic: Bands,
    nextA: Int32Array,
    w: number,
    h: number,
    scale: number,
    indY: Int32Array,
    indX: Int32Array,
  ): void {
    const src = pic.a;
    const stride = this.#stride;
    const tmp = this.#tmp;
    const bw = (w + 1) >> 1;
    const bh = (h + 1) >> 1;
    const vpAdd = scale === 1 ? 0 : 32768;
    const vpDiv = scale === 1 ? 1 : TWO_16;
    const hpAdd = scale === 2 ? 32768 : 16384;
    const hpDiv = scale === 2 ? TWO_16 : 32768;
    const { v, h: bandH, d } = pic;
    for (let i = 0; i < bh; ++i) {
      const r0 = (indY[4 * i] as number) * stride;
      const r1 = (indY[4 * i + 1] as number) * stride;
      const r2 = (indY[4 * i + 2] as number) * stride;
      const r3 = (indY[4 * i + 3] as number) * stride;
      for (let j = 0; j < w; ++j) {
        const s0 = src[r0 + j] as number;
        const s1 = src[r1 + j] as number;
        const s2 = src[r2 + j] as number;
        const s3 = src[r3 + j] as number;
        const lo = LO[0] * s0 + LO[1] * s1 + LO[2] * s2 + LO[3] * s3;
        const hi = HI[0] * s0 + HI[1] * s1 + HI[2] * s2 + HI[3] * s3;
        tmp[j] = Math.floor((lo + vpAdd) / vpDiv) | 0;
        tmp[w + j] = Math.floor((hi + vpAdd) / vpDiv) | 0;
      }
      const row = i * stride;
      for (let j = 0; j < bw; ++j) {
        const j0 = indX[4 * j] as number;
        const j1 = indX[4 * j + 1] as number;
        const j2 = indX[4 * j + 2] as number;
        const j3 = indX[4 * j + 3] as number;
        let s0 = tmp[j0] as number;
        let s1 = tmp[j1] as number;
        let s2 = tmp[j2] as number;
        let s3 = tmp[j3] as number;
        nextA[row + j] = Math.floor((LO[0] * s0 + LO[1] * s1 + LO[2] * s2 + LO[3] * s3 + hpAdd) / hpDiv) | 0;
        v[row + j] = Math.floor((HI[0] * s0 + HI[1] * s1 + HI[2] * s2 + HI[3] * s3 + hpAdd) / hpDiv) | 0;
        s0 = tmp[w + j0] as number;
        s1 = tmp[w + j1] as number;
        s2 = tmp[w + j2] as number;
        s3 = tmp[w + j3] as number;
        bandH[row + j] = Math.floor((LO[0] * s0 + LO[1] * s1 + LO[2] * s2 + LO[3] * s3 + hpAdd) / hpDiv) | 0;
        d[row + j] = Math.floor((HI[0] * s0 + HI[1] * s1 + HI[2] * s2 + HI[3] * s3 + hpAdd) / hpDiv) | 0;
      }
    }
    // Swap the approximation buffers so the next level reads what this one wrote.
    const oldA = pic.a;
    pic.a = nextA;
    if (pic === this.#ref) this.#nextRefA = oldA;
    else this.#nextDisA = oldA;
  }

  /** Splits the distorted detail into restored (`#r`) and additive (`#add`) parts. */
  #decouple(w: number, h: number, wrap16: boolean): void {
    const { top, bottom, left, right } = tapRegion(w, h);
    const stride = this.#stride;
    const ref = this.#ref;
    const dis = this.#dis;
    const r = this.#r;
    const add = this.#add;
    const gain = this.#gainLimit;
    const refH = ref.h;
    const refV = ref.v;
    const refD = ref.d;
    const disH = dis.h;
    const disV = dis.v;
    const disD = dis.d;
    for (let i = top; i < bottom; ++i) {
      for (let j = left; j < right; ++j) {
        const p = i * stride + j;
        const oh = refH[p] as number;
        const ov = refV[p] as number;
        const od = refD[p] as number;
        const th = disH[p] as number;
        const tv = disV[p] as number;
        const td = disD[p] as number;
        const otDp = dotToFloat32(oh, th, ov, tv) / 4096;
        const oMag = dotToFloat32(oh, oh, ov, ov) / 4096;
        const tMag = dotToFloat32(th, th, tv, tv) / 4096;
        const angle = otDp >= 0 && otDp * otDp >= COS_1DEG_SQ * oMag * tMag;
        let rh = restore(oh, th, angle, gain);
        let rv = restore(ov, tv, angle, gain);
        let rd = restore(od, td, angle, gain);
        let ah = (th - rh) | 0;
        let av = (tv - rv) | 0;
        let ad = (td - rd) | 0;
        if (wrap16) {
          rh = (rh << 16) >> 16;
          rv = (rv << 16) >> 16;
          rd = (rd << 16) >> 16;
          ah = (ah << 16) >> 16;
          av = (av << 16) >> 16;
          ad = (ad << 16) >> 16;
        }
        r.h[p] = rh;
        r.v[p] = rv;
        r.d[p] = rd;
        add.h[p] = ah;
        add.v[p] = av;
        add.d[p] = ad;
      }
    }
  }

  /** Scale-0 denominator (`adm_csf_den_scale`) from the reference detail bands. */
  #den0(w: number, h: number): number {
    const { top, bottom, left, right } = scoreRegion(w, h);
    const stride = this.#stride;
    let shiftAccum = ceilLog2((bottom - top) * (right - left)) - 20;
    if (shiftAccum < 0) shiftAccum = 0;
    const addAccum = shiftAccum > 0 ? 2 ** (shiftAccum - 1) : 0;
    const ref = this.#ref;
    const sums = [ref.h, ref.v, ref.d].map((band) => {
      const total = new WideSum();
      for (let i = top; i < bottom; ++i) {
        const row = i * stride;
        let inner = 0;
        for (let j = left; j < right; ++j) {
          const x = band[row + j] as number;
          const m = x < 0 ? -x : x;
          inner += m * m * m;
        }
        let rowSum: bigint | number = inner;
        if (inner >= TWO_53) {
          let big = 0n;
          for (let j = left; j < right; ++j) {
            const m = BigInt(Math.abs(band[row + j] as number));
            big += m * m * m;
          }
          rowSum = big;
        }
        total.addShifted(rowSum, addAccum, shiftAccum);
      }
      return total.toNumber();
    });
    const rf = this.#rfactors[0] as [number, number, number];
    const shiftCsf = 2 ** (18 - shiftAccum);
    const areaTerm = cbrtf((bottom - top) * (right - left) * NOISE_WEIGHT);
    let result = 0;
    for (let t = 0; t < 3; ++t) {
      const csf = ((sums[t] as number) / shiftCsf) * cube(rf[t] as number);
      result = Math.fround(result + Math.fround(cbrtf(csf) + areaTerm));
    }
    return result;
  }

  /** Denominator of scales 1..3 (`adm_csf_den_s123`). */
  #denS123(w: number, h: number, scale: number): number {
    const { top, bottom, left, right } = scoreRegion(w, h);
    const stride = this.#stride;
    const shiftSq = [31, 30, 31][scale - 1] as number;
    const addSq = 2 ** shiftSq;
    const convert = [32, 27, 23][scale - 1] as number;
    const shiftCub = ceilLog2(right - left);
    const addCub = Math.floor(2 ** (shiftCub - 1));
    const divCub = 2 ** shiftCub;
    const shiftAccum = ceilLog2(bottom - top);
    const addAccum = Math.floor(2 ** (shiftAccum - 1));
    const ref = this.#ref;
    const sums = [ref.h, ref.v, ref.d].map((band) => {
      const total = new WideSum();
      for (let i = top; i < bottom; ++i) {
        const row = i * stride;
        let inner = 0;
        let big = 0n;
        let useBig = false;
        for (let j = left; j < right; ++j) {
          const x = band[row + j] as number;
          const m = x < 0 ? -x : x;
          const sq = mulShiftExact(m, m, addSq, shiftSq);
          const t = sq * m + addCub;
          if (t < TWO_53) {
            inner += Math.floor(t / divCub);
          } else {
            useBig = true;
            big += (BigInt(sq) * BigInt(m) + BigInt(addCub)) >> BigInt(shiftCub);
          }
        }
        total.addShifted(combine(inner, big, useBig), addAccum, shiftAccum);
      }
      return total.toNumber();
    });
    const rf = this.#rfactors[scale] as [number, number, number];
    const shiftCsf = 2 ** (convert - shiftAccum - shiftCub);
    const areaTerm = cbrtf((bottom - top) * (right - left) * NOISE_WEIGHT);
    let result = 0;
    for (let t = 0; t < 3; ++t) {
      const csf = ((sums[t] as number) / shiftCsf) * cube(rf[t] as number);
      result = Math.fround(result + Math.fround(cbrtf(csf) + areaTerm));
    }
    return result;
  }

  /** Scale-0 CSF of the additive part (`adm_csf`, int16 semantics). */
  #csf0(w: number, h: number): void {
    const { top, bottom, left, right } = tapRegion(w, h);
    const stride = this.#stride;
    const src = [this.#add.h, this.#add.v, this.#add.d];
    const dst = [this.#csfA.h, this.#csfA.v, this.#csfA.d];
    const flt = [this.#csfF.h, this.#csfF.v, this.#csfF.d];
    for (let t = 0; t < 3; ++t) {
      const s = src[t] as Int32Array;
      const ds = dst[t] as Int32Array;
      const fs = flt[t] as Int32Array;
      const rf = I_RFACTOR0[t as 0 | 1 | 2];
      const add = CSF0_ADD[t as 0 | 1 | 2];
      const shift = CSF0_SHIFT[t as 0 | 1 | 2];
      for (let i = top; i < bottom; ++i) {
        for (let j = left; j < right; ++j) {
          const p = i * stride + j;
          const v = (((rf * (s[p] as number) + add) >> shift) << 16) >> 16;
          ds[p] = v;
          fs[p] = (((FIX_ONE_BY_30 * (v < 0 ? -v : v) + 2048) >> 12) << 16) >> 16;
        }
      }
    }
  }

  /** CSF of scales 1..3 (`i4_adm_csf`). */
  #csfS123(w: number, h: number, scale: number): void {
    const { top, bottom, left, right } = tapRegion(w, h);
    const stride = this.#stride;
    const src = [this.#add.h, this.#add.v, this.#add.d];
    const dst = [this.#csfA.h, this.#csfA.v, this.#csfA.d];
    const flt = [this.#csfF.h, this.#csfF.v, this.#csfF.d];
    const rfs = (this.#rfactors[scale] as [number, number, number]).map((f) => Math.trunc(f * 2 ** 32));
    for (let t = 0; t < 3; ++t) {
      const s = src[t] as Int32Array;
      const ds = dst[t] as Int32Array;
      const fs = flt[t] as Int32Array;
      const rf = rfs[t] as number;
      for (let i = top; i < bottom; ++i) {
        for (let j = left; j < right; ++j) {
          const p = i * stride + j;
          const v = mulShiftExact(s[p] as number, rf, 134217728, 28) | 0;
          const m = v === -2147483648 ? v : v < 0 ? -v : v;
          ds[p] = v;
          fs[p] = mulShiftExact(m, I4_FIX_ONE_BY_30, I4_FLT_ROUND, 32) | 0;
        }
      }
    }
  }

  /** Scale-0 contrast masking (`adm_cm`): the numerator of scale 0. */
  #cm0(w: number, h: number): number {
    const { top, bottom, left, right } = scoreRegion(w, h);
    const stride = this.#stride;
    const shiftCubHV = ceilLog2(w) - 4;
    const shiftCubD = ceilLog2(w) - 3;
    const shiftInner = ceilLog2(h);
    const addInner = Math.floor(2 ** (shiftInner - 1));
    const src = [this.#r.h, this.#r.v, this.#r.d];
    const totals = [new WideSum(), new WideSum(), new WideSum()];
    const thr = new Int32Array(right);
    for (let i = top; i < bottom; ++i) {
      this.#threshold0(thr, i, w, h, left, right);
      for (let t = 0; t < 3; ++t) {
        const shiftSub = t === 2 ? 12 : 10;
        const shiftSq = t === 2 ? 30 : 29;
        const addSq = 2 ** (shiftSq - 1);
        const shiftCub = t === 2 ? shiftCubD : shiftCubHV;
        const addCub = Math.floor(2 ** (shiftCub - 1));
        const rf = I_RFACTOR0[t as 0 | 1 | 2];
        const band = src[t] as Int32Array;
        const row = i * stride;
        const rowSum = cmRow(
          band,
          row,
          thr,
          left,
          right,
          shiftSub,
          addSq,
          shiftSq,
          addCub,
          shiftCub,
          (x) => rf * x,
        );
        (totals[t] as WideSum).addShifted(rowSum, addInner, shiftInner);
      }
    }
    const areaTerm = cbrtf((bottom - top) * (right - left) * NOISE_WEIGHT);
    const divHV = 2 ** (52 - shiftCubHV - shiftInner);
    const divD = 2 ** (57 - shiftCubD - shiftInner);
    let result = 0;
    for (let t = 0; t < 3; ++t) {
      const f = Math.fround((totals[t] as WideSum).toNumber() / (t === 2 ? divD : divHV));
      result = Math.fround(result + Math.fround(cbrtf(f) + areaTerm));
    }
    return result;
  }

  /** Per-pixel masking threshold of row `i` at scale 0 (sum over the three orientations). */
  #threshold0(thr: Int32Array, i: number, w: number, h: number, left: number, right: number): void {
    const stride = this.#stride;
    const up = (i === 0 ? 1 : i - 1) * stride;
    const mid = i * stride;
    const down = (i === h - 1 ? h - 1 : i + 1) * stride;
    thr.fill(0, left, right);
    const angles = [this.#csfA.h, this.#csfA.v, this.#csfA.d];
    const flts = [this.#csfF.h, this.#csfF.v, this.#csfF.d];
    for (let t = 0; t < 3; ++t) {
      const a = angles[t] as Int32Array;
      const f = flts[t] as Int32Array;
      for (let j = left; j < right; ++j) {
        const jm = j === 0 ? 1 : j - 1;
        const jp = j === w - 1 ? w - 1 : j + 1;
        const c = a[mid + j] as number;
        const centre = (((ONE_BY_15 * (c < 0 ? -c : c) + 2048) >> 12) << 16) >> 16;
        const sum =
          (f[up + jm] as number) +
          (f[up + j] as number) +
          (f[up + jp] as number) +
          (f[mid + jm] as number) +
          centre +
          (f[mid + jp] as number) +
          (f[down + jm] as number) +
          (f[down + j] as number) +
          (f[down + jp] as number);
        thr[j] = ((thr[j] as number) + sum) | 0;
      }
    }
  }

  /** Contrast masking of scales 1..3 (`i4_adm_cm`). */
  #cmS123(w: number, h: number, scale: number): number {
    const { top, bottom, left, right } = scoreRegion(w, h);
    const stride = this.#stride;
    const rfs = (this.#rfactors[scale] as [number, number, number]).map((f) => Math.trunc(f * 2 ** 32));
    const shiftCub = ceilLog2(w);
    const addCub = Math.floor(2 ** (shiftCub - 1));
    const shiftInner = ceilLog2(h);
    const addInner = Math.floor(2 ** (shiftInner - 1));
    const finalShift = 2 ** ([45, 39, 36][scale - 1] as number) / 2 ** (shiftCub + shiftInner);
    const src = [this.#r.h, this.#r.v, this.#r.d];
    const totals = [new WideSum(), new WideSum(), new WideSum()];
    const thr = new Int32Array(right);
    for (let i = top; i < bottom; ++i) {
      this.#thresholdS123(thr, i, w, h, left, right);
      for (let t = 0; t < 3; ++t) {
        const rf = rfs[t] as number;
        const band = src[t] as Int32Array;
        const rowSum = cmRow(
          band,
          i * stride,
          thr,
          left,
          right,
          0,
          536870912,
          30,
          addCub,
          shiftCub,
          (x) => mulShiftExact(x, rf, 134217728, 28) | 0,
        );
        (totals[t] as WideSum).addShifted(rowSum, addInner, shiftInner);
      }
    }
    const areaTerm = cbrtf((bottom - top) * (right - left) * NOISE_WEIGHT);
    let result = 0;
    for (let t = 0; t < 3; ++t) {
      const f = Math.fround((totals[t] as WideSum).toNumber() / Math.fround(finalShift));
      result = Math.fround(result + Math.fround(cbrtf(f) + areaTerm));
    }
    return result;
  }

  /** Per-pixel masking threshold of row `i` at scales 1..3. */
  #thresholdS123(thr: Int32Array, i: number, w: number, h: number, left: number, right: number): void {
    const stride = this.#stride;
    const up = (i === 0 ? 1 : i - 1) * stride;
    const mid = i * stride;
    const down = (i === h - 1 ? h - 1 : i + 1) * stride;
    thr.fill(0, left, right);
    const angles = [this.#csfA.h, this.#csfA.v, this.#csfA.d];
    const flts = [this.#csfF.h, this.#csfF.v, this.#csfF.d];
    for (let t = 0; t < 3; ++t) {
      const a = angles[t] as Int32Array;
      const f = flts[t] as Int32Array;
      for (let j = left; j < right; ++j) {
        const jm = j === 0 ? 1 : j - 1;
        const jp = j === w - 1 ? w - 1 : j + 1;
        const c = a[mid + j] as number;
        const m = c === -2147483648 ? c : c < 0 ? -c : c;
        const centre = mulShiftExact(m, I4_ONE_BY_15, I4_FLT_ROUND, 32) | 0;
        const sum =
          (f[up + jm] as number) +
          (f[up + j] as number) +
          (f[up + jp] as number) +
          (f[mid + jm] as number) +
          centre +
          (f[mid + jp] as number) +
          (f[down + jm] as number) +
          (f[down + j] as number) +
          (f[down + jp] as number);
        thr[j] = ((thr[j] as number) + (sum | 0)) | 0;
      }
    }
  }
}

/**
 * One row of contrast masking: `sum over j of ((x_sq * x + addCub) >> shiftCub)` with
 * `x = max(|scale(band)| - (thr << shiftSub), 0)` and `x_sq = (int32)((x * x + addSq) >> shiftSq)`.
 */
function cmRow(
  band: Int32Array,
  row: number,
  thr: Int32Array,
  left: number,
  right: number,
  shiftSub: number,
  addSq: number,
  shiftSq: number,
  addCub: number,
  shiftCub: number,
  scaleBand: (x: number) => number,
): number | bigint {
  const divCub = 2 ** shiftCub;
  let inner = 0;
  let big = 0n;
  let useBig = false;
  for (let j = left; j < right; ++j) {
    const xs = scaleBand(band[row + j] as number);
    const x = ((xs < 0 ? -xs : xs) - ((thr[j] as number) << shiftSub)) | 0;
    if (x <= 0) continue;
    const xSq = mulShiftExact(x, x, addSq, shiftSq) | 0;
    const t = xSq * x + addCub;
    if (t < TWO_53 && t >= 0) {
      inner += Math.floor(t / divCub);
    } else {
      useBig = true;
      big += (BigInt(xSq) * BigInt(x) + BigInt(addCub)) >> BigInt(shiftCub);
    }
  }
  return combine(inner, big, useBig);
}

/** Joins a double partial sum and a bigint partial sum; bigint when the double may be inexact. */
function combine(inner: number, big: bigint, useBig: boolean): number | bigint {
  if (!useBig && inner < TWO_53) return inner;
  return big + BigInt(inner);
}

/**
 * An exact non-negative or negative integer sum of row results that may pass 2^53, kept as a
 * double while it is exact and as a bigint afterwards.
 */
class WideSum {
  #value = 0;
  #big: bigint | undefined;

  /** Adds `(row + add) >> shift` (libvmaf's per-row rounding of an int64 accumulator). */
  addShifted(row: number | bigint, add: number, shift: number): void {
    if (typeof row === 'number' && row + add < TWO_53 && this.#big === undefined) {
      const v = Math.floor((row + add) / 2 ** shift);
      const s = this.#value + v;
      if (s < TWO_53 && s > -TWO_53) {
        this.#value = s;
        return;
      }
      this.#big = BigInt(this.#value);
      this.#value = 0;
      this.#big += BigInt(v);
      return;
    }
    const v = (BigInt(row) + BigInt(add)) >> BigInt(shift);
    this.#big = (this.#big ?? BigInt(this.#value)) + v;
    this.#value = 0;
  }

  /** The sum converted to a double as C's `(double)int64` does. */
  toNumber(): number {
    return this.#big === undefined ? this.#value : Number(this.#big);
  }
}

/**
 * The restored part of one detail coefficient: `k * o` with `k = clamp(t / o, 0, 1)` computed
 * through libvmaf's reciprocal table, then the enhancement-gain limit when the angle test passes.
 */
function restore(o: number, t: number, angle: boolean, gain: number): number {
  let k: number;
  if (o === 0) {
    k = 32768;
  } else {
    const abs = o === -2147483648 ? 2147483648 : o < 0 ? -o : o;
    let msb = abs;
    let shift = 0;
    if (abs >= 32768) {
      shift = 17 - Math.clz32(abs);
      msb = (abs + (1 << (shift - 1))) >>> shift;
    }
    const p = (DIV_LOOKUP[msb + 32768] as number) * t * (o < 0 ? -1 : 1);
    if (p >= 2 ** 52) k = 32768;
    else if (p <= -(2 ** 52)) k = 0;
    else {
      const q = Math.floor((p + (1 << (14 + shift))) / 2 ** (15 + shift));
      k = q < 0 ? 0 : q > 32768 ? 32768 : q;
    }
  }
  let rst = Math.floor((k * o + 16384) / 32768);
  if (angle && k > 0) {
    if (o > 0) {
      const g = rst * gain;
      rst = Math.trunc(g < t ? g : t);
    } else if (o < 0) {
      const g = rst * gain;
      rst = Math.trunc(g > t ? g : t);
    }
  }
  return rst;
}
