/**
 * Device sources: `screen` (X11 through FFmpeg's x11grab, which reads the screen with XCB) and
 * `camera` (V4L2). The device paces itself; a frame is stamped when it is read. When the consumer
 * is slow, x11grab simply grabs later (newest wins); V4L2 may hand out frames its driver queued.
 */
import { stat } from 'node:fs/promises';
import { Demuxer } from 'node-av/api';
import { describeError, QuadStreamError } from '../core/errors.ts';
import { ensureFfmpegLog } from '../media/ffmpeg-log.ts';
import { wallClockMs } from './clock.ts';
import { FrameReader } from './frame-reader.ts';
import type { CapturedFrame, FrameSource, SourceKind } from './types.ts';

interface DeviceSpec {
  readonly kind: Extract<SourceKind, 'screen' | 'camera'>;
  readonly url: string;
  readonly format: 'x11grab' | 'v4l2';
  readonly options: Record<string, string>;
  readonly description: string;
}

class DeviceSource implements FrameSource {
  readonly kind: Extract<SourceKind, 'screen' | 'camera'>;
  readonly description: string;
  readonly onDemand: boolean;
  readonly width: number;
  readonly height: number;
  readonly frameRate: readonly [number, number];
  readonly #spec: DeviceSpec;
  #demuxer: Demuxer | null;
  #skipped = 0;

  constructor(
    spec: DeviceSpec,
    demuxer: Demuxer,
    width: number,
    height: number,
    frameRate: readonly [number, number],
  ) {
    this.#spec = spec;
    this.kind = spec.kind;
    this.description = spec.description;
    // x11grab grabs when read; a V4L2 camera fills its buffers whether or not anyone reads.
    this.onDemand = spec.format === 'x11grab';
    this.#demuxer = demuxer;
    this.width = width;
    this.height = height;
    this.frameRate = frameRate;
  }

  get skipped(): number {
    return this.#skipped;
  }

  async *frames(signal: AbortSignal): AsyncGenerator<CapturedFrame> {
    // The device was opened to check it; later runs open it again.
    const demuxer = this.#demuxer ?? (await openDevice(this.#spec));
    this.#demuxer = null;
    try {
      const stream = demuxer.video();
      if (stream === undefined)
        throw new QuadStreamError(
          'input',
          'capture.no-video',
          `${this.#spec.kind}: the device gives no video`,
        );
      using reader = await FrameReader.open(demuxer, stream, { subject: this.#spec.url });
      const periodMs = (1000 * this.frameRate[1]) / this.frameRate[0];
      let startMs: number | undefined;
      let lastIndex = -1;
      for (let frame = await reader.next(); frame !== null; frame = await reader.next()) {
        if (signal.aborted) {
          frame.free();
          break;
        }
        const captureMs = wallClockMs();
        startMs ??= captureMs;
        const index = Math.max(lastIndex + 1, Math.round((captureMs - startMs) / periodMs));
        this.#skipped += index - lastIndex - 1;
        lastIndex = index;
        frame.pts = BigInt(index);
        yield { frame, index, captureMs };
      }
    } finally {
      await demuxer.close();
    }
  }

  async close(): Promise<void> {
    const d = this.#demuxer;
    this.#demuxer = null;
    await d?.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

async function openDevice(spec: DeviceSpec): Promise<Demuxer> {
  ensureFfmpegLog();
  try {
    // No stream-info probe: it would read frames ahead and hand them out late, stamped as new.
    return await Demuxer.open(spec.url, { format: spec.format, options: spec.options, skipStreamInfo: true });
  } catch (cause) {
    const hint =
      spec.kind === 'screen'
        ? ' (is an X server running on that display? On a headless machine start Xvfb, see docs/streaming.md)'
        : ' (is it a V4L2 capture device that supports this size and frame rate?)';
    throw new QuadStreamError(
      'input',
      `capture.${spec.kind}-failed`,
      `${spec.kind}: cannot open ${spec.url}: ${describeError(cause)}${hint}`,
      { cause, subject: spec.url },
    );
  }
}

async function openDeviceSource(
  spec: DeviceSpec,
  fallbackRate: readonly [number, number],
): Promise<FrameSource> {
  const demuxer = await openDevice(spec);
  const stream = demuxer.video();
  if (stream === undefined) {
    await demuxer.close();
    throw new QuadStreamError('input', 'capture.no-video', `${spec.kind}: ${spec.url} gives no video`);
  }
  const r = stream.avgFrameRate.num > 0 ? stream.avgFrameRate : stream.rFrameRate;
  const rate: readonly [number, number] = r.num > 0 && r.den > 0 ? [r.num, r.den] : fallbackRate;
  return new DeviceSource(spec, demuxer, stream.codecpar.width, stream.codecpar.height, rate);
}

/** Options for {@link openScreenSource}. */
export interface ScreenSourceOptions {
  /** X display and optional offset, e.g. `:0.0` or `:99.0+100,200`; default `$DISPLAY`. */
  readonly display?: string;
  readonly frameRate: readonly [number, number];
  /** Size of the grabbed region; default the whole screen. */
  readonly width?: number;
  readonly height?: number;
  readonly drawMouse?: boolean;
}

/** Opens the X11 screen through x11grab (an `input` error when there is no display). */
export async function openScreenSource(options: ScreenSourceOptions): Promise<FrameSource> {
  const display = options.display ?? process.env['DISPLAY'];
  if (display === undefined || display === '')
    throw new QuadStreamError(
      'input',
      'capture.no-display',
      'screen: no X display (set DISPLAY or use --source screen::99; on a headless machine start Xvfb first)',
    );
  const [n, d] = options.frameRate;
  const spec: DeviceSpec = {
    kind: 'screen',
    url: display,
    format: 'x11grab',
    options: {
      framerate: `${n}/${d}`,
      draw_mouse: options.drawMouse === false ? '0' : '1',
      ...(options.width !== undefined && options.height !== undefined
        ? { video_size: `${options.width}x${options.height}` }
        : {}),
    },
    description: `screen ${display}`,
  };
  return openDeviceSource(spec, options.frameRate);
}

/** Options for {@link openCameraSource}. */
export interface CameraSourceOptions {
  /** Device path; default `/dev/video0`. */
  readonly device?: string;
  readonly frameRate: readonly [number, number];
  readonly width?: number;
  readonly height?: number;
}

/** Opens a V4L2 camera (an `input` error naming the device when it is missing or refuses). */
export async function openCameraSource(options: CameraSourceOptions): Promise<FrameSource> {
  const device = options.device ?? '/dev/video0';
  try {
    const info = await stat(device);
    if (!info.isCharacterDevice())
      throw new QuadStreamError('input', 'capture.no-camera', `camera: ${device} is not a video device`, {
        subject: device,
      });
  } catch (cause) {
    if (cause instanceof QuadStreamError) throw cause;
    throw new QuadStreamError(
      'input',
      'capture.no-camera',
      `camera: ${device} does not exist (no V4L2 camera here; pick one with --source camera:/dev/videoN)`,
      { cause, subject: device },
    );
  }
  const [n, d] = options.frameRate;
  const spec: DeviceSpec = {
    kind: 'camera',
    url: device,
    format: 'v4l2',
    options: {
      framerate: `${n}/${d}`,
      ...(options.width !== undefined && options.height !== undefined
        ? { video_size: `${options.width}x${options.height}` }
        : {}),
    },
    description: `camera ${device}`,
  };
  return openDeviceSource(spec, options.frameRate);
}
