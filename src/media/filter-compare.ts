/**
 * Compares two videos frame by frame with FFmpeg's PSNR, SSIM and XPSNR filters. Checks first
 * that the two can be compared: same frame rate (unless allowed), and in the end the same frame
 * count; the distorted video is scaled to the reference's size when they differ.
 */
import { Decoder } from 'node-av/api';
import { avGetPixFmtName, type Frame, type Stream } from 'node-av/lib';
import { QuadStreamError } from '../core/errors.ts';
import { openInput, videoStreamOf } from './input.ts';
import { FilterMetricsGraph, type FilterFrameScores, type FilterMetric } from './metric-filters.ts';

/** Facts about one side of a comparison. */
export interface CompareSide {
  readonly path: string;
  readonly width: number;
  readonly height: number;
  /** Average frame rate in frames per second. */
  readonly fps: number;
  readonly pixelFormat: string;
}

/** What {@link describeSides} found and decided before measuring. */
export interface CompareSetup {
  readonly reference: CompareSide;
  readonly distorted: CompareSide;
  /** The distorted video is scaled to the reference's size (bicubic). */
  readonly scaled: boolean;
  /** Human-readable notes about what was done to make the two comparable. */
  readonly notes: readonly string[];
}

function describe(path: string, stream: Stream): CompareSide {
  const rate =
    stream.avgFrameRate.den > 0 && stream.avgFrameRate.num > 0 ? stream.avgFrameRate : stream.rFrameRate;
  const par = stream.codecpar;
  return {
    path,
    width: par.width,
    height: par.height,
    fps: rate.den > 0 ? rate.num / rate.den : 0,
    pixelFormat: avGetPixFmtName(par.format as Parameters<typeof avGetPixFmtName>[0]) ?? 'unknown',
  };
}

/** Opens both files just long enough to check them and decide scaling. */
export async function describeSides(
  reference: string,
  distorted: string,
  allowFpsMismatch: boolean,
): Promise<CompareSetup> {
  await using r = await openInput(reference);
  await using d = await openInput(distorted);
  const ref = describe(reference, videoStreamOf(r, reference));
  const dist = describe(distorted, videoStreamOf(d, distorted));
  const notes: string[] = [];
  if (Math.abs(ref.fps - dist.fps) > 0.01 * Math.max(ref.fps, dist.fps)) {
    if (!allowFpsMismatch) {
      throw new QuadStreamError(
        'input',
        'compare.fps-mismatch',
        `${distorted}: frame rate ${round(dist.fps)} fps differs from the reference's ${round(ref.fps)} fps (use --allow-fps-mismatch to compare frame by frame anyway)`,
        { subject: distorted },
      );
    }
    notes.push(`frame rates differ (${round(ref.fps)} vs ${round(dist.fps)} fps): compared frame by frame`);
  }
  const scaled = ref.width !== dist.width || ref.height !== dist.height;
  if (scaled)
    notes.push(`distorted ${dist.width}x${dist.height} scaled to ${ref.width}x${ref.height} (bicubic)`);
  return { reference: ref, distorted: dist, scaled, notes };
}

function round(n: number): string {
  return Number(n.toFixed(3)).toString();
}

/** Per-frame scores from FFmpeg's filters, in presentation order. */
export interface FilterComparison {
  readonly frames: number;
  readonly perFrame: readonly FilterFrameScores[];
}

async function* videoFrames(path: string): AsyncGenerator<Frame> {
  await using demuxer = await openInput(path);
  const stream = videoStreamOf(demuxer, path);
  using decoder = await Decoder.create(stream);
  for await (using frame of decoder.frames(demuxer.packets(stream.index))) {
    if (frame !== null) yield frame;
  }
}

/** Runs the filter metrics over every frame pair; a frame-count mismatch is an input error. */
export async function compareWithFilters(
  setup: CompareSetup,
  metrics: readonly FilterMetric[],
  onFrame: (done: number) => void = () => {},
): Promise<FilterComparison> {
  const tenBit = /1[02]le|1[02]be|p010|p016/.test(setup.reference.pixelFormat);
  using graph = FilterMetricsGraph.create({
    metrics,
    width: setup.reference.width,
    height: setup.reference.height,
    pixelFormat: tenBit ? 'yuv420p10le' : 'yuv420p',
    bitDepth: tenBit ? 10 : 8,
  });
  const perFrame: FilterFrameScores[] = [];
  const refs = videoFrames(setup.reference.path);
  const dists = videoFrames(setup.distorted.path);
  let refCount = 0;
  let distCount = 0;
  try {
    for (;;) {
      const [r, d] = await Promise.all([refs.next(), dists.next()]);
      if (!r.done) refCount++;
      if (!d.done) distCount++;
      if (r.done || d.done) {
        // Count the rest of the longer one so the message gives both totals.
        for (let x = await refs.next(); !x.done; x = await refs.next()) refCount++;
        for (let x = await dists.next(); !x.done; x = await dists.next()) distCount++;
        break;
      }
      perFrame.push(...(await graph.measure(r.value, d.value)));
      onFrame(perFrame.length);
    }
    perFrame.push(...(await graph.finish()));
  } finally {
    await refs.return(undefined);
    await dists.return(undefined);
  }
  if (refCount !== distCount) {
    throw new QuadStreamError(
      'input',
      'compare.frame-count-mismatch',
      `${setup.distorted.path}: has ${distCount} frames, the reference ${setup.reference.path} has ${refCount}`,
      { subject: setup.distorted.path },
    );
  }
  return { frames: refCount, perFrame };
}
