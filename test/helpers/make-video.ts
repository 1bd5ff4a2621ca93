/** Small test videos encoded with the project's own encoder session (no external tools). */
import { join } from 'node:path';
import { findEncoder } from '../../src/encode/catalogue.ts';
import { EncoderSession } from '../../src/encode/session.ts';
import { decodedFrames } from '../../src/media/frames.ts';
import { VideoFileWriter } from '../../src/media/video-writer.ts';

/** Options for {@link makeVideo}. */
export interface MakeVideoOptions {
  readonly dir: string;
  readonly name: string;
  readonly source?: string;
  readonly width?: number;
  readonly height?: number;
  readonly fps?: number;
  readonly frames?: number;
  readonly encoder?: string;
  readonly crf?: number;
  /** Encode 10-bit (yuv420p10le). */
  readonly tenBit?: boolean;
}

/** Encodes `frames` frames of a lavfi source into `dir/name` and returns the path. */
export async function makeVideo(o: MakeVideoOptions): Promise<string> {
  const width = o.width ?? 320;
  const height = o.height ?? 180;
  const fps = o.fps ?? 25;
  const path = join(o.dir, o.name);
  const info = findEncoder(o.encoder ?? 'libx264');
  if (info === undefined) throw new Error(`unknown encoder ${o.encoder}`);
  using session = await EncoderSession.open({
    candidates: [info],
    intent: {
      width,
      height,
      frameRate: [fps, 1],
      crf: o.crf ?? 23,
      lowLatency: false,
      globalHeader: true,
      preset: 'ultrafast',
      tenBit: o.tenBit === true,
    },
  });
  await using writer = await VideoFileWriter.open(path, session.codecContext);
  let i = 0;
  const source = o.source ?? `lavfi:testsrc2=size=${width}x${height}:rate=${fps}`;
  for await (const frame of decodedFrames(source, {
    pixelFormat: o.tenBit === true ? 'yuv420p10le' : 'yuv420p',
    width,
    height,
    maxFrames: o.frames ?? 30,
  })) {
    frame.pts = BigInt(i++);
    for (const p of await session.encode(frame)) await writer.write(p);
  }
  for (const p of await session.flush()) await writer.write(p);
  await writer.finish();
  return path;
}
