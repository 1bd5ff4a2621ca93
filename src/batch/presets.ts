/**
 * Named encoding presets of the file encoder, per codec: the encoder's speed setting, the default
 * constant-quality level, and the keyframe interval. `4k` trades a little efficiency for speed at
 * high resolutions. Pure data.
 */
import type { Codec } from '../core/units.ts';

/**
 * x264 writes headers that do not depend on the rate control (its `stitchable` option), so
 * segments encoded at different CRFs (`--target-vmaf`) or bitrates share one set of headers and
 * join into one stream.
 */
const STITCHABLE = { 'x264-params': 'stitchable=1' } as const;

/** Preset names accepted by `--preset`. */
export const PRESET_NAMES = ['fast', 'balanced', 'quality', '4k'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

/** One codec's preset. */
export interface FilePreset {
  /** The encoder's speed preset (`preset` for x264/x265/SVT-AV1, `cpu-used` for VP9). */
  readonly speed: string;
  /** Constant-quality level used when neither `--crf` nor `--bitrate` is given. */
  readonly crf: number;
  /** Extra private options. */
  readonly options: Readonly<Record<string, string>>;
}

/** Seconds between keyframes inside a segment (every segment also starts with one). */
export const KEYFRAME_INTERVAL_S = 5;

const TABLE: Record<Codec, Record<PresetName, FilePreset>> = {
  h264: {
    fast: { speed: 'veryfast', crf: 23, options: STITCHABLE },
    balanced: { speed: 'medium', crf: 21, options: STITCHABLE },
    quality: { speed: 'slow', crf: 18, options: STITCHABLE },
    '4k': { speed: 'faster', crf: 21, options: STITCHABLE },
  },
  // x265 writes its settings into an SEI of the headers; without `info=0` segments encoded with
  // different per-segment bitrates would have different headers and could not be joined.
  hevc: {
    fast: { speed: 'veryfast', crf: 26, options: { 'x265-params': 'info=0:log-level=error' } },
    balanced: { speed: 'medium', crf: 24, options: { 'x265-params': 'info=0:log-level=error' } },
    quality: { speed: 'slow', crf: 21, options: { 'x265-params': 'info=0:log-level=error' } },
    '4k': { speed: 'fast', crf: 24, options: { 'x265-params': 'info=0:log-level=error' } },
  },
  av1: {
    fast: { speed: '10', crf: 35, options: {} },
    balanced: { speed: '8', crf: 32, options: {} },
    quality: { speed: '5', crf: 28, options: {} },
    '4k': { speed: '9', crf: 32, options: {} },
  },
  vp9: {
    fast: { speed: '5', crf: 36, options: { deadline: 'good', 'row-mt': '1' } },
    balanced: { speed: '3', crf: 33, options: { deadline: 'good', 'row-mt': '1' } },
    quality: { speed: '1', crf: 30, options: { deadline: 'good', 'row-mt': '1' } },
    '4k': { speed: '4', crf: 32, options: { deadline: 'good', 'row-mt': '1', 'tile-columns': '2' } },
  },
};

/** The preset `name` for `codec`. */
export function filePreset(codec: Codec, name: PresetName): FilePreset {
  return TABLE[codec][name];
}
