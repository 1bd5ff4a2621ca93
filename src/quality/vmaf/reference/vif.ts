/**
 * Reference model of VIF at four scales in plain TypeScript, computed the way libvmaf's integer
 * feature extractor (`integer_vif.c`, libvmaf 3.2.0) does for 8-bit luma: the same fixed-point
 * filters, roundings, mirror padding, log2 lookup table and float results. It is the readable
 * statement of that arithmetic; the tests check the WebAssembly kernel ({@link VifExtractor})
 * against it bit for bit, and production code uses the kernel.
 */
import type { VifScores } from '../vif.ts';
import { bitLength, mulRound32, TWO_16 } from '../fixed-point.ts';
import type { LumaPlane } from '../plane.ts';

/** The Gaussian filters of the four scales (libvmaf's `vif_filter1d_table`). */
const FILTERS: readonly (readonly number[])[] = [
  [489, 935, 1640, 2640, 3896, 5274, 6547, 7455, 7784, 7455, 6547, 5274, 3896, 2640, 1640, 935, 489],
  [1244, 3663, 7925, 12590, 14692, 12590, 7925, 3663, 1244],
  [3571, 16004, 26386, 16004, 3571],
  [10904, 43728, 10904],
];

/** The same filters as typed arrays for the hot loops. */
const FILTER_ARRAYS: readonly Float64Array[] = FILTERS.map((f) => Float64Array.from(f));

/** Largest half filter width (scale 0); every intermediate row is padded by this much. */
const PAD = 8;
/** `sigma_nsq` in libvmaf: the noise variance 2.0 in Q16. */
const SIGMA_NSQ = 131072;
/** libvmaf's epsilon in the gain division, formed the same way (`65536 * 1.0e-10`). */
const GAIN_EPS = 65536 * 1.0e-10;

/** `round(log2f(i) * 2048)` for i in [32767, 65535], as libvmaf's `log_generate`. */
const LOG2_TABLE: Uint16Array = (() => {
  const table = new Uint16Array(65537);
  for (let i = 32767; i < 65536; ++i) table[i] = Math.round(Math.fround(Math.log2(i)) * 2048);
  return table;
})();

function log2of32(value: number): number {
  const k = 16 - Math.clz32(value);
  return (LOG2_TABLE[value >>> k] ?? 0) + 2048 * k;
}

function log2of64(value: number): number {
  const k = bitLength(value) - 16;
  return (LOG2_TABLE[Math.floor(value / 2 ** k)] ?? 0) + 2048 * k;
}

/** The accumulators of one scale's statistic (libvmaf's `accum_*` int64 values). */
interface Accumulators {
  numLog: number;
  denLog: number;
  numNonLog: number;
  denNonLog: number;
}

/**
 * Computes integer VIF for frames of one size. Owns its scratch buffers, so one instance serves
 * a whole stream without allocating per frame; not safe for concurrent use.
 */
export class VifReference {
  readonly width: number;
  readonly height: number;
  readonly #gainLimit: number;
  // Decimated reference and distorted pictures of scales 1..3 (uint16 in libvmaf).
  readonly #ref: Uint16Array;
  readonly #dis: Uint16Array;
  readonly #nextRef: Uint16Array;
  readonly #nextDis: Uint16Array;
  // Vertically filtered row, padded by PAD on both sides.
  readonly #tMu1: Float64Array;
  readonly #tMu2: Float64Array;
  readonly #tRef: Float64Array;
  readonly #tDis: Float64Array;
  readonly #tRefDis: Float64Array;
  readonly #rowOffsets: Int32Array;
  readonly #refOffsets = new Int32Array(2 * PAD + 1);
  readonly #acc: Accumulators = { numLog: 0, denLog: 0, numNonLog: 0, denNonLog: 0 };

  /**
   * @param width - luma width in pixels
   * @param height - luma height in pixels
   * @param gainLimit - `vif_enhn_gain_limit` (libvmaf default 100)
   */
  constructor(width: number, height: number, gainLimit = 100) {
    this.width = width;
    this.height = height;
    this.#gainLimit = gainLimit;
    const half = (width >> 1) * (height >> 1);
    this.#ref = new Uint16Array(half);
    this.#dis = new Uint16Array(half);
    this.#nextRef = new Uint16Array(half);
    this.#nextDis = new Uint16Array(half);
    const row = width + 2 * PAD;
    this.#tMu1 = new Float64Array(row);
    this.#tMu2 = new Float64Array(row);
    this.#tRef = new Float64Array(row);
    this.#tDis = new Float64Array(row);
    this.#tRefDis = new Float64Array(row);
    this.#rowOffsets = new Int32Array(2 * PAD + 1);
  }

  /** Scores one reference/distorted pair of 8-bit luma planes of this extractor's size. */
  compute(ref: LumaPlane, dis: LumaPlane): VifScores {
    const w0 = this.width;
    const h0 = this.height;
    const s0 = this.#scale0(ref, dis);

    // Scale 1 from the 8-bit pictures, then 2 and 3 from the decimated uint16 pictures.
    this.#subsample8(ref, dis);
    let w = w0 >> 1;
    let h = h0 >> 1;
    const s1 = this.#scale16(this.#ref, this.#dis, w, h, 1);
    this.#subsample16(w, h, 2);
    w >>= 1;
    h >>= 1;
    const s2 = this.#scale16(this.#ref, this.#dis, w, h, 2);
    this.#subsample16(w, h, 3);
    w >>= 1;
    h >>= 1;
    const s3 = this.#scale16(this.#ref, this.#dis, w, h, 3);
    return { scale0: s0, scale1: s1, scale2: s2, scale3: s3 };
  }

  /** Row offsets of the filter taps around row `i`, mirrored at the picture's edges. */
  #taps(i: number, half: number, h: number, stride: number): Int32Array {
    const offs = this.#rowOffsets;
    for (let k = -half; k <= half; ++k) {
      let r = i + k;
      if (r < 0) r = -r;
      else if (r >= h) r = 2 * (h - 1) - r;
      offs[k + half] = r * stride;
    }
    return offs;
  }

  #resetAcc(): Accumulators {
    const acc = this.#acc;
    acc.numLog = 0;
    acc.denLog = 0;
    acc.numNonLog = 0;
    acc.denNonLog = 0;
    return acc;
  }

  #scale0(ref: LumaPlane, dis: LumaPlane): number {
    const w = this.width;
    const h = this.height;
    const filter = FILTER_ARRAYS[0] as Float64Array;
    const half = 8;
    const rd = ref.data;
    const dd = dis.data;
    const rs = ref.stride;
    const ds = dis.stride;
    const tMu1 = this.#tMu1;
    const tMu2 = this.#tMu2;
    const tRef = this.#tRef;
    const tDis = this.#tDis;
    const tRD = this.#tRefDis;
    const acc = this.#resetAcc();
    const refOffs = this.#refOffsets;
    const f8 = filter[8] as number;
    for (let i = 0; i < h; ++i) {
      const offs = this.#taps(i, half, h, ds);
      for (let k = 0; k <= 2 * half; ++k) {
        let r = i + k - half;
        if (r < 0) r = -r;
        else if (r >= h) r = 2 * (h - 1) - r;
        refOffs[k] = r * rs;
      }
      const rc = refOffs[8] as number;
      const dc = offs[8] as number;
      for (let j = 0; j < w; ++j) {
        const ac = rd[rc + j] as number;
        const bc = dd[dc + j] as number;
        let mu1 = f8 * ac;
        let mu2 = f8 * bc;
        let sRef = mu1 * ac;
        let sDis = mu2 * bc;
        let sRD = mu1 * bc;
        // The filter is symmetric: taps k and 16 - k share a coefficient.
        for (let k = 0; k < 8; ++k) {
          const f = filter[k] as number;
          const a0 = rd[(refOffs[k] as number) + j] as number;
          const a1 = rd[(refOffs[16 - k] as number) + j] as number;
          const b0 = dd[(offs[k] as number) + j] as number;
          const b1 = dd[(offs[16 - k] as number) + j] as number;
          mu1 += f * (a0 + a1);
          mu2 += f * (b0 + b1);
          sRef += f * (a0 * a0 + a1 * a1);
          sDis += f * (b0 * b0 + b1 * b1);
          sRD += f * (a0 * b0 + a1 * b1);
        }
        const p = j + PAD;
        tMu1[p] = (mu1 + 128) >> 8;
        tMu2[p] = (mu2 + 128) >> 8;
        tRef[p] = sRef;
        tDis[p] = sDis;
        tRD[p] = sRD;
      }
      this.#horizontal(w, 0, acc);
    }
    return finish(acc);
  }

  /** Statistic of scales 1..3 on decimated uint16 pictures (`vif_statistic_16`, bpc 8). */
  #scale16(ref: Uint16Array, dis: Uint16Array, w: number, h: number, scale: number): number {
    const filter = FILTERS[scale] as readonly number[];
    const fw = filter.length;
    const half = fw >> 1;
    const tMu1 = this.#tMu1;
    const tMu2 = this.#tMu2;
    const tRef = this.#tRef;
    const tDis = this.#tDis;
    const tRD = this.#tRefDis;
    const acc = this.#resetAcc();
    for (let i = 0; i < h; ++i) {
      const offs = this.#taps(i, half, h, w);
      for (let j = 0; j < w; ++j) {
        let mu1 = 0;
        let mu2 = 0;
        let sRef = 0;
        let sDis = 0;
        let sRD = 0;
        for (let k = 0; k < fw; ++k) {
          const f = filter[k] as number;
          const o = (offs[k] as number) + j;
          const a = ref[o] as number;
          const b = dis[o] as number;
          const fa = f * a;
          const fb = f * b;
          mu1 += fa;
          mu2 += fb;
          sRef += fa * a;
          sDis += fb * b;
          sRD += fa * b;
        }
        const p = j + PAD;
        tMu1[p] = Math.floor((mu1 + 32768) / TWO_16);
        tMu2[p] = Math.floor((mu2 + 32768) / TWO_16);
        tRef[p] = Math.floor((sRef + 32768) / TWO_16);
        tDis[p] = Math.floor((sDis + 32768) / TWO_16);
        tRD[p] = Math.floor((sRD + 32768) / TWO_16);
      }
      this.#horizontal(w, scale, acc);
    }
    return finish(acc);
  }

  /** Horizontal filter of the current padded row and the VIF statistic of each of its pixels. */
  #horizontal(w: number, scale: number, acc: Accumulators): void {
    const filter = FILTER_ARRAYS[scale] as Float64Array;
    const half = filter.length >> 1;
    const fc = filter[half] as number;
    const tMu1 = this.#tMu1;
    const tMu2 = this.#tMu2;
    const tRef = this.#tRef;
    const tDis = this.#tDis;
    const tRD = this.#tRefDis;
    mirrorPad(tMu1, w, half);
    mirrorPad(tMu2, w, half);
    mirrorPad(tRef, w, half);
    mirrorPad(tDis, w, half);
    mirrorPad(tRD, w, half);
    const gainLimit = this.#gainLimit;
    let numLog = acc.numLog;
    let denLog = acc.denLog;
    let numNonLog = acc.numNonLog;
    let denNonLog = acc.denNonLog;
    for (let j = 0; j < w; ++j) {
      const c = j + PAD;
      let mu1 = fc * (tMu1[c] as number);
      let mu2 = fc * (tMu2[c] as number);
      let sRef = fc * (tRef[c] as number);
      let sDis = fc * (tDis[c] as number);
      let sRD = fc * (tRD[c] as number);
      for (let k = 0; k < half; ++k) {
        const f = filter[k] as number;
        const l = c - half + k;
        const r = c + half - k;
        mu1 += f * ((tMu1[l] as number) + (tMu1[r] as number));
        mu2 += f * ((tMu2[l] as number) + (tMu2[r] as number));
        sRef += f * ((tRef[l] as number) + (tRef[r] as number));
        sDis += f * ((tDis[l] as number) + (tDis[r] as number));
        sRD += f * ((tRD[l] as number) + (tRD[r] as number));
      }
      const mu1Sq = mulRound32(mu1, mu1);
      const mu2Sq = mulRound32(mu2, mu2);
      const mu1Mu2 = mulRound32(mu1, mu2);
      const xx = Math.floor((sRef + 32768) / TWO_16);
      const yy = Math.floor((sDis + 32768) / TWO_16);
      const xy = Math.floor((sRD + 32768) / TWO_16);
      const sigma1Sq = (xx - mu1Sq) | 0;
      let sigma2Sq = (yy - mu2Sq) | 0;
      const sigma12 = (xy - mu1Mu2) | 0;
      if (sigma2Sq < 0) sigma2Sq = 0;
      if (sigma1Sq >= SIGMA_NSQ) {
        denLog += log2of32(SIGMA_NSQ + sigma1Sq) - 2048 * 17;
        if (sigma12 > 0 && sigma2Sq > 0) {
          let g = sigma12 / (sigma1Sq + GAIN_EPS);
          let svSq = (sigma2Sq - g * sigma12) | 0;
          if (svSq < 0) svSq = 0;
          if (g > gainLimit) g = gainLimit;
          const numer1 = svSq + SIGMA_NSQ;
          const numer1Tmp = Math.trunc(g * g * sigma1Sq) + numer1;
          numLog += log2of64(numer1Tmp) - log2of64(numer1);
        }
      } else {
        numNonLog += sigma2Sq;
        denNonLog += 1;
      }
    }
    acc.numLog = numLog;
    acc.denLog = denLog;
    acc.numNonLog = numNonLog;
    acc.denNonLog = denNonLog;
  }

  /** Scale 0 → 1: filter the 8-bit pictures and keep every other row and column. */
  #subsample8(ref: LumaPlane, dis: LumaPlane): void {
    const w = this.width;
    const h = this.height;
    const filter = FILTERS[1] as readonly number[];
    const fw = filter.length;
    const half = fw >> 1;
    const tR = this.#tMu1;
    const tD = this.#tMu2;
    const outW = w >> 1;
    const outH = h >> 1;
    const outR = this.#ref;
    const outD = this.#dis;
    const refOffs = this.#rowOffsets;
    const disOffs = this.#refOffsets;
    for (let oi = 0; oi < outH; ++oi) {
      const i = 2 * oi;
      for (let k = 0; k < fw; ++k) {
        let r = i + k - half;
        if (r < 0) r = -r;
        else if (r >= h) r = 2 * (h - 1) - r;
        refOffs[k] = r * ref.stride;
        disOffs[k] = r * dis.stride;
      }
      const rdata = ref.data;
      const ddata = dis.data;
      const fc = filter[half] as number;
      const rc = refOffs[half] as number;
      const dc = disOffs[half] as number;
      for (let j = 0; j < w; ++j) {
        let a = fc * (rdata[rc + j] as number);
        let b = fc * (ddata[dc + j] as number);
        for (let k = 0; k < half; ++k) {
          const f = filter[k] as number;
          a +=
            f *
            ((rdata[(refOffs[k] as number) + j] as number) +
              (rdata[(refOffs[fw - 1 - k] as number) + j] as number));
          b +=
            f *
            ((ddata[(disOffs[k] as number) + j] as number) +
              (ddata[(disOffs[fw - 1 - k] as number) + j] as number));
        }
        tR[j + PAD] = (a + 128) >> 8;
        tD[j + PAD] = (b + 128) >> 8;
      }
      mirrorPad(tR, w, half);
      mirrorPad(tD, w, half);
      const row = oi * outW;
      for (let oj = 0; oj < outW; ++oj) {
        let a = 0;
        let b = 0;
        const base = 2 * oj + PAD - half;
        for (let k = 0; k < fw; ++k) {
          const f = filter[k] as number;
          a += f * (tR[base + k] as number);
          b += f * (tD[base + k] as number);
        }
        outR[row + oj] = Math.floor((a + 32768) / TWO_16);
        outD[row + oj] = Math.floor((b + 32768) / TWO_16);
      }
    }
  }

  /** Scale `scale - 1` → `scale` on the decimated uint16 pictures (`subsample_rd_16`). */
  #subsample16(w: number, h: number, scale: number): void {
    const filter = FILTERS[scale] as readonly number[];
    const fw = filter.length;
    const half = fw >> 1;
    const inR = this.#ref;
    const inD = this.#dis;
    const tR = this.#tMu1;
    const tD = this.#tMu2;
    const outW = w >> 1;
    const outH = h >> 1;
    const outR = this.#nextRef;
    const outD = this.#nextDis;
    for (let oi = 0; oi < outH; ++oi) {
      const offs = this.#taps(2 * oi, half, h, w);
      for (let j = 0; j < w; ++j) {
        let a = 0;
        let b = 0;
        for (let k = 0; k < fw; ++k) {
          const f = filter[k] as number;
          const o = (offs[k] as number) + j;
          a += f * (inR[o] as number);
          b += f * (inD[o] as number);
        }
        tR[j + PAD] = Math.floor((a + 32768) / TWO_16);
        tD[j + PAD] = Math.floor((b + 32768) / TWO_16);
      }
      mirrorPad(tR, w, half);
      mirrorPad(tD, w, half);
      const row = oi * outW;
      for (let oj = 0; oj < outW; ++oj) {
        let a = 0;
        let b = 0;
        const base = 2 * oj + PAD - half;
        for (let k = 0; k < fw; ++k) {
          const f = filter[k] as number;
          a += f * (tR[base + k] as number);
          b += f * (tD[base + k] as number);
        }
        outR[row + oj] = Math.floor((a + 32768) / TWO_16);
        outD[row + oj] = Math.floor((b + 32768) / TWO_16);
      }
    }
    // The decimated pictures become the current ones.
    inR.set(outR.subarray(0, outW * outH));
    inD.set(outD.subarray(0, outW * outH));
  }
}

/** Mirrors `row[PAD .. PAD + w)` into `half` cells on each side (libvmaf's `PADDING_SQ_DATA`). */
function mirrorPad(row: Float64Array, w: number, half: number): void {
  for (let f = 1; f <= half; ++f) {
    row[PAD - f] = row[PAD + f] as number;
    row[PAD + w - 1 + f] = row[PAD + w - 1 - f] as number;
  }
}

/** The float score of one scale from its accumulators, as libvmaf forms `num / den`. */
function finish(acc: Accumulators): number {
  const num = Math.fround(acc.numLog / 2048 + (acc.denNonLog - acc.numNonLog / 16384 / 65025));
  const den = Math.fround(acc.denLog / 2048 + acc.denNonLog);
  return Math.fround(num / den);
}
