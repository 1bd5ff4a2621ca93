/**
 * The `file:PATH` source: a video file decoded and played at real-time pace by its timestamps,
 * looping forever. When the consumer is late by more than a frame, frames are decoded and skipped
 * so the source stays on the wall clock.
 */
import { QuadStreamError } from '../core/errors.ts';
import { openInput, videoStreamOf } from '../media/input.ts';
import { wallClockMs } from './clock.ts';
import { FrameReader } from './frame-reader.ts';
import { waitUntil } from './pacer.ts';
import { ReadAhead } from './read-ahead.ts';
import type { CapturedFrame, FrameSource } from './types.ts';

/** Options for {@link openFileSource}. */
export interface FileSourceOptions {
  /** Scale to this size; default: the file's. */
  readonly width?: number;
  readonly height?: number;
}

class FileSource implements FrameSource {
  readonly kind = 'file' as const;
  readonly description: string;
  readonly onDemand = true;
  readonly width: number;
  readonly height: number;
  readonly frameRate: readonly [number, number];
  readonly #path: string;
  readonly #scaled: boolean;
  #skipped = 0;

  constructor(
    path: string,
    width: number,
    height: number,
    frameRate: readonly [number, number],
    scaled: boolean,
  ) {
    this.#path = path;
    this.width = width;
    this.height = height;
    this.frameRate = frameRate;
    this.#scaled = scaled;
    this.description = `file ${path} ${width}x${height}@${Number((frameRate[0] / frameRate[1]).toFixed(3))}`;
  }

  get skipped(): number {
    return this.#skipped;
  }

  async *frames(signal: AbortSignal): AsyncGenerator<CapturedFrame> {
    const periodMs = (1000 * this.frameRate[1]) / this.frameRate[0];
    let startMs: number | undefined;
    let loopOffsetMs = 0;
    let lastIndex = -1;
    for (;;) {
      let firstPts: bigint | undefined;
      let lastMediaMs = -periodMs;
      let frames = 0;
      await using demuxer = await openInput(this.#path);
      using reader = await FrameReader.open(demuxer, videoStreamOf(demuxer, this.#path), {
        yuv420p: true,
        ...(this.#scaled ? { width: this.width, height: this.height } : {}),
        subject: this.#path,
      });
      await using ahead = new ReadAhead(() => reader.next());
      for (let frame = await ahead.next(); frame !== null; frame = await ahead.next()) {
        try {
          const tb = frame.timeBase;
          const pts = frame.pts;
          firstPts ??= pts;
          const mediaMs =
            pts < 0n || tb.den === 0
              ? lastMediaMs + periodMs
              : (Number(pts - firstPts) * 1000 * tb.num) / tb.den;
          lastMediaMs = Math.max(lastMediaMs + 0.001, mediaMs);
          startMs ??= wallClockMs();
          const dueMs = startMs + loopOffsetMs + lastMediaMs;
          if (wallClockMs() > dueMs + periodMs) {
            this.#skipped++;
            continue;
          }
          await waitUntil(dueMs, signal);
          const index = Math.max(lastIndex + 1, Math.round((loopOffsetMs + lastMediaMs) / periodMs));
          lastIndex = index;
          frame.pts = BigInt(index);
          frames++;
          const captured: CapturedFrame = { frame, index, captureMs: wallClockMs() };
          frame = null;
          yield captured;
        } finally {
          frame?.free();
        }
      }
      if (frames === 0 && firstPts === undefined)
        throw new QuadStreamError('input', 'capture.empty-file', `${this.#path}: no video frames to play`, {
          subject: this.#path,
        });
      loopOffsetMs += lastMediaMs + periodMs;
    }
  }

  async close(): Promise<void> {}

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * Opens `path` to check it is a readable video (an `input` error naming the file otherwise) and
 * returns a looping real-time source of its frames, scaled when a size is given.
 */
export async function openFileSource(path: string, options: FileSourceOptions = {}): Promise<FrameSource> {
  let width: number;
  let height: number;
  let frameRate: readonly [number, number];
  {
    await using demuxer = await openInput(path);
    const stream = videoStreamOf(demuxer, path);
    width = stream.codecpar.width;
    height = stream.codecpar.height;
    const r =
      stream.avgFrameRate.num > 0 && stream.avgFrameRate.den > 0 ? stream.avgFrameRate : stream.rFrameRate;
    frameRate = r.num > 0 && r.den > 0 ? [r.num, r.den] : [30, 1];
  }
  if (width <= 0 || height <= 0)
    throw new QuadStreamError('input', 'input.no-size', `${path}: the video stream has no picture size`, {
      subject: path,
    });
  const scaled = options.width !== undefined && options.height !== undefined;
  return new FileSource(
    path,
    scaled ? options.width : width & ~1,
    scaled ? options.height : height & ~1,
    frameRate,
    scaled || width % 2 !== 0 || height % 2 !== 0,
  );
}
