/**
 * `quadstream bench …`: benchmarks that print figures against a baseline measured in the same run.
 * `bench stream` measures the live path end to end (server and headless Chromium on this machine).
 */
import type { Command } from 'commander';
import { QuadStreamError } from '../../core/errors.ts';
import { formatBitrate, isCodec, parseSize } from '../../core/units.ts';
import type { StageFigures, StreamBenchReport } from '../../stream/stream-bench.ts';
import { action, printJson } from '../run-command.ts';
import { parseFrameRate } from './serve.ts';

interface StreamFlags {
  size: string;
  fps: string;
  codec: string;
  duration: string;
  warmup: string;
  renderer: string;
  canvas: string;
  viewer: string;
  threads?: string;
  json?: boolean;
}

function usage(message: string): QuadStreamError {
  return new QuadStreamError('config', 'cli.bad-flag', message);
}

function p(s: StageFigures): string {
  return s === null ? '–' : `${s.p50.toFixed(1)} (p95 ${s.p95.toFixed(1)})`;
}

/** The report as a few lines for people. */
export function formatStreamBench(r: StreamBenchReport): string {
  const c = r.config;
  const s = r.stream;
  const lat = s.latencyMs;
  return [
    `bench stream: ${c.width}x${c.height}@${c.fps} ${c.codec} (${c.encoder}${c.encoderThreads === null ? '' : `, ${c.encoderThreads} threads`}, ${formatBitrate(c.bitrateBps)}), ` +
      `${c.durationSeconds} s measured, viewer ${c.viewer === 'sink' ? 'receive-only (no decoding)' : `Chromium, ${c.renderer} renderer, ${c.canvas}-sized canvas`}; load ${r.machine.loadBefore[0]} → ${r.machine.loadAfter[0]} on ${r.machine.cpus} CPUs`,
    `  raw encoder alone    ${r.baseline.fps.toFixed(1)} fps (encode p50 ${r.baseline.encodeMs?.p50.toFixed(1) ?? '–'} ms, ${r.baseline.cpuMsPerFrame} ms CPU per frame, ${r.baseline.frames} frames)`,
    `  pipeline encoded     ${s.encodedFps.toFixed(1)} fps = ${r.ratio.encodedToBaseline.toFixed(3)} × raw (captured ${s.capturedFps.toFixed(1)}, skipped at source ${s.skippedAtSource}, replaced before the encoder ${s.droppedBeforeEncoder})`,
    `  received             ${s.receivedFps.toFixed(1)} fps`,
    `  delivered (decoded)  ${s.deliveredFps.toFixed(1)} fps = ${r.ratio.deliveredToBaseline.toFixed(3)} × raw`,
    `  painted              ${s.renderedFps.toFixed(1)} fps (not painted ${s.notRendered}, decoder errors ${s.decoderErrors}); paint call ${p(s.paintMs)} ms, between paints ${p(s.paintIntervalMs)} ms`,
    `  glass to glass       ${lat === null ? '–' : `p50 ${lat.p50.toFixed(1)}  p95 ${lat.p95.toFixed(1)}  p99 ${lat.p99.toFixed(1)} ms`}`,
    `  stages, p50 ms       capture→pre-processed ${p(s.stagesMs.captureToPreprocessed)}, wait for encoder ${p(s.stagesMs.waitForEncoder)}, encode ${p(s.stagesMs.encode)}`,
    `                       encoded→sent ${p(s.stagesMs.encodedToSent)}, sent→received ${p(s.stagesMs.sentToReceived)}, received→decoded ${p(s.stagesMs.receivedToDecoded)}, decoded→painted ${p(s.stagesMs.decodedToRendered)}`,
    `  bitrate              ${formatBitrate(s.bitrateBps)}`,
    `  CPU (% of one core)  server ${r.cpu.server ?? '–'} (${r.cpu.serverMsPerFrame ?? '–'} ms per encoded frame), browser ${r.cpu.browser ?? '–'} (${r.cpu.browserMsPerFrame ?? '–'} ms per decoded frame)`,
  ].join('\n');
}

/** Registers `bench` and its subcommands on the program; returns the `bench` command. */
export function registerBench(program: Command): Command {
  const bench = program
    .command('bench')
    .description('benchmarks, each against a baseline measured in the same run');
  bench
    .command('stream')
    .description('the live path end to end: test source → encoder → WebSocket → headless Chromium')
    .option('--size <WxH>', 'picture size', '1920x1080')
    .option('--fps <n>', 'frame rate', '60')
    .option('--codec <codec>', 'h264, vp9 or av1', 'h264')
    .option('--duration <seconds>', 'measured window', '10')
    .option('--warmup <seconds>', 'streaming before the window', '3')
    .option('--renderer <kind>', 'how the player paints: 2d, webgl, or bitmap (RGB made in the worker)', '2d')
    .option(
      '--canvas <size>',
      'the player’s canvas at its size on screen (window) or at the frame’s size (frame)',
      'window',
    )
    .option('--threads <n>', 'encoder threads (default: the encoder’s choice)')
    .option('--viewer <kind>', 'chromium, or sink: a Node viewer that receives without decoding', 'chromium')
    .option('--json', 'the report as JSON on the last line of stdout')
    .action(
      action(async (flags: StreamFlags) => {
        const size = parseSize(flags.size);
        if (size === undefined || size.width % 2 !== 0 || size.height % 2 !== 0)
          throw usage(`--size ${flags.size}: expected an even WIDTHxHEIGHT, e.g. 1920x1080`);
        const rate = parseFrameRate(flags.fps);
        if (rate === undefined) throw usage(`--fps ${flags.fps}: expected a frame rate such as 60`);
        if (!isCodec(flags.codec) || flags.codec === 'hevc')
          throw usage(`--codec ${flags.codec}: expected h264, vp9 or av1 (browsers decode these)`);
        const durationSeconds = Number(flags.duration);
        const warmupSeconds = Number(flags.warmup);
        if (!(durationSeconds > 0) || !(warmupSeconds >= 0))
          throw usage(`--duration and --warmup take seconds (got ${flags.duration}, ${flags.warmup})`);
        if (flags.renderer !== '2d' && flags.renderer !== 'webgl' && flags.renderer !== 'bitmap')
          throw usage(`--renderer ${flags.renderer}: expected 2d, webgl or bitmap`);
        if (flags.canvas !== 'frame' && flags.canvas !== 'window')
          throw usage(`--canvas ${flags.canvas}: expected frame or window`);
        const threads = flags.threads === undefined ? undefined : Number(flags.threads);
        if (threads !== undefined && (!Number.isInteger(threads) || threads < 1 || threads > 64))
          throw usage(`--threads ${flags.threads}: expected a number of threads`);
        if (flags.viewer !== 'chromium' && flags.viewer !== 'sink')
          throw usage(`--viewer ${flags.viewer}: expected chromium or sink`);
        // Loaded on use: the browser driver is not needed by other commands.
        const { runStreamBench } = await import('../../stream/stream-bench.ts');
        const report = await runStreamBench({
          width: size.width,
          height: size.height,
          fps: rate[0] / rate[1],
          codec: flags.codec,
          durationSeconds,
          warmupSeconds,
          renderer: flags.renderer,
          canvas: flags.canvas,
          viewer: flags.viewer,
          ...(threads === undefined ? {} : { encoderThreads: threads }),
          onProgress: (line) => process.stderr.write(`${line}\n`),
        });
        if (flags.json === true) printJson(report);
        else process.stdout.write(`${formatStreamBench(report)}\n`);
        return 0;
      }),
    );
  return bench;
}
