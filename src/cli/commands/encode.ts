/**
 * `quadstream encode INPUT -o OUTPUT`: the parallel file encoder. Flags are validated here (zod);
 * the work is `encodeFile` in the library. With `--json`, progress events go to stderr as NDJSON
 * and the report is the last line of stdout.
 *
 * Test-only: `QUADSTREAM_TEST_FAIL_SEGMENT=INDEX:ATTEMPTS[:crash]` makes segment INDEX fail its
 * first ATTEMPTS attempts part-way (with `crash`, by killing its worker thread). Never set it
 * outside tests.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { encodeFile, type EncodeFileRequest } from '../../batch/encode-file.ts';
import { PRESET_NAMES } from '../../batch/presets.ts';
import type { EncodeReport } from '../../batch/report.ts';
import { QuadStreamError } from '../../core/errors.ts';
import { CODECS, formatBitrate, parseBitrateBps } from '../../core/units.ts';
import { action, printJson } from '../run-command.ts';
import { jsonProgress, silentProgress, terminalProgress, type ProgressView } from './encode-progress.ts';

/** Environment variable of the test-only fault hook. */
export const TEST_FAULT_ENV = 'QUADSTREAM_TEST_FAIL_SEGMENT';

const flagsSchema = z
  .object({
    output: z.string().min(1),
    codec: z.enum(CODECS).default('h264'),
    preset: z.enum(PRESET_NAMES).default('balanced'),
    workers: z.coerce.number().int().min(1).max(256).optional(),
    threads: z.coerce.number().int().min(1).max(256).optional(),
    crf: z.coerce.number().min(0).max(63).optional(),
    bitrate: z.string().optional(),
    targetVmaf: z.coerce.number().min(1).max(100).optional(),
    targetPooling: z.enum(['mean', 'p5']).default('mean'),
    targetSample: z.coerce.number().int().min(1).max(100).default(2),
    metrics: z.boolean().optional(),
    json: z.boolean().optional(),
    workDir: z.string().optional(),
    keepWork: z.boolean().optional(),
    minSegment: z.coerce.number().positive().optional(),
    maxSegment: z.coerce.number().positive().optional(),
    sceneThreshold: z.coerce.number().min(0).max(100).optional(),
  })
  .refine((f) => !(f.crf !== undefined && f.bitrate !== undefined), {
    message: '--crf and --bitrate cannot be combined',
  })
  .refine((f) => !(f.targetVmaf !== undefined && (f.crf !== undefined || f.bitrate !== undefined)), {
    message: '--target-vmaf chooses the CRF itself; it cannot be combined with --crf or --bitrate',
    path: ['targetVmaf'],
  });

type Flags = z.input<typeof flagsSchema>;

/** Registers `encode` on the program. */
export function registerEncode(program: Command): void {
  program
    .command('encode')
    .description(
      'encode a file in parallel segments split at scene cuts, joined frame-exactly with its audio',
    )
    .argument('<input>', 'video file to encode')
    .requiredOption('-o, --output <file>', 'output file: .mp4, .mkv or .webm')
    .option('--codec <codec>', `video codec: ${CODECS.join(', ')}`, 'h264')
    .option('--preset <name>', `speed/quality preset: ${PRESET_NAMES.join(', ')}`, 'balanced')
    .option('--workers <n>', 'parallel segment workers (default: from cores, memory and encoder)')
    .option('--threads <n>', 'encoder threads per worker (default: 1.5 × cores ÷ workers, rounded up)')
    .option('--crf <n>', 'constant quality (lower is better); default from the preset')
    .option('--bitrate <rate>', 'average bitrate, e.g. 4M; busier segments get more, calmer ones less')
    .option('--target-vmaf <score>', "search each segment's CRF so its VMAF reaches this score (e.g. 93)")
    .option('--target-pooling <how>', 'pool per-frame VMAF for --target-vmaf by mean or p5', 'mean')
    .option('--target-sample <n>', 'score every Nth frame of each --target-vmaf probe', '2')
    .option('--metrics', 'measure PSNR and SSIM against the input')
    .option('--json', 'NDJSON progress on stderr; the report as the last line of stdout')
    .option(
      '--work-dir <dir>',
      'work folder for segments and the resume journal (default: next to the output)',
    )
    .option('--keep-work', 'keep the work folder after success')
    .option('--min-segment <seconds>', 'shortest segment (default 1)')
    .option(
      '--max-segment <seconds>',
      'longest segment; longer scenes are split (default 10, lowered for short videos to give each worker 3 segments)',
    )
    .option('--scene-threshold <score>', 'scene-change score (0-100) that starts a new segment (default 10)')
    .action(
      action(async (input: string, raw: Flags) => {
        const flags = parseFlags(raw);
        const view: ProgressView =
          flags.json === true ? jsonProgress() : process.stderr.isTTY ? terminalProgress() : silentProgress();
        const abort = new AbortController();
        const onSignal = (): void =>
          abort.abort(
            new QuadStreamError('encode', 'interrupted', 'interrupted; run the same command again to resume'),
          );
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        let report: EncodeReport;
        try {
          report = await encodeFile(requestOf(input, flags), { onEvent: view.onEvent, signal: abort.signal });
        } finally {
          view.stop();
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
        if (flags.json === true) printJson(report);
        else process.stdout.write(summary(report));
        return 0;
      }),
    );
}

type ParsedFlags = z.output<typeof flagsSchema>;

function parseFlags(raw: Flags): ParsedFlags {
  const parsed = flagsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const flag =
      issue?.path[0] === undefined
        ? ''
        : `--${String(issue.path[0]).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: `;
    throw new QuadStreamError('config', 'cli.bad-flag', `${flag}${issue?.message ?? 'invalid flags'}`);
  }
  return parsed.data;
}

function requestOf(input: string, flags: ParsedFlags): EncodeFileRequest {
  let bitrateBps: number | undefined;
  if (flags.bitrate !== undefined) {
    bitrateBps = parseBitrateBps(flags.bitrate);
    if (bitrateBps === undefined) {
      throw new QuadStreamError(
        'config',
        'cli.bad-flag',
        `--bitrate: "${flags.bitrate}" is not a bitrate (try 4M or 2500k)`,
      );
    }
  }
  const fault = testFault();
  return {
    input,
    output: flags.output,
    codec: flags.codec,
    preset: flags.preset,
    ...(flags.crf === undefined ? {} : { crf: flags.crf }),
    ...(bitrateBps === undefined ? {} : { bitrateBps }),
    ...(flags.workers === undefined ? {} : { workers: flags.workers }),
    ...(flags.threads === undefined ? {} : { threads: flags.threads }),
    ...(flags.workDir === undefined ? {} : { workDir: flags.workDir }),
    metrics: flags.metrics === true,
    keepWork: flags.keepWork === true,
    plan: {
      ...(flags.minSegment === undefined ? {} : { minSeconds: flags.minSegment }),
      ...(flags.maxSegment === undefined ? {} : { maxSeconds: flags.maxSegment }),
      ...(flags.sceneThreshold === undefined ? {} : { threshold: flags.sceneThreshold }),
    },
    ...(fault === undefined ? {} : { fault }),
    ...(flags.targetVmaf === undefined
      ? {}
      : {
          targetQuality: {
            vmaf: flags.targetVmaf,
            pooling: flags.targetPooling,
            sampleEvery: flags.targetSample,
            tolerance: 0.5,
            maxProbes: 6,
          },
        }),
  };
}

/** Reads the test-only fault hook (see the module comment). */
function testFault(): EncodeFileRequest['fault'] {
  const raw = process.env[TEST_FAULT_ENV];
  if (raw === undefined || raw === '') return undefined;
  const m = /^(\d+):(\d+)(:crash)?$/.exec(raw);
  if (m === null) {
    throw new QuadStreamError(
      'config',
      'cli.bad-env',
      `${TEST_FAULT_ENV}="${raw}": expected INDEX:ATTEMPTS[:crash]`,
    );
  }
  return { segment: Number(m[1]), failAttempts: Number(m[2]), crash: m[3] !== undefined };
}

function summary(r: EncodeReport): string {
  const lines = [
    `${r.output}: ${r.outputFrames} frames in ${r.segments.length} segments, ${(r.bytes / 1e6).toFixed(2)} MB (${formatBitrate(Math.round((r.bytes * 8) / r.video.durationS))})`,
    `  ${r.wallSeconds.toFixed(1)} s wall, ${r.speed.toFixed(2)}× realtime, ${r.workers} worker${r.workers === 1 ? '' : 's'} × ${r.threadsPerWorker} thread${r.threadsPerWorker === 1 ? '' : 's'}`,
    `  encoder: ffmpeg ${r.encoder.ffmpegArgs}${r.encoder.bitstreamFilter === null ? '' : ` -bsf:v ${r.encoder.bitstreamFilter}`}`,
  ];
  if (r.resume.reused > 0) lines.push(`  resumed: ${r.resume.reused} segments reused from the work folder`);
  if (r.audio.length > 0)
    lines.push(
      `  audio: ${r.audio.map((a) => `#${a.stream} ${a.action === 'copy' ? `copied (${a.codec})` : `encoded to ${a.codec}`}`).join(', ')}`,
    );
  const tq = r.segments.flatMap((s) => (s.targetQuality === undefined ? [] : [s.targetQuality]));
  if (tq.length > 0)
    lines.push(
      `  target VMAF ${tq[0]!.target} (${tq[0]!.pooling}): CRF ${tq.map((t) => t.crf).join(', ')}; measured ${tq.map((t) => t.measuredVmaf.toFixed(2)).join(', ')}`,
    );
  if (r.psnr !== undefined && r.ssim !== undefined)
    lines.push(`  PSNR ${r.psnr.toFixed(2)} dB, SSIM ${r.ssim.toFixed(4)}`);
  if (r.dropped.length > 0) lines.push(`  not carried: ${r.dropped.join(', ')}`);
  return `${lines.join('\n')}\n`;
}
