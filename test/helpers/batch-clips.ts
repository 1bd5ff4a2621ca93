/**
 * Builds test inputs for the file encoder from the shared clips: the first seconds of several clips,
 * each scaled to a common size and frame rate with its audio resampled to 48 kHz stereo, joined
 * into one MP4 (H.264 with a keyframe every second, AAC) so that the clip boundaries are scene cuts.
 */
import { Decoder, Encoder, FilterAPI } from 'node-av/api';
import { CodecParameters, Packet, Rational, type Frame } from 'node-av/lib';
import { FF_ENCODER_AAC } from 'node-av/constants';
import { openInput, videoStreamOf } from '../../src/media/input.ts';
import { MediaWriter } from '../../src/media/mux.ts';
import { readPackets } from '../../src/media/read-packets.ts';
import { VideoDecoder } from '../../src/media/video-decoder.ts';
import { VideoEncoder } from '../../src/media/video-encoder.ts';

/** The shared media folder. */
export const MEDIA = new URL('../../../shared/media/', import.meta.url).pathname;

/** Clips with audio, in the order they are joined. */
export const CLIPS_WITH_AUDIO = [
  '0.ts',
  'video.mp4',
  'hevc.ts',
  'edts.mp4',
  'missing-keyframe-labels.ts',
] as const;

/** Options for {@link buildMultiScene}. */
export interface MultiSceneOptions {
  readonly clips: readonly string[];
  readonly secondsPerClip: number;
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  /** x264 preset of the test input (ultrafast keeps tests quick). */
  readonly preset?: string;
}

/** What was built: the frame index where each clip starts. */
export interface MultiScene {
  readonly path: string;
  readonly frames: number;
  readonly clipStarts: readonly number[];
  readonly audioSamples: number;
}

const SAMPLE_RATE = 48_000;

/** Builds the joined clip at `path` (MP4). */
export async function buildMultiScene(path: string, o: MultiSceneOptions): Promise<MultiScene> {
  const perClip = Math.round(o.secondsPerClip * o.fps);
  const samplesPerClip = Math.round(o.secondsPerClip * SAMPLE_RATE);
  using video = await VideoEncoder.open({
    encoder: 'libx264',
    width: o.width,
    height: o.height,
    pixelFormat: 'yuv420p',
    frameRate: [o.fps, 1],
    gopFrames: o.fps,
    globalHeader: true,
    options: { preset: o.preset ?? 'ultrafast', crf: '20' },
  });
  using audio = await Encoder.create(FF_ENCODER_AAC, { bitrate: 128_000 });
  const videoPackets: { data: Buffer; pts: bigint; dts: bigint; duration: bigint; keyframe: boolean }[] = [];
  const audioPackets: Packet[] = [];
  const clipStarts: number[] = [];
  let frameIndex = 0;
  let sampleIndex = 0;
  for (const clip of o.clips) {
    const file = `${MEDIA}${clip}`;
    clipStarts.push(frameIndex);
    // Video: the first `perClip` frames at the common size and rate.
    {
      await using demuxer = await openInput(file);
      const stream = videoStreamOf(demuxer, file);
      using decoder = await VideoDecoder.open(stream, file);
      using filter = FilterAPI.create(
        `fps=${o.fps},scale=${o.width}:${o.height}:flags=bicubic,setsar=1,format=yuv420p`,
      );
      let taken = 0;
      const take = async (frames: Frame[]): Promise<void> => {
        for (const f of frames) {
          using frame = f;
          if (taken >= perClip) continue;
          frame.pts = BigInt(frameIndex++);
          frame.timeBase = new Rational(1, o.fps);
          videoPackets.push(...(await video.encode(frame, taken === 0)));
          taken++;
        }
      };
      for await (const packet of readPackets(demuxer, file)) {
        if (taken >= perClip) break;
        if (packet.streamIndex !== stream.index) continue;
        for (const d of await decoder.decode(packet)) {
          await take(await filter.processAll(d.frame));
          d.frame.free();
        }
      }
      if (taken < perClip) {
        for (const d of await decoder.decode(null)) {
          await take(await filter.processAll(d.frame));
          d.frame.free();
        }
        await filter.process(null);
        for await (const f of filter.flushFrames()) await take([f]);
      }
      if (taken < perClip) throw new Error(`${clip}: only ${taken} frames`);
    }
    // Audio: exactly `samplesPerClip` samples, 48 kHz stereo, continuing the previous clip's.
    {
      await using demuxer = await openInput(file);
      const stream = demuxer.audio();
      if (stream === undefined) throw new Error(`${clip}: no audio`);
      using decoder = await Decoder.create(stream);
      using filter = FilterAPI.create(
        `aresample=${SAMPLE_RATE},aformat=sample_fmts=fltp:channel_layouts=stereo,atrim=end_sample=${samplesPerClip},asetpts=N/SR/TB`,
      );
      const clipStart = sampleIndex;
      const take = async (frames: Frame[]): Promise<void> => {
        for (const f of frames) {
          using frame = f;
          frame.pts += BigInt(clipStart);
          sampleIndex = clipStart + Number(frame.pts - BigInt(clipStart)) + frame.nbSamples;
          audioPackets.push(...(await audio.encodeAll(frame)));
        }
      };
      for await (const packet of readPackets(demuxer, file)) {
        if (packet.streamIndex !== stream.index) continue;
        for (const f of await decoder.decodeAll(packet)) {
          await take(await filter.processAll(f));
          f.free();
        }
        if (sampleIndex - clipStart >= samplesPerClip) break;
      }
      await filter.process(null);
      for await (const f of filter.flushFrames()) await take([f]);
      sampleIndex = clipStart + samplesPerClip;
    }
  }
  videoPackets.push(...(await video.encode(null)));
  audioPackets.push(...(await audio.encodeAll(null)));

  const audioCtx = audio.getCodecContext();
  if (audioCtx === null) throw new Error('audio encoder did not open');
  using audioPar = new CodecParameters();
  audioPar.alloc();
  audioPar.fromContext(audioCtx);
  using videoPar = new CodecParameters();
  videoPar.alloc();
  videoPar.fromContext(video.context);
  await using writer = await MediaWriter.open(path, 'mp4', [
    { parameters: videoPar, timeBase: [1, o.fps], frameRate: [o.fps, 1] },
    { parameters: audioPar, timeBase: [audioCtx.timeBase.num, audioCtx.timeBase.den] },
  ]);
  // Interleave by time.
  const vt = (i: number): number => Number(videoPackets[i]!.dts) / o.fps;
  const at = (i: number): number =>
    (Number(audioPackets[i]!.dts) * audioCtx.timeBase.num) / audioCtx.timeBase.den;
  let v = 0;
  let a = 0;
  while (v < videoPackets.length || a < audioPackets.length) {
    if (a >= audioPackets.length || (v < videoPackets.length && vt(v) <= at(a))) {
      const src = videoPackets[v++]!;
      using p = new Packet();
      p.alloc();
      p.data = src.data;
      p.pts = src.pts;
      p.dts = src.dts;
      p.duration = src.duration;
      if (src.keyframe) p.isKeyframe = true;
      await writer.write(p, 0);
    } else {
      using p = audioPackets[a++]!;
      await writer.write(p, 1);
    }
  }
  await writer.finish();
  return { path, frames: frameIndex, clipStarts, audioSamples: sampleIndex };
}

/**
 * The file encoder's standard multi-scene input: the five clips with audio, 1.8 s each, at 320x180
 * and 25 fps (225 frames, cuts at 45, 90, 135, 180). Shared by the encode and target-quality tests
 * and the target-quality bench, so their figures are about the same input.
 */
export function buildStandardMultiScene(path: string): Promise<MultiScene> {
  return buildMultiScene(path, {
    clips: CLIPS_WITH_AUDIO,
    secondsPerClip: 1.8,
    width: 320,
    height: 180,
    fps: 25,
  });
}
