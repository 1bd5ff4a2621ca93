/**
 * Audio for the file encoder's output: copied when the output container can hold the input's codec,
 * otherwise re-encoded (AAC for MP4, Opus for WebM and Matroska). Prepared before or alongside the
 * video so that an audio problem fails the run in seconds, not after hours of video encoding.
 */
import { rm } from 'node:fs/promises';
import { Decoder, Encoder, FilterAPI } from 'node-av/api';
import { CodecParameters, type Frame, type Packet } from 'node-av/lib';
import { FF_ENCODER_AAC, FF_ENCODER_LIBOPUS } from 'node-av/constants';
import { QuadStreamError, describeError } from '../core/errors.ts';
import { openInput } from './input.ts';
import { MediaWriter } from './mux.ts';
import { readPackets } from './read-packets.ts';

/** Output containers of the file encoder (FFmpeg muxer names). */
export const OUTPUT_CONTAINERS = ['mp4', 'matroska', 'webm'] as const;
export type OutputContainer = (typeof OUTPUT_CONTAINERS)[number];

/** Audio codecs each container takes as they are (FFmpeg codec names). */
const COPYABLE: Record<OutputContainer, readonly string[] | 'any'> = {
  mp4: ['aac', 'mp3', 'ac3', 'eac3', 'alac', 'flac', 'opus'],
  webm: ['opus', 'vorbis'],
  matroska: 'any',
};

/** What to do with one audio stream. */
export interface AudioPlan {
  readonly streamIndex: number;
  /** `copy` keeps the packets; `aac` / `opus` re-encode. */
  readonly action: 'copy' | 'aac' | 'opus';
  /** Codec in the output. */
  readonly codec: string;
  /** Target bitrate when re-encoding, bits per second. */
  readonly bitrateBps?: number;
}

/** Decides copy or re-encode for an audio stream of codec `codec` with `channels` channels. */
export function planAudio(
  streamIndex: number,
  codec: string,
  channels: number,
  container: OutputContainer,
): AudioPlan {
  const copyable = COPYABLE[container];
  if (copyable === 'any' || copyable.includes(codec)) return { streamIndex, action: 'copy', codec };
  const ch = Math.max(1, channels);
  if (container === 'mp4') {
    return { streamIndex, action: 'aac', codec: 'aac', bitrateBps: Math.min(512_000, 64_000 * ch) };
  }
  return { streamIndex, action: 'opus', codec: 'opus', bitrateBps: Math.min(510_000, 48_000 * ch) };
}

/**
 * Where the join step takes an audio stream's packets from: straight from the input (copy, which
 * keeps every packet's timestamps, durations and priming side data exactly), or from a re-encoded
 * NUT file whose timestamps were raised by `offsetTicks` (NUT cannot store negative ones, and an
 * encoder's priming makes the first one negative); `initialPadding` is the encoder's priming in
 * samples, for the output container's edit list.
 */
export type PreparedAudio =
  | { readonly kind: 'input'; readonly plan: AudioPlan; readonly path: string }
  | {
      readonly kind: 'file';
      readonly plan: AudioPlan;
      readonly path: string;
      readonly offsetTicks: number;
      readonly initialPadding: number;
    };

/**
 * Prepares audio stream `plan.streamIndex` of `input` for the join. Copy: a preflight that writes
 * the stream's header and first packets into a scratch file of the output container at `scratch`
 * (so a container that refuses the stream fails now, not after the video). Re-encode: the whole
 * stream is encoded into `scratch` (NUT). Failures are `input` errors naming the file and stream.
 */
export async function prepareAudio(
  input: string,
  plan: AudioPlan,
  container: OutputContainer,
  scratch: string,
  signal?: AbortSignal,
): Promise<PreparedAudio> {
  try {
    return plan.action === 'copy'
      ? await preflightCopy(input, plan, container, scratch, signal)
      : await transcodeAudio(input, plan, scratch, signal);
  } catch (error) {
    if (error instanceof QuadStreamError) throw error;
    throw new QuadStreamError(
      'input',
      'input.audio-failed',
      `${input}: audio stream ${plan.streamIndex} (${plan.action === 'copy' ? 'copy' : `to ${plan.codec}`}): ${describeError(error)}`,
      { cause: error, subject: input },
    );
  } finally {
    if (plan.action === 'copy') await rm(scratch, { force: true });
  }
}

/** Packets written by the copy preflight: enough to exercise the muxer, few enough to be instant. */
const PREFLIGHT_PACKETS = 50;

const NOPTS = -0x8000000000000000n;

async function preflightCopy(
  input: string,
  plan: AudioPlan,
  container: OutputContainer,
  scratch: string,
  signal: AbortSignal | undefined,
): Promise<PreparedAudio> {
  await using demuxer = await openInput(input);
  const stream = demuxer.getStream(plan.streamIndex);
  if (stream === undefined) throw new Error('stream not found');
  const tb: [number, number] = [stream.timeBase.num, stream.timeBase.den];
  await using writer = await MediaWriter.open(scratch, container, [
    { parameters: stream.codecpar, timeBase: tb },
  ]);
  let written = 0;
  for await (const packet of readPackets(demuxer, input, signal)) {
    if (packet.streamIndex !== plan.streamIndex) continue;
    await writer.write(packet, 0);
    if (++written >= PREFLIGHT_PACKETS) break;
  }
  await writer.finish();
  return { kind: 'input', plan, path: input };
}

async function transcodeAudio(
  input: string,
  plan: AudioPlan,
  path: string,
  signal: AbortSignal | undefined,
): Promise<PreparedAudio> {
  await using demuxer = await openInput(input);
  const stream = demuxer.getStream(plan.streamIndex);
  if (stream === undefined) throw new Error('stream not found');
  using decoder = await Decoder.create(stream, { exitOnError: true });
  // AAC takes planar float at the input's rate; Opus takes interleaved float at 48 kHz.
  const graph =
    plan.action === 'aac'
      ? 'aformat=sample_fmts=fltp'
      : 'aresample=48000,aformat=sample_fmts=flt:sample_rates=48000';
  using filter = FilterAPI.create(graph);
  using encoder = await Encoder.create(plan.action === 'aac' ? FF_ENCODER_AAC : FF_ENCODER_LIBOPUS, {
    bitrate: plan.bitrateBps ?? 128_000,
  });
  let writer: MediaWriter | null = null;
  let offset = 0n;
  let initialPadding = 0;
  const write = async (packets: Packet[]): Promise<void> => {
    for (const p of packets) {
      using packet = p;
      if (writer === null) {
        const ctx = encoder.getCodecContext();
        if (ctx === null) throw new Error('the audio encoder did not open');
        using par = new CodecParameters();
        par.alloc();
        par.fromContext(ctx);
        initialPadding = par.initialPadding;
        // Packets come in time order: the first has the lowest timestamp.
        if (packet.pts !== NOPTS && packet.pts < 0n) offset = -packet.pts;
        writer = await MediaWriter.open(path, 'nut', [
          { parameters: par, timeBase: [ctx.timeBase.num, ctx.timeBase.den] },
        ]);
      }
      if (packet.pts !== NOPTS) packet.pts += offset;
      if (packet.dts !== NOPTS) packet.dts += offset;
      await writer.write(packet, 0);
    }
  };
  const encodeFrames = async (frames: Frame[]): Promise<void> => {
    for (const f of frames) {
      using frame = f;
      for (const filtered of await filter.processAll(frame)) {
        using out = filtered;
        await write(await encoder.encodeAll(out));
      }
    }
  };
  try {
    for await (const packet of readPackets(demuxer, input, signal)) {
      if (packet.streamIndex !== plan.streamIndex) continue;
      await encodeFrames(await decoder.decodeAll(packet));
    }
    await encodeFrames(await decoder.decodeAll(null));
    for await (const f of filter.flushFrames()) {
      using out = f;
      await write(await encoder.encodeAll(out));
    }
    await write(await encoder.encodeAll(null));
    const w = writer as MediaWriter | null;
    if (w === null) throw new Error('no audio could be decoded');
    await w.finish();
  } finally {
    await (writer as MediaWriter | null)?.[Symbol.asyncDispose]();
  }
  return { kind: 'file', plan, path, offsetTicks: Number(offset), initialPadding };
}
