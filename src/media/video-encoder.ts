/**
 * A video encoder over node-av's CodecContext: open with explicit settings, feed frames, get
 * packets, change the bitrate between frames. The only place encoders are opened.
 */
import type { Frame } from 'node-av/lib';
import { Codec, CodecContext, Dictionary, Packet, Rational } from 'node-av/lib';
import {
  AVERROR_EAGAIN,
  AVERROR_EOF,
  AV_CODEC_FLAG_GLOBAL_HEADER,
  AV_PICTURE_TYPE_I,
  AV_PICTURE_TYPE_NONE,
} from 'node-av/constants';
import { QuadStreamError } from '../core/errors.ts';
import { avErrorText, checkAv } from './av-error.ts';
import { ensureFfmpegLog } from './ffmpeg-log.ts';
import { HardwareUploader, type HardwareFramesApi } from './hardware.ts';
import { avPixelFormat, type PixelFormatName } from './pixel-format.ts';

/** Everything needed to open an encoder. Bitrates in bits per second. */
export interface VideoEncoderConfig {
  /** FFmpeg encoder name, e.g. `libx264`. */
  readonly encoder: string;
  readonly width: number;
  readonly height: number;
  /** Pixel format of the frames passed to {@link VideoEncoder.encode}. */
  readonly pixelFormat: PixelFormatName;
  /** Frame rate as a fraction `[num, den]`. */
  readonly frameRate: readonly [number, number];
  /** Time base of frame and packet timestamps, `[num, den]`; defaults to 1/frame rate. */
  readonly timeBase?: readonly [number, number];
  readonly bitrateBps?: number;
  readonly maxBitrateBps?: number;
  /** Minimum rate; equal to bitrate and maximum asks libvpx for CBR. */
  readonly minBitrateBps?: number;
  /** VBV/HRD buffer size in bits (with `maxBitrateBps`, enables live bitrate changes on x264). */
  readonly bufferBits?: number;
  /** Keyframe interval in frames; 0 or absent leaves the encoder's default; -1 means never (on demand). */
  readonly gopFrames?: number;
  readonly maxBFrames?: number;
  readonly threads?: number;
  /** Put codec headers in extradata (MP4/MKV) instead of in-band. */
  readonly globalHeader?: boolean;
  /** Private options (`preset`, `crf`, `tune`, `x264-params`, …). */
  readonly options?: Readonly<Record<string, string>>;
  /** Upload frames to this hardware API's frames context before encoding. */
  readonly hardwareFrames?: HardwareFramesApi;
}

/** AVCodecContext options every encoder accepts besides its private ones. */
const GENERIC_OPTIONS = new Set([
  'g',
  'bf',
  'b',
  'maxrate',
  'minrate',
  'bufsize',
  'threads',
  'flags',
  'qmin',
  'qmax',
  'profile',
  'level',
  'forced-idr',
]);

/** An encoded packet, copied out of FFmpeg. Timestamps in the encoder's time base. */
export interface EncodedPacket {
  readonly data: Buffer;
  readonly pts: bigint;
  readonly dts: bigint;
  readonly duration: bigint;
  readonly keyframe: boolean;
}

/** An open encoder. Not safe for concurrent `encode` calls: await each one. */
export class VideoEncoder implements Disposable {
  readonly config: VideoEncoderConfig;
  readonly #ctx: CodecContext;
  readonly #packet: Packet;
  readonly #uploader: HardwareUploader | null;
  #closed = false;
  #flushed = false;

  private constructor(config: VideoEncoderConfig, ctx: CodecContext, uploader: HardwareUploader | null) {
    this.config = config;
    this.#ctx = ctx;
    this.#uploader = uploader;
    this.#packet = new Packet();
    this.#packet.alloc();
  }

  /** Opens an encoder. Unknown or rejected options fail here, naming the encoder. */
  static async open(config: VideoEncoderConfig): Promise<VideoEncoder> {
    ensureFfmpegLog();
    const codec = Codec.findEncoderByName(config.encoder as Parameters<typeof Codec.findEncoderByName>[0]);
    if (codec === null) {
      throw new QuadStreamError(
        'config',
        'encoder.unknown',
        `${config.encoder}: no such encoder in this FFmpeg build`,
      );
    }
    let uploader: HardwareUploader | null = null;
    const ctx = new CodecContext();
    ctx.allocContext3(codec);
    try {
      ctx.width = config.width;
      ctx.height = config.height;
      const [rn, rd] = config.frameRate;
      const [tn, td] = config.timeBase ?? [rd, rn];
      ctx.framerate = new Rational(rn, rd);
      ctx.timeBase = new Rational(tn, td);
      const swFormat = avPixelFormat(config.pixelFormat);
      if (config.hardwareFrames !== undefined) {
        uploader = HardwareUploader.open(config.hardwareFrames, config.width, config.height, swFormat);
        ctx.pixelFormat = uploader.frames.format;
        ctx.hwFramesCtx = uploader.frames;
      } else {
        ctx.pixelFormat = swFormat;
      }
      if (config.bitrateBps !== undefined) ctx.bitRate = BigInt(Math.round(config.bitrateBps));
      if (config.maxBitrateBps !== undefined) ctx.rcMaxRate = BigInt(Math.round(config.maxBitrateBps));
      if (config.minBitrateBps !== undefined) ctx.rcMinRate = BigInt(Math.round(config.minBitrateBps));
      if (config.bufferBits !== undefined) ctx.rcBufferSize = Math.round(config.bufferBits);
      if (config.gopFrames !== undefined && config.gopFrames !== 0) ctx.gopSize = config.gopFrames;
      if (config.maxBFrames !== undefined) ctx.maxBFrames = config.maxBFrames;
      if (config.threads !== undefined) ctx.threadCount = config.threads;
      if (config.globalHeader === true) ctx.setFlags(AV_CODEC_FLAG_GLOBAL_HEADER);
      const options = { ...(config.options ?? {}) };
      const known = new Set(codec.getOptions().map((o) => o.name));
      const unknown = Object.keys(options).filter((k) => !known.has(k) && !GENERIC_OPTIONS.has(k));
      if (unknown.length > 0) {
        throw new QuadStreamError(
          'config',
          'encoder.unknown-option',
          `${config.encoder}: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`,
          { subject: config.encoder },
        );
      }
      const dict = Dictionary.fromObject(options);
      try {
        const ret = await ctx.open2(codec, dict);
        if (ret < 0) {
          throw new QuadStreamError(
            'encode',
            'encoder.open-failed',
            `${config.encoder}: open failed: ${avErrorText(ret)}`,
            {
              subject: config.encoder,
            },
          );
        }
      } finally {
        dict.free();
      }
      return new VideoEncoder(config, ctx, uploader);
    } catch (error) {
      ctx.freeContext();
      uploader?.close();
      throw error;
    }
  }

  /** Codec headers when `globalHeader` was set (SPS/PPS, hvcC payload, …). */
  get extraData(): Buffer | null {
    return this.#ctx.extraData;
  }

  /** The underlying context, for muxers that copy parameters from it. */
  get context(): CodecContext {
    return this.#ctx;
  }

  /**
   * Encodes one frame and returns the packets that came out (zero or more). Pass `keyframe` to
   * force an IDR/key picture for this frame. Pass `null` to flush: returns the delayed packets.
   */
  async encode(frame: Frame | null, keyframe = false): Promise<EncodedPacket[]> {
    if (this.#closed)
      throw new QuadStreamError('internal', 'encoder.closed', `${this.config.encoder}: encoder is closed`);
    if (frame === null) {
      if (this.#flushed) return [];
      this.#flushed = true;
      checkAv(await this.#ctx.sendFrame(null), `${this.config.encoder}: flush`);
      return this.#drain();
    }
    frame.pictType = keyframe ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
    let toSend = frame;
    let uploaded: Frame | null = null;
    if (this.#uploader !== null) {
      uploaded = await this.#uploader.upload(frame);
      uploaded.pictType = frame.pictType;
      toSend = uploaded;
    }
    try {
      let ret = await this.#ctx.sendFrame(toSend);
      const out: EncodedPacket[] = [];
      if (ret === AVERROR_EAGAIN) {
        // The encoder's output queue is full: take packets out, then send again.
        out.push(...(await this.#drain()));
        ret = await this.#ctx.sendFrame(toSend);
      }
      checkAv(ret, `${this.config.encoder}: send frame`);
      out.push(...(await this.#drain()));
      return out;
    } finally {
      uploaded?.free();
    }
  }

  async #drain(): Promise<EncodedPacket[]> {
    const out: EncodedPacket[] = [];
    for (;;) {
      const ret = await this.#ctx.receivePacket(this.#packet);
      if (ret === AVERROR_EAGAIN || ret === AVERROR_EOF) return out;
      checkAv(ret, `${this.config.encoder}: receive packet`);
      const data = this.#packet.data;
      out.push({
        data: data === null ? Buffer.alloc(0) : Buffer.from(data),
        pts: this.#packet.pts,
        dts: this.#packet.dts,
        duration: this.#packet.duration,
        keyframe: this.#packet.isKeyframe,
      });
      this.#packet.unref();
    }
  }

  /**
   * Changes the target bitrate for the following frames. Encoders that read it between frames
   * (x264 with VBV, nvenc, qsv) apply it on the next frame; others ignore it (reopen instead).
   */
  setBitrate(bitrateBps: number, maxBitrateBps: number, bufferBits: number): void {
    this.#ctx.bitRate = BigInt(Math.round(bitrateBps));
    this.#ctx.rcMaxRate = BigInt(Math.round(maxBitrateBps));
    this.#ctx.rcBufferSize = Math.round(bufferBits);
  }

  /** Frees the encoder; idempotent. Delayed packets not flushed are discarded. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#packet.free();
    this.#ctx.freeContext();
    this.#uploader?.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
