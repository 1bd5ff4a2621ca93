/**
 * One viewer's figures: what was sent, what the viewer reported back, and the derived latencies.
 * Pure bookkeeping; the times are passed in.
 */
import { FEEDBACK_FLAGS, type FeedbackEntry } from '../core/protocol.ts';
import {
  LogHistogram,
  TimeWindow,
  percentilesOf,
  roundPercentiles,
  type Percentiles,
} from '../core/stats.ts';

/** A frame as sent to this viewer. */
export interface SentRecord {
  readonly sequence: number;
  /** Bytes on the wire (header and payload). */
  readonly bytes: number;
  readonly keyframe: boolean;
  readonly captureMs: number;
  readonly encodedMs: number;
  readonly sentMs: number;
  readonly durationMs: number;
  /** When the frame's first byte arrived (its frame-start marker), server clock; NaN unknown. */
  firstByteMs: number;
  receivedMs: number;
  decodedMs: number;
  renderedMs: number;
  /** The viewer has reported it decoded or discarded. */
  delivered: boolean;
  /** The viewer has reported it painted or replaced. */
  finished: boolean;
}

/** Per-stage medians over the last 5 seconds, milliseconds (`null` when no frame measured it). */
export interface StagesMs {
  readonly captureToEncoded: number | null;
  readonly encodedToSent: number | null;
  readonly sentToReceived: number | null;
  readonly receivedToDecoded: number | null;
  readonly decodedToRendered: number | null;
}

/** A viewer in `/stats`. The first fields are the documented contract; the rest are extras. */
export interface ViewerFigures {
  readonly id: number;
  readonly codec: string | null;
  readonly framesSent: number;
  readonly framesDecoded: number;
  /** Frames the viewer did not show: dropped from its queue, discarded by it, or never painted. */
  readonly framesDropped: number;
  /** Sending bitrate over the last second. */
  readonly bitrateBps: number;
  /** Smoothed round-trip time of the server's pings, or `null` before the first. */
  readonly rttMs: number | null;
  /** Glass-to-glass (capture → painted) over the last 5 seconds. */
  readonly latencyMs: Percentiles | null;
  /** Glass-to-glass over the whole session. */
  readonly latencyMsAll: Percentiles | null;
  readonly stagesMs: StagesMs;
  readonly framesRendered: number;
  /** Frames decoded and painted per second over the last 5 seconds. */
  readonly decodedFps: number;
  readonly renderedFps: number;
  readonly drops: { readonly queue: number; readonly discarded: number; readonly notRendered: number };
  readonly keyframesSent: number;
  readonly queueCuts: number;
  readonly keyframeRequests: number;
  readonly label: string;
  readonly adaptive: boolean;
  readonly connectedForMs: number;
}

const WINDOW_MS = 5000;

function median(w: TimeWindow, nowMs: number): number | null {
  const p = percentilesOf(w.values(nowMs));
  return p === null ? null : Math.round(p.p50 * 100) / 100;
}

/** Counters and windows of one viewer. */
export class ViewerStats {
  framesSent = 0;
  framesDecoded = 0;
  framesRendered = 0;
  queueDropped = 0;
  discarded = 0;
  notRendered = 0;
  keyframesSent = 0;
  queueCuts = 0;
  keyframeRequests = 0;
  rttMs: number | undefined;
  readonly #bits = new TimeWindow(1000);
  readonly #latency = new TimeWindow(WINDOW_MS);
  readonly #latencyAll = new LogHistogram(0.01, 0.005);
  readonly #decoded = new TimeWindow(WINDOW_MS);
  readonly #rendered = new TimeWindow(WINDOW_MS);
  readonly #captureToEncoded = new TimeWindow(WINDOW_MS);
  readonly #encodedToSent = new TimeWindow(WINDOW_MS);
  readonly #sentToReceived = new TimeWindow(WINDOW_MS);
  readonly #receivedToDecoded = new TimeWindow(WINDOW_MS);
  readonly #decodedToRendered = new TimeWindow(WINDOW_MS);
  readonly #startMs: number;

  constructor(startMs: number) {
    this.#startMs = startMs;
  }

  /** A frame went to the socket. */
  onSent(r: SentRecord): void {
    this.framesSent++;
    if (r.keyframe) this.keyframesSent++;
    this.#bits.push(r.sentMs, r.bytes * 8);
    this.#captureToEncoded.push(r.sentMs, r.encodedMs - r.captureMs);
    this.#encodedToSent.push(r.sentMs, r.sentMs - r.encodedMs);
  }

  /**
   * Applies a feedback entry to its record (when still known) and returns what became known:
   * `delivered` the first time the frame is reported decoded or discarded, `finished` the first
   * time it is reported painted or replaced.
   */
  onFeedback(
    e: FeedbackEntry,
    r: SentRecord | undefined,
    nowMs: number,
  ): { delivered: boolean; finished: boolean } {
    if (r === undefined) return { delivered: false, finished: false };
    const discarded = (e.flags & FEEDBACK_FLAGS.discarded) !== 0;
    const notRendered = (e.flags & FEEDBACK_FLAGS.notRendered) !== 0;
    if (Number.isFinite(e.receivedMs)) r.receivedMs = e.receivedMs;
    if (Number.isFinite(e.decodedMs)) r.decodedMs = e.decodedMs;
    if (Number.isFinite(e.renderedMs)) r.renderedMs = e.renderedMs;
    let delivered = false;
    let finished = false;
    if (!r.delivered && (discarded || Number.isFinite(r.decodedMs))) {
      r.delivered = true;
      delivered = true;
      if (discarded) {
        this.discarded++;
        // A discarded frame is never painted: its story ends here.
        r.finished = true;
        finished = true;
      } else {
        this.framesDecoded++;
        this.#decoded.push(nowMs, 1);
        if (Number.isFinite(r.receivedMs)) {
          this.#sentToReceived.push(nowMs, r.receivedMs - r.sentMs);
          this.#receivedToDecoded.push(nowMs, r.decodedMs - r.receivedMs);
        }
      }
    }
    if (!r.finished && (notRendered || Number.isFinite(r.renderedMs))) {
      r.finished = true;
      finished = true;
      if (notRendered) {
        this.notRendered++;
      } else {
        this.framesRendered++;
        this.#rendered.push(nowMs, 1);
        const g2g = r.renderedMs - r.captureMs;
        this.#latency.push(nowMs, g2g);
        this.#latencyAll.record(g2g);
        if (Number.isFinite(r.decodedMs)) this.#decodedToRendered.push(nowMs, r.renderedMs - r.decodedMs);
      }
    }
    return { delivered, finished };
  }

  /** Events per second in `w`, over the window or the time since the viewer came if shorter. */
  #rate(w: TimeWindow, nowMs: number): number {
    const seconds = Math.min(WINDOW_MS, nowMs - this.#startMs) / 1000;
    return seconds <= 0 ? 0 : Math.round((w.count(nowMs) / seconds) * 100) / 100;
  }

  /** The figures at `nowMs`. */
  snapshot(
    nowMs: number,
    who: { id: number; codec: string | null; label: string; adaptive: boolean },
  ): ViewerFigures {
    return {
      id: who.id,
      codec: who.codec,
      framesSent: this.framesSent,
      framesDecoded: this.framesDecoded,
      framesDropped: this.queueDropped + this.discarded + this.notRendered,
      bitrateBps: Math.round(this.#bits.sum(nowMs)),
      rttMs: this.rttMs === undefined ? null : Math.round(this.rttMs * 100) / 100,
      latencyMs: roundPercentiles(percentilesOf(this.#latency.values(nowMs))),
      latencyMsAll: roundPercentiles(this.#latencyAll.percentiles()),
      stagesMs: {
        captureToEncoded: median(this.#captureToEncoded, nowMs),
        encodedToSent: median(this.#encodedToSent, nowMs),
        sentToReceived: median(this.#sentToReceived, nowMs),
        receivedToDecoded: median(this.#receivedToDecoded, nowMs),
        decodedToRendered: median(this.#decodedToRendered, nowMs),
      },
      framesRendered: this.framesRendered,
      decodedFps: this.#rate(this.#decoded, nowMs),
      renderedFps: this.#rate(this.#rendered, nowMs),
      drops: { queue: this.queueDropped, discarded: this.discarded, notRendered: this.notRendered },
      keyframesSent: this.keyframesSent,
      queueCuts: this.queueCuts,
      keyframeRequests: this.keyframeRequests,
      label: who.label,
      adaptive: who.adaptive,
      connectedForMs: Math.round(nowMs - this.#startMs),
    };
  }
}
