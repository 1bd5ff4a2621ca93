/**
 * Writes encoded video packets into a container file (MP4, MKV, WebM, IVF, raw …, chosen by the
 * extension or `format`). Used by tests and tools that need a file from an encoder's packets;
 * the file encoder's muxer (with audio) builds on the same calls.
 */
import { FormatContext, Packet, type CodecContext, type Rational } from 'node-av/lib';
import { AV_PKT_FLAG_KEY } from 'node-av/constants';
import { QuadStreamError } from '../core/errors.ts';
import { checkAv } from './av-error.ts';
import { ensureFfmpegLog } from './ffmpeg-log.ts';
import type { EncodedPacket } from './video-encoder.ts';

/** A container with one video stream; call {@link VideoFileWriter.finish} to write the trailer. */
export class VideoFileWriter implements AsyncDisposable {
  readonly path: string;
  readonly #fmt: FormatContext;
  readonly #srcTimeBase: Rational;
  readonly #packet: Packet;
  #open = true;

  private constructor(path: string, fmt: FormatContext, srcTimeBase: Rational) {
    this.path = path;
    this.#fmt = fmt;
    this.#srcTimeBase = srcTimeBase;
    this.#packet = new Packet();
    this.#packet.alloc();
  }

  /** Creates `path` with one stream described by an open encoder's context. */
  static async open(path: string, encoder: CodecContext, format?: string): Promise<VideoFileWriter> {
    ensureFfmpegLog();
    const fmt = new FormatContext();
    checkAv(
      fmt.allocOutputContext2(null, format ?? null, path),
      'choose container',
      'input',
      'output.format',
      path,
    );
    const stream = fmt.newStream(null);
    checkAv(stream.codecpar.fromContext(encoder), 'copy codec parameters', 'internal', 'output.params', path);
    stream.timeBase = encoder.timeBase;
    stream.avgFrameRate = encoder.framerate;
    const ret = await fmt.openOutput();
    if (ret < 0) {
      fmt.freeContext();
      checkAv(ret, 'open for writing', 'input', 'output.unwritable', path);
    }
    checkAv(await fmt.writeHeader(null), 'write header', 'encode', 'output.header', path);
    return new VideoFileWriter(path, fmt, encoder.timeBase);
  }

  /** Writes one packet (timestamps in the encoder's time base). */
  async write(packet: EncodedPacket): Promise<void> {
    if (!this.#open) throw new QuadStreamError('internal', 'output.closed', `${this.path}: writer is closed`);
    const p = this.#packet;
    p.data = packet.data;
    p.pts = packet.pts;
    p.dts = packet.dts;
    p.duration = packet.duration;
    p.flags = packet.keyframe ? AV_PKT_FLAG_KEY : (0 as typeof AV_PKT_FLAG_KEY);
    p.streamIndex = 0;
    const stream = this.#fmt.streams[0]!;
    p.rescaleTs(this.#srcTimeBase, stream.timeBase);
    checkAv(await this.#fmt.interleavedWriteFrame(p), 'write packet', 'encode', 'output.write', this.path);
    p.unref();
  }

  /** Writes the trailer and closes the file. */
  async finish(): Promise<void> {
    if (!this.#open) return;
    this.#open = false;
    try {
      checkAv(await this.#fmt.writeTrailer(), 'write trailer', 'encode', 'output.trailer', this.path);
    } finally {
      await this.#release();
    }
  }

  async #release(): Promise<void> {
    this.#packet.free();
    await this.#fmt.closeOutput();
    this.#fmt.freeContext();
  }

  /** Closes without a trailer if {@link finish} was not called (the file is then incomplete). */
  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#open) return;
    this.#open = false;
    await this.#release();
  }
}
