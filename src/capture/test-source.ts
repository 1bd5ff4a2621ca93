/**
 * The `test` source: the test pattern generated in-process (rendered once into a loop of about
 * two seconds, see pattern-loop.ts) and played at real-time pace, with the frame counter and the
 * capture clock burnt into each frame when it is captured.
 */
import { QuadStreamError } from '../core/errors.ts';
import { burnIn } from './burn-in.ts';
import { wallClockMs } from './clock.ts';
import { yuvPlanesOf } from './frame-planes.ts';
import { nextSlot, waitUntil } from './pacer.ts';
import { patternLoopLength, renderPatternLoop } from './pattern-loop.ts';
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
    const loop = await renderPatternLoop(
      this.width,
      this.height,
      this.frameRate,
      patternLoopLength(this.width, this.height, num / den),
    );
    try {
      const startMs = wallClockMs();
      let index = -1;
      for (;;) {
        const next = nextSlot(index, startMs, periodMs, wallClockMs());
        this.#skipped += next - index - 1;
        index = next;
        await waitUntil(startMs + index * periodMs, signal);
        const base = loop[index % loop.length]!;
        const captureMs = wallClockMs();
        // The box is redrawn whole every time, so the loop's frame can carry each new counter. Its
        // previous reference was released after its encode, so drawing does not copy it.
        burnIn(yuvPlanesOf(base), index, captureMs);
        const frame = base.clone();
        if (frame === null)
          throw new QuadStreamError('internal', 'capture.clone', 'cannot reference a frame');
        frame.pts = BigInt(index);
        yield { frame, index, captureMs };
      }
    } finally {
      for (const f of loop) f.free();
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
