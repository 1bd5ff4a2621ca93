/**
 * The file encoder's report and progress events: what `quadstream encode --json` prints (the
 * report as the last line of stdout, events as NDJSON on stderr).
 */
import type { TargetQualityOutcome } from './job.ts';
import type { PoolEvent } from './pool.ts';
import type { ProgressSnapshot } from './progress.ts';

/** Phases of a file encode, in order. */
export const ENCODE_PHASES = ['analyze', 'audio', 'encode', 'join', 'verify', 'metrics', 'done'] as const;
export type EncodePhase = (typeof ENCODE_PHASES)[number];

/** Something that happened during a file encode. */
export type EncodeEvent =
  | { readonly type: 'phase'; readonly phase: EncodePhase }
  | { readonly type: 'analyze-progress'; readonly frames: number; readonly framesExpected: number | null }
  | {
      readonly type: 'plan';
      readonly segments: number;
      readonly reused: number;
      readonly workers: number;
      readonly threadsPerWorker: number;
      readonly reason: string;
    }
  | ({ readonly type: 'progress' } & ProgressSnapshot)
  // The pool's own events (start, done, failed); its per-frame progress is folded into `progress`.
  | Exclude<PoolEvent, { readonly type: 'segment-progress' }>
  | { readonly type: 'segment-reused'; readonly segment: number }
  | { readonly type: 'segment-discarded'; readonly segment: number; readonly reason: string };

/** One segment in the report. */
export interface SegmentReport {
  readonly index: number;
  readonly startFrame: number;
  readonly frames: number;
  /** Why it starts where it does: `start`, `scene` (a cut) or `split` (a long scene split). */
  readonly reason: string;
  /** Attempts this run (0 when reused from an earlier run). */
  readonly attempts: number;
  /** Wall-clock seconds of the successful attempt (of the earlier run when reused). */
  readonly seconds: number;
  readonly bytes: number;
  /** Taken from an earlier run's work folder after re-verification. */
  readonly reused: boolean;
  /** Causes of failed attempts. */
  readonly causes: readonly string[];
  /** The segment's target bitrate with `--bitrate`. */
  readonly bitrateBps?: number;
  /** With `--target-vmaf`: the chosen CRF, predicted (sample) and measured (all frames) VMAF, probes. */
  readonly targetQuality?: TargetQualityOutcome;
}

/** Per-worker figures. */
export interface WorkerReport {
  readonly worker: number;
  readonly segments: number;
  readonly frames: number;
  readonly fps: number;
  /** Share of the encode phase this worker was busy, 0–1. */
  readonly busyShare: number;
}

/** The report of a finished encode. */
export interface EncodeReport {
  readonly input: string;
  readonly output: string;
  readonly inputFrames: number;
  readonly outputFrames: number;
  readonly segments: readonly SegmentReport[];
  /** The planner's settings as used (the maximum may be lowered for short videos; see docs/encode.md). */
  readonly plan: { readonly minSeconds: number; readonly maxSeconds: number; readonly threshold: number };
  readonly wallSeconds: number;
  /** Input duration over wall time (× realtime). */
  readonly speed: number;
  /** Size of the output file. */
  readonly bytes: number;
  readonly workers: number;
  readonly threadsPerWorker: number;
  readonly workerStats: readonly WorkerReport[];
  /** The encoder and its exact FFmpeg options (CLI names), and the same as a CLI fragment. */
  readonly encoder: {
    readonly name: string;
    readonly options: Readonly<Record<string, string>>;
    readonly ffmpegArgs: string;
    /** Bitstream filter applied when joining (colour / aspect metadata), in CLI syntax, or null. */
    readonly bitstreamFilter: string | null;
  };
  readonly audio: readonly { readonly stream: number; readonly action: string; readonly codec: string }[];
  readonly video: {
    readonly codec: string;
    readonly width: number;
    readonly height: number;
    readonly durationS: number;
    readonly constantFrameRate: boolean;
    readonly rotationDeg: number;
    readonly sampleAspectRatio: readonly [number, number];
    readonly hdr: string;
  };
  readonly verify: {
    readonly durationS: number;
    readonly maxTimestampErrorS: number;
    readonly audio: readonly { readonly startOffsetS: number; readonly durationS: number }[];
  };
  /** Segments reused from an earlier run, and those found invalid and encoded again. */
  readonly resume: { readonly reused: number; readonly discarded: number };
  readonly psnr?: number;
  readonly ssim?: number;
  /** Streams of the input that are not carried (subtitles, data, extra video). */
  readonly dropped: readonly string[];
}
