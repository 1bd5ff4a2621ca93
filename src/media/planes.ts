/**
 * Decodes a video file into its frames' 8-bit luma planes, in presentation order, for picture
 * quality metrics (VMAF uses luma only). Optionally rescales every frame with swscale first (the
 * way FFmpeg's `scale` filter would before `libvmaf`).
 */
import { Decoder, Demuxer } from 'node-av/api';
import { AV_PIX_FMT_YUV420P, SWS_BICUBIC, type AVPixelFormat, type SwsFlags } from 'node-av/constants';
import { avGetPixFmtName, FFmpegError, Frame, SoftwareScaleContext } from 'node-av/lib';
import { describeError, QuadStreamError } from '../core/errors.ts';
import { ensureFfmpegLog } from './ffmpeg-log.ts';

/** One decoded frame's luma plane, tightly packed (`stride === width`); the caller owns `data`. */
export interface LumaFrame {
  /** Frame number in presentation order, from 0. */
  readonly index: number;
  /** Luma samples, `width * height` bytes, row after row. */
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  /** Always equal to `width`. */
  readonly stride: number;
}

/** Options of {@link decodeLumaPlanes}. */
export interface LumaPlaneOptions {
  /** Rescale every frame to this size before taking its luma (swscale, bicubic by default). */
  readonly scaleTo?: { readonly width: number; readonly height: number };
  /** swscale algorithm flags for `scaleTo` (`SWS_BICUBIC`, FFmpeg's default for `scale`). */
  readonly scaleFlags?: SwsFlags;
  /** Stops decoding; the generator then throws the signal's reason. */
  readonly signal?: AbortSignal;
}

/**
 * Planar or semi-planar formats whose first plane is 8-bit luma, usable as they are (full-range
 * `yuvj` formats included: only the samples matter to the metrics).
 */
const LUMA_8BIT = new Set([
  'yuv420p',
  'yuvj420p',
  'yuv422p',
  'yuvj422p',
  'yuv444p',
  'yuvj444p',
  'yuv440p',
  'yuvj440p',
  'yuv411p',
  'yuvj411p',
  'yuv410p',
  'yuva420p',
  'yuva422p',
  'yuva444p',
  'gray',
  'nv12',
  'nv21',
  'nv16',
  'nv24',
  'nv42',
]);

/**
 * Bits per sample of a pixel format, from its name: a `9`…`16` before the endianness suffix
 * (`yuv420p10le`, `p010le`, `gray12be`; `nv20` is 10-bit), 16 for float and 48/64-bit RGB, else 8.
 */
function bitsPerSample(name: string): number {
  const depth = /(9|10|12|14|16|20|32)(le|be)$/.exec(name)?.[1];
  if (depth !== undefined) return depth === '20' ? 10 : Number(depth);
  return /f16|f32|48|64/.test(name) ? 16 : 8;
}

/**
 * Decodes `path`'s best video stream and yields each frame's luma plane in presentation order.
 * Throws a {@link QuadStreamError} of kind `input` for files without video, unreadable files and
 * pixel formats above 8 bits (`input.unsupported-bit-depth`).
 */
export async function* decodeLumaPlanes(
  path: string,
  options: LumaPlaneOptions = {},
): AsyncGenerator<LumaFrame, void, undefined> {
  ensureFfmpegLog();
  let input: Demuxer;
  try {
    input = await Demuxer.open(path);
  } catch (cause) {
    throw new QuadStreamError('input', 'input.unreadable', `${path}: cannot open (${describeError(cause)})`, {
      cause,
      subject: path,
    });
  }
  await using demuxer = input;
  const stream = demuxer.video();
  if (stream === undefined) {
    throw new QuadStreamError('input', 'input.no-video', `${path}: no video stream`, { subject: path });
  }
  using decoder = await Decoder.create(stream);
  using scaler = new LumaScaler(path, options);
  let index = 0;
  try {
    for await (using frame of decoder.frames(demuxer.packets(stream.index))) {
      if (frame === null) break;
      options.signal?.throwIfAborted();
      yield await scaler.luma(frame, index);
      index += 1;
    }
  } catch (cause) {
    if (cause instanceof QuadStreamError || options.signal?.aborted === true) throw cause;
    throw new QuadStreamError('input', 'input.decode-failed', `${path}: decoding failed at frame ${index}`, {
      cause,
      subject: path,
    });
  }
}

/** Checks formats, rescales when asked, and copies the luma plane out of a decoded frame. */
class LumaScaler implements Disposable {
  readonly #path: string;
  readonly #options: LumaPlaneOptions;
  #sws: SoftwareScaleContext | undefined;
  #out: Frame | undefined;
  #key = '';

  constructor(path: string, options: LumaPlaneOptions) {
    this.#path = path;
    this.#options = options;
  }

  async luma(frame: Frame, index: number): Promise<LumaFrame> {
    const format = frame.format as AVPixelFormat;
    const name = avGetPixFmtName(format) ?? `format ${String(format)}`;
    const bits = bitsPerSample(name);
    if (bits > 8) {
      throw new QuadStreamError(
        'input',
        'input.unsupported-bit-depth',
        `${this.#path}: ${bits}-bit video (${name}) is not supported yet; only 8-bit input can be scored`,
        { subject: this.#path },
      );
    }
    const target = this.#options.scaleTo;
    const sameSize = target === undefined || (target.width === frame.width && target.height === frame.height);
    if (sameSize && LUMA_8BIT.has(name)) return copyLuma(frame, frame.width, frame.height, index);
    const width = target?.width ?? frame.width;
    const height = target?.height ?? frame.height;
    const outFormat = LUMA_8BIT.has(name) && !name.startsWith('nv') ? format : AV_PIX_FMT_YUV420P;
    const out = this.#prepare(frame, format, width, height, outFormat);
    const ret = await (this.#sws as SoftwareScaleContext).scaleFrame(out, frame);
    FFmpegError.throwIfError(ret, 'sws_scale_frame');
    return copyLuma(out, width, height, index);
  }

  #prepare(
    frame: Frame,
    format: AVPixelFormat,
    width: number,
    height: number,
    outFormat: AVPixelFormat,
  ): Frame {
    const key = `${frame.width}x${frame.height}/${format}->${width}x${height}/${outFormat}`;
    if (key === this.#key && this.#out !== undefined) return this.#out;
    this[Symbol.dispose]();
    const sws = new SoftwareScaleContext();
    sws.getContext(
      frame.width,
      frame.height,
      format,
      width,
      height,
      outFormat,
      this.#options.scaleFlags ?? SWS_BICUBIC,
    );
    const out = new Frame();
    out.alloc();
    out.width = width;
    out.height = height;
    out.format = outFormat;
    FFmpegError.throwIfError(out.allocBuffer(), 'av_frame_get_buffer');
    this.#sws = sws;
    this.#out = out;
    this.#key = key;
    return out;
  }

  [Symbol.dispose](): void {
    this.#sws?.freeContext();
    this.#out?.free();
    this.#sws = undefined;
    this.#out = undefined;
    this.#key = '';
  }
}

function copyLuma(frame: Frame, width: number, height: number, index: number): LumaFrame {
  const plane = frame.data?.[0];
  const stride = frame.linesize[0] ?? 0;
  if (plane === undefined || stride < width) {
    throw new QuadStreamError('internal', 'internal.no-luma', `decoded frame ${index} has no luma plane`);
  }
  const data = new Uint8Array(width * height);
  if (stride === width) data.set(plane.subarray(0, width * height));
  else for (let y = 0; y < height; ++y) data.set(plane.subarray(y * stride, y * stride + width), y * width);
  return { index, data, width, height, stride: width };
}
