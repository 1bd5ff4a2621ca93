/**
 * Real-time pacing for generated and file sources: waits until a frame's due time on the wall
 * clock. The schedule is fixed at the start (`startMs + k × period`), so timer lateness does not
 * accumulate; when the caller is late by more than a frame, the missed slots are skipped.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { wallClockMs } from './clock.ts';

/** Waits until `dueMs` (epoch milliseconds) or until `signal` aborts (then throws its reason). */
export async function waitUntil(dueMs: number, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted();
  const delay = dueMs - wallClockMs();
  if (delay > 0.5) await sleep(Math.max(1, Math.round(delay)), undefined, { signal });
  signal.throwIfAborted();
}

/**
 * The next slot index to use after `lastIndex`, given the time now: `lastIndex + 1` when it is not
 * yet more than one period late, otherwise the slot that is current now (skipping the others).
 */
export function nextSlot(lastIndex: number, startMs: number, periodMs: number, nowMs: number): number {
  const current = Math.floor((nowMs - startMs) / periodMs);
  return current > lastIndex + 1 ? current : lastIndex + 1;
}
