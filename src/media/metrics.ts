/**
 * PSNR and SSIM of an encoded video against its source, with FFmpeg's `psnr` and `ssim` filters:
 * both are decoded in full, frame by frame in display order, the source through the same conversion
 * the encoder was fed, and paired by index. Reports the means over all frames. A frame's PSNR is
 * capped at `6 × bit depth + 12` dB (60 dB for 8-bit), libvmaf's convention, so that identical
 * frames (infinite PSNR) give a finite mean.
 */
import { FilterComplexAPI } from 'node-av/api';
import { Frame, Rational } from 'node-av/lib';
import { QuadStreamError } from '../core/errors.ts';
import { FrameConverter } from './frame-convert.ts';
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
  using graph = FilterComplexAPI.create('[r]split[r1][r2];[d][r1]psnr[dp];[dp][r2]ssim[out]', {
    inputs: [{ label: 'd' }, { label: 'r' }],
    outputs: [{ label: 'out' }],
  });
  using converter = FrameConverter.create(reference.filter, reference.relabel);
  const refFrames = frames(reference.path, reference.streamIndex, signal);
  const distFrames = frames(distorted, null, signal);
  const cap = 6 * reference.bitDepth + 12;
  let count = 0;
  let psnrSum = 0;
  let ssimSum = 0;
  const collect = async (): Promise<void> => {
    for (;;) {
      const out = await graph.receive('out');
      if (!(out instanceof Frame)) return;
      using f = out;
      const md = f.getMetadata();
      const text = md.get('lavfi.psnr.psnr_avg') ?? 'nan';
      // FFmpeg writes `inf` for identical frames.
      const psnr = text === 'inf' ? Infinity : Number(text);
      psnrSum += psnr === Infinity || psnr > cap ? cap : psnr;
      ssimSum += Number(md.get('lavfi.ssim.All') ?? 'NaN');
      count++;
      if (count % 25 === 0) onProgress?.(count);
    }
  };
  const tb = new Rational(1, 25);
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
      for (const [label, f] of [
        ['d', d.value],
        ['r', ref],
      ] as const) {
        f.pts = BigInt(index);
        f.timeBase = tb;
        await graph.process(label, f);
      }
    } finally {
      if (ref !== r.value) ref.free();
      r.value.free();
      d.value.free();
    }
    index++;
    await collect();
  }
  await graph.flush();
  await collect();
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
