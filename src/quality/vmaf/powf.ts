/**
 * `powf` as GNU libc computes it on x86-64 CPUs with FMA (the algorithm of Arm's optimized
 * routines, which glibc ships, built with fused multiply-adds). libvmaf pools ADM with
 * `powf(x, 1/3)`; glibc's result is not always the correctly rounded one (error up to 0.82 ULP),
 * so a correctly rounded cube root would differ from libvmaf in the last bit now and then.
 *
 * Only finite non-negative `x` is supported (ADM's sums of cubes). Table values are from the
 * original implementation (MIT OR Apache-2.0 WITH LLVM-exception, Copyright (c) 2017-2019 Arm
 * Limited).
 */

/** `invc, logc` pairs of the 16 log2 subintervals. */
const LOG2_TAB: readonly (readonly [number, number])[] = [
  [1.398907162146528, -0.48430022186289673],
  [1.3403141896637998, -0.42257122959194704],
  [1.286432210124115, -0.3633754347673556],
  [1.2367150214269895, -0.30651309567405577],
  [1.1906977166711752, -0.25180720160537634],
  [1.1479821020556429, -0.19910014943794563],
  [1.1082251448272158, -0.14825100623281615],
  [1.0711297413057381, -0.09913323807318392],
  [1.036437278977283, -0.051632812977629436],
  [1, 0],
  [0.9492859795739057, 0.07508531937943004],
  [0.8951049428609004, 0.15987125980713107],
  [0.8476821620351103, 0.2384046664317681],
  [0.8050314851692001, 0.31288288605863257],
  [0.7664671008843108, 0.38370422656453185],
  [0.731428603316328, 0.451211048935815],
];
const LOG2_POLY = [
  0.288457581109214, -0.36092606229713164, 0.480898481472577, -0.7213474675006291, 1.4426950408774342,
] as const;

/** `2^(i/32)` as bit patterns minus `i << 47`. */
const EXP2_TAB: readonly bigint[] = [
  0x3ff0000000000000n,
  0x3fefd9b0d3158574n,
  0x3fefb5586cf9890fn,
  0x3fef9301d0125b51n,
  0x3fef72b83c7d517bn,
  0x3fef54873168b9aan,
  0x3fef387a6e756238n,
  0x3fef1e9df51fdee1n,
  0x3fef06fe0a31b715n,
  0x3feef1a7373aa9cbn,
  0x3feedea64c123422n,
  0x3feece086061892dn,
  0x3feebfdad5362a27n,
  0x3feeb42b569d4f82n,
  0x3feeab07dd485429n,
  0x3feea47eb03a5585n,
  0x3feea09e667f3bcdn,
  0x3fee9f75e8ec5f74n,
  0x3feea11473eb0187n,
  0x3feea589994cce13n,
  0x3feeace5422aa0dbn,
  0x3feeb737b0cdc5e5n,
  0x3feec49182a3f090n,
  0x3feed503b23e255dn,
  0x3feee89f995ad3adn,
  0x3feeff76f2fb5e47n,
  0x3fef199bdd85529cn,
  0x3fef3720dcef9069n,
  0x3fef5818dcfba487n,
  0x3fef7c97337b9b5fn,
  0x3fefa4afa2a490dan,
  0x3fefd0765b6e4540n,
];
const EXP2_POLY = [0.05550361559341535, 0.2402284522445722, 0.6931471806916203] as const;
const EXP2_SHIFT = 6755399441055744.0 / 32;

const scratch = new DataView(new ArrayBuffer(8));

function floatBits(x: number): number {
  scratch.setFloat32(0, x);
  return scratch.getUint32(0);
}

function bitsToFloat(bits: number): number {
  scratch.setUint32(0, bits >>> 0);
  return scratch.getFloat32(0);
}

function doubleBits(x: number): bigint {
  scratch.setFloat64(0, x);
  return scratch.getBigUint64(0);
}

function bitsToDouble(bits: bigint): number {
  scratch.setBigUint64(0, BigInt.asUintN(64, bits));
  return scratch.getFloat64(0);
}

/** `x` as `m * 2^e` with an integer `m` (x finite). */
function decompose(x: number): [bigint, number] {
  const bits = doubleBits(x);
  const exponent = Number((bits >> 52n) & 0x7ffn);
  let mantissa = bits & 0xfffffffffffffn;
  if (exponent !== 0) mantissa |= 1n << 52n;
  const m = bits >> 63n === 1n ? -mantissa : mantissa;
  return [m, (exponent === 0 ? 1 : exponent) - 1075];
}

/** Fused multiply-add `a * b + c` with one rounding, for finite operands of moderate exponent. */
export function fma(a: number, b: number, c: number): number {
  if (a === 0 || b === 0) return a * b + c;
  const [ma, ea] = decompose(a);
  const [mb, eb] = decompose(b);
  const [mc, ec] = decompose(c);
  const ep = ea + eb;
  const e = Math.min(ep, ec);
  let sum = ((ma * mb) << BigInt(ep - e)) + (c === 0 ? 0n : mc << BigInt(ec - e));
  if (sum === 0n) return 0;
  // Keep 64 significant bits plus a sticky bit so that Number() rounds once, correctly.
  const negative = sum < 0n;
  if (negative) sum = -sum;
  const excess = sum.toString(2).length - 64;
  let scaleExp = e;
  if (excess > 0) {
    const dropped = sum & ((1n << BigInt(excess)) - 1n);
    sum = (sum >> BigInt(excess)) | (dropped === 0n ? 0n : 1n);
    scaleExp += excess;
  }
  const value = Number(sum) * 2 ** scaleExp;
  return negative ? -value : value;
}

function log2Inline(ix: number): number {
  const tmp = (ix - 0x3f330000) >>> 0;
  const i = (tmp >>> 19) % 16;
  const top = (tmp & 0xff800000) >>> 0;
  const iz = (ix - top) >>> 0;
  const k = (top | 0) >> 23;
  const [invc, logc] = LOG2_TAB[i] as readonly [number, number];
  const z = bitsToFloat(iz);
  const r = fma(z, invc, -1);
  const y0 = logc + k;
  const r2 = r * r;
  let y = fma(LOG2_POLY[0], r, LOG2_POLY[1]);
  const p = fma(LOG2_POLY[2], r, LOG2_POLY[3]);
  const r4 = r2 * r2;
  let q = fma(LOG2_POLY[4], r, y0);
  q = fma(p, r2, q);
  y = fma(y, r4, q);
  return y;
}

function exp2Inline(xd: number): number {
  let kd = xd + EXP2_SHIFT;
  const ki = doubleBits(kd);
  kd -= EXP2_SHIFT;
  const r = xd - kd;
  const t = (EXP2_TAB[Number(ki % 32n)] as bigint) + (ki << 47n);
  const s = bitsToDouble(t);
  const z = fma(EXP2_POLY[0], r, EXP2_POLY[1]);
  const r2 = r * r;
  let y = fma(EXP2_POLY[2], r, 1);
  y = fma(z, r2, y);
  y = y * s;
  return Math.fround(y);
}

/**
 * glibc's `powf(x, y)` for a finite `x >= 0` and a finite float `y` whose result neither
 * overflows nor underflows (both rounded to float first, as the C call converts them).
 */
export function glibcPowf(x: number, y: number): number {
  const xf = Math.fround(x);
  const yf = Math.fround(y);
  if (yf === 0 || xf === 1) return 1;
  if (xf === 0) return yf < 0 ? Number.POSITIVE_INFINITY : 0;
  if (!(xf > 0) || !Number.isFinite(xf)) return Math.fround(Math.pow(xf, yf));
  let ix = floatBits(xf);
  if (ix < 0x00800000) {
    // Subnormal: normalise so that the biased exponent becomes negative.
    ix = (floatBits(Math.fround(xf * 8388608.0)) & 0x7fffffff) - (23 << 23);
    ix >>>= 0;
  }
  const ylogx = yf * log2Inline(ix);
  if (Math.abs(ylogx) >= 126) return Math.fround(Math.pow(xf, yf));
  return exp2Inline(ylogx);
}
