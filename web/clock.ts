/** The page's and worker's wall clock: epoch milliseconds, as on the server (see src/capture/clock.ts). */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}
