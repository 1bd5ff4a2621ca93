/**
 * Target-quality encoding of one segment (`--target-vmaf`): search the CRF whose VMAF reaches the
 * target, with the pure search in core/crf-search.ts. Each probe is a complete encode of the
 * segment, scored with VMAF on every Nth frame against the frames the encoder was fed; the chosen
 * probe's file becomes the segment, so no extra encode is needed. The chosen file is then scored
 * on every frame ("measured"); the sample's score is the "predicted" one.
 */
import { rename, rm } from 'node:fs/promises';
import { crfSearchStep, type CrfProbe, type CrfSearchParams } from '../core/crf-search.ts';
import { QuadStreamError } from '../core/errors.ts';
import { FrameConverter } from '../media/frame-convert.ts';
import { decodeLumaPlanes } from '../media/planes.ts';
import { percentile } from '../quality/pooling.ts';
import { VmafScorer, type LumaPlane } from '../quality/vmaf/index.ts';
import type { SegmentJob, TargetQuality, TargetQualityOutcome } from './job.ts';
import { segmentFrames } from './segment-frames.ts';

/**
 * CRF ranges searched per encoder. x264 and x265 take fractional CRFs, so the search can land
 * between two integers where one CRF step moves VMAF by more than the tolerance.
 */
export function crfRange(encoder: string): {
  minCrf: number;
  maxCrf: number;
  initialCrf: number;
  step: number;
} {
  switch (encoder) {
    case 'libsvtav1':
      return { minCrf: 10, maxCrf: 63, initialCrf: 35, step: 1 };
    case 'libvpx-vp9':
      return { minCrf: 10, maxCrf: 63, initialCrf: 35, step: 1 };
    default:
      return { minCrf: 10, maxCrf: 51, initialCrf: 26, step: 0.25 };
  }
}

/** Pools per-frame VMAF the way the target asks: mean or 5th percentile. */
export function poolVmaf(scores: readonly number[], pooling: TargetQuality['pooling']): number {
  if (scores.length === 0) throw new QuadStreamError('internal', 'target.no-frames', 'no frame was scored');
  if (pooling === 'p5')
    return percentile(
      [...scores].sort((a, b) => a - b),
      5,
    );
  return scores.reduce((s, v) => s + v, 0) / scores.length;
}

/**
 * VMAF of `distorted` (a segment file) against the segment's source frames, converted as for the
 * encoder, on every `every`-th frame. Returns the per-frame scores of the scored frames.
 */
export async function scoreSegment(
  job: SegmentJob,
  distorted: string,
  every: number,
  signal?: AbortSignal,
): Promise<number[]> {
  using converter = FrameConverter.create(job.filter, job.relabel);
  const scorer = new VmafScorer({ subsample: every });
  const dist = decodeLumaPlanes(distorted, signal === undefined ? {} : { signal });
  let count = 0;
  try {
    for await (const decoded of segmentFrames(job, signal)) {
      const frame = await converter.convert(decoded.frame);
      try {
        const d = await dist.next();
        if (d.done === true) break;
        scorer.push(lumaOf(frame, job), d.value);
        count++;
      } finally {
        if (frame !== decoded.frame) frame.free();
      }
    }
  } finally {
    await dist.return(undefined);
  }
  if (count !== job.frames) {
    throw new QuadStreamError(
      'encode',
      'target.frame-count',
      `segment ${job.segment}: scored ${count} frames of ${job.frames}`,
    );
  }
  return scorer.finish().frames.map((f) => f.vmaf);
}

function lumaOf(
  frame: { data: Buffer[] | null; linesize: number[]; width: number; height: number },
  job: SegmentJob,
): LumaPlane {
  const plane = frame.data?.[0];
  const stride = frame.linesize[0];
  if (plane === undefined || stride === undefined) {
    throw new QuadStreamError(
      'internal',
      'target.no-luma',
      `segment ${job.segment}: frame has no luma plane`,
    );
  }
  if (job.encoder.pixelFormat !== 'yuv420p' && job.encoder.pixelFormat !== 'nv12') {
    throw new QuadStreamError(
      'input',
      'target.bit-depth',
      `${job.input}: --target-vmaf needs 8-bit video; 10-bit is not supported yet`,
    );
  }
  return { data: plane, width: frame.width, height: frame.height, stride };
}

/**
 * Searches the CRF for `job` and leaves the chosen encode at `output`. `encodeProbe(crf, path)`
 * encodes the whole segment at that CRF into `path`.
 */
export async function encodeToTarget(
  job: SegmentJob,
  target: TargetQuality,
  output: string,
  encodeProbe: (crf: number, path: string) => Promise<void>,
  signal?: AbortSignal,
): Promise<TargetQualityOutcome> {
  const range = crfRange(job.encoder.encoder);
  const params: CrfSearchParams = {
    target: target.vmaf,
    tolerance: target.tolerance,
    minCrf: range.minCrf,
    maxCrf: range.maxCrf,
    initialCrf: range.initialCrf,
    step: range.step,
    maxProbes: target.maxProbes,
  };
  const probes: CrfProbe[] = [];
  const files = new Map<number, string>();
  try {
    for (;;) {
      const step = crfSearchStep(probes, params);
      if (step.done) {
        const chosen = files.get(step.crf);
        if (chosen === undefined)
          throw new QuadStreamError('internal', 'target.lost-probe', `probe at CRF ${step.crf} has no file`);
        await rename(chosen, output);
        files.delete(step.crf);
        const measured =
          target.sampleEvery === 1
            ? step.score
            : poolVmaf(await scoreSegment(job, output, 1, signal), target.pooling);
        return {
          target: target.vmaf,
          pooling: target.pooling,
          crf: step.crf,
          predictedVmaf: step.score,
          measuredVmaf: measured,
          probes: probes.map((p) => ({ crf: p.crf, vmaf: p.score })),
          stop: step.reason,
        };
      }
      const path = `${output}.crf${step.nextCrf}.probe`;
      await encodeProbe(step.nextCrf, path);
      files.set(step.nextCrf, path);
      probes.push({
        crf: step.nextCrf,
        score: poolVmaf(await scoreSegment(job, path, target.sampleEvery, signal), target.pooling),
      });
    }
  } finally {
    await Promise.all([...files.values()].map((f) => rm(f, { force: true })));
  }
}
