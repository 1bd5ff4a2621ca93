/**
 * Verification of the joined output before it is renamed into place: the video has exactly the
 * input's frame count, every frame keeps its input timestamp (so variable frame rates survive),
 * the duration is within one frame, every segment starts with a keyframe, and each audio stream
 * starts and ends within 50 ms of where it did in the input, relative to the video (audio before
 * the first video frame may have been trimmed by the container; its end must still line up).
 */
import { QuadStreamError } from '../core/errors.ts';
import { scanPackets, type ScannedStream } from '../media/packet-scan.ts';

/** Audio may be off by at most this much at either end. */
export const AUDIO_TOLERANCE_S = 0.05;

/** What the output must look like, from the input's analysis. Times in seconds. */
export interface OutputExpectation {
  readonly frames: number;
  /** Each input frame's time relative to the first frame. */
  readonly frameTimesS: readonly number[];
  /** Input video duration (first frame to the end of the last). */
  readonly durationS: number;
  /** One frame's duration: the tolerance for the total duration. */
  readonly frameDurationS: number;
  /** First frame of each segment. */
  readonly segmentStarts: readonly number[];
  /** Per output audio stream: its audible start relative to the first video frame, and its audible duration. */
  readonly audio: readonly { readonly startOffsetS: number; readonly durationS: number }[];
}

/** What was measured. */
export interface OutputCheck {
  readonly frames: number;
  readonly durationS: number;
  /** Largest difference between an output frame's time and its input frame's time. */
  readonly maxTimestampErrorS: number;
  readonly audio: readonly { readonly startOffsetS: number; readonly durationS: number }[];
}

/** Checks `path` against `expected`; a mismatch throws `verify.failed` naming what differs. */
export async function verifyOutput(path: string, expected: OutputExpectation): Promise<OutputCheck> {
  const streams = await scanPackets(path);
  const fail = (what: string): never => {
    throw new QuadStreamError('encode', 'verify.failed', `${path}: verification failed: ${what}`, {
      subject: path,
    });
  };
  const video = streams.find((s) => s.kind === 'video');
  if (video === undefined) return fail('no video stream');
  const tick = video.timeBase[0] / video.timeBase[1];
  const frames = displayOrder(video);
  if (frames.length !== expected.frames)
    fail(`${frames.length} video frames, the input has ${expected.frames}`);
  const first = frames[0];
  if (first === undefined) return fail('no video frames');

  let maxError = 0;
  for (let i = 0; i < frames.length; i++) {
    const t = (frames[i]!.pts - first.pts) * tick;
    maxError = Math.max(maxError, Math.abs(t - expected.frameTimesS[i]!));
  }
  // Container time bases round timestamps (Matroska to 1 ms): allow that, not a frame.
  const timeTolerance = Math.max(0.0015, 1.5 * tick);
  if (maxError > timeTolerance) {
    fail(`frame timestamps differ from the input's by up to ${(maxError * 1000).toFixed(1)} ms`);
  }
  const last = frames.at(-1)!;
  const durationS = (last.pts + last.duration - first.pts) * tick;
  if (Math.abs(durationS - expected.durationS) > expected.frameDurationS + timeTolerance) {
    fail(`duration ${durationS.toFixed(3)} s, the input's is ${expected.durationS.toFixed(3)} s`);
  }
  for (const start of expected.segmentStarts) {
    if (frames[start]?.keyframe !== true) fail(`frame ${start} (a segment start) is not a keyframe`);
  }

  const audio = streams.filter((s) => s.kind === 'audio');
  if (audio.length !== expected.audio.length) {
    fail(`${audio.length} audio streams, expected ${expected.audio.length}`);
  }
  const videoStartS = first.pts * tick;
  const measured = audio.map((s, i) => {
    const span = audibleSpan(s);
    const want = expected.audio[i]!;
    if (span === null) return fail(`audio stream ${i} has no packets`);
    const startOffsetS = span.startS - videoStartS;
    const durationS = span.endS - span.startS;
    // Audio that began before the first video frame may be trimmed by the container's edit list
    // (MP4): then it starts with the video, and its end must still line up.
    const trimmed = want.startOffsetS < 0 && Math.abs(startOffsetS) <= AUDIO_TOLERANCE_S;
    if (!trimmed && Math.abs(startOffsetS - want.startOffsetS) > AUDIO_TOLERANCE_S) {
      fail(
        `audio stream ${i} starts ${fmtMs(startOffsetS)} from the video, the input's ${fmtMs(want.startOffsetS)}`,
      );
    }
    const endOffsetS = startOffsetS + durationS;
    const wantEnd = want.startOffsetS + want.durationS;
    if (Math.abs(endOffsetS - wantEnd) > AUDIO_TOLERANCE_S) {
      fail(
        `audio stream ${i} ends ${fmtMs(endOffsetS)} after the video starts, the input's ${fmtMs(wantEnd)}`,
      );
    }
    return { startOffsetS, durationS };
  });
  return { frames: frames.length, durationS, maxTimestampErrorS: maxError, audio: measured };
}

interface VideoFrame {
  readonly pts: number;
  readonly duration: number;
  readonly keyframe: boolean;
}

function displayOrder(s: ScannedStream): VideoFrame[] {
  const out: VideoFrame[] = [];
  for (let i = 0; i < s.pts.length; i++) {
    const pts = s.pts[i];
    if (pts === null || pts === undefined) continue;
    out.push({ pts, duration: s.durations[i] ?? 0, keyframe: s.keyframes[i] === true });
  }
  return out.sort((a, b) => a.pts - b.pts);
}

/** Audible start and end in seconds: the first packet's time plus its priming, to the last packet's end. */
function audibleSpan(s: ScannedStream): { startS: number; endS: number } | null {
  const tick = s.timeBase[0] / s.timeBase[1];
  let start: number | null = null;
  let end: number | null = null;
  for (let i = 0; i < s.pts.length; i++) {
    const pts = s.pts[i];
    if (pts === null || pts === undefined) continue;
    if (start === null || pts < start) start = pts;
    const e = pts + (s.durations[i] ?? 0);
    if (end === null || e > end) end = e;
  }
  if (start === null || end === null) return null;
  const priming = s.sampleRate > 0 ? s.skipSamples / s.sampleRate : 0;
  return { startS: start * tick + priming, endS: end * tick };
}

function fmtMs(s: number): string {
  return `${(s * 1000).toFixed(0)} ms`;
}
