/**
 * Decoded frames from a file or lavfi source, optionally scaled and converted for an encoder.
 * Each yielded frame is owned by the generator and valid until the next iteration; call
 * `frame.clone()` to keep one.
 */
import { Decoder, FilterAPI } from 'node-av/api';
import type { Frame } from 'node-av/lib';
import { openInput, videoStreamOf } from './input.ts';
import type { PixelFormatName } from './pixel-format.ts';

/** Options for {@link decodedFrames}. */
export interface DecodedFramesOptions {
  /** Convert to this pixel format. */
  readonly pixelFormat?: PixelFormatName;
  /** Scale to this size (bicubic). */
  readonly width?: number;
  readonly height?: number;
  /** Stop after this many frames. */
  readonly maxFrames?: number;
  readonly signal?: AbortSignal;
}

/** Yields the video frames of `input` (a path or `lavfi:GRAPH`) in presentation order. */
export async function* decodedFrames(
  input: string,
  options: DecodedFramesOptions = {},
): AsyncGenerator<Frame> {
  await using demuxer = await openInput(input);
  const stream = videoStreamOf(demuxer, input);
  using decoder = await Decoder.create(stream);
  const filters: string[] = [];
  if (options.width !== undefined && options.height !== undefined) {
    filters.push(`scale=${options.width}:${options.height}:flags=bicubic`);
  }
  if (options.pixelFormat !== undefined) filters.push(`format=${options.pixelFormat}`);
  using filter = filters.length > 0 ? FilterAPI.create(filters.join(',')) : null;
  const frames =
    filter === null
      ? decoder.frames(demuxer.packets(stream.index))
      : filter.frames(decoder.frames(demuxer.packets(stream.index)));
  let count = 0;
  for await (using frame of frames) {
    if (frame === null) continue;
    options.signal?.throwIfAborted();
    yield frame;
    count++;
    if (options.maxFrames !== undefined && count >= options.maxFrames) return;
  }
}
