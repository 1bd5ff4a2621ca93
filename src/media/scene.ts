/**
 * Scene-change scores from FFmpeg's `scdet` filter on a downscaled copy of each frame: `score`
 * (0–100) says how different a frame is from the previous one after discounting steady motion;
 * `mafd` is the mean absolute frame difference (0–100), a cheap measure of motion that the
 * bitrate allocation uses as complexity.
 */
import { FilterAPI } from 'node-av/api';
import type { Frame } from 'node-av/lib';
import { QuadStreamError } from '../core/errors.ts';

/** Scores of one frame against the previous one. */
export interface SceneScore {
  readonly score: number;
  readonly mafd: number;
}

/** Width of the copy the scores are computed on; small is enough to see cuts and is fast. */
export const SCENE_ANALYSIS_WIDTH = 256;

/** Scores frames in display order. One instance per video; not safe for concurrent calls. */
export class SceneScorer implements Disposable {
  readonly #filter: FilterAPI;

  private constructor(filter: FilterAPI) {
    this.#filter = filter;
  }

  /** A scorer working on copies `width` pixels wide (the height keeps the aspect ratio). */
  static create(width = SCENE_ANALYSIS_WIDTH): SceneScorer {
    // threshold=100: scdet never marks a frame itself; the planner decides what is a cut.
    const graph = `scale=w=${width}:h=-2:flags=fast_bilinear,format=yuv420p,scdet=threshold=100`;
    return new SceneScorer(FilterAPI.create(graph));
  }

  /** The scores of `frame` (the first frame of a video scores 0). The caller keeps `frame`. */
  async score(frame: Frame): Promise<SceneScore> {
    const out = await this.#filter.processAll(frame);
    try {
      const first = out[0];
      if (first === undefined) {
        throw new QuadStreamError('internal', 'scene.no-frame', 'scene detection produced no frame');
      }
      const md = first.getMetadata();
      return { score: toNumber(md.get('lavfi.scd.score')), mafd: toNumber(md.get('lavfi.scd.mafd')) };
    } finally {
      for (const f of out) f.free();
    }
  }

  /** Frees the filter graph; idempotent. */
  close(): void {
    this.#filter.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

function toNumber(text: string | null | undefined): number {
  const n = Number(text);
  return Number.isFinite(n) ? n : 0;
}
