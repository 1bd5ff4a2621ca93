/**
 * The picture type the VMAF features consume: one 8-bit luma plane. VMAF v0.6.1 uses luma only.
 */

/** An 8-bit luma plane; row `y` starts at `data[y * stride]` and has `width` valid samples. */
export interface LumaPlane {
  /** Samples, row after row; the caller keeps ownership. */
  readonly data: Uint8Array;
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
  /** Distance between the starts of two rows, in samples (>= width). */
  readonly stride: number;
}
