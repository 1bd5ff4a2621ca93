/**
 * From the input's analysis and the user's choices to exact encoder settings: the software encoder
 * for the codec, the preset's speed and quality, a keyframe interval, 8- or 10-bit, the conversion
 * the decoded frames need, and the same settings written as `ffmpeg` CLI options so that anyone can
 * reproduce a segment's encode. Pure.
 */
import type { Codec } from '../core/units.ts';
import { softwareEncoderFor } from '../encode/catalogue.ts';
import { resolveSettings, type ResolvedSettings } from '../encode/settings.ts';
import type { VideoFacts } from '../media/analyze.ts';
import { filePreset, KEYFRAME_INTERVAL_S, type PresetName } from './presets.ts';

/** What the user chose. */
export interface EncodeChoices {
  readonly codec: Codec;
  readonly preset: PresetName;
  readonly crf?: number;
  readonly bitrateBps?: number;
}

/** How decoded frames become encoder input. */
export interface FrameConversion {
  /** Pixel format the encoder takes. */
  readonly pixelFormat: 'yuv420p' | 'yuv420p10le';
  /** Relabel without converting (`yuvj420p` → `yuv420p`; the full range travels as metadata), or null. */
  readonly relabel: 'yuv420p' | 'yuv422p' | 'yuv444p' | null;
  /** FFmpeg filter graph converting the pixel format, or null. */
  readonly filter: string | null;
}

/** Decides the conversion from the decoder's pixel format to 8-bit or 10-bit 4:2:0. */
export function frameConversion(video: Pick<VideoFacts, 'pixelFormat' | 'bitDepth'>): FrameConversion {
  const pixelFormat = video.bitDepth > 8 ? 'yuv420p10le' : 'yuv420p';
  const jpeg = /^yuvj(420|422|444)p$/.exec(video.pixelFormat);
  const relabel = jpeg === null ? null : (`yuv${jpeg[1]}p` as 'yuv420p' | 'yuv422p' | 'yuv444p');
  const effective = relabel ?? video.pixelFormat;
  return { pixelFormat, relabel, filter: effective === pixelFormat ? null : `format=${pixelFormat}` };
}

/**
 * The encoder settings for one segment. `bitrateBps` overrides the choice's (per-segment
 * allocation); `maxBitrateBps` is the same for every segment so their headers match.
 */
export function segmentSettings(
  video: Pick<VideoFacts, 'width' | 'height' | 'frameRate' | 'bitDepth'>,
  choices: EncodeChoices,
  threads: number,
  rate: { readonly bitrateBps?: number; readonly maxBitrateBps?: number } = {},
): ResolvedSettings {
  const info = softwareEncoderFor(choices.codec);
  const preset = filePreset(choices.codec, choices.preset);
  const [n, d] = video.frameRate;
  const bitrateBps = rate.bitrateBps ?? choices.bitrateBps;
  return resolveSettings(info, {
    width: video.width,
    height: video.height,
    frameRate: [n, d],
    lowLatency: false,
    tenBit: video.bitDepth > 8,
    gopFrames: Math.max(1, Math.round((KEYFRAME_INTERVAL_S * n) / d)),
    preset: preset.speed,
    options: preset.options,
    threads,
    globalHeader: true,
    ...(bitrateBps === undefined
      ? { crf: choices.crf ?? preset.crf }
      : { bitrateBps, ...(rate.maxBitrateBps === undefined ? {} : { maxBitrateBps: rate.maxBitrateBps }) }),
  });
}

/** `ffmpeg` CLI options (name → value, without the leading dash) that reproduce `settings`. */
export function ffmpegOptions(settings: ResolvedSettings): Record<string, string> {
  const o: Record<string, string> = { 'c:v': settings.encoder, pix_fmt: settings.pixelFormat };
  if (settings.gopFrames !== undefined) o['g'] = String(settings.gopFrames);
  if (settings.maxBFrames !== undefined) o['bf'] = String(settings.maxBFrames);
  if (settings.bitrateBps !== undefined) o['b:v'] = String(settings.bitrateBps);
  if (settings.maxBitrateBps !== undefined) o['maxrate'] = String(settings.maxBitrateBps);
  if (settings.minBitrateBps !== undefined) o['minrate'] = String(settings.minBitrateBps);
  if (settings.bufferBits !== undefined) o['bufsize'] = String(settings.bufferBits);
  if (settings.threads !== undefined) o['threads'] = String(settings.threads);
  for (const [k, v] of Object.entries(settings.options)) o[k] = v;
  return o;
}

/** The options as one command-line fragment: `-c:v libx264 -pix_fmt yuv420p -g 125 …`. */
export function ffmpegArgs(options: Readonly<Record<string, string>>): string {
  return Object.entries(options)
    .map(([k, v]) => `-${k} ${/[\s:'"]/.test(v) && k !== 'c:v' ? `'${v}'` : v}`)
    .join(' ');
}
