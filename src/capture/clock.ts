/**
 * The one wall clock of the live path: milliseconds since the Unix epoch with sub-millisecond
 * resolution, monotonic within the process (`performance.timeOrigin + performance.now()`). The
 * player uses the same expression, so clocks compare across processes once their offset is known.
 */

/** Now, in epoch milliseconds (fractional). */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}
