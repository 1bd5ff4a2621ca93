/**
 * The live pipeline: capture (A) → pre-process (B) → encode (C), feeding the stream stage (D)
 * through a callback. Capture and pre-processing run concurrently with encoding and hand over
 * through a newest-wins slot: when the encoder is busy, the older waiting frame is dropped, so a
 * frame never waits behind another. An on-demand source (generated, file, screen) is not asked
 * for its next frame until the encoder has taken the current one; it then skips the capture
 * slots that went by, so frames are captured at the encoder's pace, on the real-time clock. Keyframes on demand and bitrate changes go to the
 * EncoderSession.
 */
import { wallClockMs } from '../capture/clock.ts';
import type { FrameSource } from '../capture/types.ts';
import { describeError, QuadStreamError } from '../core/errors.ts';
import { codecStringFromKeyframe, estimatedCodecString, nextSequence } from '../core/protocol.ts';
import { TimeWindow, percentilesOf, type Percentiles } from '../core/stats.ts';
import type { Codec } from '../core/units.ts';
import type { EncoderInfo } from '../encode/catalogue.ts';
import { EncoderSession, type SessionEvent, type SessionPacket } from '../encode/session.ts';
import type { EncodeIntent } from '../encode/settings.ts';
import { logger } from '../log.ts';
import { Preprocessor, type PreparedFrame } from '../preprocess/preprocessor.ts';
import type { EncodedFrame, StreamDescription } from './encoded-frame.ts';
import { LatestSlot } from './latest-slot.ts';

const log = logger.child({ component: 'pipeline' });

/** Options for {@link LivePipeline.start}. */

/** A prepared frame waiting for the encoder, with the frame-rate divisor it was kept under. */
interface SlottedFrame extends PreparedFrame {
  readonly divisor: number;
}

export interface PipelineOptions {
  readonly source: FrameSource;
  readonly codec: Codec;
  /** Encoders for `codec`, best first (the session fails over along the list). */
  readonly candidates: readonly EncoderInfo[];
  /** Encoded size and rate. */
  readonly width: number;
  readonly height: number;
  readonly frameRate: readonly [number, number];
  readonly bitrateBps: number;
  readonly minBitrateBps?: number;
  readonly maxBitrateBps?: number;
  /** Keyframe interval in frames; default: keyframes only on demand. */
  readonly gopFrames?: number;
  /** Encoder threads (default: the encoder's own choice, all cores for x264). */
  readonly encoderThreads?: number;
  /** Each encoded frame, in order. Called synchronously from the encode loop; must not throw. */
  readonly onFrame: (frame: EncodedFrame) => void;
  /** A fatal failure of the pipeline (it has stopped). */
  readonly onError: (error: unknown) => void;
  readonly onEvent?: (event: SessionEvent) => void;
}

/** Figures of the pipeline: counters since start and the last 5 seconds' stage times. */
export interface PipelineStats {
  readonly source: string;
  readonly encoder: string;
  readonly codec: Codec;
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  readonly bitrateBps: number;
  readonly framesCaptured: number;
  readonly framesEncoded: number;
  readonly keyframes: number;
  /** Capture slots skipped because the pipeline was late (source side). */
  readonly framesSkippedAtSource: number;
  /** Captured frames replaced while the encoder was busy. */
  readonly framesDroppedBeforeEncoder: number;
  /** Frames encoded per second over the last 5 seconds. */
  readonly encodedFps: number;
  /** Stage times over the last 5 seconds, milliseconds. */
  readonly stagesMs: {
    readonly captureToPreprocessed: Percentiles | null;
    readonly waitForEncoder: Percentiles | null;
    readonly encode: Percentiles | null;
  };
}

const WINDOW_MS = 5000;

/** A running capture → pre-process → encode pipeline. */
export class LivePipeline {
  readonly #o: PipelineOptions;
  readonly #session: EncoderSession;
  readonly #abort = new AbortController();
  readonly #slot: LatestSlot<SlottedFrame>;
  readonly #periodMs: number;
  #sequence = 0;
  #keyframeWanted = false;
  #framesCaptured = 0;
  #framesEncoded = 0;
  #keyframes = 0;
  #description: StreamDescription | undefined;
  #codecStringGeneration = -1;
  /** The size frames are prepared at (changed by `resize`), and the size last encoded. */
  #size: { width: number; height: number };
  #encodedSize: { width: number; height: number };
  /**
   * One source frame in this many is encoded (the ladder's frame-rate rungs; changed by
   * `resize`), and the divisor last encoded at.
   */
  #divisor = 1;
  #encodedDivisor = 1;
  /** Source index of the last frame kept. */
  #lastKept = -1;
  #running: Promise<void> | undefined;
  readonly #timing = new Map<bigint, PreparedFrame>();
  readonly #encodedWindow = new TimeWindow(WINDOW_MS);
  readonly #preprocessWindow = new TimeWindow(WINDOW_MS);
  readonly #waitWindow = new TimeWindow(WINDOW_MS);
  readonly #encodeWindow = new TimeWindow(WINDOW_MS);

  private constructor(o: PipelineOptions, session: EncoderSession) {
    this.#o = o;
    this.#session = session;
    this.#periodMs = (1000 * o.frameRate[1]) / o.frameRate[0];
    this.#size = { width: o.width, height: o.height };
    this.#encodedSize = this.#size;
    this.#slot = new LatestSlot((f) => f.frame.free());
  }

  /** Opens the encoder (errors surface here) and starts capturing and encoding. */
  static async start(o: PipelineOptions): Promise<LivePipeline> {
    const intent = liveEncodeIntent(o);
    const session = await EncoderSession.open({
      candidates: o.candidates,
      intent,
      inputPixelFormat: 'yuv420p',
      ...(o.minBitrateBps === undefined ? {} : { minBitrateBps: o.minBitrateBps }),
      ...(o.maxBitrateBps === undefined ? {} : { maxBitrateBps: o.maxBitrateBps }),
      ...(o.onEvent === undefined ? {} : { onEvent: o.onEvent }),
    });
    const pipeline = new LivePipeline(o, session);
    pipeline.#running = pipeline.#run();
    return pipeline;
  }

  /** The stream as last encoded (undefined before the first frame). */
  get description(): StreamDescription | undefined {
    return this.#description;
  }

  /** The encoder in use. */
  get encoder(): EncoderInfo {
    return this.#session.encoder;
  }

  /** Frames encoded so far. */
  get framesEncoded(): number {
    return this.#framesEncoded;
  }

  /** Current target bitrate, bits per second. */
  get bitrateBps(): number {
    return this.#session.bitrateBps ?? this.#o.bitrateBps;
  }

  /** The next encoded frame will be a keyframe. Requests made before it is encoded merge. */
  requestKeyframe(): void {
    // Handed to the session just before its next encode: EncoderSession clears its flag when an
    // encode finishes, so a request made while one is running would otherwise be lost.
    this.#keyframeWanted = true;
  }

  /** Changes the target bitrate (live on x264; reopen at a keyframe elsewhere). */
  setBitrate(bitrateBps: number): void {
    this.#session.setBitrate(bitrateBps);
  }

  /** The picture size frames are prepared at now. */
  get size(): { readonly width: number; readonly height: number } {
    return this.#size;
  }

  /** The frame rate frames are encoded at now (the source's, or a whole fraction of it). */
  get fps(): number {
    return this.#o.frameRate[0] / this.#o.frameRate[1] / this.#divisor;
  }

  /**
   * Changes the picture size and, with `fps`, the frame rate (the adaptive-bitrate ladder):
   * frames captured from now on are scaled to the size, and only one source frame in
   * `round(source fps / fps)` is encoded; the encoder reopens at the new size and rate with the
   * first such frame, which is a keyframe of a new generation; viewers get a new stream
   * configuration before it.
   */
  resize(width: number, height: number, fps?: number): void {
    const sourceFps = this.#o.frameRate[0] / this.#o.frameRate[1];
    const divisor =
      fps === undefined || !(fps > 0) ? this.#divisor : Math.max(1, Math.round(sourceFps / fps));
    if (width === this.#size.width && height === this.#size.height && divisor === this.#divisor) return;
    this.#size = { width, height };
    this.#divisor = divisor;
  }

  /** The encoder's frame rate at `divisor`: the source's rate over it. */
  #frameRate(divisor: number): readonly [number, number] {
    const [num, den] = this.#o.frameRate;
    return [num, den * divisor];
  }

  /** Figures at `nowMs`. */
  stats(nowMs: number): PipelineStats {
    const o = this.#o;
    return {
      source: o.source.description,
      encoder: this.#session.encoder.name,
      codec: o.codec,
      width: this.#encodedSize.width,
      height: this.#encodedSize.height,
      fps: o.frameRate[0] / o.frameRate[1] / this.#encodedDivisor,
      bitrateBps: this.bitrateBps,
      framesCaptured: this.#framesCaptured,
      framesEncoded: this.#framesEncoded,
      keyframes: this.#keyframes,
      framesSkippedAtSource: o.source.skipped,
      framesDroppedBeforeEncoder: this.#slot.dropped,
      encodedFps: this.#encodedWindow.count(nowMs) / (WINDOW_MS / 1000),
      stagesMs: {
        captureToPreprocessed: percentilesOf(this.#preprocessWindow.values(nowMs)),
        waitForEncoder: percentilesOf(this.#waitWindow.values(nowMs)),
        encode: percentilesOf(this.#encodeWindow.values(nowMs)),
      },
    };
  }

  /** Stops capturing and encoding, and closes the encoder. Idempotent. */
  async stop(): Promise<void> {
    this.#abort.abort(new QuadStreamError('internal', 'pipeline.stopped', 'the pipeline was stopped'));
    await this.#running;
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    using pre = new Preprocessor({ width: this.#o.width, height: this.#o.height });
    const capture = this.#capture(pre, signal);
    try {
      await Promise.all([capture, this.#encodeLoop(signal)]);
    } catch (error) {
      if (!signal.aborted) {
        log.error({ err: describeError(error) }, 'live pipeline failed');
        this.#abort.abort(error);
        await capture.catch(() => undefined);
        this.#o.onError(error);
      }
    } finally {
      this.#slot.clear();
      this.#timing.clear();
      // SVT-AV1 complains when closed without end of stream; flushing is cheap at this point.
      await this.#session.flush().catch(() => []);
      this.#session.close();
    }
  }

  async #capture(pre: Preprocessor, signal: AbortSignal): Promise<void> {
    try {
      for await (const captured of this.#o.source.frames(signal)) {
        this.#framesCaptured++;
        // A frame-rate rung: the first frame of each block of `divisor` source frames is kept.
        const divisor = this.#divisor;
        if (Math.floor(captured.index / divisor) <= Math.floor(this.#lastKept / divisor)) {
          captured.frame.free();
          continue;
        }
        this.#lastKept = captured.index;
        if (pre.target.width !== this.#size.width || pre.target.height !== this.#size.height)
          pre.retarget(this.#size);
        const prepared = await pre.process(captured);
        if (signal.aborted) {
          prepared.frame.free();
          return;
        }
        this.#slot.put({ ...prepared, divisor });
        // An on-demand source captures its next frame only once the encoder has taken this one:
        // no frame is made only to be dropped, and the CPU goes to the encoder instead.
        if (this.#o.source.onDemand) await this.#slot.waitEmpty(signal);
      }
    } catch (error) {
      if (signal.aborted) return;
      throw error;
    }
  }

  async #encodeLoop(signal: AbortSignal): Promise<void> {
    for (;;) {
      let prepared: SlottedFrame;
      try {
        prepared = await this.#slot.take(signal);
      } catch (error) {
        if (signal.aborted) return;
        throw error;
      }
      const encodeStartMs = wallClockMs();
      let packets: SessionPacket[];
      try {
        const { width, height } = prepared.frame;
        const { divisor } = prepared;
        if (
          width !== this.#encodedSize.width ||
          height !== this.#encodedSize.height ||
          divisor !== this.#encodedDivisor
        ) {
          this.#session.setSize(width, height, this.#frameRate(divisor));
          this.#encodedSize = { width, height };
          this.#encodedDivisor = divisor;
        }
        // The encoder's time base is one frame at its rate: number the kept frames in it.
        const pts = BigInt(Math.floor(prepared.index / divisor));
        prepared.frame.pts = pts;
        this.#timing.set(pts, prepared);
        if (this.#keyframeWanted) {
          this.#keyframeWanted = false;
          this.#session.requestKeyframe();
        }
        packets = await this.#session.encode(prepared.frame);
      } finally {
        prepared.frame.free();
      }
      const encodedMs = wallClockMs();
      for (const packet of packets) this.#emit(packet, encodeStartMs, encodedMs);
      // Frames the encoder kept (none with low-latency settings) are not waited for forever.
      if (this.#timing.size > 64) {
        const oldest = [...this.#timing.keys()]
          .sort((a, b) => (a < b ? -1 : 1))
          .slice(0, this.#timing.size - 64);
        for (const k of oldest) this.#timing.delete(k);
      }
    }
  }

  #emit(packet: SessionPacket, encodeStartMs: number, encodedMs: number): void {
    const timing = this.#timing.get(packet.pts);
    this.#timing.delete(packet.pts);
    const index = timing?.index ?? Number(packet.pts) * this.#encodedDivisor;
    const captureMs = timing?.captureMs ?? encodeStartMs;
    const preprocessedMs = timing?.preprocessedMs ?? encodeStartMs;
    const description = this.#describe(packet);
    const [num, den] = this.#o.frameRate;
    const frame: EncodedFrame = {
      sequence: this.#sequence,
      index,
      keyframe: packet.keyframe,
      data: packet.data,
      // WebCodecs timestamps are integer microseconds.
      ptsUs: Math.round((index * 1e6 * den) / num),
      durationMs: this.#periodMs * this.#encodedDivisor,
      captureMs,
      preprocessedMs,
      encodeStartMs,
      encodedMs,
      description,
    };
    this.#sequence = nextSequence(this.#sequence);
    this.#framesEncoded++;
    if (packet.keyframe) this.#keyframes++;
    this.#encodedWindow.push(encodedMs, 1);
    this.#preprocessWindow.push(encodedMs, preprocessedMs - captureMs);
    this.#waitWindow.push(encodedMs, encodeStartMs - preprocessedMs);
    this.#encodeWindow.push(encodedMs, encodedMs - encodeStartMs);
    this.#o.onFrame(frame);
  }

  /** The stream description, re-read from the bitstream at each keyframe of a new generation. */
  #describe(packet: SessionPacket): StreamDescription {
    const current = this.#description;
    if (current !== undefined && (packet.generation === this.#codecStringGeneration || !packet.keyframe)) {
      return current;
    }
    const frameRate = this.#frameRate(this.#encodedDivisor);
    const fps = frameRate[0] / frameRate[1];
    const { width, height } = this.#encodedSize;
    const codecString = packet.keyframe
      ? codecStringFromKeyframe(packet.codec, packet.data, { width, height, fps })
      : undefined;
    if (packet.keyframe) this.#codecStringGeneration = packet.generation;
    const description: StreamDescription = {
      codec: packet.codec,
      codecString: codecString ?? estimatedCodecString(packet.codec, width, height, fps),
      encoder: packet.encoder,
      width,
      height,
      frameRate,
      generation: packet.generation,
    };
    this.#description = description;
    return description;
  }
}

/** The encoder settings of a live pipeline: low latency, CBR at the target, keyframes on demand. */
export function liveEncodeIntent(
  o: Pick<
    PipelineOptions,
    'width' | 'height' | 'frameRate' | 'bitrateBps' | 'gopFrames' | 'candidates' | 'encoderThreads'
  >,
): EncodeIntent {
  return {
    width: o.width,
    height: o.height,
    frameRate: o.frameRate,
    bitrateBps: o.bitrateBps,
    lowLatency: true,
    ...(o.gopFrames === undefined ? {} : { gopFrames: o.gopFrames }),
    ...(o.encoderThreads === undefined ? {} : { threads: o.encoderThreads }),
    ...svtAv1Workaround(o),
  };
}

/**
 * SVT-AV1 refuses a rate-control buffer under 20 ms, and one frame at 60 fps is 16.7 ms: give it
 * 25 ms (or one frame, if longer). The generic `bufsize` option overrides the session's VBV size.
 */
function svtAv1Workaround(
  o: Pick<PipelineOptions, 'frameRate' | 'bitrateBps' | 'candidates'>,
): Pick<EncodeIntent, 'options'> | Record<string, never> {
  if (!o.candidates.some((c) => c.name === 'libsvtav1')) return {};
  const frameMs = (1000 * o.frameRate[1]) / o.frameRate[0];
  if (frameMs >= 20) return {};
  return { options: { bufsize: String(Math.round(o.bitrateBps * 0.025)) } };
}
