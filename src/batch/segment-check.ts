/**
 * Checks a finished segment file: it decodes, it has exactly the segment's frame count (packets and
 * decoded frames), its first frame is a keyframe, and it starts at the segment's first timestamp.
 * Run by the job after writing, and again on resume before trusting a segment from an earlier run.
 */
import { QuadStreamError } from '../core/errors.ts';
import { openInput, videoStreamOf } from '../media/input.ts';
import { readPackets } from '../media/read-packets.ts';
import { VideoDecoder, type DecodedFrame } from '../media/video-decoder.ts';
import type { SegmentJob } from './job.ts';

/** What a segment file must contain. */
export type SegmentExpectation = Pick<
  SegmentJob,
  'segment' | 'frames' | 'locate' | 'startFrame' | 'encoder' | 'ptsOffset'
>;

/** Throws an `encode` error `segment.bad-file` saying what is wrong with `path`. */
export async function checkSegmentFile(path: string, expected: SegmentExpectation): Promise<void> {
  const fail = (what: string): never => {
    throw new QuadStreamError(
      'encode',
      'segment.bad-file',
      `segment ${expected.segment} (${path}): ${what}`,
      {
        subject: path,
      },
    );
  };
  await using demuxer = await openInput(path);
  const stream = videoStreamOf(demuxer, path);
  using decoder = await VideoDecoder.open(stream, path, { threads: 1 });
  let packets = 0;
  let frames = 0;
  let firstPacketKey = false;
  let first: { pts: bigint; keyframe: boolean } | null = null;
  const take = (out: DecodedFrame[]): void => {
    for (const d of out) {
      using f = d;
      if (first === null) first = { pts: f.pts, keyframe: f.keyframe };
      frames++;
    }
  };
  for await (const packet of readPackets(demuxer, path)) {
    if (packet.streamIndex !== stream.index) continue;
    if (packets === 0) firstPacketKey = packet.isKeyframe;
    packets++;
    take(await decoder.decode(packet));
  }
  take(await decoder.decode(null));
  if (decoder.rejectedPackets > 0) fail(`${decoder.rejectedPackets} packets do not decode`);
  if (packets !== expected.frames) fail(`${packets} packets, expected ${expected.frames}`);
  if (frames !== expected.frames) fail(`${frames} frames decode, expected ${expected.frames}`);
  const head = first as { pts: bigint; keyframe: boolean } | null;
  if (head === null) return fail('no frames');
  if (!firstPacketKey || !head.keyframe) fail('does not start with a keyframe');
  const wantPts =
    expected.ptsOffset +
    (expected.locate.by === 'pts' ? expected.locate.expectedPts[0]! : expected.startFrame);
  // The muxer may pick a finer time base than the encoder's: compare in seconds, within a tick.
  const [jn, jd] = expected.encoder.timeBase ?? [
    expected.encoder.frameRate[1],
    expected.encoder.frameRate[0],
  ];
  const fileTb = stream.timeBase;
  const want = (wantPts * jn * fileTb.den) / (jd * fileTb.num);
  if (Math.abs(Number(head.pts) - want) > 1) {
    fail(`starts at ${(Number(head.pts) * fileTb.num) / fileTb.den} s, expected ${(wantPts * jn) / jd} s`);
  }
}
