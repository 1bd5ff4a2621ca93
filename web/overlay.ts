/** The on-screen figures: fps, bitrate, glass-to-glass latency, drops, codec, clock offset. */
import { percentilesOf } from '../src/core/stats.ts';
import type { WorkerStatus } from './messages.ts';

/** What the overlay shows, computed by the page. */
export interface OverlayFigures {
  readonly renderedFps: number;
  readonly bitrateBps: number;
  /** Glass-to-glass latencies of the frames painted in the last two seconds. */
  readonly recentLatencyMs: readonly number[];
  readonly notRendered: number;
  readonly renderer: string;
}

function fmt(n: number, digits = 1): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '–';
}

/** Renders the overlay text into `element`. */
export function drawOverlay(element: HTMLElement, status: WorkerStatus | null, f: OverlayFigures): void {
  const p = percentilesOf(f.recentLatencyMs);
  const lines = [
    status === null
      ? 'connecting…'
      : `${status.state}  ${status.codecString ?? status.codec ?? ''}  ${status.width}x${status.height}  (${f.renderer})`,
    `fps ${fmt(f.renderedFps)}   ${fmt(f.bitrateBps / 1e6, 2)} Mbit/s`,
    `latency p50 ${fmt(p?.p50 ?? NaN)}  p95 ${fmt(p?.p95 ?? NaN)}  p99 ${fmt(p?.p99 ?? NaN)} ms (glass to glass)`,
    `drops: not painted ${f.notRendered}  discarded ${status?.framesDiscarded ?? 0}  decoder errors ${status?.decoderErrors ?? 0}`,
    `rtt ${fmt(status?.rttMs ?? NaN)} ms  clock offset ${fmt(status?.clockOffsetMs ?? NaN, 2)} ms`,
  ];
  if (status?.state === 'closed')
    lines.push(`closed (${status.closeCode ?? ''}): ${status.closeReason ?? ''}`);
  if (status?.lastError !== null && status?.lastError !== undefined)
    lines.push(`last error: ${status.lastError}`);
  element.textContent = lines.join('\n');
}
