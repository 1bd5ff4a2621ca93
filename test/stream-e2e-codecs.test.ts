import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { HeadlessBrowser } from '../src/stream/headless-browser.ts';
import { startServer, waitForPlayer } from './stream-e2e-helpers.ts';

let browser: HeadlessBrowser;
before(async () => {
  browser = await HeadlessBrowser.launch();
});
after(async () => {
  await browser.close();
});

for (const [codec, prefix] of [
  ['h264', 'avc1.'],
  ['vp9', 'vp09.'],
  ['av1', 'av01.'],
] as const) {
  test(`${codec}: headless Chromium decodes at least 60 frames with no decoder error, and shows the frames the headers say`, async (t) => {
    await using server = await startServer({ codec });
    const page = await browser.open(`${server.url}?codec=${codec}&verify=1`);
    try {
      const s = await waitForPlayer(
        page,
        (p) => (p.status?.framesDecoded ?? 0) >= 60,
        30_000,
        '60 decoded frames',
      );
      const status = s.status!;
      t.diagnostic(
        `${status.codecString}: decoded ${status.framesDecoded}, painted ${s.framesRendered}, counter ok ${status.counterMatches} / mismatched ${status.counterMismatches}`,
      );
      assert.equal(status.decoderErrors, 0, `decoder error: ${status.lastError ?? ''}`);
      assert.equal(status.codec, codec);
      assert.ok(status.codecString?.startsWith(prefix), status.codecString ?? '');
      assert.equal(status.framesDiscarded, 0);
      // The pictures are the real ones: the burnt-in frame counter read back from the decoded
      // luma equals the frame's timestamp (once the encoder has had a few frames to sharpen it).
      assert.ok(status.counterMatches >= 20, `counter read back on ${status.counterMatches} frames`);
      assert.ok(s.framesRendered >= 30, `painted ${s.framesRendered}`);
      // The server saw the same through the viewer's feedback.
      const v = server.figures().viewers[0];
      assert.ok(v !== undefined);
      assert.equal(v.codec, codec);
      assert.ok(v.framesDecoded >= 60, `server counts ${v.framesDecoded} decoded`);
      assert.ok(v.latencyMs !== null && v.latencyMs.p50 > 0, 'glass-to-glass latency measured');
    } finally {
      await page.close();
    }
  });
}
