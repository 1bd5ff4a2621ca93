/**
 * The parallel file encoder: analyse → plan segments → encode them on a worker pool (resumable
 * through a journal) → join with the audio → verify → rename into place → report. Audio is
 * prepared alongside the analysis so that an audio problem fails the run in seconds. Nothing is
 * ever written at the output path except by the final rename of a verified file.
 */
import { rename, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism, freemem } from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { QuadStreamError } from '../core/errors.ts';
import {
  balancedMaxSeconds,
  DEFAULT_PLAN_OPTIONS,
  planSegments,
  type PlannedSegment,
  type SegmentPlanOptions,
} from '../core/segments.ts';
import type { Codec } from '../core/units.ts';
import { analyzeMedia, type MediaAnalysis } from '../media/analyze.ts';
import { planAudio, prepareAudio, type OutputContainer, type PreparedAudio } from '../media/audio.ts';
import { joinSegments } from '../media/concat.ts';
import { openInput, videoStreamOf } from '../media/input.ts';
import { measureQuality } from '../media/metrics.ts';
import { audioStreamsOf, streamSideData } from '../media/stream-info.ts';
import {
  ffmpegArgs,
  ffmpegOptions,
  frameConversion,
  segmentSettings,
  type EncodeChoices,
} from './encode-settings.ts';
import type { SegmentJob, TargetQuality } from './job.ts';
import { hashOf, inputKeyOf, WorkFolder, type Journal, type JournalSegment } from './journal.ts';
import { runPool } from './pool.ts';
import { ProgressTracker } from './progress.ts';
import type { EncodeEvent, EncodeReport, SegmentReport } from './report.ts';
import { allocateSegmentBitrates, meanOf } from './segment-bitrate.ts';
import { checkSegmentFile } from './segment-check.ts';
import { InlineTransport, ThreadTransport, type JobTransport } from './transport.ts';
import { verifyOutput } from './verify-output.ts';
import { sizeWorkers } from './workers.ts';

/** What to encode and how. */
export interface EncodeFileRequest extends EncodeChoices {
  readonly input: string;
  readonly output: string;
  /** `--workers`; default from cores, memory and the encoder. */
  readonly workers?: number;
  /** `--threads`: encoder (and decoder) threads per worker; default 1.5 × cores ÷ workers, rounded up. */
  readonly threads?: number;
  /** Work folder; default `.<output name>.quadstream` next to the output. */
  readonly workDir?: string;
  /** Measure PSNR and SSIM against the input. */
  readonly metrics?: boolean;
  /** Keep the work folder after success. */
  readonly keepWork?: boolean;
  readonly plan?: Partial<SegmentPlanOptions>;
  /** A worker silent this long is stopped and its attempt fails. Default 5 minutes. */
  readonly stallTimeoutMs?: number;
  /** Test-only fault injection: segment `segment` fails its first `failAttempts` attempts. */
  readonly fault?: { readonly segment: number; readonly failAttempts: number; readonly crash: boolean };
  /** `--target-vmaf`: search each segment's CRF for this quality. */
  readonly targetQuality?: TargetQuality;
}

/** Hooks of {@link encodeFile}. */
export interface EncodeFileHooks {
  readonly onEvent?: (event: EncodeEvent) => void;
  readonly signal?: AbortSignal;
  /** Monotonic clock in milliseconds; default `performance.now`. */
  readonly nowMs?: () => number;
}

/** Attempts per segment before the run fails. */
export const MAX_ATTEMPTS = 3;

const CONTAINERS: Record<string, OutputContainer> = {
  '.mp4': 'mp4',
  '.m4v': 'mp4',
  '.mov': 'mp4',
  '.mkv': 'matroska',
  '.webm': 'webm',
};

/** Encodes `request.input` to `request.output`; see the module comment. */
export async function encodeFile(
  request: EncodeFileRequest,
  hooks: EncodeFileHooks = {},
): Promise<EncodeReport> {
  const now = hooks.nowMs ?? (() => performance.now());
  const started = now();
  const emit = (e: EncodeEvent): void => hooks.onEvent?.(e);
  const container = containerOf(request.output, request.codec);
  await checkOutputFolder(request.input, request.output);

  // Open the input first: a missing, unreadable or video-less input fails before anything is written.
  await using probe = await openInput(request.input);
  const videoIndex = videoStreamOf(probe, request.input).index;
  const audioStreams = audioStreamsOf(probe);

  const inputKey = await inputKeyOf(request.input);
  const workDir = resolve(request.workDir ?? defaultWorkDir(request.output));
  await using work = await WorkFolder.open(workDir, inputKey);
  const abort = new AbortController();
  const onOuterAbort = (): void => abort.abort(hooks.signal?.reason);
  hooks.signal?.addEventListener('abort', onOuterAbort, { once: true });
  let audioReady: Promise<PreparedAudio[]> = Promise.resolve([]);
  const temp = join(
    dirname(resolve(request.output)),
    `.${basename(request.output)}.partial-${process.pid}${extname(request.output)}`,
  );
  try {
    // Audio alongside the analysis; its failure stops everything at once.
    emit({ type: 'phase', phase: 'audio' });
    // Set from the audio promise; an object so the compiler does not narrow it to its initial value.
    const audioFailure: { error: Error | null } = { error: null };
    const audioPlans = audioStreams.map((s) => planAudio(s.index, s.codec, s.channels, container));
    audioReady = Promise.all(
      audioPlans.map((p) =>
        prepareAudio(request.input, p, container, work.path(`audio-${p.streamIndex}.nut`), abort.signal),
      ),
    ).catch((error: unknown) => {
      // A failure after the run was stopped for another reason is only an echo of that reason.
      if (!abort.signal.aborted) {
        audioFailure.error = error instanceof Error ? error : new Error(String(error));
        abort.abort(audioFailure.error);
      }
      return [] as PreparedAudio[];
    });

    emit({ type: 'phase', phase: 'analyze' });
    let analysis: MediaAnalysis;
    try {
      analysis =
        work.previousAnalysis ??
        (await analyzeMedia(request.input, {
          signal: abort.signal,
          onProgress: (frames, framesExpected) => emit({ type: 'analyze-progress', frames, framesExpected }),
        }));
      if (work.previousAnalysis === null) await work.saveAnalysis(inputKey, analysis);
    } catch (error) {
      abort.abort(error);
      await audioReady;
      if (work.created) await work.remove();
      throw audioFailure.error ?? error;
    }
    const video = analysis.video;
    if (video.index !== videoIndex) {
      throw new QuadStreamError(
        'internal',
        'analysis.stream',
        `${request.input}: video stream changed between passes`,
      );
    }

    // Plan, settings and jobs.
    const tb = video.timeBase;
    const pts = analysis.frames.pts;
    const firstPts = pts[0]!;
    const byPts = video.timestampsUsable;
    // Frame times as the output will have them: the input's, or the nominal rate's when the input's
    // timestamps cannot identify frames (and the frames are restamped by index).
    const nominalS = video.frameRate[1] / video.frameRate[0];
    const times = byPts ? pts.map((p) => ((p - firstPts) * tb[0]) / tb[1]) : pts.map((_, i) => i * nominalS);
    const endTimeS = byPts ? video.durationS : video.frames * nominalS;
    // Short videos get shorter segments, so that the pool's last round is not one worker alone.
    const encoderName = segmentSettings(video, request, 1).encoder;
    const machine = {
      cores: availableParallelism(),
      freeMemoryBytes: freemem(),
      encoder: encoderName,
      width: video.width,
      height: video.height,
      ...(request.workers === undefined ? {} : { requested: request.workers }),
      ...(request.threads === undefined ? {} : { requestedThreads: request.threads }),
    };
    // (Only when the maximum is not the caller's own: an explicit maximum is used as given.)
    const planOptions = {
      ...request.plan,
      maxSeconds:
        request.plan?.maxSeconds ??
        balancedMaxSeconds(endTimeS, sizeWorkers({ ...machine, segments: Infinity }).workers, request.plan),
    };
    const plan = planSegments({ frameTimesS: times, scores: analysis.frames.scores, endTimeS }, planOptions);
    const sizing = sizeWorkers({ ...machine, segments: plan.length });
    const bitrates =
      request.bitrateBps === undefined
        ? null
        : allocateSegmentBitrates(
            plan.map((s) => ({
              seconds: s.seconds,
              complexity: meanOf(analysis.frames.mafd, s.startFrame, s.frames),
            })),
            request.bitrateBps,
          );
    // One maximum rate for every segment: x264 derives its level from it, and all segments' headers must match.
    const maxBitrateBps = bitrates === null ? 0 : Math.round(1.5 * Math.max(...bitrates));
    const conversion = frameConversion(video);
    const encoderTb: readonly [number, number] = byPts ? tb : [video.frameRate[1], video.frameRate[0]];
    const minPts = byPts ? Math.min(0, firstPts) : 0;
    // Enough headroom for any B-frame delay: 10 s of ticks, plus whatever makes the first pts positive.
    const ptsOffset = Math.ceil((10 * encoderTb[1]) / encoderTb[0]) - minPts;
    const jobs: SegmentJob[] = plan.map((s) => {
      const key = lastKeyframeAtOrBefore(analysis.frames.keyframes, s.startFrame);
      const settings = segmentSettings(video, request, sizing.threadsPerWorker, {
        ...(bitrates === null ? {} : { bitrateBps: bitrates[s.index]!, maxBitrateBps }),
      });
      return {
        segment: s.index,
        attempt: 1,
        input: resolve(request.input),
        streamIndex: video.index,
        startFrame: s.startFrame,
        frames: s.frames,
        locate: byPts
          ? {
              by: 'pts',
              seekPts: key === 0 ? null : pts[key]!,
              expectedPts: pts.slice(s.startFrame, s.startFrame + s.frames),
            }
          : { by: 'index' },
        ptsOffset,
        filter: conversion.filter,
        relabel: conversion.relabel,
        encoder: { ...settings, pixelFormat: conversion.pixelFormat, timeBase: encoderTb },
        decoderThreads: sizing.threadsPerWorker,
        output: work.path(`segment-${String(s.index).padStart(5, '0')}.nut`),
        ...(request.targetQuality === undefined ? {} : { targetQuality: request.targetQuality }),
        ...(request.fault?.segment === s.index
          ? { fault: { failAttempts: request.fault.failAttempts, crash: request.fault.crash } }
          : {}),
      };
    });
    // Everything that shapes a segment's bytes, except threads (which do not change x264's output
    // only when fixed; keep them in the key to be safe) and test faults.
    const settingsKey = hashOf(jobs.map(({ fault: _fault, attempt: _attempt, ...j }) => j));

    // Resume: keep finished segments that still verify.
    const previous = work.previous;
    const done = new Map<number, JournalSegment>();
    let discarded = 0;
    if (previous !== null && previous.settingsKey === settingsKey) {
      for (const seg of Object.values(previous.done)) {
        const job = jobs[seg.segment];
        if (job === undefined) continue;
        try {
          await checkSegmentFile(job.output, job, { decode: true });
          done.set(seg.segment, seg);
          emit({ type: 'segment-reused', segment: seg.segment });
        } catch (error) {
          discarded++;
          await rm(job.output, { force: true });
          emit({ type: 'segment-discarded', segment: seg.segment, reason: (error as Error).message });
        }
      }
    }
    const journal = (): Journal => ({
      version: 1,
      inputKey,
      settingsKey,
      plan,
      done: Object.fromEntries([...done].map(([k, v]) => [String(k), v])),
    });
    await work.save(journal());

    const todo = jobs
      .filter((j) => !done.has(j.segment))
      .sort((a, b) => b.frames - a.frames || a.segment - b.segment);
    const workers = Math.max(1, Math.min(sizing.workers, Math.max(1, todo.length)));
    emit({
      type: 'plan',
      segments: plan.length,
      reused: done.size,
      workers,
      threadsPerWorker: sizing.threadsPerWorker,
      reason: sizing.reason,
    });

    // Encode.
    emit({ type: 'phase', phase: 'encode' });
    const framesReused = [...done.values()].reduce((a, s) => a + s.frames, 0);
    const tracker = new ProgressTracker(workers, video.frames, framesReused);
    let lastEmit = 0;
    const progress = (force = false): void => {
      const t = now();
      if (!force && t - lastEmit < 250) return;
      lastEmit = t;
      emit({ type: 'progress', ...tracker.snapshot(t) });
    };
    const transports: JobTransport[] =
      workers === 1
        ? [new InlineTransport()]
        : Array.from(
            { length: workers },
            () => new ThreadTransport({ stallTimeoutMs: request.stallTimeoutMs ?? 300_000 }),
          );
    const encodeStarted = now();
    const attempts = new Map<number, number>();
    let poolResult;
    try {
      poolResult = await runPool({
        jobs: todo,
        transports,
        maxAttempts: MAX_ATTEMPTS,
        signal: abort.signal,
        nowMs: now,
        onEvent: (e) => {
          const t = now();
          if (e.type === 'segment-start') {
            tracker.start(e.worker, e.segment, t);
            attempts.set(e.segment, e.attempt);
          } else if (e.type === 'segment-progress') tracker.progress(e.worker, e.frames, t);
          else if (e.type === 'segment-done') tracker.end(e.worker, e.frames, true, t);
          else tracker.end(e.worker, 0, false, t);
          if (e.type !== 'segment-progress') emit(e);
          progress(e.type !== 'segment-progress');
        },
        onResult: async (result, causes) => {
          done.set(result.segment, {
            segment: result.segment,
            file: result.output,
            frames: result.frames,
            bytes: result.bytes,
            attempts: result.attempt,
            seconds: result.seconds,
            causes,
            ...(result.targetQuality === undefined ? {} : { targetQuality: result.targetQuality }),
          });
          await work.save(journal());
        },
      });
    } catch (error) {
      if (audioFailure.error !== null) throw audioFailure.error;
      throw error;
    } finally {
      for (const t of transports) await t[Symbol.asyncDispose]();
    }
    const encodeMs = now() - encodeStarted;

    // Join with the audio, under a temporary name.
    const audio = await audioReady;
    if (audioFailure.error !== null) throw audioFailure.error;
    emit({ type: 'phase', phase: 'join' });
    const sideData = await streamSideData(request.input, video.index);
    const minFrameTicks = minDelta(pts) ?? Math.max(1, analysis.frames.lastDuration);
    const joined = await joinSegments(
      {
        output: temp,
        container,
        segments: jobs.map((j) => j.output),
        audio,
        origin: { pts: byPts ? firstPts : 0, timeBase: encoderTb },
        segmentOffsetTicks: ptsOffset,
        minFrameTicks: byPts ? minFrameTicks : 1,
        metadata: {
          colour: video.colour,
          sampleAspectRatio: video.sampleAspectRatio,
          frameRate: video.frameRate,
          sideData,
        },
      },
      abort.signal,
    );

    // Verify, measure, rename.
    emit({ type: 'phase', phase: 'verify' });
    const frameDurationS = endTimeS / video.frames;
    const check = await verifyOutput(temp, {
      frames: video.frames,
      frameTimesS: times,
      durationS: endTimeS,
      frameDurationS,
      segmentStarts: plan.map((s) => s.startFrame),
      audio: analysis.audio
        .filter((a) => a.startS !== null)
        .map((a) => ({
          startOffsetS: a.startS! + a.primingS - video.startS,
          durationS: (a.durationS ?? 0) - a.primingS,
        })),
    });
    let quality: { psnr: number; ssim: number } | null = null;
    if (request.metrics === true) {
      emit({ type: 'phase', phase: 'metrics' });
      quality = await measureQuality(
        {
          path: request.input,
          streamIndex: video.index,
          relabel: conversion.relabel,
          filter: conversion.filter,
          bitDepth: conversion.pixelFormat === 'yuv420p' ? 8 : 10,
        },
        temp,
        abort.signal,
      );
    }
    await rename(temp, request.output);
    const bytes = (await stat(request.output)).size;
    if (request.keepWork !== true) await work.remove();
    emit({ type: 'phase', phase: 'done' });

    const wallSeconds = (now() - started) / 1000;
    const pool = poolResult;
    const baseSettings = segmentSettings(video, request, sizing.threadsPerWorker, {
      ...(request.bitrateBps === undefined ? {} : { bitrateBps: request.bitrateBps, maxBitrateBps }),
    });
    const options = ffmpegOptions({ ...baseSettings, pixelFormat: conversion.pixelFormat });
    const segments: SegmentReport[] = plan.map((s: PlannedSegment) => {
      const d = done.get(s.index);
      const reused = !todo.some((j) => j.segment === s.index);
      return {
        index: s.index,
        startFrame: s.startFrame,
        frames: s.frames,
        reason: s.reason,
        attempts: reused ? 0 : (attempts.get(s.index) ?? d?.attempts ?? 1),
        seconds: d?.seconds ?? 0,
        bytes: d?.bytes ?? 0,
        reused,
        causes: d?.causes ?? pool.failures.get(s.index) ?? [],
        ...(bitrates === null ? {} : { bitrateBps: bitrates[s.index]! }),
        ...(d?.targetQuality === undefined ? {} : { targetQuality: d.targetQuality }),
      };
    });
    return {
      input: request.input,
      output: request.output,
      inputFrames: video.frames,
      outputFrames: check.frames,
      segments,
      plan: { ...DEFAULT_PLAN_OPTIONS, ...planOptions },
      wallSeconds,
      speed: video.durationS / wallSeconds,
      bytes,
      workers,
      threadsPerWorker: sizing.threadsPerWorker,
      workerStats: pool.workers.map((w) => ({
        worker: w.worker,
        segments: w.segments,
        frames: w.frames,
        fps: w.busyMs > 0 ? w.frames / (w.busyMs / 1000) : 0,
        busyShare: encodeMs > 0 ? Math.min(1, w.busyMs / encodeMs) : 0,
      })),
      encoder: {
        name: baseSettings.encoder,
        options,
        ffmpegArgs: ffmpegArgs(options),
        bitstreamFilter: joined.bitstreamFilter,
      },
      audio: audioPlans.map((p) => ({ stream: p.streamIndex, action: p.action, codec: p.codec })),
      video: {
        codec: video.codec,
        width: video.width,
        height: video.height,
        durationS: video.durationS,
        constantFrameRate: video.constantFrameRate,
        rotationDeg: video.rotationDeg,
        sampleAspectRatio: [video.sampleAspectRatio[0], video.sampleAspectRatio[1]],
        hdr: video.hdr,
      },
      verify: {
        durationS: check.durationS,
        maxTimestampErrorS: check.maxTimestampErrorS,
        audio: check.audio,
      },
      resume: { reused: segments.filter((s) => s.reused).length, discarded },
      ...(quality === null ? {} : { psnr: quality.psnr, ssim: quality.ssim }),
      dropped: analysis.otherStreams,
    };
  } finally {
    // Stop whatever still runs (audio after a failed encode) before the work folder is left.
    if (!abort.signal.aborted)
      abort.abort(new QuadStreamError('internal', 'encode.ended', 'the encode ended'));
    await audioReady;
    hooks.signal?.removeEventListener('abort', onOuterAbort);
    await rm(temp, { force: true });
  }
}

/** The output container for a file name, checked against the codec. */
export function containerOf(output: string, codec: Codec): OutputContainer {
  const ext = extname(output).toLowerCase();
  const container = CONTAINERS[ext];
  if (container === undefined) {
    throw new QuadStreamError(
      'config',
      'output.extension',
      `${output}: unknown output type "${ext || '(none)'}"; use .mp4, .mkv or .webm`,
      { subject: output },
    );
  }
  if (container === 'webm' && codec !== 'vp9' && codec !== 'av1') {
    throw new QuadStreamError(
      'config',
      'output.codec',
      `${output}: WebM holds only VP9 or AV1 video, not ${codec}`,
      {
        subject: output,
      },
    );
  }
  return container;
}

/** `.<name>.quadstream` next to the output. */
export function defaultWorkDir(output: string): string {
  return join(dirname(resolve(output)), `.${basename(output)}.quadstream`);
}

async function checkOutputFolder(input: string, output: string): Promise<void> {
  if (resolve(input) === resolve(output)) {
    throw new QuadStreamError(
      'config',
      'output.is-input',
      `${output}: the output would overwrite the input`,
      {
        subject: output,
      },
    );
  }
  const dir = dirname(resolve(output));
  const fail = (why: string, cause?: unknown): never => {
    throw new QuadStreamError(
      'config',
      'output.unwritable',
      `${dir}: cannot write the output there (${why})`,
      {
        cause,
        subject: dir,
      },
    );
  };
  try {
    if (!(await stat(dir)).isDirectory()) fail('not a folder');
  } catch (cause) {
    if (cause instanceof QuadStreamError) throw cause;
    fail('no such folder', cause);
  }
  // Create and delete a file: permissions alone do not tell (root, read-only mounts, /proc).
  const probe = join(dir, `.quadstream-probe-${process.pid}`);
  try {
    await writeFile(probe, '', { flag: 'wx' });
    await rm(probe, { force: true });
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const why =
      code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'EROFS'
          ? 'read-only file system'
          : code === 'ENOSPC'
            ? 'disk full'
            : `cannot create files: ${code ?? 'error'}`;
    fail(why, cause);
  }
}

function lastKeyframeAtOrBefore(keyframes: readonly number[], frame: number): number {
  let best = 0;
  for (const k of keyframes) {
    if (k <= frame) best = k;
    else break;
  }
  return best;
}

function minDelta(pts: readonly number[]): number | null {
  let min: number | null = null;
  for (let i = 1; i < pts.length; i++) {
    const d = pts[i]! - pts[i - 1]!;
    if (d > 0 && (min === null || d < min)) min = d;
  }
  return min;
}
