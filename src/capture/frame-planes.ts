/** Views of a node-av yuv420p frame's planes, for drawing into it. */
import type { Frame } from 'node-av/lib';
import { QuadStreamError } from '../core/errors.ts';
import type { YuvPlanes } from './burn-in.ts';

/**
 * The planes of a yuv420p `frame` as writable views of its memory. Makes the frame writable
 * first (copies its data only if it is shared).
 */
export function yuvPlanesOf(frame: Frame): YuvPlanes {
  if (!frame.isWritable && frame.makeWritable() < 0)
    throw new QuadStreamError('internal', 'capture.not-writable', 'cannot make a captured frame writable');
  const data = frame.data;
  const [ys, us, vs] = frame.linesize;
  const [y, u, v] = data ?? [];
  if (
    y === undefined ||
    u === undefined ||
    v === undefined ||
    ys === undefined ||
    us === undefined ||
    vs === undefined
  )
    throw new QuadStreamError('internal', 'capture.planes', 'frame is not planar YUV 4:2:0');
  return { y, u, v, yStride: ys, uStride: us, vStride: vs, width: frame.width, height: frame.height };
}
