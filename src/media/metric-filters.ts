/**
 * PSNR (Y, U, V, weighted), SSIM and XPSNR per frame through FFmpeg's own filters (`psnr`,
 * `ssim`, `xpsnr`), chained on one filter graph so each pair of frames is decoded once. The
 * distorted input is scaled to the reference's size (bicubic) when the sizes differ.
 */
import { FilterComplexAPI } from 'node-av/api';
import { Frame, Rational } from 'node-av/lib';
import { QuadStreamError } from '../core/errors.ts';

/** The metrics FFmpeg's filters compute. */
export const FILTER_METRICS = ['psnr', 'ssim', 'xpsnr'] as const;
export type FilterMetric = (typeof FILTER_METRICS)[number];

/** One frame's scores; only the asked-for metrics are present. PSNR in dB, capped at 100. */
export interface FilterFrameScores {
  psnr?: { y: number; u: number; v: number; weighted: number };
  ssim?: { y: number; u: number; v: number; all: number };
  xpsnr?: { y: number; u: number; v: number };
}

/**
 * PSNR of identical planes is infinite; reports cap it at `6 × bit depth + 12` dB (60 dB for
 * 8-bit), libvmaf's convention, so that means stay finite.
 */
export function psnrCapDb(bitDepth: number): number {
  return 6 * bitDepth + 12;
}

/** Options for {@link FilterMetricsGraph.create}. */
export interface FilterMetricsOptions {
  readonly metrics: readonly FilterMetric[];
  readonly width: number;
  readonly height: number;
  /** Pixel format both inputs are converted to before measuring. */
  readonly pixelFormat: string;
  /** Bit depth of that format (for the PSNR cap). */
  readonly bitDepth: number;
}

/** A filter graph that takes (reference, distorted) frame pairs and returns their scores. */
export class FilterMetricsGraph implements Disposable {
  readonly #graph: FilterComplexAPI;
  readonly #metrics: readonly FilterMetric[];
  readonly #capDb: number;
  #index = 0;

  private constructor(graph: FilterComplexAPI, metrics: readonly FilterMetric[], capDb: number) {
    this.#graph = graph;
    this.#metrics = metrics;
    this.#capDb = capDb;
  }

  /** Builds the graph; no frames are needed yet. */
  static create(options: FilterMetricsOptions): FilterMetricsGraph {
    const { metrics } = options;
    if (metrics.length === 0)
      throw new QuadStreamError('internal', 'metrics.none', 'no filter metric asked for');
    const fmt = `format=${options.pixelFormat}`;
    const n = metrics.length;
    const parts = [
      `[ref]${fmt}${n > 1 ? `,split=${n}${metrics.map((_, i) => `[r${i}]`).join('')}` : '[r0]'}`,
      `[dist]scale=${options.width}:${options.height}:flags=bicubic,${fmt}[t0]`,
      ...metrics.map((m, i) => `[t${i}][r${i}]${m}[${i === n - 1 ? 'out' : `t${i + 1}`}]`),
    ];
    const graph = FilterComplexAPI.create(parts.join(';'), {
      inputs: [{ label: 'ref' }, { label: 'dist' }],
      outputs: [{ label: 'out' }],
    });
    return new FilterMetricsGraph(graph, metrics, psnrCapDb(options.bitDepth));
  }

  /**
   * Measures one pair. The frames are not modified (copies are sent). Returns the scores of every
   * pair completed by this call (normally exactly this one).
   */
  async measure(reference: Frame, distorted: Frame): Promise<FilterFrameScores[]> {
    const i = this.#index++;
    const r = retimed(reference, i);
    const d = retimed(distorted, i);
    try {
      await this.#graph.process('ref', r);
      await this.#graph.process('dist', d);
    } finally {
      r.free();
      d.free();
    }
    return this.#collect();
  }

  /** Flushes the graph and returns scores still inside it. */
  async finish(): Promise<FilterFrameScores[]> {
    await this.#graph.flush();
    const out: FilterFrameScores[] = [];
    for await (const frame of this.#graph.flushFrames('out')) {
      out.push(this.#read(frame));
      frame.free();
    }
    return out;
  }

  async #collect(): Promise<FilterFrameScores[]> {
    const out: FilterFrameScores[] = [];
    for (;;) {
      const frame = await this.#graph.receive('out');
      // null: needs more input; the EOF signal: flushed.
      if (!(frame instanceof Frame)) return out;
      out.push(this.#read(frame));
      frame.free();
    }
  }

  #read(frame: Frame): FilterFrameScores {
    const md = frame.getMetadata().getAll();
    const num = (key: string): number => {
      const text = md[key];
      if (text === undefined)
        throw new QuadStreamError('internal', 'metrics.missing', `FFmpeg gave no ${key}`);
      const v = text === 'inf' ? Number.POSITIVE_INFINITY : Number(text);
      return Math.min(this.#capDb, v);
    };
    const s: FilterFrameScores = {};
    if (this.#metrics.includes('psnr')) {
      s.psnr = {
        y: num('lavfi.psnr.psnr.y'),
        u: num('lavfi.psnr.psnr.u'),
        v: num('lavfi.psnr.psnr.v'),
        weighted: num('lavfi.psnr.psnr_avg'),
      };
    }
    if (this.#metrics.includes('ssim')) {
      s.ssim = {
        y: num('lavfi.ssim.Y'),
        u: num('lavfi.ssim.U'),
        v: num('lavfi.ssim.V'),
        all: num('lavfi.ssim.All'),
      };
    }
    if (this.#metrics.includes('xpsnr')) {
      s.xpsnr = {
        y: num('lavfi.xpsnr.xpsnr.y'),
        u: num('lavfi.xpsnr.xpsnr.u'),
        v: num('lavfi.xpsnr.xpsnr.v'),
      };
    }
    return s;
  }

  close(): void {
    this.#graph.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** A reference to `frame` with its timestamp replaced by the pair index, so the two inputs line up. */
function retimed(frame: Frame, index: number): Frame {
  const copy = frame.clone();
  if (copy === null) throw new QuadStreamError('internal', 'metrics.clone', 'could not reference a frame');
  copy.pts = BigInt(index);
  copy.timeBase = new Rational(1, 25);
  copy.duration = 1n;
  return copy;
}
