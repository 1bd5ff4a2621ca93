/**
 * WebCodecs codec strings (`avc1.42C01F`, `vp09.00.21.08`, `av01.0.04M.08`): estimated from size
 * and frame rate before an encoder exists (for the player's `isConfigSupported` check), and read
 * exactly from the bitstream's own headers once the encoder has produced a keyframe. Pure.
 */
import type { Codec } from '../units.ts';

function hex2(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}

/** H.264 levels: [level_idc, max macroblocks per second, max frame size in macroblocks]. */
const H264_LEVELS: readonly (readonly [number, number, number])[] = [
  [30, 40_500, 1_620],
  [31, 108_000, 3_600],
  [32, 216_000, 5_120],
  [40, 245_760, 8_192],
  [42, 522_240, 8_704],
  [50, 589_824, 22_080],
  [51, 983_040, 36_864],
  [52, 2_073_600, 36_864],
  [60, 4_177_920, 139_264],
  [61, 8_355_840, 139_264],
  [62, 16_711_680, 139_264],
];

/** The smallest H.264 level_idc for a size and frame rate (at least 3.0). */
export function h264LevelIdc(width: number, height: number, fps: number): number {
  const frameMbs = Math.ceil(width / 16) * Math.ceil(height / 16);
  const mbps = frameMbs * fps;
  for (const [idc, maxMbps, maxFs] of H264_LEVELS) if (mbps <= maxMbps && frameMbs <= maxFs) return idc;
  return 62;
}

/** AV1 seq_level_idx: [idx, max picture size, max display rate (samples/s)]. */
const AV1_LEVELS: readonly (readonly [number, number, number])[] = [
  [0, 147_456, 4_423_680],
  [1, 278_784, 8_363_520],
  [4, 665_856, 19_975_680],
  [5, 1_065_024, 31_950_720],
  [8, 2_359_296, 70_778_880],
  [9, 2_359_296, 141_557_760],
  [12, 8_912_896, 267_386_880],
  [13, 8_912_896, 534_773_760],
  [14, 8_912_896, 1_069_547_520],
  [16, 35_651_584, 1_069_547_520],
  [17, 35_651_584, 2_139_095_040],
  [18, 35_651_584, 4_278_190_080],
];

/** The smallest AV1 seq_level_idx for a size and frame rate. */
export function av1LevelIdx(width: number, height: number, fps: number): number {
  const pic = width * height;
  for (const [idx, maxPic, maxRate] of AV1_LEVELS) if (pic <= maxPic && pic * fps <= maxRate) return idx;
  return 18;
}

/** VP9 levels: [level × 10, max luma samples per second, max picture size]. */
const VP9_LEVELS: readonly (readonly [number, number, number])[] = [
  [10, 829_440, 36_864],
  [11, 2_764_800, 73_728],
  [20, 4_608_000, 122_880],
  [21, 9_216_000, 245_760],
  [30, 20_736_000, 552_960],
  [31, 36_864_000, 983_040],
  [40, 83_558_400, 2_228_224],
  [41, 160_432_128, 2_228_224],
  [50, 311_951_360, 8_912_896],
  [51, 588_251_136, 8_912_896],
  [52, 1_176_502_272, 8_912_896],
  [60, 1_176_502_272, 35_651_584],
  [61, 2_353_004_544, 35_651_584],
  [62, 4_706_009_088, 35_651_584],
];

/** The smallest VP9 level (×10) for a size and frame rate. */
export function vp9Level(width: number, height: number, fps: number): number {
  const pic = width * height;
  for (const [level, maxRate, maxPic] of VP9_LEVELS) if (pic <= maxPic && pic * fps <= maxRate) return level;
  return 62;
}

/**
 * The codec string to offer before any frame exists: 8-bit 4:2:0, the smallest level that fits,
 * and the profile low-latency software encoders use (H.264 Constrained Baseline from x264's
 * ultrafast preset, VP9 profile 0, AV1 Main, HEVC Main).
 */
export function estimatedCodecString(codec: Codec, width: number, height: number, fps: number): string {
  switch (codec) {
    case 'h264':
      return `avc1.42C0${hex2(h264LevelIdc(width, height, fps))}`;
    case 'vp9':
      return `vp09.00.${String(vp9Level(width, height, fps)).padStart(2, '0')}.08`;
    case 'av1':
      return `av01.0.${String(av1LevelIdx(width, height, fps)).padStart(2, '0')}M.08`;
    case 'hevc':
      return `hev1.1.6.L${Math.min(186, Math.max(93, Math.ceil((width * height) / 20_000) * 3))}.B0`;
  }
}

/** Finds the first NAL unit of `type` in an Annex-B H.264 stream; returns its bytes after the start code. */
function findAnnexBNal(data: Uint8Array, type: number): Uint8Array | undefined {
  for (let i = 0; i + 3 < data.length; i++) {
    if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1) {
      const start = i + 3;
      if (((data[start] ?? 0) & 0x1f) === type) return data.subarray(start);
      i += 2;
    }
  }
  return undefined;
}

/** `avc1.PPCCLL` from the sequence parameter set in an Annex-B keyframe, or `undefined`. */
export function h264CodecStringFromAnnexB(data: Uint8Array): string | undefined {
  const sps = findAnnexBNal(data, 7);
  if (sps === undefined || sps.length < 4) return undefined;
  return `avc1.${hex2(sps[1]!)}${hex2(sps[2]!)}${hex2(sps[3]!)}`;
}

/** A most-significant-bit-first reader for the AV1 sequence header. */
class BitReader {
  readonly #data: Uint8Array;
  #bit = 0;
  constructor(data: Uint8Array) {
    this.#data = data;
  }
  bits(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) {
      const byte = this.#data[this.#bit >> 3];
      if (byte === undefined) throw new RangeError('end of data');
      v = v * 2 + ((byte >> (7 - (this.#bit & 7))) & 1);
      this.#bit++;
    }
    return v;
  }
  uvlc(): number {
    let zeros = 0;
    while (this.bits(1) === 0) {
      zeros++;
      if (zeros >= 32) throw new RangeError('bad uvlc');
    }
    return zeros === 0 ? 0 : this.bits(zeros) + 2 ** zeros - 1;
  }
}

function leb128(data: Uint8Array, at: number): { value: number; length: number } | undefined {
  let value = 0;
  for (let i = 0; i < 8; i++) {
    const b = data[at + i];
    if (b === undefined) return undefined;
    value += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) return { value, length: i + 1 };
  }
  return undefined;
}

/** The payload of the first sequence header OBU in an AV1 temporal unit (low-overhead format). */
function findAv1SequenceHeader(data: Uint8Array): Uint8Array | undefined {
  let at = 0;
  while (at < data.length) {
    const header = data[at]!;
    const type = (header >> 3) & 0x0f;
    const hasExtension = (header & 0x04) !== 0;
    const hasSize = (header & 0x02) !== 0;
    let p = at + 1 + (hasExtension ? 1 : 0);
    let size: number;
    if (hasSize) {
      const l = leb128(data, p);
      if (l === undefined) return undefined;
      size = l.value;
      p += l.length;
    } else {
      size = data.length - p;
    }
    if (type === 1) return data.subarray(p, Math.min(data.length, p + size));
    at = p + size;
  }
  return undefined;
}

/** `av01.P.LLT.08` from the sequence header in an AV1 keyframe (8-bit assumed), or `undefined`. */
export function av1CodecStringFromTemporalUnit(data: Uint8Array): string | undefined {
  const seq = findAv1SequenceHeader(data);
  if (seq === undefined) return undefined;
  try {
    const r = new BitReader(seq);
    const profile = r.bits(3);
    r.bits(1); // still_picture
    const reduced = r.bits(1);
    let level: number;
    let tier = 0;
    if (reduced === 1) {
      level = r.bits(5);
    } else {
      let decoderModel = 0;
      let bufferDelayLength = 0;
      if (r.bits(1) === 1) {
        // timing_info
        r.bits(32);
        r.bits(32);
        if (r.bits(1) === 1) r.uvlc();
        decoderModel = r.bits(1);
        if (decoderModel === 1) {
          bufferDelayLength = r.bits(5) + 1;
          r.bits(32);
          r.bits(5);
          r.bits(5);
        }
      }
      const initialDisplayDelay = r.bits(1);
      const ops = r.bits(5) + 1;
      level = 0;
      for (let i = 0; i < ops; i++) {
        r.bits(12); // operating_point_idc
        const idx = r.bits(5);
        const t = idx > 7 ? r.bits(1) : 0;
        if (i === 0) {
          level = idx;
          tier = t;
        }
        if (decoderModel === 1 && r.bits(1) === 1) {
          r.bits(bufferDelayLength);
          r.bits(bufferDelayLength);
          r.bits(1);
        }
        if (initialDisplayDelay === 1 && r.bits(1) === 1) r.bits(4);
      }
    }
    return `av01.${profile}.${String(level).padStart(2, '0')}${tier === 1 ? 'H' : 'M'}.08`;
  } catch {
    return undefined;
  }
}

/**
 * `vp09.PP.LL.08` from a VP9 keyframe's uncompressed header (profile from its first byte; the
 * level is not in the bitstream, so it is the smallest that fits the size and rate), or
 * `undefined` when the data is not a VP9 frame. Profiles 0 and 1 are 8-bit.
 */
export function vp9CodecStringFromFrame(
  data: Uint8Array,
  width: number,
  height: number,
  fps: number,
): string | undefined {
  const b = data[0];
  if (b === undefined || b >> 6 !== 2) return undefined; // frame_marker
  const profile = ((b >> 5) & 1) | (((b >> 4) & 1) << 1);
  if (profile > 1) return undefined;
  return `vp09.0${profile}.${String(vp9Level(width, height, fps)).padStart(2, '0')}.08`;
}

/**
 * The exact codec string of a keyframe's bitstream when it can be read from its headers (H.264
 * SPS, AV1 sequence header, VP9 profile); `undefined` otherwise (use the estimated one).
 */
export function codecStringFromKeyframe(
  codec: Codec,
  data: Uint8Array,
  size: { width: number; height: number; fps: number },
): string | undefined {
  if (codec === 'h264') return h264CodecStringFromAnnexB(data);
  if (codec === 'av1') return av1CodecStringFromTemporalUnit(data);
  if (codec === 'vp9') return vp9CodecStringFromFrame(data, size.width, size.height, size.fps);
  return undefined;
}
