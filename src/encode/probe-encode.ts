/**
 * One probe encode: open an encoder, encode one small frame, and require a keyframe packet. Runs
 * inside the probe's child process (probe-child.ts) so a crashing driver cannot take the caller
 * down. Collects FFmpeg's error lines to explain failures in one line.
 */
import { Frame, Log } from 'node-av/lib';
import { AV_LOG_ERROR, AV_PIX_FMT_NV12, AV_PIX_FMT_YUV420P } from 'node-av/constants';
import { describeError } from '../core/errors.ts';
import { missingDeviceReason } from '../media/hardware.ts';
import { VideoEncoder } from '../media/video-encoder.ts';
import { findEncoder } from './catalogue.ts';
import { resolveSettings } from './settings.ts';

/** The outcome of one probe encode. */
export interface ProbeOutcome {
  readonly available: boolean;
  readonly reason: string | null;
  readonly probeMs: number;
}

const WIDTH = 320;
const HEIGHT = 240;

/** Friendlier words for FFmpeg's messages about missing drivers. */
const KNOWN_CAUSES: readonly (readonly [RegExp, string])[] = [
  [/libcuda\.so|cuInit|CUDA_ERROR_NO_DEVICE|no CUDA-capable device/i, 'CUDA driver not found'],
  [
    /libnvidia-encode|nvEncodeAPI|NVENC.*not available|Driver does not support the required nvenc API/i,
    'NVENC driver library not found',
  ],
  [/libamfrt|AMF.*(failed|not)|DLL .* failed to open/i, 'AMD AMF runtime not found'],
  [/libvulkan|vkCreateInstance|No Vulkan devices|No devices found/i, 'no Vulkan device'],
  [/MFX|libmfx|libvpl|QSV/i, 'Intel media SDK (oneVPL) session could not be created'],
  [/vaInitialize|libva|VAAPI/i, 'VA-API driver could not be initialised'],
];

function explain(error: unknown, ffmpegLines: readonly string[]): string {
  const base = describeError(error).replace(/^[^:]+: /, '');
  const detail = ffmpegLines.at(-1);
  for (const [pattern, words] of KNOWN_CAUSES) {
    if (ffmpegLines.some((l) => pattern.test(l))) return `${words} (${base})`;
  }
  return detail === undefined ? base : `${base} (${detail})`;
}

function testFrame(pixelFormat: 'yuv420p' | 'nv12'): Frame {
  const frame = new Frame();
  frame.alloc();
  frame.width = WIDTH;
  frame.height = HEIGHT;
  frame.format = pixelFormat === 'nv12' ? AV_PIX_FMT_NV12 : AV_PIX_FMT_YUV420P;
  frame.allocBuffer();
  const planes = frame.data ?? [];
  // A luma ramp with neutral chroma: enough structure for any encoder to accept it.
  const luma = planes[0];
  const stride = frame.linesize[0] ?? WIDTH;
  if (luma !== undefined) {
    for (let y = 0; y < HEIGHT; y++) for (let x = 0; x < WIDTH; x++) luma[y * stride + x] = (x + y) & 0xff;
  }
  for (const plane of planes.slice(1)) plane.fill(128);
  frame.pts = 0n;
  return frame;
}

/** Probes `name`: a real one-frame encode that must yield a keyframe. */
export async function probeEncoder(name: string): Promise<ProbeOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const info = findEncoder(name);
  if (info === undefined) return { available: false, reason: 'not in the catalogue', probeMs: 0 };
  const ffmpegLines: string[] = [];
  Log.setLevel(AV_LOG_ERROR);
  Log.setCallback(
    (_level, message) => {
      const line = message.trim();
      if (line !== '') ffmpegLines.push(line);
    },
    { maxLevel: AV_LOG_ERROR },
  );
  try {
    const settings = resolveSettings(info, {
      width: WIDTH,
      height: HEIGHT,
      frameRate: [30, 1],
      bitrateBps: 1_000_000,
      lowLatency: true,
    });
    using encoder = await VideoEncoder.open(settings);
    using frame = testFrame(info.inputPixelFormat);
    const packets = [...(await encoder.encode(frame, true)), ...(await encoder.encode(null))];
    if (packets.length === 0)
      return { available: false, reason: 'encoded no packet from one frame', probeMs: elapsed() };
    if (packets[0]?.keyframe !== true)
      return { available: false, reason: 'first packet is not a keyframe', probeMs: elapsed() };
    return { available: true, reason: null, probeMs: elapsed() };
  } catch (error) {
    // FFmpeg's log reaches JavaScript through the event loop: let the lines arrive.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const device = missingDeviceReason(info.api);
    const why = explain(error, ffmpegLines);
    return {
      available: false,
      reason: device === null || why.startsWith(device) ? why : `${device}; ${why}`,
      probeMs: elapsed(),
    };
  } finally {
    Log.setCallback(null);
  }
}
