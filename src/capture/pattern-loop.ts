/**
 * The test pattern rendered once into a loop of frames, so that producing a frame costs no more
 * than drawing its counter and clock (as a hardware capture path costs next to nothing). The loop
 * holds about two seconds of the pattern, fewer frames at sizes where that would pass
 * {@link PATTERN_LOOP_BYTES}.
 */
import type { Frame } from 'node-av/lib';
import { QuadStreamError } from '../core/errors.ts';
import { openInput, videoStreamOf } from '../media/input.ts';
import { FrameReader } from './frame-reader.ts';
import { testPatternGraph } from './test-pattern.ts';

/** Most memory the loop may hold, bytes. */
export const PATTERN_LOOP_BYTES = 768 * 1024 * 1024;

/** Frames in the loop for a size and rate: two seconds, bounded by memory, at least 8. */
export function patternLoopLength(width: number, height: number, fps: number): number {
  const frameBytes = width * height * 1.5;
  return Math.max(8, Math.min(Math.round(2 * fps), Math.floor(PATTERN_LOOP_BYTES / frameBytes)));
}

/** Renders `count` consecutive frames of the pattern (yuv420p). The caller frees them. */
export async function renderPatternLoop(
  width: number,
  height: number,
  frameRate: readonly [number, number],
  count: number,
): Promise<Frame[]> {
  await using demuxer = await openInput(
    `lavfi:${testPatternGraph(width, height, frameRate[0], frameRate[1])}`,
  );
  using reader = await FrameReader.open(demuxer, videoStreamOf(demuxer, 'test pattern'), {
    yuv420p: true,
    subject: 'test pattern',
  });
  const frames: Frame[] = [];
  try {
    while (frames.length < count) {
      const frame = await reader.next();
      if (frame === null)
        throw new QuadStreamError('internal', 'capture.ended', 'the test pattern generator ended');
      frames.push(frame);
    }
    return frames;
  } catch (error) {
    for (const f of frames) f.free();
    throw error;
  }
}
