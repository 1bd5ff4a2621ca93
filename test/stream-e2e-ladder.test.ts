import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { HeadlessBrowser } from '../src/stream/headless-browser.ts';
import { SizeScript, startServer, waitForPlayer } from './stream-e2e-helpers.ts';

let browser: HeadlessBrowser;
before(async () => {
  browser = await HeadlessBrowser.launch();
});
after(async () => {
  await browser.close();
});

for (const codec of ['h264', 'vp9'] as const) {
  test(`${codec}: a ladder step changes the picture size mid-stream and the player follows without a reload`, async () => {
    const script = new SizeScript();
    await using server = await startServer({ codec, rateController: script });
    const page = await browser.open(`${server.url}?codec=${codec}`);
    try {
      const first = await waitForPlayer(
        page,
        (p) => (p.status?.framesDecoded ?? 0) >= 30,
        30_000,
        '30 frames',
      );
      assert.equal(first.status?.width, 640);

      script.size = { width: 320, height: 180 };
      const down = await waitForPlayer(
        page,
        (p) =>
          p.status?.width === 320 && (p.status.framesDecoded ?? 0) >= (first.status?.framesDecoded ?? 0) + 30,
        15_000,
        'the player at 320x180, decoding',
      );
      assert.equal(down.status?.height, 180);
      assert.equal(script.seen?.width, 320);
      assert.equal(server.figures().stream?.width, 320);

      script.size = { width: 640, height: 360 };
      const up = await waitForPlayer(
        page,
        (p) =>
          p.status?.width === 640 && (p.status.framesDecoded ?? 0) >= (down.status?.framesDecoded ?? 0) + 30,
        15_000,
        'the player back at 640x360, decoding',
      );
      assert.equal(up.status?.decoderErrors, 0, `decoder error: ${up.status?.lastError ?? ''}`);
      assert.equal(up.status?.framesDiscarded, 0);

      // A frame-rate rung: 60 → 30 fps at the same size; the player goes on decoding at 30.
      script.size = { width: 640, height: 360, fps: 30 };
      await waitForPlayer(page, () => server.figures().stream?.fps === 30, 10_000, 'the stream at 30 fps');
      const at30 = await waitForPlayer(
        page,
        (p) => (p.status?.framesDecoded ?? 0) >= (up.status?.framesDecoded ?? 0) + 60,
        15_000,
        'the player decoding at 30 fps',
      );
      const t0 = Date.now();
      const n0 = at30.status?.framesDecoded ?? 0;
      const later = await waitForPlayer(page, () => Date.now() - t0 >= 2000, 5000, 'two seconds');
      const fps = (((later.status?.framesDecoded ?? 0) - n0) * 1000) / (Date.now() - t0);
      assert.ok(fps > 20 && fps < 36, `${fps.toFixed(1)} frames/s decoded on the 30 fps rung`);
      assert.equal(later.status?.decoderErrors, 0, `decoder error: ${later.status?.lastError ?? ''}`);
      // The page was never reloaded: one connection all along.
      assert.equal(server.figures().viewers.length, 1);
    } finally {
      await page.close();
    }
  });
}
