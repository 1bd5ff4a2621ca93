/**
 * A muxer for several streams whose packets come from elsewhere (copied from files, or from
 * encoders): streams are described by codec parameters, packets are written with their source
 * time base and rescaled here. Used for the file encoder's audio files and its final output.
 */
import { Dictionary, FormatContext, Rational, type CodecParameters, type Packet } from 'node-av/lib';
import type { AVPacketSideDataType } from 'node-av/constants';
import { QuadStreamError } from '../core/errors.ts';
import { checkAv } from './av-error.ts';
import { ensureFfmpegLog } from './ffmpeg-log.ts';

/** One output stream. */
export interface OutputStreamSpec {
  /** Copied into the stream (codec, extradata, size, colour, …). */
  readonly parameters: CodecParameters;
  /** Time base of the packets that will be written to it, `[num, den]`. */
  readonly timeBase: readonly [number, number];
  /** Sample aspect ratio to store at stream level, if any. */
  readonly sampleAspectRatio?: readonly [number, number];
  /** Average frame rate hint for the container, if known. */
  readonly frameRate?: readonly [number, number];
  /** Stream side data to add (display matrix, mastering display, content light level). */
  readonly sideData?: readonly { readonly type: AVPacketSideDataType; readonly data: Buffer }[];
  /** A four-character code to force (e.g. `hvc1` for HEVC in MP4). */
  readonly codecTag?: string;
}

/** Writes packets to a container file; call {@link MediaWriter.finish} to complete it. */
export class MediaWriter implements AsyncDisposable {
  readonly path: string;
  readonly #fmt: FormatContext;
  readonly #sourceTimeBases: Rational[];
  #open = true;

  private constructor(path: string, fmt: FormatContext, sourceTimeBases: Rational[]) {
    this.path = path;
    this.#fmt = fmt;
    this.#sourceTimeBases = sourceTimeBases;
  }

  /**
   * Creates `path` in container `format` (FFmpeg muxer name such as `mp4`, `matroska`, `webm`,
   * `nut`) with `streams`, and writes the header. `options` are muxer options (e.g. `movflags`).
   */
  static async open(
    path: string,
    format: string,
    streams: readonly OutputStreamSpec[],
    options: Readonly<Record<string, string>> = {},
  ): Promise<MediaWriter> {
    ensureFfmpegLog();
    const fmt = new FormatContext();
    checkAv(
      fmt.allocOutputContext2(null, format, path),
      `choose container ${format}`,
      'config',
      'output.format',
      path,
    );
    let opened = false;
    try {
      for (const spec of streams) {
        const stream = fmt.newStream(null);
        checkAv(
          spec.parameters.copy(stream.codecpar),
          'copy stream parameters',
          'internal',
          'output.params',
          path,
        );
        stream.codecpar.codecTag = spec.codecTag ?? 0;
        stream.timeBase = new Rational(spec.timeBase[0], spec.timeBase[1]);
        if (spec.sampleAspectRatio !== undefined) {
          const sar = new Rational(spec.sampleAspectRatio[0], spec.sampleAspectRatio[1]);
          stream.sampleAspectRatio = sar;
          stream.codecpar.sampleAspectRatio = sar;
        }
        if (spec.frameRate !== undefined)
          stream.avgFrameRate = new Rational(spec.frameRate[0], spec.frameRate[1]);
        for (const sd of spec.sideData ?? []) stream.codecpar.addCodedSideData(sd.type, sd.data);
      }
      const ret = await fmt.openOutput();
      checkAv(ret, 'open for writing', 'config', 'output.unwritable', path);
      opened = true;
      using dict = Dictionary.fromObject({ ...options });
      checkAv(await fmt.writeHeader(dict), 'write the header', 'encode', 'output.header', path);
    } catch (error) {
      if (opened) await fmt.closeOutput();
      fmt.freeContext();
      throw error;
    }
    return new MediaWriter(
      path,
      fmt,
      streams.map((s) => new Rational(s.timeBase[0], s.timeBase[1])),
    );
  }

  /** Time base the muxer chose for stream `index` (known after the header is written). */
  timeBase(index: number): Rational {
    const s = this.#fmt.streams[index];
    if (s === undefined)
      throw new QuadStreamError('internal', 'output.stream', `${this.path}: no stream ${index}`);
    return s.timeBase;
  }

  /**
   * Writes `packet` (timestamps in the time base declared for stream `index`) to stream `index`.
   * The muxer takes the packet's data: the packet is left blank.
   */
  async write(packet: Packet, index: number): Promise<void> {
    if (!this.#open) throw new QuadStreamError('internal', 'output.closed', `${this.path}: writer is closed`);
    const src = this.#sourceTimeBases[index];
    if (src === undefined)
      throw new QuadStreamError('internal', 'output.stream', `${this.path}: no stream ${index}`);
    packet.streamIndex = index;
    packet.pos = -1n;
    packet.rescaleTs(src, this.timeBase(index));
    checkAv(
      await this.#fmt.interleavedWriteFrame(packet),
      'write a packet',
      'encode',
      'output.write',
      this.path,
    );
  }

  /** Writes the trailer and closes the file. */
  async finish(): Promise<void> {
    if (!this.#open) return;
    this.#open = false;
    try {
      checkAv(await this.#fmt.writeTrailer(), 'write the trailer', 'encode', 'output.trailer', this.path);
    } finally {
      await this.#fmt.closeOutput();
      this.#fmt.freeContext();
    }
  }

  /** Closes without a trailer if {@link finish} was not called (the file is then incomplete). */
  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#open) return;
    this.#open = false;
    await this.#fmt.closeOutput();
    this.#fmt.freeContext();
  }
}
