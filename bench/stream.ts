/**
 * Live streaming bench: `quadstream bench stream` at the configurations docs/benchmarks.md
 * reports (1080p60 and 2160p60 H.264 by default), one after the other, each with its raw-encoder
 * baseline measured in the same run. Prints one markdown table row per configuration (and the
 * full reports as JSON on the last line with --json). Note the machine's load: on a shared
 * machine the figures move with whatever else runs.
 *
 *   node bench/stream.ts [--configs 1920x1080@60:h264,3840x2160@60:h264] [--duration 10] [--renderer 2d|webgl|bitmap]
 *                        [--canvas frame|window]
 *                        [--viewer chromium|sink] [--json]
 */
import { parseArgs } from 'node:util';
import { formatStreamBench } from '../src/cli/commands/bench.ts';
import { isCodec } from '../src/core/units.ts';
import { runStreamBench, type StreamBenchReport } from '../src/stream/stream-bench.ts';

const { values } = parseArgs({
  options: {
    configs: { type: 'string', default: '1920x1080@60:h264,3840x2160@60:h264' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    renderer: { type: 'string', default: '2d' },
    viewer: { type: 'string', default: 'chromium' },
    canvas: { type: 'string', default: 'window' },
    threads: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});

const reports: StreamBenchReport[] = [];
for (const spec of values.configs.split(',')) {
  const m = /^(\d+)x(\d+)@(\d+(?:\.\d+)?):(\w+)$/.exec(spec.trim());
  const codec = m?.[4] ?? '';
  if (m === null || !isCodec(codec)) throw new Error(`bad config "${spec}" (expected WxH@FPS:CODEC)`);
  const report = await runStreamBench({
    width: Number(m[1]),
    height: Number(m[2]),
    fps: Number(m[3]),
    codec,
    durationSeconds: Number(values.duration),
    warmupSeconds: Number(values.warmup),
    renderer: values.renderer === 'webgl' || values.renderer === 'bitmap' ? values.renderer : '2d',
    canvas: values.canvas === 'frame' ? 'frame' : 'window',
    ...(values.threads === undefined ? {} : { encoderThreads: Number(values.threads) }),
    viewer: values.viewer === 'sink' ? 'sink' : 'chromium',
    onProgress: (line) => process.stderr.write(`[${spec}] ${line}\n`),
  });
  process.stderr.write(`${formatStreamBench(report)}\n`);
  reports.push(report);
}

const f = (n: number | undefined, d = 1): string => (n === undefined ? '–' : n.toFixed(d));
console.log(
  '| config | raw encoder fps | encoded fps (× raw) | delivered fps | painted fps | glass-to-glass p50 / p95 / p99 ms | load before → after |',
);
console.log('|---|---:|---:|---:|---:|---|---|');
for (const r of reports) {
  const c = r.config;
  const s = r.stream;
  console.log(
    `| ${c.width}x${c.height}@${c.fps} ${c.codec} (${c.encoder}), ${c.viewer} | ${f(r.baseline.fps)} | ${f(s.encodedFps)} (${f(r.ratio.encodedToBaseline, 3)}) | ` +
      `${f(s.deliveredFps)} | ${f(s.renderedFps)} | ${f(s.latencyMs?.p50)} / ${f(s.latencyMs?.p95)} / ${f(s.latencyMs?.p99)} | ` +
      `${r.machine.loadBefore[0]} → ${r.machine.loadAfter[0]} |`,
  );
}
if (values.json) console.log(JSON.stringify(reports));
