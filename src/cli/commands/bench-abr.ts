/**
 * `quadstream bench abr`: adaptive bitrate against capacity traces. Without `--real`, the
 * deterministic simulator (src/core/rate/simulator.ts); with `--real`, a real link: this command
 * makes a network namespace, re-runs itself inside it, shapes its loopback with `tc` and streams
 * to headless Chromium through it (src/stream/abr-real-bench.ts). Needs root for `--real`.
 */
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { QuadStreamError } from '../../core/errors.ts';
import { CONTROLLER_KINDS, type ControllerKind } from '../../core/rate/index.ts';
import { summariseRealLink, type RealLinkSummary } from '../../core/rate/real-link-summary.ts';
import { lineChartSvg } from '../../core/svg-chart.ts';
import { formatBitrate, isCodec, parseSize } from '../../core/units.ts';
import type { AbrRealReport, LinkStep } from '../../stream/abr-real-bench.ts';
import { writeFileAtomic } from '../atomic-write.ts';
import { action, printJson } from '../run-command.ts';

/** Capacity traces for `--real`, by name. */
export const REAL_TRACES: Record<
  string,
  { readonly durationS: number; readonly startBps: number; readonly steps: readonly LinkStep[] }
> = {
  // The independent check: start at 8 Mbit/s on a 3 Mbit/s link.
  settle: { durationS: 25, startBps: 8e6, steps: [{ atS: 0, rateBps: 3e6 }] },
  drop: {
    durationS: 25,
    startBps: 4e6,
    steps: [
      { atS: 0, rateBps: 20e6 },
      { atS: 12, rateBps: 5e6 },
    ],
  },
  rise: {
    durationS: 25,
    startBps: 4e6,
    steps: [
      { atS: 0, rateBps: 5e6 },
      { atS: 10, rateBps: 20e6 },
    ],
  },
  steady: { durationS: 20, startBps: 4e6, steps: [{ atS: 0, rateBps: 10e6 }] },
  // The resolution ladder: 0.4 Mbit/s is under what 1280x720@30 needs, then 6 Mbit/s again.
  ladder: {
    durationS: 35,
    startBps: 2e6,
    steps: [
      { atS: 0, rateBps: 0.4e6 },
      { atS: 15, rateBps: 6e6 },
    ],
  },
  loss: { durationS: 20, startBps: 4e6, steps: [{ atS: 0, rateBps: 10e6, lossPercent: 10 }] },
};

const NETNS_ENV = 'QUADSTREAM_BENCH_NETNS';
const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));

interface AbrFlags {
  real?: boolean;
  trace: string;
  abr: string;
  size: string;
  fps: string;
  codec: string;
  json?: boolean;
  plot?: string;
  bitrate?: string;
}

function usage(message: string): QuadStreamError {
  return new QuadStreamError('config', 'cli.bad-flag', message);
}

function summaryText(r: AbrRealReport, s: RealLinkSummary, trace: string): string {
  const lines = [
    `bench abr --real ${trace}: ${r.options.width}x${r.options.height}@${r.options.fps} ${r.options.codec}, ${r.options.abr}, start ${formatBitrate(r.options.startBitrateBps)}`,
  ];
  for (const st of s.steps) {
    lines.push(
      `  step at ${st.atS.toFixed(1)} s ${formatBitrate(st.fromBps)} → ${formatBitrate(st.toBps)}: ` +
        (st.toBps < st.fromBps
          ? `queue < 100 ms after ${st.queueUnder100MsAfterS?.toFixed(2) ?? 'never'} s, target under capacity after ${st.targetUnderCapacityAfterS?.toFixed(2) ?? 'never'} s`
          : `85% of capacity sent after ${st.sent85PercentAfterS?.toFixed(2) ?? 'never'} s`),
    );
  }
  lines.push(
    `  last 5 s: utilisation ${(100 * s.tailUtilisation).toFixed(1)}%, queue p95 ${s.tailQueueP95Ms?.toFixed(0) ?? '–'} ms, glass-to-glass p95 ${s.lastLatencyP95Ms?.toFixed(0) ?? '–'} ms, target ${formatBitrate(s.lastTargetBps)}`,
    `  longest decode stall ${r.maxStallMs} ms, frames decoded ${r.samples.at(-1)?.framesDecoded ?? 0}, bitrate changes ${r.changes.length}`,
  );
  return lines.join('\n');
}

function plot(r: AbrRealReport, trace: string): string {
  const mbit = (xs: readonly [number, number][]) => xs.map(([t, v]) => [t, v / 1e6] as const);
  return lineChartSvg({
    title: `bench abr --real ${trace} (${r.options.abr})`,
    xLabel: 'seconds',
    panels: [
      {
        title: 'Rates',
        yLabel: 'Mbit/s',
        series: [
          { label: 'capacity', color: '#888', points: mbit(r.samples.map((s) => [s.tS, s.capacityBps])) },
          { label: 'target', color: '#1f77b4', points: mbit(r.samples.map((s) => [s.tS, s.targetBps])) },
          { label: 'sent', color: '#d62728', points: mbit(r.samples.map((s) => [s.tS, s.sentBps])) },
        ],
      },
      {
        title: 'Delay',
        yLabel: 'ms',
        series: [
          {
            label: 'queue (send→receive above its minimum)',
            color: '#2ca02c',
            points: r.samples.flatMap((s) => (s.queueMs === null ? [] : [[s.tS, s.queueMs] as const])),
          },
          {
            label: 'glass-to-glass p95 (5 s)',
            color: '#9467bd',
            points: r.samples.flatMap((s) =>
              s.latencyP95Ms === null ? [] : [[s.tS, s.latencyP95Ms] as const],
            ),
          },
        ],
      },
    ],
  });
}

/** Registers `bench abr` under `bench`. */
export function registerBenchAbr(bench: Command): void {
  bench
    .command('abr')
    .description('adaptive bitrate against capacity traces: simulated, or --real on a shaped loopback')
    .option('--real', 'a real link: network namespace, tc shaping, server and headless Chromium')
    .option('--trace <name>', `with --real: ${Object.keys(REAL_TRACES).join(', ')}`, 'settle')
    .option('--abr <controller>', CONTROLLER_KINDS.join(', '), 'gcc')
    .option('--size <WxH>', 'picture size', '1280x720')
    .option('--fps <n>', 'frame rate', '30')
    .option('--codec <codec>', 'h264, vp9 or av1', 'h264')
    .option('--bitrate <Mbit/s>', "start bitrate (default: the trace's)")
    .option('--plot <file.svg>', 'write rates and delays over time as SVG')
    .option('--json', 'the report as the last line of stdout')
    .action(
      action(async (flags: AbrFlags) => {
        if (flags.real !== true) {
          const { runSimulatorBench } = await import('./bench-abr-sim.ts');
          return runSimulatorBench(flags.json === true);
        }
        const trace = REAL_TRACES[flags.trace];
        if (trace === undefined)
          throw usage(`--trace ${flags.trace}: expected ${Object.keys(REAL_TRACES).join(', ')}`);
        if (!(CONTROLLER_KINDS as readonly string[]).includes(flags.abr))
          throw usage(`--abr ${flags.abr}: expected ${CONTROLLER_KINDS.join(', ')}`);
        const size = parseSize(flags.size);
        if (size === undefined) throw usage(`--size ${flags.size}: expected WIDTHxHEIGHT`);
        const fps = Number(flags.fps);
        if (!(fps > 0 && fps <= 240)) throw usage(`--fps ${flags.fps}: expected a frame rate`);
        if (!isCodec(flags.codec)) throw usage(`--codec ${flags.codec}: expected h264, vp9 or av1`);
        const startBps = flags.bitrate === undefined ? trace.startBps : Number(flags.bitrate) * 1e6;
        if (!(startBps > 0)) throw usage(`--bitrate ${flags.bitrate}: expected Mbit/s`);
        const inside = process.env[NETNS_ENV];
        const { ShapedNamespace } = await import('../../netem/netns.ts');
        if (inside === undefined) {
          // Outside: make the namespace and run this same command inside it.
          await using ns = await ShapedNamespace.create('qs-abr');
          const child = ns.spawn(process.execPath, [MAIN, ...process.argv.slice(2)], {
            stdio: 'inherit',
            env: { ...process.env, [NETNS_ENV]: ns.name },
          });
          return await new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));
        }
        const { runAbrRealBench } = await import('../../stream/abr-real-bench.ts');
        const report = await runAbrRealBench({
          link: ShapedNamespace.inside(inside),
          trace: trace.steps,
          durationS: trace.durationS,
          width: size.width,
          height: size.height,
          fps,
          codec: flags.codec,
          abr: flags.abr as ControllerKind,
          startBitrateBps: startBps,
          minBitrateBps: 300_000,
          maxBitrateBps: 40e6,
          onProgress: (line) => process.stderr.write(`${line}\n`),
        });
        const summary = summariseRealLink(report.samples);
        if (flags.plot !== undefined) await writeFileAtomic(flags.plot, plot(report, flags.trace));
        if (flags.json === true) printJson({ trace: flags.trace, summary, ...report });
        else process.stdout.write(`${summaryText(report, summary, flags.trace)}\n`);
        return 0;
      }),
    );
}
