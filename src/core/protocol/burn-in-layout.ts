/**
 * Where the test source burns its frame counter into the picture, shared by the source (which
 * draws it) and the player (which reads it back to check that the picture it shows is the frame
 * the header says). The counter is a row of 24 square blocks under the text, least significant
 * bit first, white for 1 and black for 0 (luma 235 / 16).
 */

/** Bits of the counter drawn as blocks. */
export const COUNTER_BITS = 24;

/** Layout of the burnt-in box for a picture height. Pixels. */
export interface BurnInLayout {
  /** Font pixel size in picture pixels. */
  readonly scale: number;
  readonly margin: number;
  /** Side of one counter block. */
  readonly bitSize: number;
  /** Top of the block row. */
  readonly bitRowTop: number;
  /** Left of the first block. */
  readonly bitRowLeft: number;
}

/** Glyph height of the burnt-in font, in font pixels. */
export const BURN_IN_GLYPH_HEIGHT = 7;

/** The layout used for a picture of `height` rows. */
export function burnInLayout(height: number): BurnInLayout {
  const scale = Math.max(2, Math.floor(height / 216));
  const margin = scale * 2;
  const bitSize = scale * 4;
  return {
    scale,
    margin,
    bitSize,
    bitRowTop: margin + BURN_IN_GLYPH_HEIGHT * scale + margin,
    bitRowLeft: margin,
  };
}

/**
 * Reads the counter from a picture's luma: `lumaAt(x, y)` returns 0–255. Each block is sampled
 * at its centre and compared with mid-grey.
 */
export function readBurntInCounter(height: number, lumaAt: (x: number, y: number) => number): number {
  const L = burnInLayout(height);
  let value = 0;
  for (let b = 0; b < COUNTER_BITS; b++) {
    const x = L.bitRowLeft + b * L.bitSize + L.bitSize / 2;
    const y = L.bitRowTop + L.bitSize / 2;
    if (lumaAt(Math.floor(x), Math.floor(y)) > 128) value += 2 ** b;
  }
  return value;
}
