/**
 * Facts about a file's streams that need no pass over the packets: its audio streams (codec and
 * channels) and the stream side data the file encoder carries into its output (rotation, HDR
 * mastering display and content light level).
 */
import type { Demuxer } from 'node-av/api';
import { avGetCodecName } from 'node-av/lib';
import {
  AVMEDIA_TYPE_AUDIO,
  AV_PKT_DATA_CONTENT_LIGHT_LEVEL,
  AV_PKT_DATA_DISPLAYMATRIX,
  AV_PKT_DATA_MASTERING_DISPLAY_METADATA,
  type AVPacketSideDataType,
} from 'node-av/constants';
import { openInput } from './input.ts';

/** One audio stream. */
export interface AudioStreamInfo {
  readonly index: number;
  /** FFmpeg codec name (`aac`, `opus`, …). */
  readonly codec: string;
  readonly channels: number;
}

/** The audio streams of an open input. */
export function audioStreamsOf(demuxer: Demuxer): AudioStreamInfo[] {
  return demuxer.streams
    .filter((s) => s.codecpar.codecType === AVMEDIA_TYPE_AUDIO)
    .map((s) => ({
      index: s.index,
      codec: avGetCodecName(s.codecpar.codecId) ?? 'unknown',
      channels: s.codecpar.channelLayout.nbChannels,
    }));
}

/** Side data kinds carried from the input's video stream to the output's. */
const CARRIED: readonly AVPacketSideDataType[] = [
  AV_PKT_DATA_DISPLAYMATRIX,
  AV_PKT_DATA_MASTERING_DISPLAY_METADATA,
  AV_PKT_DATA_CONTENT_LIGHT_LEVEL,
];

/** The carried side data of stream `index` of `path`. */
export async function streamSideData(
  path: string,
  index: number,
): Promise<{ type: AVPacketSideDataType; data: Buffer }[]> {
  await using demuxer = await openInput(path);
  const par = demuxer.getStream(index)?.codecpar;
  if (par === undefined) return [];
  const out: { type: AVPacketSideDataType; data: Buffer }[] = [];
  for (const type of CARRIED) {
    const data = par.getCodedSideData(type);
    if (data !== null) out.push({ type, data: Buffer.from(data) });
  }
  return out;
}
