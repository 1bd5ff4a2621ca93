/**
 * Checks a finished segment file: it has exactly the segment's frame count, its first frame is a
 * keyframe, and it starts at the segment's first timestamp; with `decode`, every packet must also
 * decode to one frame. The job checks the packets of what it just wrote (decoding it again would
 * cost about a tenth of the encode); a resume decodes, before trusting a file from an earlier run.
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
export async function checkSegmentFile(
  path: string,
  expected: SegmentExpectation,
  options: { readonly decode: boolean },
): Promise<void> {
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
  using decoder = options.decode ? await VideoDecoder.open(stream, path, { threads: 1 }) : null;
  let packets = 0;
  let frames = 0;
  let firstPacketKey = false;
  let minPts: bigint | null = null;
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
    if (minPts === null || packet.pts < minPts) minPts = packet.pts;
    if (decoder !== null) take(await decoder.decode(packet));
  }
  if (decoder !== null) take(await decoder.decode(null));
  else if (minPts !== null) first = { pts: minPts, keyframe: firstPacketKey };
  if (decoder !== null && decoder.rejectedPackets > 0)
    fail(`${decoder.rejectedPackets} packets do not decode`);
  if (packets !== expected.frames) fail(`${packets} packets, expected ${expected.frames}`);
  if (options.decode && frames !== expected.frames)
    fail(`${frames} frames decode, expected ${expected.frames}`);
  const head = first;
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
