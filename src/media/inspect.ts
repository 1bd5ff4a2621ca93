/**
 * Reads a video back for verification: codec, size, decoded frame count, which frames are
 * keyframes, and timestamps. Used by tests and by the file encoder's checks.
 */
import { Decoder } from 'node-av/api';
import { avGetCodecName } from 'node-av/lib';
import { QuadStreamError } from '../core/errors.ts';
import { openInput, videoStreamOf } from './input.ts';

/** What {@link inspectVideo} found. Timestamps in seconds. */
export interface VideoInspection {
  /** FFmpeg's codec name, e.g. `h264`, `hevc`, `av1`, `vp9`. */
  readonly codec: string;
  readonly width: number;
  readonly height: number;
  /** Frames that decoded. */
  readonly frames: number;
  /** Packets in the stream (equal to `frames` unless some failed to decode). */
  readonly packets: number;
  /** Indices (in decode order of packets) of packets flagged as keyframes. */
  readonly keyframePackets: readonly number[];
  /** Presentation time of each decoded frame, in seconds, in output order. */
  readonly frameTimesS: readonly number[];
  /** Errors the decoder reported (0 for a clean stream). */
  readonly decodeErrors: number;
}

/** Decodes every frame of `input`'s video stream and reports what came out. */
export async function inspectVideo(input: string): Promise<VideoInspection> {
  await using demuxer = await openInput(input);
  const stream = videoStreamOf(demuxer, input);
  const tb = stream.timeBase;
  using decoder = await Decoder.create(stream);
  let packets = 0;
  const keyframePackets: number[] = [];
  const frameTimesS: number[] = [];
  let decodeErrors = 0;
  const countingPackets = async function* () {
    for await (const packet of demuxer.packets(stream.index)) {
      if (packet !== null) {
        if (packet.isKeyframe) keyframePackets.push(packets);
        packets++;
      }
      yield packet;
    }
  };
  try {
    for await (using frame of decoder.frames(countingPackets())) {
      if (frame === null) continue;
      const pts = frame.pts;
      frameTimesS.push(Number(pts) * (tb.num / tb.den));
    }
  } catch (cause) {
    decodeErrors++;
    throw new QuadStreamError(
      'input',
      'input.decode-failed',
      `${input}: decoding failed after ${frameTimesS.length} frames`,
      {
        cause,
        subject: input,
      },
    );
  }
  const par = stream.codecpar;
  return {
    codec: avGetCodecName(par.codecId) ?? 'unknown',
    width: par.width,
    height: par.height,
    frames: frameTimesS.length,
    packets,
    keyframePackets,
    frameTimesS,
    decodeErrors,
  };
}
