/**
 * The codec catalogue: every encoder QuadStream knows, with the capabilities that decide whether it
 * fits a profile. Pure data. Availability on *this* machine is the probe's job (probe.ts).
 *
 * `runtimeBitrate` says whether a bitrate change is applied between frames without reopening:
 * measured here with node-av 6.1.1 for the software encoders (libx264 yes when VBV is set at open;
 * libx265, libsvtav1 and libvpx-vp9 ignore the change); for hardware encoders it follows FFmpeg's
 * source (nvenc and qsv reconfigure on a bit_rate change; vaapi, amf and vulkan do not).
 * Maximum sizes are the codec/API limits of current hardware generations; the probe does not test
 * them.
 */
import type { Codec } from '../core/units.ts';

/** How an encoder reaches its hardware (or `software`). */
export const ENCODER_APIS = ['software', 'nvenc', 'vaapi', 'qsv', 'amf', 'vulkan'] as const;
export type EncoderApi = (typeof ENCODER_APIS)[number];

/** One encoder's capabilities. */
export interface EncoderInfo {
  /** FFmpeg's encoder name, e.g. `libx264`, `hevc_nvenc`. */
  readonly name: string;
  readonly codec: Codec;
  readonly api: EncoderApi;
  readonly hardware: boolean;
  /** Bitrate changes take effect on the next frame without a reopen. */
  readonly runtimeBitrate: boolean;
  /** Can encode 10-bit 4:2:0 (needed for HDR profiles). */
  readonly tenBit: boolean;
  /** Can use B-frames (reordering); every encoder can also run without. */
  readonly bFrames: boolean;
  readonly maxWidth: number;
  readonly maxHeight: number;
  /** Pixel format of the frames it is fed (8-bit); hardware-frame APIs upload from this. */
  readonly inputPixelFormat: 'yuv420p' | 'nv12';
  /** Pixel format for 10-bit input. */
  readonly tenBitPixelFormat: 'yuv420p10le' | 'p010le';
  /** Private options for the lowest latency: no lookahead, no reordering, no frame threads' delay. */
  readonly lowLatencyOptions: Readonly<Record<string, string>>;
  /** Frames must be uploaded to a hardware frames context (vaapi, qsv, vulkan). */
  readonly needsHardwareFrames: boolean;
}

const sw = { api: 'software', hardware: false, needsHardwareFrames: false } as const;

/** Every encoder QuadStream can drive, software first within each codec in this list's order. */
export const ENCODERS: readonly EncoderInfo[] = [
  {
    ...sw,
    name: 'libx264',
    codec: 'h264',
    runtimeBitrate: true,
    tenBit: true,
    bFrames: true,
    maxWidth: 8192,
    maxHeight: 4320,
    inputPixelFormat: 'yuv420p',
    tenBitPixelFormat: 'yuv420p10le',
    lowLatencyOptions: { tune: 'zerolatency', 'x264-params': 'filler=1' },
  },
  {
    ...sw,
    name: 'libx265',
    codec: 'hevc',
    runtimeBitrate: false,
    tenBit: true,
    bFrames: true,
    maxWidth: 16384,
    maxHeight: 8704,
    inputPixelFormat: 'yuv420p',
    tenBitPixelFormat: 'yuv420p10le',
    lowLatencyOptions: { tune: 'zerolatency' },
  },
  {
    ...sw,
    name: 'libsvtav1',
    codec: 'av1',
    runtimeBitrate: false,
    tenBit: true,
    bFrames: true,
    maxWidth: 16384,
    maxHeight: 8704,
    inputPixelFormat: 'yuv420p',
    tenBitPixelFormat: 'yuv420p10le',
    // Low-delay prediction structure, no lookahead.
    lowLatencyOptions: { 'svtav1-params': 'pred-struct=1:lookahead=0' },
  },
  {
    ...sw,
    name: 'libvpx-vp9',
    codec: 'vp9',
    runtimeBitrate: false,
    tenBit: true,
    bFrames: false,
    maxWidth: 16384,
    maxHeight: 16384,
    inputPixelFormat: 'yuv420p',
    tenBitPixelFormat: 'yuv420p10le',
    lowLatencyOptions: { deadline: 'realtime', 'lag-in-frames': '0', 'cpu-used': '8', 'row-mt': '1' },
  },
  ...hardware(
    'nvenc',
    { runtimeBitrate: true, inputPixelFormat: 'nv12', needsHardwareFrames: false },
    { preset: 'p1', tune: 'ull', zerolatency: '1', delay: '0', rc: 'cbr' },
  ),
  ...hardware(
    'vaapi',
    { runtimeBitrate: false, inputPixelFormat: 'nv12', needsHardwareFrames: true },
    { async_depth: '1' },
  ),
  ...hardware(
    'qsv',
    { runtimeBitrate: true, inputPixelFormat: 'nv12', needsHardwareFrames: true },
    { async_depth: '1', low_delay_brc: '1', look_ahead: '0' },
  ),
  ...hardware(
    'amf',
    { runtimeBitrate: false, inputPixelFormat: 'nv12', needsHardwareFrames: false },
    { usage: 'ultralowlatency' },
  ),
  ...hardware(
    'vulkan',
    { runtimeBitrate: false, inputPixelFormat: 'nv12', needsHardwareFrames: true },
    { tune: 'ull' },
  ),
];

function hardware(
  api: Exclude<EncoderApi, 'software'>,
  traits: Pick<EncoderInfo, 'runtimeBitrate' | 'inputPixelFormat' | 'needsHardwareFrames'>,
  lowLatencyOptions: Record<string, string>,
): EncoderInfo[] {
  const codecs: Codec[] =
    api === 'vaapi' || api === 'qsv' ? ['h264', 'hevc', 'av1', 'vp9'] : ['h264', 'hevc', 'av1'];
  return codecs.map((codec) => ({
    ...traits,
    name: `${codec}_${api}`,
    codec,
    api,
    hardware: true,
    tenBit: codec !== 'h264',
    bFrames: codec !== 'vp9',
    maxWidth: codec === 'h264' ? 4096 : 8192,
    maxHeight: codec === 'h264' ? 4096 : 8192,
    tenBitPixelFormat: 'p010le',
    lowLatencyOptions,
  }));
}

/** The catalogue entry for an encoder name, or `undefined`. */
export function findEncoder(name: string): EncoderInfo | undefined {
  return ENCODERS.find((e) => e.name === name);
}

/** The software encoder QuadStream uses for a codec. */
export function softwareEncoderFor(codec: Codec): EncoderInfo {
  const found = ENCODERS.find((e) => e.codec === codec && !e.hardware);
  if (found === undefined) throw new Error(`no software encoder for ${codec}`);
  return found;
}
