/**
 * Units: parsing and printing bitrates, sizes and frame rates as users write them
 * (`5M`, `500k`, `3840x2160`). Pure; no I/O.
 */

/** Video codecs QuadStream produces. */
export const CODECS = ['h264', 'hevc', 'av1', 'vp9'] as const;
export type Codec = (typeof CODECS)[number];

/** True when `value` names one of {@link CODECS}. */
export function isCodec(value: string): value is Codec {
  return (CODECS as readonly string[]).includes(value);
}

const BITRATE = /^(\d+(?:\.\d+)?)\s*([kKmMgG]?)(?:bps|bit\/s|b)?$/;

/**
 * Parses a bitrate such as `8M`, `500k`, `2.5Mbps` or `8000000` into bits per second. Returns
 * `undefined` when the text is not a bitrate.
 */
export function parseBitrateBps(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) && text > 0 ? Math.round(text) : undefined;
  const m = BITRATE.exec(text.trim());
  if (m === null) return undefined;
  const scale = { '': 1, k: 1e3, m: 1e6, g: 1e9 }[(m[2] ?? '').toLowerCase()] ?? 1;
  const bps = Math.round(Number(m[1]) * scale);
  return bps > 0 ? bps : undefined;
}

/** Formats bits per second for people: `8 Mbit/s`, `500 kbit/s`. */
export function formatBitrate(bps: number): string {
  if (bps >= 1e9) return `${trim(bps / 1e9)} Gbit/s`;
  if (bps >= 1e6) return `${trim(bps / 1e6)} Mbit/s`;
  if (bps >= 1e3) return `${trim(bps / 1e3)} kbit/s`;
  return `${bps} bit/s`;
}

function trim(n: number): string {
  return Number(n.toFixed(2)).toString();
}

/** A picture size in pixels. */
export interface Size {
  readonly width: number;
  readonly height: number;
}

/** Parses `WIDTHxHEIGHT` (e.g. `1920x1080`); returns `undefined` when malformed or not positive. */
export function parseSize(text: string): Size | undefined {
  const m = /^(\d+)x(\d+)$/.exec(text.trim());
  if (m === null) return undefined;
  const width = Number(m[1]);
  const height = Number(m[2]);
  return width > 0 && height > 0 ? { width, height } : undefined;
}
