/**
 * `quadstream bench stream`: the live path measured end to end on this machine. It first runs the
 * raw encoder alone on the same content (the test source's pattern loop, counter burnt in, encoded
 * as fast as it goes; only encode calls are timed), then starts the server with the test source and a
 * headless Chromium viewer, and measures a window after a warm-up: frames encoded, delivered
 * (decoded by the viewer) and painted per second, glass-to-glass latency percentiles, each stage's
 * time, bitrate, and the CPU time of the server and of the browser.
 */
import { cpus, loadavg } from 'node:os';
import { wallClockMs } from '../capture/clock.ts';
import { burnIn } from '../capture/burn-in.ts';
import { yuvPlanesOf } from '../capture/frame-planes.ts';
import { patternLoopLength, renderPatternLoop } from '../capture/pattern-loop.ts';
import { QuadStreamError } from '../core/errors.ts';
import { percentilesOf, roundPercentiles, type Percentiles } from '../core/stats.ts';
import type { Codec } from '../core/units.ts';
import { probeEncoders } from '../encode/probe.ts';
import { EncoderSession } from '../encode/session.ts';
import { defaultBitrates } from './bitrate-defaults.ts';
import { codecPlans } from './codec-plans.ts';
import { HeadlessBrowser } from './headless-browser.ts';
import { liveEncodeIntent } from './pipeline.ts';
import { processTreeCpuMs } from './process-cpu.ts';
import { StreamServer } from './server.ts';
import { SinkViewer } from './sink-viewer.ts';
import type { SentRecord } from './viewer-stats.ts';

/** Options for {@link runStreamBench}. */
export interface StreamBenchOptions {
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  readonly codec: Codec;
  /** Length of the measured window, seconds. */
  readonly durationSeconds: number;
  /** Streaming before the window starts, seconds (default 3). */
  readonly warmupSeconds?: number;
  /** Encode time spent on the baseline, seconds (default: the window's length, at most 10). */
  readonly baselineSeconds?: number;
  readonly bitrateBps?: number;
  /** Encoder threads, for the baseline and the pipeline alike (default: the encoder's choice). */
  readonly encoderThreads?: number;
  readonly renderer?: '2d' | 'webgl' | 'bitmap';
  /** The player's canvas at its size in the window (default) or at the frame's size. */
  readonly canvas?: 'frame' | 'window';
  /**
   * Who watches: headless Chromium (default), or a receive-only Node viewer that decodes nothing
   * (the server's own cost, without a browser on the same CPUs).
   */
  readonly viewer?: 'chromium' | 'sink';
  /** Progress lines for people (the report is returned). */
  readonly onProgress?: (line: string) => void;
}

/** Median, 95th and 99th percentile of one stage, milliseconds. */
export type StageFigures = Percentiles | null;

/** What {@link runStreamBench} measured. */
export interface StreamBenchReport {
  readonly config: {
    readonly width: number;
    readonly height: number;
    readonly fps: number;
    readonly codec: Codec;
    readonly encoder: string;
    readonly bitrateBps: number;
    readonly durationSeconds: number;
    readonly renderer: string;
    readonly canvas: 'frame' | 'window';
    /** Encoder threads asked for; `null`: the encoder's choice. */
    readonly encoderThreads: number | null;
    readonly viewer: 'chromium' | 'sink';
  };
  readonly machine: {
    readonly cpus: number;
    readonly loadBefore: readonly number[];
    readonly loadAfter: readonly number[];
  };
  /** The encoder alone on the same content. */
  readonly baseline: {
    readonly frames: number;
    readonly fps: number;
    readonly encodeMs: StageFigures;
    /** CPU time (all threads) spent in encode calls per frame, milliseconds. */
    readonly cpuMsPerFrame: number;
  };
  readonly stream: {
    readonly capturedFps: number;
    readonly encodedFps: number;
    /** Frames the viewer received per second. */
    readonly receivedFps: number;
    /** Frames the viewer decoded per second. */
    readonly deliveredFps: number;
    /** Frames the viewer painted per second. */
    readonly renderedFps: number;
    /** Glass-to-glass (capture → painted) over the window. */
    readonly latencyMs: StageFigures;
    readonly stagesMs: {
      readonly captureToPreprocessed: StageFigures;
      readonly waitForEncoder: StageFigures;
      readonly encode: StageFigures;
      readonly captureToEncoded: StageFigures;
      readonly encodedToSent: StageFigures;
      readonly sentToReceived: StageFigures;
      readonly receivedToDecoded: StageFigures;
      readonly decodedToRendered: StageFigures;
    };
    readonly bitrateBps: number;
    readonly skippedAtSource: number;
    readonly droppedBeforeEncoder: number;
    readonly droppedForViewer: number;
    readonly notRendered: number;
    readonly decoderErrors: number;
    /** How long the player's paint calls took, and the time between paints (page clock). */
    readonly paintMs: StageFigures;
    readonly paintIntervalMs: StageFigures;
  };
  /**
   * CPU used during the window, in percent of one core (100 = one core busy), and per frame:
   * the server's per encoded frame, the browser's per decoded frame (milliseconds).
   */
  readonly cpu: {
    readonly server: number | null;
    readonly browser: number | null;
    readonly serverMsPerFrame: number | null;
    readonly browserMsPerFrame: number | null;
  };
  /** Pipeline figures relative to the raw encoder's. */
  readonly ratio: { readonly encodedToBaseline: number; readonly deliveredToBaseline: number };
}

const round = (n: number, d = 2): number => Math.round(n * 10 ** d) / 10 ** d;

async function baseline(
  o: StreamBenchOptions,
  candidates: Parameters<typeof liveEncodeIntent>[0]['candidates'],
  bitrateBps: number,
): Promise<{ frames: number; fps: number; encodeMs: StageFigures; cpuMsPerFrame: number; encoder: string }> {
  const frameRate = [Math.round(o.fps * 1000), 1000] as const;
  const intent = liveEncodeIntent({
    width: o.width,
    height: o.height,
    frameRate,
    bitrateBps,
    candidates,
    ...(o.encoderThreads === undefined ? {} : { encoderThreads: o.encoderThreads }),
  });
  using session = await EncoderSession.open({ candidates, intent, inputPixelFormat: 'yuv420p' });
  const budgetMs = (o.baselineSeconds ?? Math.min(10, o.durationSeconds)) * 1000;
  const warmup = 10;
  const times: number[] = [];
  let i = 0;
  let spentMs = 0;
  let cpuUs = 0;
  // The same content as the test source: its pattern loop, with the counter burnt in.
  const loop = await renderPatternLoop(
    o.width,
    o.height,
    frameRate,
    patternLoopLength(o.width, o.height, o.fps),
  );
  try {
    for (;;) {
      const frame = loop[i % loop.length]!;
      burnIn(yuvPlanesOf(frame), i, wallClockMs());
      frame.pts = BigInt(i);
      const t = performance.now();
      const cpu0 = process.cpuUsage();
      await session.encode(frame);
      const cpu = process.cpuUsage(cpu0);
      const ms = performance.now() - t;
      if (i >= warmup) {
        times.push(ms);
        spentMs += ms;
        cpuUs += cpu.user + cpu.system;
      }
      i++;
      if (spentMs >= budgetMs || times.length >= 3000) break;
    }
  } finally {
    for (const f of loop) f.free();
  }
  return {
    frames: times.length,
    fps: round((times.length * 1000) / spentMs),
    encodeMs: roundPercentiles(percentilesOf(times)),
    cpuMsPerFrame: round(cpuUs / 1000 / Math.max(1, times.length)),
    encoder: session.encoder.name,
  };
}

function stage(values: number[]): StageFigures {
  return roundPercentiles(percentilesOf(values));
}

/** Runs the benchmark. Starts and stops its own server and browser. */
export async function runStreamBench(o: StreamBenchOptions): Promise<StreamBenchReport> {
  const progress = o.onProgress ?? (() => undefined);
  const loadBefore = loadavg().map((l) => round(l));
  const defaults = defaultBitrates(o.width, o.height, o.fps);
  const bitrateBps = o.bitrateBps ?? defaults.bitrateBps;
  const probe = (await probeEncoders()).entries;
  const [plan] = codecPlans(
    probe,
    { width: o.width, height: o.height, fps: o.fps, ...defaults, bitrateBps },
    o.codec,
  );
  if (plan === undefined) throw new QuadStreamError('config', 'bench.no-encoder', `no ${o.codec} encoder`);
  progress(
    `baseline: ${plan.candidates[0]?.name ?? '?'} alone on the test pattern at ${o.width}x${o.height}…`,
  );
  const base = await baseline(o, plan.candidates, bitrateBps);
  progress(`baseline: ${base.fps} fps (${base.frames} frames, encode p50 ${base.encodeMs?.p50 ?? '?'} ms)`);

  const finished: { record: SentRecord; atMs: number }[] = [];
  let windowStartMs = Number.POSITIVE_INFINITY;
  await using server = await StreamServer.start({
    source: 'test',
    width: o.width,
    height: o.height,
    frameRate: [Math.round(o.fps * 1000), 1000],
    codec: o.codec,
    bitrateBps,
    ...(o.encoderThreads === undefined ? {} : { encoderThreads: o.encoderThreads }),
    port: 0,
    onFrameFinished: (_viewer, record) => {
      const atMs = wallClockMs();
      if (atMs >= windowStartMs) finished.push({ record: { ...record }, atMs });
    },
  });
  const viewerKind = o.viewer ?? 'chromium';
  const renderer = o.renderer ?? '2d';
  await using browser = viewerKind === 'chromium' ? await HeadlessBrowser.launch() : null;
  await using sink =
    viewerKind === 'sink' ? await SinkViewer.connect(`ws://127.0.0.1:${server.port}/ws`, o.codec) : null;
  progress(
    `streaming to ${browser === null ? 'a receive-only Node viewer' : `headless Chromium (${renderer} canvas)`}; warming up…`,
  );
  const page =
    browser === null
      ? null
      : await browser.open(
          `${server.url}?codec=${o.codec}&renderer=${renderer}&canvas=${o.canvas ?? 'window'}`,
        );
  try {
    const started = Date.now();
    const firstFrame = (): boolean =>
      sink !== null ? sink.framesReceived > 0 : (server.figures().viewers[0]?.framesRendered ?? 0) > 0;
    while (!firstFrame()) {
      if (Date.now() - started > 30_000)
        throw new QuadStreamError('internal', 'bench.no-frames', 'the viewer got no frame within 30 s');
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, (o.warmupSeconds ?? 3) * 1000));
    const before = server.figures().stream;
    const cpu0 = process.cpuUsage();
    const pid = browser?.pid;
    const browserCpu0 = pid === undefined ? undefined : processTreeCpuMs(pid);
    windowStartMs = wallClockMs();
    progress(`measuring for ${o.durationSeconds} s…`);
    await new Promise((r) => setTimeout(r, o.durationSeconds * 1000));
    const windowEndMs = wallClockMs();
    const windowMs = windowEndMs - windowStartMs;
    const cpu1 = process.cpuUsage(cpu0);
    const browserCpu1 = pid === undefined ? undefined : processTreeCpuMs(pid);
    const after = server.figures().stream;
    const viewer = server.figures().viewers[0];
    // The player's own view: decoder errors, how long its paint calls took, and the intervals
    // between its paints (animation frames that had a frame to show), over the window.
    const player = (await page?.evaluate((since: number) => {
      const q = (
        window as unknown as {
          __quadstream?: { status?: { decoderErrors?: number }; paintMs: number[]; renderedAtMs: number[] };
        }
      ).__quadstream;
      if (q === undefined) return undefined;
      const at = q.renderedAtMs;
      const first = at.findIndex((t) => t >= since);
      const from = first < 0 ? at.length : first;
      const paints = q.paintMs.slice(from - at.length);
      const gaps = at
        .slice(from)
        .map((t, i, a) => (i === 0 ? Number.NaN : t - a[i - 1]!))
        .slice(1);
      return { decoderErrors: q.status?.decoderErrors ?? 0, paints, gaps };
    }, windowStartMs)) ?? { decoderErrors: 0, paints: [], gaps: [] };
    const status = { decoderErrors: player.decoderErrors };
    if (before === null || after === null || viewer === undefined)
      throw new QuadStreamError('internal', 'bench.no-stream', 'the stream stopped during the benchmark');

    const inWindow = (t: number): boolean => t >= windowStartMs && t < windowEndMs;
    const records = finished.map((f) => f.record);
    const received = records.filter((r) => Number.isFinite(r.receivedMs) && inWindow(r.receivedMs));
    const decoded = records.filter((r) => Number.isFinite(r.decodedMs) && inWindow(r.decodedMs));
    const painted = records.filter((r) => Number.isFinite(r.renderedMs) && inWindow(r.renderedMs));
    const sent = records.filter((r) => inWindow(r.sentMs));
    const seconds = windowMs / 1000;
    const loadAfter = loadavg().map((l) => round(l));
    const encodedFps = round((after.framesEncoded - before.framesEncoded) / seconds);
    const serverCpuMs = (cpu1.user + cpu1.system) / 1000;
    const browserCpuMs =
      browserCpu0 === undefined || browserCpu1 === undefined ? null : browserCpu1 - browserCpu0;
    const deliveredFps = round(decoded.length / seconds);
    return {
      config: {
        width: o.width,
        height: o.height,
        fps: o.fps,
        codec: o.codec,
        encoder: after.encoder,
        bitrateBps,
        durationSeconds: round(seconds),
        renderer: viewerKind === 'chromium' ? renderer : 'none',
        canvas: o.canvas ?? 'window',
        encoderThreads: o.encoderThreads ?? null,
        viewer: viewerKind,
      },
      machine: { cpus: cpus().length, loadBefore, loadAfter },
      baseline: {
        frames: base.frames,
        fps: base.fps,
        encodeMs: base.encodeMs,
        cpuMsPerFrame: base.cpuMsPerFrame,
      },
      stream: {
        capturedFps: round((after.framesCaptured - before.framesCaptured) / seconds),
        encodedFps,
        receivedFps: round(received.length / seconds),
        deliveredFps,
        renderedFps: round(painted.length / seconds),
        latencyMs: stage(painted.map((r) => r.renderedMs - r.captureMs)),
        stagesMs: {
          captureToPreprocessed: roundPercentiles(after.stagesMs.captureToPreprocessed),
          waitForEncoder: roundPercentiles(after.stagesMs.waitForEncoder),
          encode: roundPercentiles(after.stagesMs.encode),
          captureToEncoded: stage(sent.map((r) => r.encodedMs - r.captureMs)),
          encodedToSent: stage(sent.map((r) => r.sentMs - r.encodedMs)),
          sentToReceived: stage(received.map((r) => r.receivedMs - r.sentMs)),
          receivedToDecoded: stage(decoded.map((r) => r.decodedMs - r.receivedMs)),
          decodedToRendered: stage(painted.map((r) => r.renderedMs - r.decodedMs)),
        },
        bitrateBps: Math.round((sent.reduce((n, r) => n + r.bytes, 0) * 8) / seconds),
        skippedAtSource: after.framesSkippedAtSource - before.framesSkippedAtSource,
        droppedBeforeEncoder: after.framesDroppedBeforeEncoder - before.framesDroppedBeforeEncoder,
        droppedForViewer: viewer.drops.queue,
        notRendered: records.filter((r) => !Number.isFinite(r.renderedMs) && inWindow(r.sentMs)).length,
        decoderErrors: status.decoderErrors ?? 0,
        paintMs: stage(player.paints),
        paintIntervalMs: stage(player.gaps),
      },
      cpu: {
        server: round((serverCpuMs / windowMs) * 100, 1),
        browser: browserCpuMs === null ? null : round((browserCpuMs / windowMs) * 100, 1),
        serverMsPerFrame: encodedFps > 0 ? round(serverCpuMs / (encodedFps * seconds)) : null,
        browserMsPerFrame:
          browserCpuMs === null || decoded.length === 0 ? null : round(browserCpuMs / decoded.length),
      },
      ratio: {
        encodedToBaseline: round(encodedFps / base.fps, 3),
        deliveredToBaseline: round(deliveredFps / base.fps, 3),
      },
    };
  } finally {
    await page?.close();
  }
}
