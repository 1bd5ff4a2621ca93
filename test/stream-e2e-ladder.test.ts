import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { HeadlessBrowser } from '../src/stream/headless-browser.ts';
import type { EncoderState, RateController, RateDecision } from '../src/stream/rate-control.ts';
import { startServer, waitForPlayer } from './stream-e2e-helpers.ts';

let browser: HeadlessBrowser;
before(async () => {
  browser = await HeadlessBrowser.launch();
});
after(async () => {
  await browser.close();
});

/** A rate controller that only asks for picture sizes, the one it is told to, when told. */
class SizeScript implements RateController {
  size: { width: number; height: number } | undefined;
  seen: EncoderState | undefined;
  viewerJoined(): void {}
  viewerLeft(): void {}
  onSent(): void {}
  onDelivery(): void {}
  onRtt(): void {}
  onQueueDrop(): void {}
  decide(encoder: EncoderState): RateDecision | undefined {
    this.seen = encoder;
    return this.size === undefined ? undefined : { bitrateBps: encoder.bitrateBps, size: this.size };
  }
}

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
      // The page was never reloaded: one connection all along.
      assert.equal(server.figures().viewers.length, 1);
    } finally {
      await page.close();
    }
  });
}
