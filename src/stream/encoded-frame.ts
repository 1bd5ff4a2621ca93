/** What the encode stage hands to the stream stage: one compressed frame and its history. */
import type { Codec } from '../core/units.ts';

/** The stream as a decoder must be configured for it. */
export interface StreamDescription {
  readonly codec: Codec;
  /** WebCodecs codec string. */
  readonly codecString: string;
  readonly encoder: string;
  readonly width: number;
  readonly height: number;
  readonly frameRate: readonly [number, number];
  /** Encoder generation (changes at every reopen or failover). */
  readonly generation: number;
}

/** One encoded frame. `data` is shared by every viewer and must not be modified. */
export interface EncodedFrame {
  /** Stream sequence number (u32, wraps). */
  readonly sequence: number;
  /** Capture slot index (the encoder pts, in 1/frame-rate units). */
  readonly index: number;
  readonly keyframe: boolean;
  readonly data: Buffer;
  /** Presentation time in microseconds. */
  readonly ptsUs: number;
  /** Nominal frame duration in milliseconds. */
  readonly durationMs: number;
  /** Wall clock (epoch ms) at capture, after pre-processing, when the encoder took it, when it came out. */
  readonly captureMs: number;
  readonly preprocessedMs: number;
  readonly encodeStartMs: number;
  readonly encodedMs: number;
  readonly description: StreamDescription;
}
