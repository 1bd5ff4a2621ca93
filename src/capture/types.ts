/** What every capture source produces: frames with their capture time. */
import type { Frame } from 'node-av/lib';

/** Kinds of live source. */
export const SOURCE_KINDS = ['test', 'file', 'screen', 'camera'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

/**
 * A captured frame. The receiver owns `frame` and must `free()` it (or pass it on). Its `pts` is
 * `index` in units of 1/frame rate.
 */
export interface CapturedFrame {
  readonly frame: Frame;
  /** Position on the source's frame clock (0, 1, 2, …; gaps where frames were skipped). */
  readonly index: number;
  /** Wall clock when the frame became available, epoch milliseconds ({@link wallClockMs}). */
  readonly captureMs: number;
}

/** A live frame source. Close it (`await using`) to release devices and decoders. */
export interface FrameSource extends AsyncDisposable {
  readonly kind: SourceKind;
  /** A short description for logs and `/stats`, e.g. `test 1920x1080@60`. */
  readonly description: string;
  readonly width: number;
  readonly height: number;
  /** Nominal frame rate `[num, den]`. */
  readonly frameRate: readonly [number, number];
  /**
   * True when a frame is produced only when asked for (generated, decoded from a file, grabbed
   * from the screen): a consumer that is busy can simply ask later, and no work is wasted on
   * frames it would drop. False for devices that deliver at their own pace (cameras).
   */
  readonly onDemand: boolean;
  /**
   * Frames at real-time pace until `signal` aborts. When the consumer is late the source skips
   * frames rather than fall behind (live: the newest frame wins); skipped frames are counted in
   * {@link skipped}. Only one iteration at a time.
   */
  frames(signal: AbortSignal): AsyncGenerator<CapturedFrame>;
  /** Frames skipped so far because the consumer was late. */
  readonly skipped: number;
  close(): Promise<void>;
}
