/**
 * Converts decoded frames into what an encoder takes: an optional relabel of the pixel format
 * (`yuvj420p` → `yuv420p`: the same samples, the full range kept as metadata, no conversion) and
 * an optional FFmpeg filter graph (e.g. `format=yuv420p10le`).
 */
import { FilterAPI } from 'node-av/api';
import { avGetPixFmtFromName, type Frame } from 'node-av/lib';
import { QuadStreamError } from '../core/errors.ts';

/** Converts frames one at a time; owns its filter graph. */
export class FrameConverter implements Disposable {
  readonly #filter: FilterAPI | null;
  readonly #relabel: number | null;

  private constructor(filter: FilterAPI | null, relabel: number | null) {
    this.#filter = filter;
    this.#relabel = relabel;
  }

  /** A converter applying `relabel` (a pixel format name) then `graph`; either may be null. */
  static create(graph: string | null, relabel: string | null): FrameConverter {
    let format: number | null = null;
    if (relabel !== null) {
      format = avGetPixFmtFromName(relabel);
      if (format < 0)
        throw new QuadStreamError('internal', 'convert.format', `unknown pixel format ${relabel}`);
    }
    return new FrameConverter(graph === null ? null : FilterAPI.create(graph), format);
  }

  /**
   * Returns the converted frame: `frame` itself (relabelled in place) when there is no filter,
   * otherwise a new frame the caller frees.
   */
  async convert(frame: Frame): Promise<Frame> {
    if (this.#relabel !== null) frame.format = this.#relabel as Frame['format'];
    if (this.#filter === null) return frame;
    const out = await this.#filter.processAll(frame);
    const first = out[0];
    for (const extra of out.slice(1)) extra.free();
    if (first === undefined) {
      throw new QuadStreamError('internal', 'convert.no-frame', 'the conversion filter produced no frame');
    }
    return first;
  }

  /** Frees the filter graph; idempotent. */
  close(): void {
    this.#filter?.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
