/**
 * The segment job itself, the same code whatever the transport: find the segment's frames,
 * encode exactly those (the first as a keyframe), write them to a NUT file under a temporary
 * name, check the file (right packet count, keyframe first, first timestamp) and rename it into
 * place.
 */
import { rename, rm, stat } from 'node:fs/promises';
import { QuadStreamError, describeError } from '../core/errors.ts';
import { FrameConverter } from '../media/frame-convert.ts';
import { VideoEncoder } from '../media/video-encoder.ts';
import { VideoFileWriter } from '../media/video-writer.ts';
import type { SegmentJob, SegmentResult, TargetQualityOutcome } from './job.ts';
import { checkSegmentFile } from './segment-check.ts';
import { segmentFrames } from './segment-frames.ts';
import { encodeToTarget } from './target-quality.ts';

/** Hooks a transport passes to {@link runSegmentJob}. */
export interface SegmentRunOptions {
  /** Called with the number of frames encoded so far (at most every few frames). */
  readonly onProgress?: (frames: number) => void;
  readonly signal?: AbortSignal;
  /** Test-only: what an injected crash does (a worker thread exits; inline, it throws). */
  readonly crash?: () => never;
  /** Clock for the result's `seconds`; defaults to `performance.now`. */
  readonly nowMs?: () => number;
}

/** Runs one segment job; see the module comment. Throws a {@link QuadStreamError} on failure. */
export async function runSegmentJob(
  job: SegmentJob,
  options: SegmentRunOptions = {},
): Promise<SegmentResult> {
  const now = options.nowMs ?? (() => performance.now());
  const started = now();
  const partial = `${job.output}.partial`;
  let targetQuality: TargetQualityOutcome | undefined;
  try {
    if (job.targetQuality === undefined) {
      await encodeInto(job, partial, options);
    } else {
      targetQuality = await encodeToTarget(
        job,
        job.targetQuality,
        partial,
        (crf, path) => encodeInto(withCrf(job, crf), path, options),
        options.signal,
      );
    }
    await checkSegmentFile(partial, job, { decode: false });
    await rename(partial, job.output);
  } catch (error) {
    await rm(partial, { force: true });
    if (error instanceof QuadStreamError) throw error;
    throw new QuadStreamError('encode', 'segment.failed', `segment ${job.segment}: ${describeError(error)}`, {
      cause: error,
    });
  }
  const bytes = (await stat(job.output)).size;
  return {
    segment: job.segment,
    attempt: job.attempt,
    frames: job.frames,
    bytes,
    seconds: (now() - started) / 1000,
    output: job.output,
    ...(targetQuality === undefined ? {} : { targetQuality }),
  };
}

/** The job with its encoder set to constant quality `crf` (rate limits removed). */
function withCrf(job: SegmentJob, crf: number): SegmentJob {
  const { bitrateBps: _b, maxBitrateBps: _m, minBitrateBps: _n, bufferBits: _v, ...encoder } = job.encoder;
  const options = { ...(encoder.options ?? {}), crf: String(crf) };
  // libvpx takes a CRF as constant quality only with a zero target bitrate.
  const vp9 = encoder.encoder === 'libvpx-vp9' ? { bitrateBps: 0 } : {};
  return { ...job, encoder: { ...encoder, ...vp9, options } };
}

async function encodeInto(job: SegmentJob, path: string, options: SegmentRunOptions): Promise<void> {
  using encoder = await VideoEncoder.open(job.encoder);
  using converter = FrameConverter.create(job.filter, job.relabel);
  await using writer = await VideoFileWriter.open(path, encoder.context, 'nut');
  const faultAt =
    job.fault !== undefined && job.attempt <= job.fault.failAttempts ? Math.floor(job.frames / 2) : -1;
  let count = 0;
  let lastReport = 0;
  for await (const decoded of segmentFrames(job, options.signal)) {
    options.signal?.throwIfAborted();
    if (count === faultAt) injectFault(job, options);
    const frame = await converter.convert(decoded.frame);
    try {
      // Frames are stamped with their own timestamps (variable frame rates are kept), or by index.
      frame.pts =
        BigInt(job.ptsOffset) + (job.locate.by === 'pts' ? decoded.pts : BigInt(job.startFrame + count));
      for (const p of await encoder.encode(frame, count === 0)) await writer.write(p);
    } finally {
      if (frame !== decoded.frame) frame.free();
    }
    count++;
    if (count - lastReport >= 4 || count === job.frames) {
      lastReport = count;
      options.onProgress?.(count);
    }
  }
  for (const p of await encoder.encode(null)) await writer.write(p);
  await writer.finish();
  if (count !== job.frames) {
    throw new QuadStreamError(
      'encode',
      'segment.short',
      `segment ${job.segment}: encoded ${count} frames, expected ${job.frames}`,
    );
  }
}

function injectFault(job: SegmentJob, options: SegmentRunOptions): void {
  if (job.fault?.crash === true && options.crash !== undefined) options.crash();
  throw new QuadStreamError(
    'encode',
    'segment.injected-fault',
    `segment ${job.segment}: injected test fault on attempt ${job.attempt}`,
  );
}
