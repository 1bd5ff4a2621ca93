/** `quadstream compare REFERENCE DISTORTED`: PSNR, SSIM, XPSNR and VMAF, per frame and pooled. */
import type { Command } from 'commander';
import { QuadStreamError } from '../../core/errors.ts';
import type { Comparison } from '../../quality/compare.ts';
import { COMPARE_METRICS, type CompareMetric } from '../../quality/metric-names.ts';
import { writeFileAtomic } from '../atomic-write.ts';
import { action, printJson } from '../run-command.ts';

interface CompareFlags {
  metrics: string;
  json?: boolean;
  csv?: string;
  plot?: string;
  allowFpsMismatch?: boolean;
  threads?: string;
  subsample?: string;
}

function parseMetrics(text: string): CompareMetric[] {
  const names = text
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
  const bad = names.filter((n) => !(COMPARE_METRICS as readonly string[]).includes(n));
  if (bad.length > 0 || names.length === 0) {
    throw new QuadStreamError(
      'config',
      'cli.bad-metric',
      `--metrics: unknown metric ${bad.join(', ') || '(none)'} (choose from ${COMPARE_METRICS.join(', ')})`,
    );
  }
  return [...new Set(names)] as CompareMetric[];
}

function positiveInt(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw new QuadStreamError(
      'config',
      'cli.bad-number',
      `${flag}: expected a positive integer, got "${text}"`,
    );
  return n;
}

const f2 = (n: number | undefined, digits = 3): string => (n === undefined ? '-' : n.toFixed(digits));

function summary(c: Comparison): string {
  const lines = [`${c.frames} frames: ${c.distorted} vs ${c.reference}`];
  for (const note of c.notes) lines.push(`note: ${note}`);
  const row = (name: string, p: Comparison['vmaf'], digits: number) => {
    if (p !== undefined)
      lines.push(
        `${name.padEnd(6)} mean ${f2(p.mean, digits)}  min ${f2(p.min, digits)}  p5 ${f2(p.p5, digits)}`,
      );
  };
  row('vmaf', c.vmaf, 3);
  row('psnr', c.psnr, 3);
  row('ssim', c.ssim, 5);
  row('xpsnr', c.xpsnr, 3);
  return lines.join('\n');
}

/** Registers `compare` on the program. */
export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description('measure a distorted video against its reference (pooled and per frame)')
    .argument('<reference>', 'the original video')
    .argument('<distorted>', 'the encoded video to judge')
    .option('--metrics <list>', `comma-separated: ${COMPARE_METRICS.join(', ')}`, 'psnr,ssim,vmaf')
    .option('--json', 'print the report as JSON (last line of stdout)')
    .option('--csv <file>', 'write per-frame values as CSV')
    .option('--plot <file.svg>', 'write a per-frame plot as SVG')
    .option('--allow-fps-mismatch', 'compare frame by frame even if the frame rates differ')
    .option('--threads <n>', 'worker threads for VMAF (default: all cores)')
    .option('--subsample <n>', 'VMAF on every Nth frame only')
    .action(
      action(async (reference: string, distorted: string, flags: CompareFlags) => {
        const metrics = parseMetrics(flags.metrics);
        // Loaded on use: the VMAF kernels compile when their module is imported.
        const { compareVideos } = await import('../../quality/compare.ts');
        const { comparisonCsv, comparisonSvg } = await import('../../quality/compare-output.ts');
        const threads = positiveInt('--threads', flags.threads);
        const subsample = positiveInt('--subsample', flags.subsample);
        const result = await compareVideos(reference, distorted, {
          metrics,
          allowFpsMismatch: flags.allowFpsMismatch === true,
          ...(threads === undefined ? {} : { threads }),
          ...(subsample === undefined ? {} : { subsample }),
        });
        if (flags.csv !== undefined) await writeFileAtomic(flags.csv, comparisonCsv(result));
        if (flags.plot !== undefined) await writeFileAtomic(flags.plot, comparisonSvg(result));
        for (const note of result.notes) process.stderr.write(`quadstream: note: ${note}\n`);
        if (flags.json === true) {
          const { reference: _r, distorted: _d, scaled, notes, ...rest } = result;
          printJson({ ...rest, scaled, notes });
        } else {
          process.stdout.write(`${summary(result)}\n`);
        }
      }),
    );
}
