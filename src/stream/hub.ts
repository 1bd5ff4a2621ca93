/**
 * The stream hub: one live pipeline shared by every viewer. It negotiates each viewer's codec,
 * starts the pipeline for the first viewer (with the best codec that viewer can decode) and stops
 * it when the last one has gone, fans encoded frames out to the viewers' queues, merges keyframe
 * requests, and hands feedback to an optional rate controller whose decisions it applies.
 */
import type { WebSocket } from 'ws';
import { wallClockMs } from '../capture/clock.ts';
import type { FrameSource } from '../capture/types.ts';
import { describeError } from '../core/errors.ts';
import { estimatedCodecString, type CodecOffer } from '../core/protocol.ts';
import type { Codec } from '../core/units.ts';
import type { EncoderInfo } from '../encode/catalogue.ts';
import type { SessionEvent } from '../encode/session.ts';
import { logger, type Logger } from '../log.ts';
import type { EncodedFrame } from './encoded-frame.ts';
import { LivePipeline, type PipelineStats } from './pipeline.ts';
import type { DeliverySample, QueueDropSample, RateController, SentSample } from './rate-control.ts';
import { CLOSE_CODES, Viewer, type ViewerHost, type ViewerLimits } from './viewer.ts';
import type { SentRecord, ViewerFigures } from './viewer-stats.ts';

/** Encoders available for one codec, best first. */
export interface CodecPlan {
  readonly codec: Codec;
  readonly candidates: readonly EncoderInfo[];
}

/** Options for {@link StreamHub}. */
export interface HubOptions {
  readonly source: FrameSource;
  readonly width: number;
  readonly height: number;
  readonly frameRate: readonly [number, number];
  readonly bitrateBps: number;
  readonly minBitrateBps?: number;
  readonly maxBitrateBps?: number;
  readonly gopFrames?: number;
  readonly encoderThreads?: number;
  /** Codecs the server can encode, in the server's order of preference. */
  readonly codecs: readonly CodecPlan[];
  readonly limits: ViewerLimits;
  /** Stop the pipeline this long after the last viewer left (milliseconds). */
  readonly idleStopMs: number;
  readonly rateController?: RateController;
  /** Every frame a viewer has finished with (painted or given up), for benchmarks and traces. */
  readonly onFrameFinished?: (viewerId: number, record: Readonly<SentRecord>) => void;
  readonly onSessionEvent?: (event: SessionEvent) => void;
}

/** `/stats` as a whole. */
export interface HubFigures {
  readonly viewers: readonly ViewerFigures[];
  /** The pipeline's figures while it runs, `null` when idle. */
  readonly stream: PipelineStats | null;
}

/** One stream and its viewers. */
export class StreamHub implements ViewerHost {
  readonly streamId = 1;
  readonly limits: ViewerLimits;
  readonly log: Logger;
  readonly #o: HubOptions;
  readonly #viewers = new Set<Viewer>();
  #nextViewerId = 1;
  #pipeline: LivePipeline | null = null;
  #starting: Promise<LivePipeline> | null = null;
  #codec: Codec | null = null;
  /** When the last keyframe request went to the encoder (while none has come out since). */
  #keyframeRequestedMs: number | null = null;
  #stopTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: HubOptions) {
    this.#o = options;
    this.limits = options.limits;
    this.log = logger.child({ component: 'stream' });
  }

  /** Viewers connected now. */
  get viewerCount(): number {
    return this.#viewers.size;
  }

  /** The running pipeline, if any. */
  get pipeline(): LivePipeline | null {
    return this.#pipeline;
  }

  /** Creates the viewer for a new WebSocket. */
  accept(ws: WebSocket): Viewer {
    const viewer = new Viewer(this.#nextViewerId++, ws, this);
    this.#viewers.add(viewer);
    if (this.#stopTimer !== undefined) {
      clearTimeout(this.#stopTimer);
      this.#stopTimer = undefined;
    }
    return viewer;
  }

  hello(): {
    width: number;
    height: number;
    frameRate: readonly [number, number];
    offers: readonly CodecOffer[];
  } {
    const o = this.#o;
    const fps = o.frameRate[0] / o.frameRate[1];
    // While a pipeline runs, only its codec can be had.
    const plans = this.#codec === null ? o.codecs : o.codecs.filter((p) => p.codec === this.#codec);
    return {
      width: o.width,
      height: o.height,
      frameRate: o.frameRate,
      offers: plans.map((p) => ({
        codec: p.codec,
        codecString: estimatedCodecString(p.codec, o.width, o.height, fps),
      })),
    };
  }

  async join(viewer: Viewer, codecs: readonly Codec[]): Promise<{ codec: Codec } | { error: string }> {
    if (this.#closed) return { error: 'the server is shutting down' };
    const running = this.#codec;
    let codec: Codec;
    if (running !== null) {
      if (!codecs.includes(running))
        return {
          error: `the stream is ${running}, which this player cannot decode (it can: ${codecs.join(', ') || 'none'})`,
        };
      codec = running;
    } else {
      const plan = this.#o.codecs.find((p) => codecs.includes(p.codec));
      if (plan === undefined) {
        const offered = this.#o.codecs.map((p) => p.codec).join(', ');
        return {
          error: `no common codec: the server offers ${offered}; the player decodes ${codecs.join(', ') || 'none'}`,
        };
      }
      codec = plan.codec;
    }
    await this.#ensurePipeline(codec);
    if (!this.#viewers.has(viewer)) {
      // It left while the pipeline was starting.
      this.#scheduleStop();
      return { error: 'gone' };
    }
    this.#o.rateController?.viewerJoined(
      { id: viewer.id, adaptive: viewer.adaptive, label: viewer.label },
      wallClockMs(),
    );
    return { codec };
  }

  leave(viewer: Viewer): void {
    if (!this.#viewers.delete(viewer)) return;
    this.#o.rateController?.viewerLeft(viewer.id, wallClockMs());
    this.#scheduleStop();
  }

  requestKeyframe(viewer: Viewer, reason: string): void {
    const pipeline = this.#pipeline;
    // A fresh encoder starts with a keyframe anyway.
    if (pipeline === null || pipeline.framesEncoded === 0) return;
    // Requests merge until the keyframe comes out; one that seems lost is made again after 500 ms.
    const now = wallClockMs();
    if (this.#keyframeRequestedMs !== null && now - this.#keyframeRequestedMs < 500) return;
    this.#keyframeRequestedMs = now;
    this.log.debug({ viewer: viewer.id, reason }, 'keyframe requested');
    pipeline.requestKeyframe();
  }

  inFlightBudgetBytes(viewer: Viewer): number | undefined {
    return this.#o.rateController?.inFlightBudgetBytes?.(viewer.id, wallClockMs());
  }

  sent(sample: SentSample, nowMs: number): void {
    this.#o.rateController?.onSent(sample, nowMs);
  }

  delivery(sample: DeliverySample, nowMs: number): void {
    this.#o.rateController?.onDelivery(sample, nowMs);
  }

  queueDrop(sample: QueueDropSample, nowMs: number): void {
    this.#o.rateController?.onQueueDrop(sample, nowMs);
  }

  rtt(viewer: Viewer, rttMs: number, nowMs: number): void {
    this.#o.rateController?.onRtt(viewer.id, rttMs, nowMs);
  }

  frameFinished(viewer: Viewer, record: Readonly<SentRecord>): void {
    this.#o.onFrameFinished?.(viewer.id, record);
  }

  /** Figures of every viewer and of the pipeline. */
  figures(nowMs = wallClockMs()): HubFigures {
    return {
      viewers: [...this.#viewers].map((v) => v.figures(nowMs)),
      stream: this.#pipeline?.stats(nowMs) ?? null,
    };
  }

  /** Closes every viewer and stops the pipeline. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#stopTimer !== undefined) clearTimeout(this.#stopTimer);
    for (const v of [...this.#viewers]) v.close(CLOSE_CODES.goingAway, 'server shutting down');
    await this.#stopPipeline();
  }

  async #ensurePipeline(codec: Codec): Promise<LivePipeline> {
    if (this.#pipeline !== null) return this.#pipeline;
    if (this.#starting !== null) return this.#starting;
    const plan = this.#o.codecs.find((p) => p.codec === codec);
    if (plan === undefined) throw new Error(`no encoder for ${codec}`);
    this.#codec = codec;
    const o = this.#o;
    this.#starting = LivePipeline.start({
      source: o.source,
      codec,
      candidates: plan.candidates,
      width: o.width,
      height: o.height,
      frameRate: o.frameRate,
      bitrateBps: o.bitrateBps,
      ...(o.minBitrateBps === undefined ? {} : { minBitrateBps: o.minBitrateBps }),
      ...(o.maxBitrateBps === undefined ? {} : { maxBitrateBps: o.maxBitrateBps }),
      ...(o.gopFrames === undefined ? {} : { gopFrames: o.gopFrames }),
      ...(o.encoderThreads === undefined ? {} : { encoderThreads: o.encoderThreads }),
      onFrame: (f) => this.#broadcast(f),
      onError: (error) => this.#onPipelineError(error),
      ...(o.onSessionEvent === undefined ? {} : { onEvent: o.onSessionEvent }),
    });
    try {
      const pipeline = await this.#starting;
      this.#pipeline = pipeline;
      this.log.info(
        { codec, encoder: pipeline.encoder.name, source: o.source.description },
        'pipeline started',
      );
      return pipeline;
    } catch (error) {
      this.#codec = null;
      throw error;
    } finally {
      this.#starting = null;
    }
  }

  #broadcast(frame: EncodedFrame): void {
    if (frame.keyframe) this.#keyframeRequestedMs = null;
    const now = wallClockMs();
    for (const v of this.#viewers) v.enqueue(frame, now);
    const rc = this.#o.rateController;
    const pipeline = this.#pipeline;
    if (rc !== undefined && pipeline !== null) {
      const decision = rc.decide(
        {
          bitrateBps: pipeline.bitrateBps,
          codec: frame.description.codec,
          encoder: frame.description.encoder,
          runtimeBitrate: pipeline.encoder.runtimeBitrate,
          frameBytes: frame.data.length,
          width: pipeline.size.width,
          height: pipeline.size.height,
          fps: frame.description.frameRate[0] / frame.description.frameRate[1],
        },
        now,
      );
      try {
        if (decision !== undefined && Math.round(decision.bitrateBps) !== Math.round(pipeline.bitrateBps))
          pipeline.setBitrate(decision.bitrateBps);
        if (decision?.size !== undefined) {
          const { width, height, fps } = decision.size;
          const rateChanged = fps !== undefined && Math.abs(fps - pipeline.fps) > 0.01;
          if (width !== pipeline.size.width || height !== pipeline.size.height || rateChanged) {
            this.log.info({ width, height, fps: fps ?? pipeline.fps }, 'picture size changed (ladder)');
            pipeline.resize(width, height, fps);
          }
        }
      } catch (error) {
        this.log.warn({ err: describeError(error) }, 'rate decision not applied');
      }
    }
  }

  #onPipelineError(error: unknown): void {
    this.log.error({ err: describeError(error) }, 'pipeline failed; closing viewers');
    this.#pipeline = null;
    this.#codec = null;
    for (const v of [...this.#viewers])
      v.close(CLOSE_CODES.pipelineFailed, `stream failed: ${describeError(error)}`);
  }

  #scheduleStop(): void {
    if (this.#viewers.size > 0 || this.#stopTimer !== undefined) return;
    this.#stopTimer = setTimeout(() => {
      this.#stopTimer = undefined;
      if (this.#viewers.size === 0) void this.#stopPipeline();
    }, this.#o.idleStopMs);
  }

  async #stopPipeline(): Promise<void> {
    const starting = this.#starting;
    if (starting !== null) await starting.catch(() => undefined);
    const pipeline = this.#pipeline;
    this.#pipeline = null;
    this.#codec = null;
    this.#keyframeRequestedMs = null;
    if (pipeline !== null) {
      await pipeline.stop();
      this.log.info('pipeline stopped (no viewers)');
    }
  }
}
