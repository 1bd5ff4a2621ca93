/**
 * Analysis of an input file for the file encoder, in one pass: its streams and metadata (frame
 * rate, rotation, sample aspect ratio, colour, HDR), every packet counted (so the frame count is
 * known even when the container does not say it), and every video frame decoded, with its
 * timestamp, keyframe flag and scene-change scores on a downscaled copy.
 */
import { stat } from 'node:fs/promises';
import type { Demuxer } from 'node-av/api';
import { avGetCodecName, avGetPixFmtName, type Packet, type Stream } from 'node-av/lib';
import {
  AVMEDIA_TYPE_AUDIO,
  AVMEDIA_TYPE_DATA,
  AVMEDIA_TYPE_SUBTITLE,
  AVMEDIA_TYPE_VIDEO,
  AV_PKT_DATA_CONTENT_LIGHT_LEVEL,
  AV_PKT_DATA_DISPLAYMATRIX,
  AV_PKT_DATA_MASTERING_DISPLAY_METADATA,
  AV_PKT_DATA_SKIP_SAMPLES,
} from 'node-av/constants';
import { QuadStreamError } from '../core/errors.ts';
import { openInput, videoStreamOf } from './input.ts';
import { readPackets } from './read-packets.ts';
import { SceneScorer } from './scene.ts';
import { VideoDecoder } from './video-decoder.ts';

/** A fraction `[numerator, denominator]`. */
export type Fraction = readonly [number, number];

/** Colour description as ITU-T H.273 code points (2 = unspecified; range: 0 unknown, 1 limited, 2 full). */
export interface ColourInfo {
  readonly range: number;
  readonly primaries: number;
  readonly transfer: number;
  readonly matrix: number;
  /** FFmpeg's chroma location (0 unspecified, 1 left, 2 center, 3 top-left, …). */
  readonly chromaLocation: number;
}

/** Facts about the video stream. */
export interface VideoFacts {
  readonly index: number;
  /** FFmpeg codec name (`h264`, `hevc`, `vp9`, …). */
  readonly codec: string;
  readonly width: number;
  readonly height: number;
  /** Decoder output pixel format name (`yuv420p`, `yuvj420p`, `yuv420p10le`, …). */
  readonly pixelFormat: string;
  readonly bitDepth: number;
  readonly timeBase: Fraction;
  /** Average frame rate as the container states it. */
  readonly frameRate: Fraction;
  /** Sample aspect ratio; `[0, 1]` or `[1, 1]` for square pixels. */
  readonly sampleAspectRatio: Fraction;
  /** Rotation to apply on display, in degrees counter-clockwise (from the display matrix), 0 if none. */
  readonly rotationDeg: number;
  readonly colour: ColourInfo;
  /** `pq` (SMPTE ST 2084) or `hlg` transfer, else `none`. */
  readonly hdr: 'none' | 'pq' | 'hlg';
  readonly masteringDisplay: boolean;
  readonly contentLightLevel: boolean;
  /** Frame count the container states, if any. */
  readonly containerFrames: number | null;
  /** Video packets in the file. */
  readonly packets: number;
  /** Packets flagged as keyframes by the container. */
  readonly keyframePackets: number;
  /** Frames that decoded (the frames the encoder will see). */
  readonly frames: number;
  /** Where the expected frame count came from: the container's own count, or counting packets. */
  readonly frameCountSource: 'container' | 'packets';
  /** Packets the decoder rejected and frames it returned damaged. */
  readonly rejectedPackets: number;
  readonly damagedFrames: number;
  /** All frame durations equal the mean within 1% (or one time-base tick). */
  readonly constantFrameRate: boolean;
  /** Presentation timestamps strictly increase, so frames can be found by timestamp after a seek. */
  readonly timestampsUsable: boolean;
  /** First frame's time and the video's duration (first frame to end of last), seconds. */
  readonly startS: number;
  readonly durationS: number;
}

/** Facts about one audio stream. */
export interface AudioFacts {
  readonly index: number;
  readonly codec: string;
  readonly sampleRate: number;
  readonly channels: number;
  readonly packets: number;
  /** First packet's time and the stream's duration, seconds; null without packets. */
  readonly startS: number | null;
  readonly durationS: number | null;
  /** Encoder priming the first packet tells the decoder to drop, seconds (0 if none). */
  readonly primingS: number;
}

/** Every decoded frame, in display order. */
export interface FrameTable {
  /** Presentation timestamp of each frame in the video's time base. */
  readonly pts: readonly number[];
  /** Indices of frames the decoder marked as keyframes. */
  readonly keyframes: readonly number[];
  /** Scene-change score of each frame against the previous one (0–100). */
  readonly scores: readonly number[];
  /** Mean absolute difference to the previous frame (0–100), a motion measure. */
  readonly mafd: readonly number[];
  /** Duration of the last frame, in the time base. */
  readonly lastDuration: number;
}

/** What {@link analyzeMedia} found. */
export interface MediaAnalysis {
  readonly path: string;
  readonly sizeBytes: number;
  /** FFmpeg's demuxer name (`mov,mp4,…`, `mpegts`, `matroska,webm`). */
  readonly format: string;
  readonly video: VideoFacts;
  readonly audio: readonly AudioFacts[];
  /**
   * What is not carried: streams that are neither the video nor audio (`subtitle`, `data`, a second
   * video …) and a WebM alpha channel (the output codecs' profiles have none).
   */
  readonly otherStreams: readonly string[];
  readonly frames: FrameTable;
}

/** Progress of an analysis: frames decoded so far, and the expected total when known. */
export type AnalysisProgress = (framesDone: number, framesExpected: number | null) => void;

/** Options for {@link analyzeMedia}. */
export interface AnalyzeOptions {
  readonly onProgress?: AnalysisProgress;
  readonly signal?: AbortSignal;
}

/** Analyses `path` (see the module comment). Input problems are `input` errors naming the file. */
export async function analyzeMedia(path: string, options: AnalyzeOptions = {}): Promise<MediaAnalysis> {
  await using demuxer = await openInput(path);
  const stream = videoStreamOf(demuxer, path);
  const par = stream.codecpar;
  const tb: Fraction = [stream.timeBase.num, stream.timeBase.den];
  const containerFrames = Number(stream.nbFrames) > 0 ? Number(stream.nbFrames) : null;
  const rate = pickFrameRate(stream);
  const expected =
    containerFrames ?? (demuxer.duration > 0 ? Math.round(demuxer.duration * (rate[0] / rate[1])) : null);

  // Only the fast path of the decoder matters here: the picture is downscaled for the scores.
  using decoder = await VideoDecoder.open(stream, path, { options: { skip_loop_filter: 'all' } });
  using scorer = SceneScorer.create();
  const audio = new Map<number, AudioCounter>();
  for (const s of demuxer.streams) {
    if (s.codecpar.codecType === AVMEDIA_TYPE_AUDIO) audio.set(s.index, new AudioCounter(s));
  }
  const pts: number[] = [];
  const keyframes: number[] = [];
  const scores: number[] = [];
  const mafd: number[] = [];
  let lastDuration = 0;
  let packetDurationsKnown = true;
  let packets = 0;
  let keyframePackets = 0;
  let pixelFormat = avGetPixFmtName(par.format as Parameters<typeof avGetPixFmtName>[0]) ?? 'unknown';
  const take = async (frames: Awaited<ReturnType<VideoDecoder['decode']>>): Promise<void> => {
    for (const decoded of frames) {
      using d = decoded;
      if (pts.length === 0)
        pixelFormat = avGetPixFmtName(d.frame.format as Parameters<typeof avGetPixFmtName>[0]) ?? pixelFormat;
      if (d.keyframe) keyframes.push(pts.length);
      pts.push(Number(d.pts));
      const s = await scorer.score(d.frame);
      scores.push(pts.length === 1 ? 0 : s.score);
      mafd.push(s.mafd);
      lastDuration = Number(d.frame.duration);
      if (pts.length % 50 === 0) options.onProgress?.(pts.length, expected);
    }
  };
  for await (const packet of readPackets(demuxer, path, options.signal)) {
    if (packet.streamIndex === stream.index) {
      packets++;
      if (packet.duration <= 0n) packetDurationsKnown = false;
      if (packet.isKeyframe) keyframePackets++;
      await take(await decoder.decode(packet));
    } else {
      audio.get(packet.streamIndex)?.add(packet);
    }
  }
  await take(await decoder.decode(null));
  options.onProgress?.(pts.length, pts.length);

  if (containerFrames !== null && packets < containerFrames) {
    throw new QuadStreamError(
      'input',
      'input.truncated',
      `${path}: truncated: the container lists ${containerFrames} video frames but only ${packets} are in the file`,
      { subject: path },
    );
  }
  if (pts.length === 0) {
    throw new QuadStreamError('input', 'input.no-frames', `${path}: no video frame could be decoded`, {
      subject: path,
    });
  }
  // Trust the last frame's duration only when the container stores durations (MP4, Matroska);
  // otherwise (MPEG-TS) it is a guess, and the typical spacing of frames is a better one.
  if (lastDuration <= 0 || !packetDurationsKnown) lastDuration = guessFrameDuration(pts, rate, tb);

  const timestampsUsable = pts.every((p, i) => i === 0 || p > pts[i - 1]!);
  const seconds = (ticks: number): number => (ticks * tb[0]) / tb[1];
  const first = pts[0]!;
  const durationS = seconds(pts.at(-1)! + lastDuration - first);
  const video: VideoFacts = {
    index: stream.index,
    codec: avGetCodecName(par.codecId) ?? 'unknown',
    width: par.width,
    height: par.height,
    pixelFormat,
    bitDepth: bitDepthOf(pixelFormat),
    timeBase: tb,
    frameRate: rate,
    sampleAspectRatio: [par.sampleAspectRatio.num, par.sampleAspectRatio.den],
    rotationDeg: rotationOf(par.getCodedSideData(AV_PKT_DATA_DISPLAYMATRIX)),
    colour: {
      range: par.colorRange,
      primaries: par.colorPrimaries,
      transfer: par.colorTrc,
      matrix: par.colorSpace,
      chromaLocation: par.chromaLocation,
    },
    hdr: par.colorTrc === 16 ? 'pq' : par.colorTrc === 18 ? 'hlg' : 'none',
    masteringDisplay: par.getCodedSideData(AV_PKT_DATA_MASTERING_DISPLAY_METADATA) !== null,
    contentLightLevel: par.getCodedSideData(AV_PKT_DATA_CONTENT_LIGHT_LEVEL) !== null,
    containerFrames,
    packets,
    keyframePackets,
    frames: pts.length,
    frameCountSource: containerFrames === null ? 'packets' : 'container',
    rejectedPackets: decoder.rejectedPackets,
    damagedFrames: decoder.damagedFrames,
    constantFrameRate: isConstant(pts),
    timestampsUsable,
    startS: seconds(first),
    durationS,
  };
  return {
    path,
    sizeBytes: (await stat(path)).size,
    format: demuxer.formatName,
    video,
    audio: [...audio.values()].map((a) => a.facts()),
    otherStreams: [
      ...(stream.metadata?.get('alpha_mode') === '1' ? [`alpha channel of video #${stream.index}`] : []),
      ...otherStreams(demuxer, stream.index),
    ],
    frames: { pts, keyframes, scores, mafd, lastDuration },
  };
}

/** Counts an audio stream's packets and its time span. */
class AudioCounter {
  readonly #stream: Stream;
  #packets = 0;
  #start: bigint | null = null;
  #end: bigint | null = null;
  #skipSamples = 0;

  constructor(stream: Stream) {
    this.#stream = stream;
  }

  add(packet: Packet): void {
    const { pts, duration } = packet;
    if (this.#packets === 0) {
      const skip = packet.getSideData(AV_PKT_DATA_SKIP_SAMPLES);
      if (skip !== null && skip.length >= 4) this.#skipSamples = skip.readUInt32LE(0);
    }
    this.#packets++;
    if (pts === NOPTS) return;
    if (this.#start === null || pts < this.#start) this.#start = pts;
    const end = pts + (duration > 0n ? duration : 0n);
    if (this.#end === null || end > this.#end) this.#end = end;
  }

  facts(): AudioFacts {
    const par = this.#stream.codecpar;
    const tb = this.#stream.timeBase;
    const s = (t: bigint): number => (Number(t) * tb.num) / tb.den;
    return {
      index: this.#stream.index,
      codec: avGetCodecName(par.codecId) ?? 'unknown',
      sampleRate: par.sampleRate,
      channels: par.channelLayout.nbChannels,
      packets: this.#packets,
      startS: this.#start === null ? null : s(this.#start),
      durationS: this.#start === null || this.#end === null ? null : s(this.#end - this.#start),
      primingS: par.sampleRate > 0 ? this.#skipSamples / par.sampleRate : 0,
    };
  }
}

const NOPTS = -0x8000000000000000n;

function pickFrameRate(stream: Stream): Fraction {
  for (const r of [stream.avgFrameRate, stream.rFrameRate]) {
    if (r.num > 0 && r.den > 0) return [r.num, r.den];
  }
  return [25, 1];
}

/** The typical frame duration: the median spacing of frames, or one frame at the stated rate. */
function guessFrameDuration(pts: readonly number[], rate: Fraction, tb: Fraction): number {
  if (pts.length >= 2) {
    const deltas = pts.slice(1).map((p, i) => p - pts[i]!);
    deltas.sort((a, b) => a - b);
    const median = deltas[deltas.length >> 1]!;
    if (median > 0) return median;
  }
  return Math.max(1, Math.round((tb[1] * rate[1]) / (tb[0] * rate[0])));
}

/** Constant frame rate: every frame duration within 1% (or one tick, for rounded time bases) of the mean. */
function isConstant(pts: readonly number[]): boolean {
  if (pts.length < 3) return true;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 1; i < pts.length; i++) {
    const d = pts[i]! - pts[i - 1]!;
    min = Math.min(min, d);
    max = Math.max(max, d);
  }
  const mean = (pts.at(-1)! - pts[0]!) / (pts.length - 1);
  const tolerance = Math.max(1, 0.01 * mean);
  return max - mean <= tolerance && mean - min <= tolerance;
}

function bitDepthOf(pixelFormat: string): number {
  const m = /p(9|10|12|14|16)(le|be)?$/.exec(pixelFormat);
  return m === null ? 8 : Number(m[1]);
}

/** Rotation in degrees (counter-clockwise) from a 3×3 display matrix, as FFmpeg's `av_display_rotation_get`. */
function rotationOf(matrix: Buffer | null): number {
  if (matrix === null || matrix.length < 36) return 0;
  const m = (i: number): number => matrix.readInt32LE(i * 4) / 65536;
  const scale0 = Math.hypot(m(0), m(3));
  const scale1 = Math.hypot(m(1), m(4));
  if (scale0 === 0 || scale1 === 0) return 0;
  const rotation = -(Math.atan2(m(1) / scale1, m(0) / scale0) * 180) / Math.PI;
  const rounded = Math.round(rotation * 100) / 100;
  return rounded === 0 ? 0 : rounded;
}

function otherStreams(demuxer: Demuxer, videoIndex: number): string[] {
  return demuxer.streams
    .filter((s) => s.index !== videoIndex && s.codecpar.codecType !== AVMEDIA_TYPE_AUDIO)
    .map((s) => {
      const t = s.codecpar.codecType;
      const kind =
        t === AVMEDIA_TYPE_VIDEO
          ? 'video'
          : t === AVMEDIA_TYPE_SUBTITLE
            ? 'subtitle'
            : t === AVMEDIA_TYPE_DATA
              ? 'data'
              : 'other';
      return `${kind} #${s.index} (${avGetCodecName(s.codecpar.codecId) ?? 'unknown'})`;
    });
}
