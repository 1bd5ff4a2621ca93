/**
 * Turns what a caller wants (size, rate, latency, bitrate) into the exact options for one
 * encoder. Pure. The result names every FFmpeg option so that an encode can be reproduced with
 * the `ffmpeg` CLI.
 */
import type { EncoderInfo } from './catalogue.ts';

/** What a stream or file needs from an encoder. Bitrates in bits per second. */
export interface EncodeIntent {
  readonly width: number;
  readonly height: number;
  /** Frame rate as `[num, den]`. */
  readonly frameRate: readonly [number, number];
  readonly bitrateBps?: number;
  readonly maxBitrateBps?: number;
  /** Constant quality instead of a bitrate (x264/x265 crf, SVT-AV1 crf, VP9 crf). */
  readonly crf?: number;
  readonly lowLatency: boolean;
  readonly tenBit?: boolean;
  /** Keyframe interval in frames; -1 for keyframes only on demand (the live default). */
  readonly gopFrames?: number;
  /** Allow B-frames (ignored when `lowLatency`). */
  readonly bFrames?: boolean;
  /** Speed preset in the encoder's own terms (`ultrafast`, `8`, …); a sensible default otherwise. */
  readonly preset?: string;
  readonly threads?: number;
  /** Extra private options, applied last. */
  readonly options?: Readonly<Record<string, string>>;
  /** Codec headers out of band (for MP4/MKV muxing). */
  readonly globalHeader?: boolean;
}

/** The resolved settings for one encoder (the input of `VideoEncoder.open`). */
export interface ResolvedSettings {
  readonly encoder: string;
  readonly width: number;
  readonly height: number;
  readonly pixelFormat: 'yuv420p' | 'nv12' | 'yuv420p10le' | 'p010le';
  readonly frameRate: readonly [number, number];
  readonly bitrateBps?: number;
  readonly maxBitrateBps?: number;
  readonly minBitrateBps?: number;
  readonly bufferBits?: number;
  readonly gopFrames?: number;
  readonly maxBFrames?: number;
  readonly threads?: number;
  readonly globalHeader?: boolean;
  readonly options: Readonly<Record<string, string>>;
  readonly hardwareFrames?: 'vaapi' | 'qsv' | 'vulkan';
}

/** The keyframe interval used for "keyframes on demand". */
export const ON_DEMAND_GOP_FRAMES = 100_000;

/** Default speed presets: fast enough for live on few cores, and a balanced one for files. */
function defaultPreset(encoder: EncoderInfo, lowLatency: boolean): Record<string, string> {
  switch (encoder.name) {
    case 'libx264':
      return { preset: lowLatency ? 'ultrafast' : 'medium' };
    case 'libx265':
      return { preset: lowLatency ? 'ultrafast' : 'medium' };
    case 'libsvtav1':
      return { preset: lowLatency ? '10' : '8' };
    case 'libvpx-vp9':
      return lowLatency ? {} : { deadline: 'good', 'cpu-used': '4', 'row-mt': '1' };
    default:
      return {};
  }
}

function presetOption(encoder: EncoderInfo, preset: string): Record<string, string> {
  if (encoder.name === 'libvpx-vp9') return { 'cpu-used': preset };
  return { preset };
}

function fps(frameRate: readonly [number, number]): number {
  return frameRate[0] / frameRate[1];
}

/** SVT-AV1 refuses a rate-control buffer shorter than this. */
const SVT_MIN_BUFFER_MS = 20;

/**
 * VBV size for a live stream: about one frame's worth of bits at the target (for SVT-AV1 at least
 * 20 ms, its minimum, which is more than a frame above 50 fps).
 */
export function oneFrameBufferBits(bitrateBps: number, framesPerSecond: number, encoder?: string): number {
  const frame = bitrateBps / framesPerSecond;
  const floor = encoder === 'libsvtav1' ? (bitrateBps * (SVT_MIN_BUFFER_MS + 5)) / 1000 : 1;
  return Math.max(1, Math.round(Math.max(frame, floor)));
}

/** Resolves `intent` for `encoder`. */
export function resolveSettings(encoder: EncoderInfo, intent: EncodeIntent): ResolvedSettings {
  const tenBit = intent.tenBit === true;
  const pixelFormat = tenBit ? encoder.tenBitPixelFormat : encoder.inputPixelFormat;
  const options: Record<string, string> = {
    ...defaultPreset(encoder, intent.lowLatency),
    ...(intent.preset === undefined ? {} : presetOption(encoder, intent.preset)),
  };
  if (intent.lowLatency) Object.assign(options, encoder.lowLatencyOptions);
  if (encoder.name === 'libx264' || encoder.name === 'libx265') {
    options['forced-idr'] = '1';
  }
  let rate: Pick<ResolvedSettings, 'bitrateBps' | 'maxBitrateBps' | 'minBitrateBps' | 'bufferBits'> = {};
  if (intent.crf !== undefined) {
    options['crf'] = String(intent.crf);
    if (encoder.name === 'libvpx-vp9') rate = { bitrateBps: 0 };
  } else if (intent.bitrateBps !== undefined) {
    const b = intent.bitrateBps;
    if (intent.lowLatency) {
      // CBR with about one frame of VBV: each frame's size is bounded, so queues stay short.
      rate = {
        bitrateBps: b,
        maxBitrateBps: b,
        bufferBits: oneFrameBufferBits(b, fps(intent.frameRate), encoder.name),
      };
      if (encoder.name === 'libvpx-vp9') rate = { ...rate, minBitrateBps: b };
    } else if (encoder.name === 'libsvtav1') {
      // SVT-AV1 takes a maximum rate only in capped-CRF mode: plain VBR here.
      rate = { bitrateBps: b };
    } else {
      const max = intent.maxBitrateBps ?? Math.round(b * 1.5);
      rate = { bitrateBps: b, maxBitrateBps: max, bufferBits: 2 * max };
    }
  }
  const lowLatency = intent.lowLatency;
  const gop = intent.gopFrames ?? (lowLatency ? -1 : Math.round(2 * fps(intent.frameRate)));
  const settings: ResolvedSettings = {
    encoder: encoder.name,
    width: intent.width,
    height: intent.height,
    pixelFormat,
    frameRate: intent.frameRate,
    ...rate,
    // FFmpeg's wrappers ignore -1 and fall back to the encoder's default interval, so "on demand"
    // is a very long interval instead (about half an hour at 60 fps).
    gopFrames: gop === -1 ? ON_DEMAND_GOP_FRAMES : gop,
    ...(lowLatency || intent.bFrames === false ? { maxBFrames: 0 } : {}),
    ...(intent.threads === undefined ? {} : { threads: intent.threads }),
    ...(intent.globalHeader === true ? { globalHeader: true } : {}),
    options: { ...options, ...(intent.options ?? {}) },
    ...(encoder.needsHardwareFrames ? { hardwareFrames: encoder.api as 'vaapi' | 'qsv' | 'vulkan' } : {}),
  };
  return settings;
}
