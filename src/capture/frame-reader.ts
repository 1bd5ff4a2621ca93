/**
 * Decoded frames read one at a time, on demand, straight from the demuxer's format context.
 *
 * node-av's `Demuxer.packets()` runs a read-ahead loop that queues up to 100 packets and, when
 * its queue is full, waits for the consumer by spinning on `setImmediate`: a consumer that reads
 * at real-time pace (every live source) gets 100 frames generated ahead (1.2 GB at 2160p for the
 * test pattern) and a main thread busy at 100 %. This reader reads a packet only when a frame is
 * asked for.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Decoder, FilterAPI, type Demuxer } from 'node-av/api';
import { AVERROR_EAGAIN, AVERROR_EOF } from 'node-av/constants';
import { Packet, type Frame, type Stream } from 'node-av/lib';
import { QuadStreamError } from '../core/errors.ts';

/** Options for {@link FrameReader.open}. */
export interface FrameReaderOptions {
  /** Convert to yuv420p (and scale, when a size is given). */
  readonly yuv420p?: boolean;
  readonly width?: number;
  readonly height?: number;
  /** Name used in error messages (the file or device). */
  readonly subject: string;
}

/** Reads decoded (and optionally scaled) frames of one stream. The caller owns each frame it gets. */
export class FrameReader implements Disposable {
  readonly #demuxer: Demuxer;
  readonly #stream: Stream;
  readonly #decoder: Decoder;
  readonly #filter: FilterAPI | null;
  readonly #packet: Packet;
  readonly #subject: string;
  readonly #ready: Frame[] = [];
  #eof = false;
  #closed = false;

  private constructor(
    demuxer: Demuxer,
    stream: Stream,
    decoder: Decoder,
    filter: FilterAPI | null,
    subject: string,
  ) {
    this.#demuxer = demuxer;
    this.#stream = stream;
    this.#decoder = decoder;
    this.#filter = filter;
    this.#subject = subject;
    this.#packet = new Packet();
    this.#packet.alloc();
  }

  /** A reader of `stream` of `demuxer` (which the caller keeps and closes after the reader). */
  static async open(demuxer: Demuxer, stream: Stream, options: FrameReaderOptions): Promise<FrameReader> {
    const decoder = await Decoder.create(stream);
    const filters: string[] = [];
    if (options.width !== undefined && options.height !== undefined)
      filters.push(`scale=${options.width}:${options.height}:flags=bilinear`);
    if (options.yuv420p === true) filters.push('format=yuv420p');
    const filter = filters.length === 0 ? null : FilterAPI.create(filters.join(','));
    return new FrameReader(demuxer, stream, decoder, filter, options.subject);
  }

  /** The next frame (owned by the caller: free it), or `null` at the end of the input. */
  async next(): Promise<Frame | null> {
    while (this.#ready.length === 0) {
      if (this.#closed || this.#eof) return null;
      const ret = await this.#demuxer.getFormatContext().readFrame(this.#packet);
      if (this.#closed) return null;
      if (ret === AVERROR_EAGAIN) {
        // A live device with nothing yet: poll gently, as FFmpeg's own tools do.
        await sleep(5);
        continue;
      }
      if (ret < 0) {
        if (ret !== AVERROR_EOF)
          throw new QuadStreamError(
            'input',
            'capture.read-failed',
            `${this.#subject}: read failed (error ${ret})`,
            {
              subject: this.#subject,
            },
          );
        this.#eof = true;
        await this.#take(await this.#decoder.decodeAll(null));
        continue;
      }
      try {
        if (this.#packet.streamIndex === this.#stream.index)
          await this.#take(await this.#decoder.decodeAll(this.#packet));
      } finally {
        this.#packet.unref();
      }
    }
    return this.#ready.shift() ?? null;
  }

  async #take(frames: Frame[]): Promise<void> {
    for (const f of frames) {
      if (this.#filter === null) {
        this.#ready.push(f);
        continue;
      }
      try {
        this.#ready.push(...(await this.#filter.processAll(f)));
      } finally {
        f.free();
      }
    }
  }

  /** Frees the decoder, filter and frames not taken; idempotent. Does not close the demuxer. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const f of this.#ready.splice(0)) f.free();
    this.#packet.free();
    this.#filter?.close();
    this.#decoder.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
