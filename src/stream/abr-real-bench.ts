/**
 * Adaptive bitrate on a real, shaped link: the stream server and a headless Chromium viewer run
 * inside a network namespace whose loopback is shaped by `tc` (src/netem/netns.ts) in the
 * server → viewer direction; the link's
 * capacity follows a trace of steps while the bench samples, every 250 ms, the encoder's target,
 * the bitrate actually sent, the per-frame network delay (send → receive, which grows with the
 * bottleneck queue) and the viewer's decoding. The caller must already be inside the namespace.
 */
import { QuadStreamError } from '../core/errors.ts';
import type { ControllerKind } from '../core/rate/index.ts';
import type { LinkSample } from '../core/rate/real-link-summary.ts';
import { percentileOfSorted } from '../core/stats.ts';
import type { Codec } from '../core/units.ts';
import type { ShapedNamespace } from '../netem/netns.ts';
import { AdaptiveRate, type RateChange } from './adaptive-rate.ts';
import { HeadlessBrowser } from './headless-browser.ts';
import { StreamServer } from './server.ts';

/** One step of the capacity trace. */
export interface LinkStep {
  /** Seconds from the start of the measurement. */
  readonly atS: number;
  readonly rateBps: number;
  readonly lossPercent?: number;
}

/** Options of {@link runAbrRealBench}. */
export interface AbrRealOptions {
  readonly link: ShapedNamespace;
  readonly trace: readonly LinkStep[];
  readonly durationS: number;
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  readonly codec: Codec;
  readonly abr: ControllerKind;
  readonly startBitrateBps: number;
  readonly minBitrateBps: number;
  readonly maxBitrateBps: number;
  readonly onProgress?: (line: string) => void;
}

/**
 * One sample of the run: what `summariseRealLink` reads (capacity, the encoder's target, the
 * bitrate sent to the viewer over the last second, the median queuing delay of the frames received
 * in the last 250 ms — send → receive less each frame's transmission at the capacity, above the
 * run's minimum of that — and glass-to-glass p95 over the last 5 s), and more.
 */
export interface AbrSample extends LinkSample {
  readonly framesDecoded: number;
  /** The picture size and frame rate being encoded. */
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  /** The estimator's view at the last controller step: loss rate, queuing delay, delay trend, throughput. */
  readonly estimator: {
    readonly lossRate: number;
    readonly queuingDelayMs: number;
    readonly delayTrendMsPerMs: number;
    readonly throughputBps: number | null;
    readonly linkRateBps: number | null;
    readonly pendingDelayMs: number;
    readonly reason: string;
  } | null;
}

/** The whole run. */
export interface AbrRealReport {
  readonly options: Omit<AbrRealOptions, 'link' | 'onProgress'>;
  readonly samples: readonly AbrSample[];
  readonly changes: readonly RateChange[];
  /** The longest time without a newly decoded frame, ms. */
  readonly maxStallMs: number;
  readonly decodeErrors: number;
}

const SAMPLE_MS = 250;

/** Runs the bench; see the module comment. */
export async function runAbrRealBench(o: AbrRealOptions): Promise<AbrRealReport> {
  const say = o.onProgress ?? (() => {});
  const changes: RateChange[] = [];
  let lastStep: AbrSample['estimator'] = null;
  const rate = new AdaptiveRate({
    kind: o.abr,
    minBitrateBps: o.minBitrateBps,
    maxBitrateBps: o.maxBitrateBps,
    startBitrateBps: o.startBitrateBps,
    onChange: (c) => changes.push(c),
    onStep: (_viewer, obs, decision) => {
      lastStep = {
        lossRate: obs.lossRate,
        queuingDelayMs: obs.queuingDelayMs,
        delayTrendMsPerMs: obs.delayTrendMsPerMs,
        throughputBps: obs.throughputBps,
        linkRateBps: obs.linkRateBps,
        pendingDelayMs: obs.pendingDelayMs,
        reason: decision.reason,
      };
    },
  });
  // Per-frame network delay (send → receive on the server's clock) less the frame's own
  // transmission time at the link's capacity: what is left is the wait in the queue (plus a
  // constant base, the run's minimum, taken off when sampling).
  let recent: number[] = [];
  let minDelay = Number.POSITIVE_INFINITY;
  const first = o.trace[0];
  if (first === undefined) throw new QuadStreamError('config', 'abr.empty-trace', 'the link trace is empty');
  let capacity = first.rateBps;
  // When each capacity began (wall clock), for frames that straddle a step.
  const capacityFrom: { atMs: number; rateBps: number }[] = [{ atMs: 0, rateBps: first.rateBps }];
  const capacityAt = (ms: number) => capacityFrom.findLast((c) => c.atMs <= ms)?.rateBps ?? first.rateBps;
  await using server = await StreamServer.start({
    source: 'test',
    width: o.width,
    height: o.height,
    frameRate: [o.fps, 1],
    codec: o.codec,
    host: '127.0.0.1',
    port: 0,
    bitrateBps: o.startBitrateBps,
    minBitrateBps: o.minBitrateBps,
    maxBitrateBps: o.maxBitrateBps,
    rateController: rate,
    onFrameFinished: (_viewer, r) => {
      if (!Number.isFinite(r.receivedMs) || !Number.isFinite(r.sentMs)) return;
      // A frame sent before a step and received after it crossed the link at both rates: take
      // out its transmission at the faster one, and leave it out of the minimum.
      const atSend = capacityAt(r.sentMs);
      const atReceive = capacityAt(r.receivedMs);
      const d = r.receivedMs - r.sentMs - (r.bytes * 8 * 1000) / Math.max(atSend, atReceive);
      if (atSend === atReceive) minDelay = Math.min(minDelay, d);
      recent.push(d);
    },
  });
  // The bottleneck is the server's downlink; the viewer's feedback and TCP's acknowledgements
  // travel unshaped, as on a real path whose uplink is not congested.
  const shapeAt = (step: LinkStep) =>
    o.link.shape({
      rateBps: step.rateBps,
      sourcePort: server.port,
      ...(step.lossPercent === undefined ? {} : { lossPercent: step.lossPercent }),
    });
  await shapeAt(first);
  await using browser = await HeadlessBrowser.launch();
  await browser.open(`${server.url}?codec=${o.codec}`);
  const started = Date.now();
  while ((server.figures().viewers[0]?.framesDecoded ?? 0) === 0) {
    if (Date.now() - started > 30_000)
      throw new QuadStreamError('internal', 'bench.no-frames', 'the viewer decoded no frame within 30 s');
    await sleep(50);
  }
  say(`viewer decoding; running the trace for ${o.durationS} s`);
  const samples: AbrSample[] = [];
  let step = 0;
  let lastDecoded = 0;
  let lastDecodeAt = Date.now();
  let maxStallMs = 0;
  const t0 = Date.now();
  for (;;) {
    const tS = (Date.now() - t0) / 1000;
    if (tS >= o.durationS) break;
    const next = o.trace[step + 1];
    if (next !== undefined && tS >= next.atS) {
      step++;
      capacity = next.rateBps;
      capacityFrom.push({ atMs: Date.now(), rateBps: capacity });
      await shapeAt(next);
      say(
        `t=${tS.toFixed(1)} s: link ${(next.rateBps / 1e6).toFixed(1)} Mbit/s${next.lossPercent ? `, ${next.lossPercent}% loss` : ''}`,
      );
    }
    const f = server.figures();
    const v = f.viewers[0];
    const delays = recent.sort((a, b) => a - b);
    recent = [];
    if (v !== undefined && v.framesDecoded > lastDecoded) {
      lastDecoded = v.framesDecoded;
      lastDecodeAt = Date.now();
    }
    maxStallMs = Math.max(maxStallMs, Date.now() - lastDecodeAt);
    samples.push({
      tS,
      capacityBps: capacity,
      targetBps: f.stream?.bitrateBps ?? Number.NaN,
      sentBps: v?.bitrateBps ?? 0,
      queueMs: delays.length === 0 ? null : percentileOfSorted(delays, 50) - minDelay,
      latencyP95Ms: v?.latencyMs?.p95 ?? null,
      framesDecoded: v?.framesDecoded ?? 0,
      width: f.stream?.width ?? o.width,
      height: f.stream?.height ?? o.height,
      fps: f.stream?.fps ?? o.fps,
      estimator: lastStep,
    });
    await sleep(SAMPLE_MS);
  }
  const v = server.figures().viewers[0];
  const { link: _l, onProgress: _p, ...options } = o;
  return { options, samples, changes, maxStallMs, decodeErrors: v?.drops.discarded ?? 0 };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
