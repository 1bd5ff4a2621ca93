/**
 * A packet-level look at every stream of a file without decoding: per stream its kind, time base,
 * and each packet's timestamps, duration and keyframe flag, plus the audio priming the first packet
 * asks the decoder to skip. The file encoder verifies its output with it.
 */
import { avGetCodecName } from 'node-av/lib';
import { AVMEDIA_TYPE_AUDIO, AVMEDIA_TYPE_VIDEO, AV_PKT_DATA_SKIP_SAMPLES } from 'node-av/constants';
import type { Fraction } from './analyze.ts';
import { openInput } from './input.ts';
import { readPackets } from './read-packets.ts';

/** One stream's packets. Timestamps in `timeBase` ticks; `null` where the file has none. */
export interface ScannedStream {
  readonly index: number;
  readonly kind: 'video' | 'audio' | 'other';
  readonly codec: string;
  readonly timeBase: Fraction;
  readonly sampleRate: number;
  readonly pts: (number | null)[];
  readonly durations: number[];
  readonly keyframes: boolean[];
  /** Samples the first packet tells the decoder to drop (encoder priming), 0 if none. */
  skipSamples: number;
}

const NOPTS = -0x8000000000000000n;

/** Reads every packet of `path` and groups them by stream. */
export async function scanPackets(path: string, signal?: AbortSignal): Promise<ScannedStream[]> {
  await using demuxer = await openInput(path);
  const streams: ScannedStream[] = demuxer.streams.map((s) => {
    const t = s.codecpar.codecType;
    return {
      index: s.index,
      kind: t === AVMEDIA_TYPE_VIDEO ? 'video' : t === AVMEDIA_TYPE_AUDIO ? 'audio' : 'other',
      codec: avGetCodecName(s.codecpar.codecId) ?? 'unknown',
      timeBase: [s.timeBase.num, s.timeBase.den],
      sampleRate: s.codecpar.sampleRate,
      pts: [],
      durations: [],
      keyframes: [],
      skipSamples: 0,
    };
  });
  for await (const packet of readPackets(demuxer, path, signal)) {
    const s = streams[packet.streamIndex];
    if (s === undefined) continue;
    if (s.pts.length === 0) {
      const skip = packet.getSideData(AV_PKT_DATA_SKIP_SAMPLES);
      if (skip !== null && skip.length >= 4) s.skipSamples = skip.readUInt32LE(0);
    }
    s.pts.push(packet.pts === NOPTS ? null : Number(packet.pts));
    s.durations.push(Number(packet.duration));
    s.keyframes.push(packet.isKeyframe);
  }
  return streams;
}
