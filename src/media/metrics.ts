/**
 * PSNR and SSIM of an encoded video against its source, with FFmpeg's `psnr` and `ssim` filters
 * (the graph in metric-filters.ts):
 * both are decoded in full, frame by frame in display order, the source through the same conversion
 * the encoder was fed, and paired by index. Reports the means over all frames. A frame's PSNR is
 * capped at `6 × bit depth + 12` dB (60 dB for 8-bit), libvmaf's convention, so that identical
 * frames (infinite PSNR) give a finite mean.
 */
import { avGetPixFmtName, type Frame } from 'node-av/lib';
import type { AVPixelFormat } from 'node-av/constants';
import { QuadStreamError } from '../core/errors.ts';
import { FrameConverter } from './frame-convert.ts';
import { FilterMetricsGraph, type FilterFrameScores } from './metric-filters.ts';
import { openInput, videoStreamOf } from './input.ts';
import { readPackets } from './read-packets.ts';
import { VideoDecoder } from './video-decoder.ts';

/** The source side: the input file, its video stream, and the conversion applied before encoding. */
export interface MetricsReference {
  readonly path: string;
  readonly streamIndex: number;
  readonly relabel: string | null;
  readonly filter: string | null;
  /** Bit depth of the compared frames (for the PSNR cap). */
  readonly bitDepth: number;
}

/** Means over all frames. */
export interface QualityMeans {
  readonly frames: number;
  /** Mean PSNR over frames (FFmpeg's `psnr_avg` per frame, capped; see the module comment), dB. */
  readonly psnr: number;
  /** Mean SSIM over frames (FFmpeg's `All`), 0–1. */
  readonly ssim: number;
}

/** Measures `distorted` against `reference`; frame counts must match. */
export async function measureQuality(
  reference: MetricsReference,
  distorted: string,
  signal?: AbortSignal,
  onProgress?: (frames: number) => void,
): Promise<QualityMeans> {
  using converter = FrameConverter.create(reference.filter, reference.relabel);
  const refFrames = frames(reference.path, reference.streamIndex, signal);
  const distFrames = frames(distorted, null, signal);
  // Made on the first pair, when the compared size and format are known.
  let graph: FilterMetricsGraph | null = null;
  let count = 0;
  let psnrSum = 0;
  let ssimSum = 0;
  const add = (scores: readonly FilterFrameScores[]): void => {
    for (const s of scores) {
      psnrSum += s.psnr?.weighted ?? Number.NaN;
      ssimSum += s.ssim?.all ?? Number.NaN;
      count++;
      if (count % 25 === 0) onProgress?.(count);
    }
  };
  try {
    let index = 0;
    for (;;) {
      const [r, d] = await Promise.all([refFrames.next(), distFrames.next()]);
      if (r.done === true || d.done === true) {
        if (r.done !== d.done) {
          throw new QuadStreamError(
            'encode',
            'metrics.frame-count',
            `${distorted}: frame counts differ from the input (${index} compared, then one ended)`,
          );
        }
        break;
      }
      const ref = await converter.convert(r.value);
      try {
        graph ??= FilterMetricsGraph.create({
          metrics: ['psnr', 'ssim'],
          width: ref.width,
          height: ref.height,
          pixelFormat: avGetPixFmtName(ref.format as AVPixelFormat) ?? 'yuv420p',
          bitDepth: reference.bitDepth,
        });
        add(await graph.measure(ref, d.value));
      } finally {
        if (ref !== r.value) ref.free();
        r.value.free();
        d.value.free();
      }
      index++;
    }
    if (graph !== null) add(await graph.finish());
  } finally {
    graph?.close();
  }
  if (count === 0) throw new QuadStreamError('encode', 'metrics.none', `${distorted}: no frames to compare`);
  return { frames: count, psnr: psnrSum / count, ssim: ssimSum / count };
}

/** Decoded frames of a file's video stream (the caller frees each). */
async function* frames(
  path: string,
  streamIndex: number | null,
  signal?: AbortSignal,
): AsyncGenerator<Frame> {
  await using demuxer = await openInput(path);
  const stream = streamIndex === null ? videoStreamOf(demuxer, path) : demuxer.getStream(streamIndex);
  if (stream === undefined)
    throw new QuadStreamError('input', 'input.changed', `${path}: video stream is gone`);
  using decoder = await VideoDecoder.open(stream, path);
  for await (const packet of readPackets(demuxer, path, signal)) {
    if (packet.streamIndex !== stream.index) continue;
    for (const f of await decoder.decode(packet)) yield f.frame;
  }
  for (const f of await decoder.decode(null)) yield f.frame;
}
