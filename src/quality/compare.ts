/**
 * `compare`: every asked-for metric between a reference and a distorted video, per frame and
 * pooled. PSNR, SSIM and XPSNR come from FFmpeg's filters; VMAF from the project's own
 * implementation (src/quality/vmaf).
 */
import { QuadStreamError } from '../core/errors.ts';
import type { FilterFrameScores, FilterMetric } from '../media/metric-filters.ts';
import type { CompareMetric } from './metric-names.ts';
import { compareWithFilters, describeSides } from '../media/filter-compare.ts';
import { pool, type Pooled } from './pooling.ts';
import { scoreVmaf } from './vmaf/index.ts';

export { COMPARE_METRICS, type CompareMetric } from './metric-names.ts';

/** Options for {@link compareVideos}. */
export interface CompareOptions {
  readonly metrics: readonly CompareMetric[];
  readonly allowFpsMismatch?: boolean;
  /** Worker threads for VMAF (default: the machine's cores). */
  readonly threads?: number;
  /** Score every Nth frame for VMAF (default 1: all). */
  readonly subsample?: number;
  /** Called as frames are done, per phase. */
  readonly onProgress?: (phase: CompareMetric | 'filters', framesDone: number) => void;
}

/** One frame's values: the metric's main figure per metric (PSNR weighted, SSIM All, XPSNR Y, VMAF). */
export interface CompareFrame {
  readonly frame: number;
  psnr?: number;
  psnrY?: number;
  psnrU?: number;
  psnrV?: number;
  ssim?: number;
  ssimY?: number;
  xpsnr?: number;
  vmaf?: number;
}

/** The result of a comparison. */
export interface Comparison {
  readonly frames: number;
  readonly reference: string;
  readonly distorted: string;
  readonly scaled: boolean;
  readonly notes: readonly string[];
  readonly psnr?: Pooled;
  readonly ssim?: Pooled;
  readonly xpsnr?: Pooled;
  readonly vmaf?: Pooled;
  readonly perFrame: readonly CompareFrame[];
}

/** Compares `distorted` against `reference` with the asked-for metrics. */
export async function compareVideos(
  reference: string,
  distorted: string,
  options: CompareOptions,
): Promise<Comparison> {
  if (options.metrics.length === 0)
    throw new QuadStreamError('config', 'compare.no-metric', 'no metric asked for');
  const setup = await describeSides(reference, distorted, options.allowFpsMismatch === true);
  const filterMetrics = options.metrics.filter((m): m is FilterMetric => m !== 'vmaf');
  let frames: number | undefined;
  const perFrame = new Map<number, CompareFrame>();
  const row = (i: number): CompareFrame => {
    let r = perFrame.get(i);
    if (r === undefined) perFrame.set(i, (r = { frame: i }));
    return r;
  };
  let filterScores: readonly FilterFrameScores[] = [];
  if (filterMetrics.length > 0) {
    const result = await compareWithFilters(setup, filterMetrics, (n) => options.onProgress?.('filters', n));
    frames = result.frames;
    filterScores = result.perFrame;
    filterScores.forEach((s, i) => {
      const r = row(i);
      if (s.psnr !== undefined)
        Object.assign(r, { psnr: s.psnr.weighted, psnrY: s.psnr.y, psnrU: s.psnr.u, psnrV: s.psnr.v });
      if (s.ssim !== undefined) Object.assign(r, { ssim: s.ssim.all, ssimY: s.ssim.y });
      if (s.xpsnr !== undefined) r.xpsnr = s.xpsnr.y;
    });
  }
  let vmafPooled: Pooled | undefined;
  if (options.metrics.includes('vmaf')) {
    const v = await scoreVmaf(reference, distorted, {
      ...(setup.scaled ? { scaleTo: { width: setup.reference.width, height: setup.reference.height } } : {}),
      ...(options.threads === undefined ? {} : { threads: options.threads }),
      ...(options.subsample === undefined ? {} : { subsample: options.subsample }),
      onProgress: (n: number) => options.onProgress?.('vmaf', n),
    });
    if (frames !== undefined && v.totalFrames !== frames) {
      throw new QuadStreamError(
        'input',
        'compare.frame-count-mismatch',
        `${distorted}: frame counts differ between passes`,
      );
    }
    frames ??= v.totalFrames;
    for (const f of v.frames) row(f.index).vmaf = f.vmaf;
    vmafPooled = {
      mean: v.pooled.mean,
      min: v.pooled.min,
      p5: v.pooled.p5,
      harmonicMean: v.pooled.harmonicMean,
    };
  }
  const rows = [...perFrame.values()].sort((a, b) => a.frame - b.frame);
  const pooledOf = (pick: (r: CompareFrame) => number | undefined): Pooled | undefined => {
    const values = rows.map(pick).filter((v): v is number => v !== undefined);
    return values.length === 0 ? undefined : pool(values);
  };
  const psnr = pooledOf((r) => r.psnr);
  const ssim = pooledOf((r) => r.ssim);
  const xpsnr = pooledOf((r) => r.xpsnr);
  return {
    frames: frames ?? 0,
    reference,
    distorted,
    scaled: setup.scaled,
    notes: setup.notes,
    ...(psnr === undefined ? {} : { psnr }),
    ...(ssim === undefined ? {} : { ssim }),
    ...(xpsnr === undefined ? {} : { xpsnr }),
    ...(vmafPooled === undefined ? {} : { vmaf: vmafPooled }),
    perFrame: rows,
  };
}
