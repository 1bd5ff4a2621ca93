/**
 * Frame sequence numbers are u32 and wrap around; every comparison goes through here so that
 * wrap-around is handled in one place (RFC 1982 serial-number arithmetic).
 */

/** The sequence after `s` (wrapping at 2^32). */
export function nextSequence(s: number): number {
  return (s + 1) >>> 0;
}

/** Signed distance `a − b` for sequences less than 2^31 apart (positive when `a` is later). */
export function sequenceDelta(a: number, b: number): number {
  return (a - b) | 0;
}

/** True when `a` comes after `b`. */
export function sequenceAfter(a: number, b: number): boolean {
  return sequenceDelta(a, b) > 0;
}
