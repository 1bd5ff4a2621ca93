import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ENCODER = fileURLToPath(new URL('../src/media/video-encoder.ts', import.meta.url));

function openUnknownOptionValue(env: NodeJS.ProcessEnv): { stderr: string; stdout: string } {
  // libx264 rejects an unparsable option value at open, and FFmpeg says so through av_log.
  const script = `
    const { VideoEncoder } = await import(${JSON.stringify(ENCODER)});
    try {
      await VideoEncoder.open({ encoder: 'libx264', width: 64, height: 64, pixelFormat: 'yuv420p', frameRate: [30, 1], options: { crf: 'not-a-number' } });
    } catch (e) { process.stdout.write(e.message); }`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  return { stderr: r.stderr, stdout: r.stdout };
}

test("FFmpeg's log is silent by default and the open error is still one line naming the encoder", () => {
  const r = openUnknownOptionValue({ QUADSTREAM_FFMPEG_LOG: '' });
  assert.equal(r.stderr, '');
  assert.match(r.stdout, /^libx264: open failed: /);
});

test("QUADSTREAM_FFMPEG_LOG=error routes FFmpeg's messages into the project's logger as JSON lines", () => {
  const r = openUnknownOptionValue({ QUADSTREAM_FFMPEG_LOG: 'error' });
  const lines = r.stderr
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { component?: string; msg?: string; level?: number });
  assert.ok(lines.length > 0, 'some FFmpeg lines were logged');
  assert.ok(lines.every((l) => l.component === 'ffmpeg'));
  assert.ok(
    lines.some((l) => /crf|not-a-number/i.test(l.msg ?? '')),
    JSON.stringify(lines),
  );
});
