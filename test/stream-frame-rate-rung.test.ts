import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SinkViewer } from '../src/stream/sink-viewer.ts';
import { SizeScript, startServer } from './stream-e2e-helpers.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Frames and bytes the sink receives over `ms`. */
async function over(sink: SinkViewer, ms: number): Promise<{ fps: number; bps: number }> {
  const f0 = sink.framesReceived;
  const b0 = sink.bytesReceived;
  await sleep(ms);
  return { fps: ((sink.framesReceived - f0) * 1000) / ms, bps: ((sink.bytesReceived - b0) * 8000) / ms };
}

test('a frame-rate rung: 60 → 30 fps mid-stream, the bitrate kept, and back to 60', async () => {
  const script = new SizeScript();
  await using server = await startServer({
    codec: 'h264',
    width: 320,
    height: 180,
    bitrateBps: 1_000_000,
    rateController: script,
  });
  await using sink = await SinkViewer.connect(`ws://127.0.0.1:${server.port}/ws`, 'h264');
  await sleep(1500);
  const full = await over(sink, 2000);
  assert.ok(full.fps > 50, `${full.fps} fps at the start`);

  script.size = { width: 320, height: 180, fps: 30 };
  await sleep(1000);
  const half = await over(sink, 2000);
  assert.ok(half.fps > 25 && half.fps < 35, `${half.fps} fps on the 30 fps rung`);
  assert.equal(server.figures().stream?.fps, 30);
  assert.equal(script.seen?.fps, 30);
  // The encoder was reopened at 30 fps: the bitrate stays what it was asked for, not half of it.
  assert.ok(half.bps > 0.75 * full.bps && half.bps < 1.3 * full.bps, `${half.bps} vs ${full.bps}`);

  script.size = { width: 320, height: 180, fps: 60 };
  await sleep(1000);
  const back = await over(sink, 2000);
  assert.ok(back.fps > 50, `${back.fps} fps back on 60`);
});
