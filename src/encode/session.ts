/**
 * EncoderSession: one live or file encode that outlives any single encoder. It applies bitrate
 * changes (live where the encoder can, otherwise by reopening, which costs one keyframe), forces
 * keyframes on demand, and fails over to the next candidate encoder when one fails, from the
 * frame that failed, starting with a keyframe.
 */
import type { CodecContext, Frame } from 'node-av/lib';
import { FilterAPI } from 'node-av/api';
import { describeError, QuadStreamError } from '../core/errors.ts';
import type { Codec } from '../core/units.ts';
import { VideoEncoder, type EncodedPacket } from '../media/video-encoder.ts';
import type { EncoderInfo } from './catalogue.ts';
import { oneFrameBufferBits, resolveSettings, type EncodeIntent, type ResolvedSettings } from './settings.ts';

/** A packet from the session, with the encoder that made it. */
export interface SessionPacket extends EncodedPacket {
  readonly encoder: string;
  readonly codec: Codec;
  /** Increments at every reopen or failover; a new generation starts with a keyframe. */
  readonly generation: number;
}

/** Something that happened to the session, for logs and the stream's figures. */
export type SessionEvent =
  | { readonly type: 'opened'; readonly encoder: string; readonly settings: ResolvedSettings }
  | {
      readonly type: 'failover';
      readonly from: string;
      readonly to: string;
      readonly reason: string;
      readonly frame: number;
    }
  | { readonly type: 'bitrate'; readonly bitrateBps: number; readonly applied: 'live' | 'reopen' }
  | { readonly type: 'size'; readonly width: number; readonly height: number; readonly fps: number }
  | { readonly type: 'keyframe-requested'; readonly frame: number };

/** Test-only fault injection: make an encoder fail when it is sent a given frame. */
export interface SessionFaults {
  readonly failEncoder?: string;
  /** Index (0-based, counted over the session) of the frame whose encode fails. */
  readonly failAtFrame?: number;
}

/** Options for {@link EncoderSession.open}. */
export interface EncoderSessionOptions {
  /** Encoders to use, best first (a decision's `candidates`, or one explicit encoder). */
  readonly candidates: readonly EncoderInfo[];
  readonly intent: EncodeIntent;
  /** Pixel format of the frames the caller passes; converted when an encoder wants another. */
  readonly inputPixelFormat?: 'yuv420p' | 'nv12' | 'yuv420p10le' | 'p010le';
  /** Bitrate bounds for {@link EncoderSession.setBitrate}, bits per second. */
  readonly minBitrateBps?: number;
  readonly maxBitrateBps?: number;
  readonly onEvent?: (event: SessionEvent) => void;
  /** Test-only hooks; never set in production code. */
  readonly faults?: SessionFaults;
}

type Lifecycle = 'open' | 'closed';

/** An encode that can change bitrate, take keyframe requests and survive a failing encoder. */
export class EncoderSession implements Disposable {
  readonly #options: EncoderSessionOptions;
  #intent: EncodeIntent;
  #encoder: VideoEncoder;
  #info: EncoderInfo;
  #candidateIndex: number;
  #converter: FilterAPI | null;
  #generation = 0;
  #frameIndex = 0;
  #keyframePending = false;
  #reopenPending = false;
  #state: Lifecycle = 'open';
  #faultFired = false;
  /** Failover reasons collected while opening, reported after the first success. */
  readonly events: SessionEvent[] = [];

  private constructor(
    options: EncoderSessionOptions,
    encoder: VideoEncoder,
    info: EncoderInfo,
    index: number,
  ) {
    this.#options = options;
    this.#intent = options.intent;
    this.#encoder = encoder;
    this.#info = info;
    this.#candidateIndex = index;
    this.#converter = makeConverter(options.inputPixelFormat, encoder.config.pixelFormat);
  }

  /** Opens the first candidate that opens; failed ones are reported as `failover` events. */
  static async open(options: EncoderSessionOptions): Promise<EncoderSession> {
    if (options.candidates.length === 0) {
      throw new QuadStreamError('config', 'encoder.none', 'no encoder to open: the candidate list is empty');
    }
    const failures: SessionEvent[] = [];
    for (let i = 0; i < options.candidates.length; i++) {
      const info = options.candidates[i]!;
      try {
        const encoder = await VideoEncoder.open(resolveSettings(info, options.intent));
        const session = new EncoderSession(options, encoder, info, i);
        for (const f of failures) session.#emit(f);
        session.#emit({ type: 'opened', encoder: info.name, settings: encoder.config as ResolvedSettings });
        return session;
      } catch (error) {
        const next = options.candidates[i + 1];
        if (next === undefined) {
          throw new QuadStreamError(
            'encode',
            'encoder.all-failed',
            `no encoder could be opened; last: ${describeError(error)}`,
            {
              cause: error,
            },
          );
        }
        failures.push({
          type: 'failover',
          from: info.name,
          to: next.name,
          reason: describeError(error),
          frame: 0,
        });
      }
    }
    throw new QuadStreamError('internal', 'encoder.unreachable', 'unreachable');
  }

  /** The encoder in use now. */
  get encoder(): EncoderInfo {
    return this.#info;
  }

  /** The resolved settings of the encoder in use (exact FFmpeg options). */
  get settings(): ResolvedSettings {
    return this.#encoder.config as ResolvedSettings;
  }

  /** Current target bitrate in bits per second, if bitrate-controlled. */
  get bitrateBps(): number | undefined {
    return this.#intent.bitrateBps;
  }

  /** Frames passed to {@link encode} so far. */
  get framesIn(): number {
    return this.#frameIndex;
  }

  /** The current encoder's codec context (for muxers that copy its parameters). */
  get codecContext(): CodecContext {
    return this.#encoder.context;
  }

  /** Codec headers of the current encoder when `globalHeader` was asked for. */
  get extraData(): Buffer | null {
    return this.#encoder.extraData;
  }

  /** The next frame passed to {@link encode} will be a keyframe. */
  requestKeyframe(): void {
    this.#keyframePending = true;
    this.#emit({ type: 'keyframe-requested', frame: this.#frameIndex });
  }

  /**
   * Sets the target bitrate (clamped to the session's bounds). Applied live on the next frame by
   * encoders that support it; otherwise the encoder is reopened before the next frame, which
   * makes that frame a keyframe.
   */
  setBitrate(bitrateBps: number): void {
    const min = this.#options.minBitrateBps ?? 1;
    const max = this.#options.maxBitrateBps ?? Number.MAX_SAFE_INTEGER;
    const b = Math.round(Math.min(max, Math.max(min, bitrateBps)));
    if (!Number.isFinite(b))
      throw new QuadStreamError('internal', 'encoder.bad-bitrate', `bitrate is not a number: ${bitrateBps}`);
    this.#intent = { ...this.#intent, bitrateBps: b };
    if (this.#info.runtimeBitrate) {
      const settings = resolveSettings(this.#info, this.#intent);
      const [n, d] = this.#intent.frameRate;
      this.#encoder.setBitrate(
        b,
        settings.maxBitrateBps ?? b,
        settings.bufferBits ?? oneFrameBufferBits(b, n / d),
      );
      this.#emit({ type: 'bitrate', bitrateBps: b, applied: 'live' });
    } else {
      this.#reopenPending = true;
      this.#emit({ type: 'bitrate', bitrateBps: b, applied: 'reopen' });
    }
  }

  /**
   * Changes the picture size, and with `frameRate` the frame rate: the encoder is reopened at
   * them before the next frame, which must have that size (and is a keyframe of a new
   * generation); frames' `pts` are then in the new rate's time base.
   */
  setSize(
    width: number,
    height: number,
    frameRate: readonly [number, number] = this.#intent.frameRate,
  ): void {
    if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0))
      throw new QuadStreamError('internal', 'encoder.bad-size', `bad picture size ${width}x${height}`);
    const [num, den] = frameRate;
    if (!(Number.isInteger(num) && Number.isInteger(den) && num > 0 && den > 0))
      throw new QuadStreamError('internal', 'encoder.bad-rate', `bad frame rate ${num}/${den}`);
    const [n0, d0] = this.#intent.frameRate;
    if (width === this.#intent.width && height === this.#intent.height && num * d0 === n0 * den) return;
    this.#intent = { ...this.#intent, width, height, frameRate: [num, den] };
    this.#reopenPending = true;
    this.#emit({ type: 'size', width, height, fps: num / den });
  }

  /**
   * Encodes one frame (its `pts` in the encoder's time base, 1/fps unless the intent says
   * otherwise) and returns the packets that came out. If the encoder fails, the session moves
   * to the next candidate and encodes this frame there as a keyframe.
   */
  async encode(frame: Frame): Promise<SessionPacket[]> {
    this.#assertOpen();
    const index = this.#frameIndex++;
    // Taken before the first await: a request made while this frame is on its way is for the next.
    let keyframe = this.#keyframePending;
    this.#keyframePending = false;
    const out: SessionPacket[] = [];
    if (this.#reopenPending) {
      this.#reopenPending = false;
      out.push(...(await this.#reopen(this.#info, this.#candidateIndex)));
    }
    const input = await this.#convert(frame);
    try {
      for (;;) {
        try {
          this.#maybeFault(index);
          const packets = await this.#encoder.encode(input, keyframe);
          out.push(...packets.map((p) => this.#tag(p)));
          return out;
        } catch (error) {
          const next = this.#options.candidates[this.#candidateIndex + 1];
          if (next === undefined) throw error;
          const from = this.#info.name;
          this.#emit({ type: 'failover', from, to: next.name, reason: describeError(error), frame: index });
          // The failed encoder's delayed frames are lost with it; with low-latency settings there are none.
          this.#encoder.close();
          await this.#openAt(this.#candidateIndex + 1);
          keyframe = true;
        }
      }
    } finally {
      if (input !== frame) input.free();
    }
  }

  /** Flushes the encoder and returns its delayed packets. The session stays open. */
  async flush(): Promise<SessionPacket[]> {
    this.#assertOpen();
    const packets = await this.#encoder.encode(null);
    return packets.map((p) => this.#tag(p));
  }

  /** Closes the encoder (delayed packets not flushed are dropped); idempotent. */
  close(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#encoder.close();
    this.#converter?.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  async #reopen(info: EncoderInfo, index: number): Promise<SessionPacket[]> {
    const delayed = (await this.#encoder.encode(null)).map((p) => this.#tag(p));
    this.#encoder.close();
    this.#encoder = await VideoEncoder.open(resolveSettings(info, this.#intent));
    this.#info = info;
    this.#candidateIndex = index;
    // A new encoder's first frame is a keyframe by itself.
    this.#generation++;
    return delayed;
  }

  async #openAt(index: number): Promise<void> {
    for (let i = index; i < this.#options.candidates.length; i++) {
      const info = this.#options.candidates[i]!;
      try {
        this.#encoder = await VideoEncoder.open(resolveSettings(info, this.#intent));
        this.#info = info;
        this.#candidateIndex = i;
        this.#generation++;
        this.#converter?.close();
        this.#converter = makeConverter(this.#options.inputPixelFormat, this.#encoder.config.pixelFormat);
        this.#emit({
          type: 'opened',
          encoder: info.name,
          settings: this.#encoder.config as ResolvedSettings,
        });
        return;
      } catch (error) {
        const next = this.#options.candidates[i + 1];
        if (next === undefined) {
          this.#state = 'closed';
          throw new QuadStreamError(
            'encode',
            'encoder.all-failed',
            `every encoder failed; last: ${describeError(error)}`,
            { cause: error },
          );
        }
        this.#emit({
          type: 'failover',
          from: info.name,
          to: next.name,
          reason: describeError(error),
          frame: this.#frameIndex - 1,
        });
      }
    }
  }

  async #convert(frame: Frame): Promise<Frame> {
    if (this.#converter === null) return frame;
    const frames = await this.#converter.processAll(frame);
    const first = frames[0];
    if (first === undefined)
      throw new QuadStreamError('internal', 'encoder.convert', 'pixel format conversion produced no frame');
    for (const extra of frames.slice(1)) extra.free();
    return first;
  }

  #maybeFault(index: number): void {
    const f = this.#options.faults;
    if (this.#faultFired || f === undefined) return;
    if (f.failAtFrame === index && (f.failEncoder === undefined || f.failEncoder === this.#info.name)) {
      this.#faultFired = true;
      throw new QuadStreamError(
        'encode',
        'encoder.injected-fault',
        `${this.#info.name}: injected fault at frame ${index}`,
      );
    }
  }

  #tag(p: EncodedPacket): SessionPacket {
    return { ...p, encoder: this.#info.name, codec: this.#info.codec, generation: this.#generation };
  }

  #emit(event: SessionEvent): void {
    this.events.push(event);
    if (this.events.length > 1000) this.events.splice(0, this.events.length - 1000);
    this.#options.onEvent?.(event);
  }

  #assertOpen(): void {
    if (this.#state === 'closed')
      throw new QuadStreamError('internal', 'encoder.closed', 'the encoder session is closed');
  }
}

function makeConverter(from: string | undefined, to: string): FilterAPI | null {
  if (from === undefined || from === to) return null;
  return FilterAPI.create(`format=${to}`);
}
