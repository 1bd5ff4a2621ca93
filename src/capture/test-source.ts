/**
 * The `test` source: the test pattern generated in-process at real-time pace, with the frame
 * counter and the capture clock burnt in. The next frame is rendered while the current one is
 * being encoded, so at each due time a frame is ready and is stamped then (like a sensor that
 * is read out on a clock).
 */
import { QuadStreamError } from '../core/errors.ts';
import { openInput, videoStreamOf } from '../media/input.ts';
import { burnIn } from './burn-in.ts';
import { wallClockMs } from './clock.ts';
import { yuvPlanesOf } from './frame-planes.ts';
import { FrameReader } from './frame-reader.ts';
import { nextSlot, waitUntil } from './pacer.ts';
import { ReadAhead } from './read-ahead.ts';
import { testPatternGraph } from './test-pattern.ts';
import type { CapturedFrame, FrameSource } from './types.ts';

/** Options for {@link openTestSource}. */
export interface TestSourceOptions {
  readonly width: number;
  readonly height: number;
  readonly frameRate: readonly [number, number];
}

class TestSource implements FrameSource {
  readonly kind = 'test' as const;
  readonly description: string;
  readonly onDemand = true;
  readonly width: number;
  readonly height: number;
  readonly frameRate: readonly [number, number];
  #skipped = 0;
  #running = false;

  constructor(o: TestSourceOptions) {
    this.width = o.width;
    this.height = o.height;
    this.frameRate = o.frameRate;
    this.description = `test ${o.width}x${o.height}@${Number((o.frameRate[0] / o.frameRate[1]).toFixed(3))}`;
  }

  get skipped(): number {
    return this.#skipped;
  }

  async *frames(signal: AbortSignal): AsyncGenerator<CapturedFrame> {
    if (this.#running)
      throw new QuadStreamError('internal', 'capture.busy', 'the test source is already running');
    this.#running = true;
    try {
      yield* this.#run(signal);
    } finally {
      this.#running = false;
    }
  }

  async *#run(signal: AbortSignal): AsyncGenerator<CapturedFrame> {
    const [num, den] = this.frameRate;
    const periodMs = (1000 * den) / num;
    await using demuxer = await openInput(`lavfi:${testPatternGraph(this.width, this.height, num, den)}`);
    using reader = await FrameReader.open(demuxer, videoStreamOf(demuxer, 'test pattern'), {
      yuv420p: true,
      subject: 'test source',
    });
    await using ahead = new ReadAhead(() => reader.next());
    {
      // The first frame takes longest (the textures are rendered once); the clock starts after it.
      let frame = await ahead.next();
      const startMs = wallClockMs();
      let index = -1;
      while (frame !== null) {
        const next = nextSlot(index, startMs, periodMs, wallClockMs());
        this.#skipped += next - index - 1;
        index = next;
        try {
          await waitUntil(startMs + index * periodMs, signal);
          const captureMs = wallClockMs();
          burnIn(yuvPlanesOf(frame), index, captureMs);
          frame.pts = BigInt(index);
          const captured: CapturedFrame = { frame, index, captureMs };
          frame = null;
          yield captured;
        } finally {
          frame?.free();
        }
        frame = await ahead.next();
      }
      throw new QuadStreamError('internal', 'capture.ended', 'the test pattern generator ended');
    }
  }

  async close(): Promise<void> {
    // Nothing is held between iterations: the generator releases its graph when it ends.
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** Opens the test source. Nothing runs until {@link FrameSource.frames} is iterated. */
export async function openTestSource(options: TestSourceOptions): Promise<FrameSource> {
  const { width, height } = options;
  if (width < 64 || height < 64 || width % 2 !== 0 || height % 2 !== 0)
    throw new QuadStreamError(
      'input',
      'capture.bad-size',
      `test source: size ${width}x${height} must be even and at least 64x64`,
    );
  const source = new TestSource(options);
  return Promise.resolve(source);
}
