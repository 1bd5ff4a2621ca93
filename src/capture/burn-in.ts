/**
 * Burns a frame counter and a clock into a planar YUV 4:2:0 picture: white 5×7 glyphs on a black
 * box in the top-left corner, and under them the counter as a row of 24 black/white blocks (least
 * significant bit on the left; layout in core/protocol/burn-in-layout.ts) so that a test or the
 * player can read the frame number back from pixels. Works on raw planes; no FFmpeg. Limited-range luma (16 black, 235 white), neutral chroma.
 */
import { COUNTER_BITS, burnInLayout } from '../core/protocol/burn-in-layout.ts';
import { GLYPH_HEIGHT, GLYPH_WIDTH, glyphRows } from './bitmap-font.ts';

/** Planes of a YUV 4:2:0 picture (views into the picture's memory) and their strides in bytes. */
export interface YuvPlanes {
  readonly y: Uint8Array;
  readonly u: Uint8Array;
  readonly v: Uint8Array;
  readonly yStride: number;
  readonly uStride: number;
  readonly vStride: number;
  readonly width: number;
  readonly height: number;
}

const BLACK = 16;
const WHITE = 235;

function fill(
  plane: Uint8Array,
  stride: number,
  x: number,
  y: number,
  w: number,
  h: number,
  value: number,
): void {
  for (let row = y; row < y + h; row++) plane.fill(value, row * stride + x, row * stride + x + w);
}

/** Formats epoch milliseconds as `HH:MM:SS.mmm` (UTC). */
export function clockText(epochMs: number): string {
  const d = new Date(epochMs);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)}`;
}

/**
 * Draws `#counter HH:MM:SS.mmm` and the counter's bit row. The box is clipped to the picture;
 * nothing is drawn outside it.
 */
export function burnIn(planes: YuvPlanes, counter: number, epochMs: number): void {
  const text = `#${String(counter % 10_000_000).padStart(7, '0')} ${clockText(epochMs)}`;
  const L = burnInLayout(planes.height);
  const s = L.scale;
  const advance = (GLYPH_WIDTH + 1) * s;
  const textWidth = L.margin * 2 + text.length * advance;
  const bitsWidth = L.margin * 2 + COUNTER_BITS * L.bitSize;
  const boxWidth = Math.min(planes.width, Math.max(textWidth, bitsWidth)) & ~1;
  const boxHeight = Math.min(planes.height, L.bitRowTop + L.bitSize + L.margin) & ~1;
  fill(planes.y, planes.yStride, 0, 0, boxWidth, boxHeight, BLACK);
  fill(planes.u, planes.uStride, 0, 0, boxWidth / 2, boxHeight / 2, 128);
  fill(planes.v, planes.vStride, 0, 0, boxWidth / 2, boxHeight / 2, 128);
  for (let c = 0; c < text.length; c++) {
    const rows = glyphRows(text[c]!);
    const x0 = L.margin + c * advance;
    for (let gy = 0; gy < GLYPH_HEIGHT; gy++) {
      const bits = rows[gy]!;
      for (let gx = 0; gx < GLYPH_WIDTH; gx++) {
        if (((bits >> (GLYPH_WIDTH - 1 - gx)) & 1) === 0) continue;
        const x = x0 + gx * s;
        const y = L.margin + gy * s;
        if (x + s <= boxWidth && y + s <= boxHeight) fill(planes.y, planes.yStride, x, y, s, s, WHITE);
      }
    }
  }
  for (let b = 0; b < COUNTER_BITS; b++) {
    const x = L.bitRowLeft + b * L.bitSize;
    if (x + L.bitSize > boxWidth || L.bitRowTop + L.bitSize > boxHeight) break;
    const on = Math.floor(counter / 2 ** b) % 2 === 1;
    fill(planes.y, planes.yStride, x, L.bitRowTop, L.bitSize, L.bitSize, on ? WHITE : BLACK);
  }
}
