/**
 * A video decoder over node-av's CodecContext, with the behaviour the file encoder needs spelled
 * out: frames keep their best-effort timestamp as `pts`, frames the decoder flags as damaged are
 * counted (and still returned), and a packet the decoder rejects is counted instead of thrown, so
 * that every pass over a file decodes the same frames.
 */
import type { Stream } from 'node-av/lib';
import { Codec, CodecContext, Dictionary, Frame, Rational } from 'node-av/lib';
import { AVERROR_EAGAIN, AVERROR_EOF, AV_FRAME_FLAG_CORRUPT, AV_FRAME_FLAG_KEY } from 'node-av/constants';
import type { Packet } from 'node-av/lib';
import { QuadStreamError } from '../core/errors.ts';
import { avErrorText } from './av-error.ts';
import { ensureFfmpegLog } from './ffmpeg-log.ts';

/** Options for {@link VideoDecoder.open}. */
export interface VideoDecoderOptions {
  /** Decoder threads; 0 lets FFmpeg choose from the cores. */
  readonly threads?: number;
  /** Private decoder options (e.g. `skip_loop_filter: 'all'` for a fast analysis decode). */
  readonly options?: Readonly<Record<string, string>>;
}

/** A decoded frame handed to the caller, who frees it (`using`). */
export interface DecodedFrame extends Disposable {
  readonly frame: Frame;
  /** Presentation time in the stream's time base (FFmpeg's best-effort timestamp). */
  readonly pts: bigint;
  readonly keyframe: boolean;
  /** The decoder concealed errors in this frame. */
  readonly damaged: boolean;
}

/** Decodes one video stream. Not safe for concurrent calls: await each one. */
export class VideoDecoder implements Disposable {
  readonly #ctx: CodecContext;
  readonly #subject: string;
  readonly #timeBase: Rational;
  #rejectedPackets = 0;
  #damagedFrames = 0;
  #lastPts: bigint | null = null;
  #closed = false;

  private constructor(ctx: CodecContext, subject: string, timeBase: Rational) {
    this.#ctx = ctx;
    this.#subject = subject;
    this.#timeBase = timeBase;
  }

  /** Opens a decoder for `stream`; `subject` (the file) names it in errors. */
  static async open(
    stream: Stream,
    subject: string,
    options: VideoDecoderOptions = {},
  ): Promise<VideoDecoder> {
    ensureFfmpegLog();
    const codec = Codec.findDecoder(stream.codecpar.codecId);
    if (codec === null) {
      throw new QuadStreamError('input', 'input.no-decoder', `${subject}: no decoder for its video codec`, {
        subject,
      });
    }
    const ctx = new CodecContext();
    ctx.allocContext3(codec);
    try {
      const ret = ctx.parametersToContext(stream.codecpar);
      if (ret < 0) throw decodeError(subject, 'read codec parameters', ret);
      ctx.pktTimebase = stream.timeBase;
      ctx.threadCount = options.threads ?? 0;
      using dict = Dictionary.fromObject({ ...(options.options ?? {}) });
      const open = await ctx.open2(codec, dict);
      if (open < 0) throw decodeError(subject, 'open the decoder', open);
      return new VideoDecoder(ctx, subject, new Rational(stream.timeBase.num, stream.timeBase.den));
    } catch (error) {
      ctx.freeContext();
      throw error;
    }
  }

  /** Packets the decoder rejected so far (their frames are missing). */
  get rejectedPackets(): number {
    return this.#rejectedPackets;
  }

  /** Frames the decoder returned with concealed errors so far. */
  get damagedFrames(): number {
    return this.#damagedFrames;
  }

  /** Sends one packet (or `null` to flush) and returns the frames that came out, in display order. */
  async decode(packet: Packet | null): Promise<DecodedFrame[]> {
    if (this.#closed)
      throw new QuadStreamError('internal', 'decoder.closed', `${this.#subject}: decoder is closed`);
    const out: DecodedFrame[] = [];
    let ret = await this.#ctx.sendPacket(packet);
    if (ret === AVERROR_EAGAIN) {
      await this.#drain(out);
      ret = await this.#ctx.sendPacket(packet);
    }
    if (ret < 0 && ret !== AVERROR_EOF) {
      if (packet === null) throw decodeError(this.#subject, 'flush the decoder', ret);
      this.#rejectedPackets++;
    }
    await this.#drain(out);
    return out;
  }

  async #drain(out: DecodedFrame[]): Promise<void> {
    for (;;) {
      const frame = new Frame();
      frame.alloc();
      const ret = await this.#ctx.receiveFrame(frame);
      if (ret === AVERROR_EAGAIN || ret === AVERROR_EOF) {
        frame.free();
        return;
      }
      if (ret < 0) {
        frame.free();
        // A decoding error on one frame: count it like a rejected packet and go on.
        this.#rejectedPackets++;
        continue;
      }
      let pts = frame.bestEffortTimestamp;
      // A frame without any timestamp continues from the previous one by its duration.
      if (pts === NOPTS)
        pts = this.#lastPts === null ? 0n : this.#lastPts + (frame.duration > 0n ? frame.duration : 1n);
      frame.pts = pts;
      // Filters downstream read the time base from the frame.
      frame.timeBase = this.#timeBase;
      this.#lastPts = pts;
      const damaged = frame.decodeErrorFlags !== 0 || frame.hasFlags(AV_FRAME_FLAG_CORRUPT);
      if (damaged) this.#damagedFrames++;
      out.push({
        frame,
        pts,
        keyframe: frame.hasFlags(AV_FRAME_FLAG_KEY),
        damaged,
        [Symbol.dispose]: () => frame.free(),
      });
    }
  }

  /** Frees the decoder; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#ctx.freeContext();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** FFmpeg's "no timestamp" value. */
const NOPTS = -0x8000000000000000n;

function decodeError(subject: string, what: string, ret: number): QuadStreamError {
  return new QuadStreamError(
    'input',
    'input.decode-failed',
    `${subject}: could not ${what}: ${avErrorText(ret)}`,
    {
      subject,
    },
  );
}
