/**
 * Kernel B: brings captured frames to what the encoder wants (size and pixel format) with
 * FFmpeg's scale filter, and records when each frame was ready. Frames that already match pass
 * through untouched (no copy). Drop policy: none; it processes every frame it is given, in order.
 */
import { FilterAPI } from 'node-av/api';
import { AV_PIX_FMT_YUV420P } from 'node-av/constants';
import { wallClockMs } from '../capture/clock.ts';
import type { CapturedFrame } from '../capture/types.ts';
import { QuadStreamError } from '../core/errors.ts';

/** A frame ready for the encoder. The receiver owns `frame`. */
export interface PreparedFrame extends CapturedFrame {
  /** Wall clock when pre-processing finished, epoch milliseconds. */
  readonly preprocessedMs: number;
}

/** The encoder's input: size and (for now) 8-bit 4:2:0. */
export interface PreprocessTarget {
  readonly width: number;
  readonly height: number;
}

/** Scales and converts frames for one encoder input. Close it (`using`) to free its filter. */
export class Preprocessor implements Disposable {
  #target: PreprocessTarget;
  #filter: FilterAPI | null = null;
  #filterKey = '';

  constructor(target: PreprocessTarget) {
    this.#target = target;
  }

  /** The size frames are prepared at. */
  get target(): PreprocessTarget {
    return this.#target;
  }

  /** Prepares the following frames at another size (the adaptive-bitrate ladder). */
  retarget(target: PreprocessTarget): void {
    this.#target = target;
  }

  /** Takes ownership of `captured.frame` and returns the prepared frame (possibly the same one). */
  async process(captured: CapturedFrame): Promise<PreparedFrame> {
    const input = captured.frame;
    const { width, height } = this.target;
    if (input.width === width && input.height === height && input.format === AV_PIX_FMT_YUV420P) {
      return { ...captured, preprocessedMs: wallClockMs() };
    }
    try {
      const key = `${input.width}x${input.height}:${input.format}->${width}x${height}`;
      if (this.#filter === null || key !== this.#filterKey) {
        this.#filter?.close();
        // Bilinear: at live rates the quality difference with bicubic is invisible and it is cheaper.
        this.#filter = FilterAPI.create(`scale=${width}:${height}:flags=bilinear,format=yuv420p`);
        this.#filterKey = key;
      }
      const out = await this.#filter.processAll(input);
      const [first, ...rest] = out;
      for (const extra of rest) extra.free();
      if (first === undefined)
        throw new QuadStreamError('internal', 'preprocess.no-output', 'the scale filter produced no frame');
      first.pts = BigInt(captured.index);
      return {
        frame: first,
        index: captured.index,
        captureMs: captured.captureMs,
        preprocessedMs: wallClockMs(),
      };
    } finally {
      input.free();
    }
  }

  /** Frees the filter; idempotent. */
  close(): void {
    this.#filter?.close();
    this.#filter = null;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
