/** CSV and SVG renderings of a {@link Comparison}. Pure. */
import { lineChartSvg, type ChartPanel } from '../core/svg-chart.ts';
import type { Comparison, CompareFrame } from './compare.ts';

const COLUMNS = [
  'psnr',
  'psnrY',
  'psnrU',
  'psnrV',
  'ssim',
  'ssimY',
  'xpsnr',
  'vmaf',
] as const satisfies readonly (keyof CompareFrame)[];

/** One row per frame, one column per measured value. */
export function comparisonCsv(c: Comparison): string {
  const present = COLUMNS.filter((k) => c.perFrame.some((r) => r[k] !== undefined));
  const lines = [['frame', ...present].join(',')];
  for (const r of c.perFrame) lines.push([r.frame, ...present.map((k) => r[k] ?? '')].join(','));
  return `${lines.join('\n')}\n`;
}

/** A per-frame plot, one panel per metric. */
export function comparisonSvg(c: Comparison): string {
  const panel = (
    title: string,
    yLabel: string,
    key: keyof CompareFrame,
    color: string,
  ): ChartPanel | null => {
    const points = c.perFrame.flatMap((r) => (r[key] === undefined ? [] : [[r.frame, r[key]] as const]));
    return points.length === 0 ? null : { title, yLabel, series: [{ label: title, color, points }] };
  };
  const panels = [
    panel('VMAF', 'score', 'vmaf', '#1f77b4'),
    panel('PSNR (weighted)', 'dB', 'psnr', '#d62728'),
    panel('SSIM', 'All', 'ssim', '#2ca02c'),
    panel('XPSNR (Y)', 'dB', 'xpsnr', '#9467bd'),
  ].filter((p): p is ChartPanel => p !== null);
  return lineChartSvg({ title: `${c.distorted} vs ${c.reference}`, xLabel: 'frame', panels });
}
