import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { encodeFile } from '../src/batch/encode-file.ts';
import type { EncodeEvent } from '../src/batch/report.ts';
import { inspectVideo } from '../src/media/inspect.ts';
import { scanPackets } from '../src/media/packet-scan.ts';
import { buildMultiScene, type MultiScene } from './helpers/batch-clips.ts';
import { tempDir } from './helpers/tmp.ts';

// A short input: two 1 s clips at 320x180, 25 fps, with AAC audio. Segments of at most 1 s.
const dir = tempDir('qs-batch-codecs-');
let input: MultiScene;

before(async () => {
  input = await buildMultiScene(join(dir.path, 'short.mp4'), {
    clips: ['video.mp4', '0.ts'],
    secondsPerClip: 1,
    width: 320,
    height: 180,
    fps: 25,
  });
});
after(() => dir[Symbol.dispose]());

for (const [codec, ext, audioCodec, extra] of [
  ['h264', 'mp4', 'aac', {}],
  ['hevc', 'mp4', 'aac', { bitrateBps: 300_000 }],
  ['av1', 'mkv', 'aac', {}],
  ['vp9', 'webm', 'opus', {}],
] as const) {
  test(`${codec} round trip into ${ext}: codec, frame count, keyframe at each segment, ${audioCodec} audio`, async () => {
    const output = join(dir.path, `out-${codec}.${ext}`);
    const events: EncodeEvent[] = [];
    const report = await encodeFile(
      {
        input: input.path,
        output,
        codec,
        preset: 'fast',
        workers: 2,
        plan: { minSeconds: 0.4, maxSeconds: 0.8 },
        ...extra,
      },
      { onEvent: (e) => events.push(e) },
    );
    assert.ok(report.segments.length >= 3, `${report.segments.length} segments`);
    assert.equal(report.inputFrames, input.frames);
    assert.equal(report.outputFrames, input.frames);

    const decoded = await inspectVideo(output);
    assert.equal(decoded.codec, codec);
    assert.equal(decoded.frames, input.frames);
    assert.equal(decoded.width, 320);
    assert.equal(decoded.height, 180);
    const streams = await scanPackets(output);
    const video = streams.find((s) => s.kind === 'video')!;
    const order = video.pts
      .map((p, i) => ({ pts: p!, key: video.keyframes[i]! }))
      .sort((a, b) => a.pts - b.pts);
    for (const s of report.segments)
      assert.ok(order[s.startFrame]!.key, `segment ${s.index} starts with a keyframe`);
    const audio = streams.filter((s) => s.kind === 'audio');
    assert.equal(audio.length, 1);
    assert.equal(audio[0]!.codec, audioCodec);
    assert.equal(report.audio[0]!.action, audioCodec === 'aac' ? 'copy' : 'opus');
    assert.ok(Math.abs(report.verify.audio[0]!.startOffsetS) < 0.05);
    assert.ok(events.some((e) => e.type === 'segment-done'));
  });
}
