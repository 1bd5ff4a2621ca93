/**
 * A segment job: a plain, serialisable description of one segment's encode (input, frame range,
 * encoder settings, output path), and its result. The same job runs inline, in a worker thread, or
 * (later) in a distributed worker; only the transport differs. Jobs are validated with zod where
 * they cross a boundary.
 */
import { z } from 'zod';
import { QuadStreamError } from '../core/errors.ts';
import type { VideoEncoderConfig } from '../media/video-encoder.ts';

const fraction = z.tuple([z.number().int(), z.number().int().positive()]);

const encoderConfig = z.object({
  encoder: z.string().min(1),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  pixelFormat: z.enum(['yuv420p', 'nv12', 'yuv420p10le', 'p010le']),
  frameRate: fraction,
  timeBase: fraction.optional(),
  bitrateBps: z.number().nonnegative().optional(),
  maxBitrateBps: z.number().nonnegative().optional(),
  minBitrateBps: z.number().nonnegative().optional(),
  bufferBits: z.number().nonnegative().optional(),
  gopFrames: z.number().int().optional(),
  maxBFrames: z.number().int().nonnegative().optional(),
  threads: z.number().int().nonnegative().optional(),
  globalHeader: z.boolean().optional(),
  options: z.record(z.string(), z.string()).optional(),
});

/** Zod schema of {@link SegmentJob}; parse untrusted payloads with {@link parseSegmentJob}. */
export const segmentJobSchema = z.object({
  segment: z.number().int().nonnegative(),
  attempt: z.number().int().positive(),
  input: z.string().min(1),
  streamIndex: z.number().int().nonnegative(),
  startFrame: z.number().int().nonnegative(),
  frames: z.number().int().positive(),
  locate: z.discriminatedUnion('by', [
    z.object({
      by: z.literal('pts'),
      seekPts: z.number().nullable(),
      expectedPts: z.array(z.number()).min(1),
    }),
    z.object({ by: z.literal('index') }),
  ]),
  ptsOffset: z.number().int().nonnegative(),
  filter: z.string().nullable(),
  relabel: z.enum(['yuv420p', 'yuv422p', 'yuv444p']).nullable(),
  encoder: encoderConfig,
  decoderThreads: z.number().int().nonnegative(),
  output: z.string().min(1),
  fault: z.object({ failAttempts: z.number().int().nonnegative(), crash: z.boolean() }).optional(),
  targetQuality: z
    .object({
      vmaf: z.number().min(0).max(100),
      pooling: z.enum(['mean', 'p5']),
      sampleEvery: z.number().int().positive(),
      tolerance: z.number().positive(),
      maxProbes: z.number().int().min(2).max(12),
    })
    .optional(),
});

/** `--target-vmaf`: the VMAF a segment must reach, how it is pooled and sampled. */
export interface TargetQuality {
  readonly vmaf: number;
  /** Pool the per-frame scores by their mean or their 5th percentile. */
  readonly pooling: 'mean' | 'p5';
  /** Score every Nth frame of each probe. */
  readonly sampleEvery: number;
  /** A probe within this distance of the target ends the search. */
  readonly tolerance: number;
  readonly maxProbes: number;
}

/** What the target-quality search chose for a segment. */
export interface TargetQualityOutcome {
  readonly target: number;
  readonly pooling: 'mean' | 'p5';
  readonly crf: number;
  /** VMAF of the chosen probe on the sampled frames. */
  readonly predictedVmaf: number;
  /** VMAF of the chosen encode on every frame. */
  readonly measuredVmaf: number;
  readonly probes: readonly { readonly crf: number; readonly vmaf: number }[];
  /** Why the search stopped. */
  readonly stop: string;
}

/**
 * One segment to encode: frames `[startFrame, startFrame + frames)` of `input`'s video stream
 * (display order), written to `output` (NUT) with exactly those frames, the first a keyframe.
 */
export interface SegmentJob {
  /** Segment number in the plan (0-based). */
  readonly segment: number;
  /** Attempt number, from 1. */
  readonly attempt: number;
  readonly input: string;
  readonly streamIndex: number;
  readonly startFrame: number;
  readonly frames: number;
  /**
   * How to find the frames. `pts`: seek to the keyframe at `seekPts` (null: from the start) and
   * match frames by timestamp (`expectedPts`, one per frame, in the stream's time base). `index`:
   * decode from the start and count frames (for inputs whose timestamps do not increase); the
   * encoder then stamps frames by index.
   */
  readonly locate:
    | { readonly by: 'pts'; readonly seekPts: number | null; readonly expectedPts: readonly number[] }
    | { readonly by: 'index' };
  /**
   * Added to every frame's timestamp before encoding (in the encoder's time base), so that no
   * decode timestamp is negative with B-frames: the segment files (NUT) cannot store negative
   * timestamps. The join subtracts it again.
   */
  readonly ptsOffset: number;
  /** FFmpeg filter graph applied to each decoded frame before encoding (pixel format conversion), or null. */
  readonly filter: string | null;
  /**
   * Relabel decoded frames as this pixel format without converting (`yuvj420p` is `yuv420p` with
   * full-range samples; the range travels as metadata), or null.
   */
  readonly relabel: 'yuv420p' | 'yuv422p' | 'yuv444p' | null;
  /** Exact encoder settings; `timeBase` is the input's (or 1/fps when stamping by index). */
  readonly encoder: VideoEncoderConfig;
  readonly decoderThreads: number;
  /** Where the segment goes (a NUT file); written under a temporary name first. */
  readonly output: string;
  /** Test-only: fail attempts up to `failAttempts` part-way (crash the worker thread when `crash`). */
  readonly fault?: { readonly failAttempts: number; readonly crash: boolean };
  /** Search the CRF per segment for this quality instead of using the encoder's own `crf`. */
  readonly targetQuality?: TargetQuality;
}

/** What a finished segment job reports. */
export interface SegmentResult {
  readonly segment: number;
  readonly attempt: number;
  readonly frames: number;
  readonly bytes: number;
  /** Wall-clock seconds of this attempt. */
  readonly seconds: number;
  readonly output: string;
  /** The target-quality search's outcome, when the job had a target. */
  readonly targetQuality?: TargetQualityOutcome;
}

/** Validates a job payload; a malformed one is an `internal` error (jobs are built by QuadStream). */
export function parseSegmentJob(payload: unknown): SegmentJob {
  const parsed = segmentJobSchema.safeParse(payload);
  if (!parsed.success) {
    throw new QuadStreamError(
      'internal',
      'job.invalid',
      `malformed segment job: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data as SegmentJob;
}
