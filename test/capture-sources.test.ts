import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { readBurntInCounter } from '../src/core/protocol.ts';
import { isQuadStreamError } from '../src/core/errors.ts';
import { openSource } from '../src/capture/open-source.ts';
import type { FrameSource } from '../src/capture/types.ts';
import { findEncoder } from '../src/encode/catalogue.ts';
import { EncoderSession } from '../src/encode/session.ts';
import { decodedFrames } from '../src/media/frames.ts';
import { VideoFileWriter } from '../src/media/video-writer.ts';
import { Preprocessor } from '../src/preprocess/preprocessor.ts';
import { tempDir } from './helpers/tmp.ts';

interface Seen {
  readonly index: number;
  readonly captureMs: number;
  readonly width: number;
  readonly height: number;
  readonly counter: number;
  readonly lumaSum: number;
}

/** Reads `count` frames (through the pre-processor, to yuv420p at the source size) and releases them. */
async function take(
  source: FrameSource,
  count: number,
  size?: { width: number; height: number },
): Promise<Seen[]> {
  const ac = new AbortController();
  const seen: Seen[] = [];
  using pre = new Preprocessor(size ?? { width: source.width, height: source.height });
  for await (const captured of source.frames(ac.signal)) {
    const p = await pre.process(captured);
    try {
      const f = p.frame;
      const y = f.data?.[0];
      const stride = f.linesize[0] ?? 0;
      assert.ok(y !== undefined);
      let lumaSum = 0;
      for (let row = Math.floor(f.height / 2); row < f.height; row += 4)
        for (let x = 0; x < f.width; x += 4) lumaSum += y[row * stride + x]!;
      seen.push({
        index: p.index,
        captureMs: p.captureMs,
        width: f.width,
        height: f.height,
        counter: readBurntInCounter(f.height, (x, r) => y[r * stride + x]!),
        lumaSum,
      });
    } finally {
      p.frame.free();
    }
    if (seen.length >= count) break;
  }
  return seen;
}

function assertPaced(seen: readonly Seen[], fps: number): void {
  for (let i = 1; i < seen.length; i++) {
    assert.ok(seen[i]!.index > seen[i - 1]!.index, 'indices increase');
    assert.ok(seen[i]!.captureMs > seen[i - 1]!.captureMs, 'capture times increase');
  }
  const first = seen[0]!;
  const last = seen[seen.length - 1]!;
  // Real-time pace: capture times follow the slot indices (within a few frames of scheduling slack).
  const expectedMs = ((last.index - first.index) * 1000) / fps;
  const gotMs = last.captureMs - first.captureMs;
  // (Slack for a loaded machine: the event loop can stall; a source at the wrong pace is off by far more.)
  const slackMs = Math.max(4 * (1000 / fps) + 15, 0.1 * expectedMs);
  assert.ok(Math.abs(gotMs - expectedMs) < slackMs, `paced: ${gotMs} ms for ${expectedMs} ms`);
}

test('test source: real-time pace, a capture time on every frame, the counter burnt in, moving content', async () => {
  await using source = await openSource({ spec: 'test', width: 320, height: 180, frameRate: [60, 1] });
  assert.equal(source.kind, 'test');
  const started = performance.now();
  const seen = await take(source, 60);
  const elapsed = performance.now() - started;
  assert.equal(seen.length, 60);
  assertPaced(seen, 60);
  // Sixty frames at 60 fps take about a second, never much less (the source does not run ahead).
  assert.ok(elapsed >= 900, `60 frames in ${elapsed} ms`);
  for (const s of seen) {
    assert.equal(s.width, 320);
    assert.equal(s.height, 180);
    assert.equal(s.counter, s.index, 'burnt-in counter equals the frame index');
  }
  assert.notEqual(seen[0]!.lumaSum, seen[30]!.lumaSum, 'the pattern moves');
});

test('test source: an odd or tiny size is a one-line input error', async () => {
  await assert.rejects(
    openSource({ spec: 'test', width: 321, height: 180, frameRate: [60, 1] }),
    (e: unknown) => isQuadStreamError(e) && e.kind === 'input' && /321x180/.test(e.message),
  );
});

test('file source: loops forever at the file’s own pace, scaled on request', async () => {
  using dir = tempDir();
  const path = join(dir.path, 'clip.mp4');
  {
    using session = await EncoderSession.open({
      candidates: [findEncoder('libx264')!],
      intent: {
        width: 320,
        height: 240,
        frameRate: [25, 1],
        bitrateBps: 500_000,
        lowLatency: false,
        globalHeader: true,
      },
    });
    await using writer = await VideoFileWriter.open(path, session.codecContext);
    let i = 0;
    for await (const frame of decodedFrames('lavfi:testsrc2=size=320x240:rate=25', {
      pixelFormat: 'yuv420p',
      maxFrames: 10,
    })) {
      frame.pts = BigInt(i++);
      for (const p of await session.encode(frame)) await writer.write(p);
    }
    for (const p of await session.flush()) await writer.write(p);
    await writer.finish();
  }
  await using source = await openSource({
    spec: `file:${path}`,
    width: 160,
    height: 120,
    frameRate: [60, 1],
  });
  assert.equal(source.kind, 'file');
  assert.deepEqual(source.frameRate, [25, 1]);
  const seen = await take(source, 25, { width: 160, height: 120 });
  // 25 frames of a 10-frame file: it looped twice, and the pace is 25 fps across the loops.
  assert.equal(seen.length, 25);
  assertPaced(seen, 25);
  assert.deepEqual(
    seen.slice(0, 12).map((s) => s.index),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
  );
  assert.ok(seen.every((s) => s.width === 160 && s.height === 120));
});

test('file source: a missing file is an input error naming it', async () => {
  await assert.rejects(
    openSource({ spec: 'file:/nonexistent/clip.mp4', frameRate: [60, 1] }),
    (e: unknown) =>
      isQuadStreamError(e) && e.kind === 'input' && e.message === '/nonexistent/clip.mp4: no such file',
  );
});

test('camera: a missing V4L2 device is an input error naming the device', async () => {
  await assert.rejects(
    openSource({ spec: 'camera:/dev/video99', frameRate: [30, 1] }),
    (e: unknown) =>
      isQuadStreamError(e) &&
      e.code === 'capture.no-camera' &&
      e.kind === 'input' &&
      /\/dev\/video99/.test(e.message),
  );
  await assert.rejects(
    openSource({ spec: 'camera:/dev/null', frameRate: [30, 1] }),
    (e: unknown) => isQuadStreamError(e) && e.kind === 'input' && /\/dev\/null/.test(e.message),
  );
});

test('screen: no display is an input error; an unknown source spelling too', async () => {
  await assert.rejects(
    openSource({ spec: 'screen::97', frameRate: [30, 1] }),
    (e: unknown) => isQuadStreamError(e) && e.code === 'capture.screen-failed' && /:97/.test(e.message),
  );
  await assert.rejects(
    openSource({ spec: 'webcam', frameRate: [30, 1] }),
    (e: unknown) => isQuadStreamError(e) && e.code === 'capture.bad-source',
  );
});

const hasXvfb = spawnSync('sh', ['-c', 'command -v Xvfb'], { encoding: 'utf8' }).status === 0;

test(
  'screen: x11grab captures an Xvfb display at its pace, and sees what is drawn on it',
  { skip: hasXvfb ? false : 'Xvfb is not installed (scripts/ensure-xvfb.sh installs it)' },
  async () => {
    const display = `:${90 + (process.pid % 9)}`;
    const xvfb = spawn('Xvfb', [display, '-screen', '0', '320x240x24', '-nolisten', 'tcp', '-noreset'], {
      stdio: 'ignore',
    });
    try {
      // Wait for the server to accept connections.
      let ready = false;
      for (let i = 0; i < 50 && !ready; i++) {
        await new Promise((r) => setTimeout(r, 100));
        ready =
          spawnSync('xsetroot', ['-display', display, '-solid', 'white'], { stdio: 'ignore' }).status === 0;
      }
      assert.ok(ready, 'Xvfb started');
      await using source = await openSource({ spec: `screen:${display}`, frameRate: [30, 1] });
      assert.equal(source.kind, 'screen');
      assert.equal(source.width, 320);
      assert.equal(source.height, 240);
      const white = await take(source, 15);
      assertPaced(white, 30);
      // A white root window: luma near 235 (limited range) over the lower half.
      const perSample = white[white.length - 1]!.lumaSum / ((240 / 2 / 4) * (320 / 4));
      assert.ok(perSample > 200, `white screen luma ${perSample}`);
      assert.equal(spawnSync('xsetroot', ['-display', display, '-solid', 'black']).status, 0);
      const black = await take(source, 10);
      const perSampleBlack = black[black.length - 1]!.lumaSum / ((240 / 2 / 4) * (320 / 4));
      assert.ok(perSampleBlack < 40, `black screen luma ${perSampleBlack}`);
    } finally {
      xvfb.kill();
    }
  },
);
