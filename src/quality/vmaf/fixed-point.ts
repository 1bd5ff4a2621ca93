/**
 * Exact integer helpers for reproducing libvmaf's fixed-point arithmetic with JavaScript numbers.
 *
 * libvmaf works in int32/uint32/int64. Doubles hold every integer below 2^53 exactly, so most
 * of its arithmetic maps onto plain numbers; the helpers here cover the places where a 64-bit
 * product would exceed 2^53 (they split an operand into 16-bit halves so that every partial
 * product stays exact) and the bit tricks (count leading zeros of a 64-bit value).
 */

/** 2^16. */
export const TWO_16 = 65536;
/** 2^32. */
export const TWO_32 = 4294967296;
/** 2^53, the first integer a double cannot always represent together with its neighbours. */
export const TWO_53 = 9007199254740992;

/**
 * `floor((a * b + 2^31) / 2^32)` exactly, for integers `0 <= a, b < 2^32` (libvmaf's
 * `(uint32_t)(((uint64_t)a * b + 2147483648) >> 32)`).
 */
export function mulRound32(a: number, b: number): number {
  const ah = a >>> 16;
  const al = a & 0xffff;
  const bh = b >>> 16;
  const bl = b & 0xffff;
  // a*b = ah*bh*2^32 + (ah*bl + al*bh)*2^16 + al*bl; the last two terms stay below 2^50.
  const low = (ah * bl + al * bh) * TWO_16 + al * bl + 2147483648;
  return ah * bh + Math.floor(low / TWO_32);
}

/**
 * `floor((a * b + add) / 2^shift)` exactly, for integers `|a| < 2^32`, `0 <= b < 2^32`,
 * `0 <= add < 2^shift`, `16 <= shift <= 52`, when the result's magnitude is below 2^53
 * (libvmaf's `((int64_t)a * b + add) >> shift`, an arithmetic shift).
 */
export function mulShiftExact(a: number, b: number, add: number, shift: number): number {
  const p = a * b + add;
  if (p < TWO_53 && p > -TWO_53) return Math.floor(p / 2 ** shift);
  const bh = Math.floor(b / TWO_16);
  const bl = b - bh * TWO_16;
  // a*b = (a*bh)*2^16 + a*bl, each part below 2^48 in magnitude.
  const hi = a * bh;
  const scale = 2 ** (shift - 16);
  const hiQ = Math.floor(hi / scale);
  const hiR = hi - hiQ * scale;
  return hiQ + Math.floor((hiR * TWO_16 + a * bl + add) / 2 ** shift);
}

/** Number of significant bits of a non-negative integer below 2^53 (0 for 0). */
export function bitLength(value: number): number {
  if (value < TWO_32) return 32 - Math.clz32(value);
  return 64 - Math.clz32(Math.floor(value / TWO_32));
}

/**
 * The value a C `(float)` conversion gives for an int64 that is held exactly as a `bigint`:
 * round to nearest even, once (a detour through a double could round twice).
 */
export function bigIntToFloat32(value: bigint): number {
  const d = Number(value);
  const back = BigInt(d);
  if (back === value) return Math.fround(d);
  // Round to odd: nudge the double towards the exact value when it rounded to an even mantissa,
  // which makes the second rounding (to float) correct because 53 >= 24 + 2.
  const f64 = new Float64Array([d]);
  const bits = new BigInt64Array(f64.buffer);
  const mantissaOdd = ((bits[0] ?? 0n) & 1n) === 1n;
  if (!mantissaOdd) {
    const towardsZero = value > back === d < 0;
    bits[0] = (bits[0] ?? 0n) + (towardsZero ? -1n : 1n);
  }
  return Math.fround(f64[0] ?? 0);
}

/**
 * `(float)(x * y + z * w)` where the operands are integers whose products may exceed 2^53: the
 * C code forms the sum exactly in int64 and converts once.
 */
export function dotToFloat32(x: number, y: number, z: number, w: number): number {
  const p = x * y;
  const q = z * w;
  const s = p + q;
  if (p < TWO_53 && p > -TWO_53 && q < TWO_53 && q > -TWO_53 && s < TWO_53 && s > -TWO_53) {
    return Math.fround(s);
  }
  return bigIntToFloat32(BigInt(x) * BigInt(y) + BigInt(z) * BigInt(w));
}
