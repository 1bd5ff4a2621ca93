/** Pixel formats QuadStream uses, by name, mapped to FFmpeg's constants. */
import {
  AV_PIX_FMT_NV12,
  AV_PIX_FMT_P010LE,
  AV_PIX_FMT_YUV420P,
  AV_PIX_FMT_YUV420P10LE,
  type AVPixelFormat,
} from 'node-av/constants';

export const PIXEL_FORMATS = ['yuv420p', 'nv12', 'yuv420p10le', 'p010le'] as const;
export type PixelFormatName = (typeof PIXEL_FORMATS)[number];

const TO_AV: Record<PixelFormatName, AVPixelFormat> = {
  yuv420p: AV_PIX_FMT_YUV420P,
  nv12: AV_PIX_FMT_NV12,
  yuv420p10le: AV_PIX_FMT_YUV420P10LE,
  p010le: AV_PIX_FMT_P010LE,
};

/** FFmpeg's constant for a pixel format name. */
export function avPixelFormat(name: PixelFormatName): AVPixelFormat {
  return TO_AV[name];
}
