/**
 * The frames of one segment, found frame-exactly: seek to the keyframe before the range, decode and
 * drop frames up to the first one, then yield exactly the segment's frames, checking each against
 * the timestamps the analysis saw. If the seek lands too late (a container whose index is coarse or
 * whose keyframes are not flagged), it backs off to earlier positions and finally to the start.
 */
import { QuadStreamError } from '../core/errors.ts';
import { openInput } from '../media/input.ts';
import { readPackets, seekBefore } from '../media/read-packets.ts';
import { VideoDecoder, type DecodedFrame } from '../media/video-decoder.ts';
import type { SegmentJob } from './job.ts';

/** Seconds to back off before the keyframe when a seek lands too late, tried in order, then the start. */
const BACKOFF_S = [2, 10, 60] as const;

/**
 * Yields the segment's frames in display order. Each frame is owned by the generator and valid
 * until the next iteration.
 */
export async function* segmentFrames(job: SegmentJob, signal?: AbortSignal): AsyncGenerator<DecodedFrame> {
  const locate = job.locate;
  if (locate.by === 'index') {
    yield* byIndex(job, signal);
    return;
  }
  const tries: (number | null)[] = [locate.seekPts];
  if (locate.seekPts !== null) {
    const tb = await timeBaseOf(job);
    for (const s of BACKOFF_S) tries.push(locate.seekPts - Math.round((s * tb[1]) / tb[0]));
    tries.push(null);
  }
  for (let t = 0; t < tries.length; t++) {
    const seekPts = tries[t]!;
    const last = t === tries.length - 1;
    const outcome = yield* byPts(job, locate.expectedPts, seekPts, last, signal);
    if (outcome === 'done') return;
  }
  throw new QuadStreamError(
    'encode',
    'segment.not-found',
    `${job.input}: segment ${job.segment}: could not find frame ${job.startFrame} (pts ${locate.expectedPts[0]}) by seeking or from the start`,
    { subject: job.input },
  );
}

async function timeBaseOf(job: SegmentJob): Promise<readonly [number, number]> {
  await using demuxer = await openInput(job.input);
  const tb = demuxer.getStream(job.streamIndex)?.timeBase;
  return tb === undefined ? [1, 90000] : [tb.num, tb.den];
}

/**
 * One try: seek (or start at the beginning) and match frames by timestamp. Returns `too-late` when
 * decoding started after the segment's first frame, so the caller can back off.
 */
async function* byPts(
  job: SegmentJob,
  expected: readonly number[],
  seekPts: number | null,
  mustFinish: boolean,
  signal: AbortSignal | undefined,
): AsyncGenerator<DecodedFrame, 'done' | 'too-late'> {
  await using demuxer = await openInput(job.input);
  if (seekPts !== null && !(await seekBefore(demuxer, job.streamIndex, BigInt(seekPts)))) return 'too-late';
  const stream = demuxer.getStream(job.streamIndex);
  if (stream === undefined) throw missingStream(job);
  using decoder = await VideoDecoder.open(stream, job.input, { threads: job.decoderThreads });
  const first = expected[0]!;
  let matched = 0;
  let started = false;
  const handle = function* (frames: DecodedFrame[]): Generator<DecodedFrame, 'done' | 'too-late' | 'more'> {
    for (let i = 0; i < frames.length; i++) {
      using f = frames[i]!;
      const pts = Number(f.pts);
      if (matched === 0) {
        if (pts < first) {
          started = true;
          continue;
        }
        // Decoding started after our first frame (or with a damaged one): back off and try earlier.
        if (!mustFinish && (pts > first || (!started && f.damaged && seekPts !== null))) {
          for (const rest of frames.slice(i + 1)) rest.frame.free();
          return 'too-late';
        }
      }
      started = true;
      if (pts !== expected[matched]) {
        for (const rest of frames.slice(i + 1)) rest.frame.free();
        throw new QuadStreamError(
          'encode',
          'segment.frame-mismatch',
          `${job.input}: segment ${job.segment}: frame ${job.startFrame + matched} should have pts ${expected[matched]} but the decoder gave ${pts}`,
          { subject: job.input },
        );
      }
      matched++;
      yield f;
      if (matched === expected.length) {
        for (const rest of frames.slice(i + 1)) rest.frame.free();
        return 'done';
      }
    }
    return 'more';
  };
  for await (const packet of readPackets(demuxer, job.input, signal)) {
    if (packet.streamIndex !== job.streamIndex) continue;
    const r = yield* handle(await decoder.decode(packet));
    if (r !== 'more') return r;
  }
  const r = yield* handle(await decoder.decode(null));
  if (r !== 'more') return r;
  // Nothing decoded from the seek point on (it landed after the keyframe): try earlier.
  if (matched === 0 && !mustFinish) return 'too-late';
  throw new QuadStreamError(
    'encode',
    'segment.short',
    `${job.input}: segment ${job.segment}: the input ended after ${matched} of ${job.frames} frames`,
    { subject: job.input },
  );
}

/** Decodes from the start and counts frames (inputs whose timestamps cannot identify frames). */
async function* byIndex(job: SegmentJob, signal: AbortSignal | undefined): AsyncGenerator<DecodedFrame> {
  await using demuxer = await openInput(job.input);
  const stream = demuxer.getStream(job.streamIndex);
  if (stream === undefined) throw missingStream(job);
  using decoder = await VideoDecoder.open(stream, job.input, { threads: job.decoderThreads });
  const end = job.startFrame + job.frames;
  let index = 0;
  const handle = function* (frames: DecodedFrame[]): Generator<DecodedFrame, boolean> {
    for (const decoded of frames) {
      using f = decoded;
      const i = index++;
      if (i < job.startFrame || i >= end) continue;
      yield f;
    }
    return index >= end;
  };
  for await (const packet of readPackets(demuxer, job.input, signal)) {
    if (packet.streamIndex !== job.streamIndex) continue;
    if (yield* handle(await decoder.decode(packet))) return;
  }
  if (yield* handle(await decoder.decode(null))) return;
  throw new QuadStreamError(
    'encode',
    'segment.short',
    `${job.input}: segment ${job.segment}: the input ended after ${Math.max(0, index - job.startFrame)} of ${job.frames} frames`,
    { subject: job.input },
  );
}

function missingStream(job: SegmentJob): QuadStreamError {
  return new QuadStreamError('input', 'input.changed', `${job.input}: stream ${job.streamIndex} is gone`, {
    subject: job.input,
  });
}
