import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeFeedback, encodeVideoFrameHeader } from '../src/core/protocol.ts';
import { TestViewer } from './stream-client.ts';
import { startServer } from './stream-e2e-helpers.ts';

test('bad viewers are closed with a reason while the server and a good viewer go on', async (t) => {
  await using server = await startServer({
    codec: 'h264',
    width: 320,
    height: 180,
    limits: { helloTimeoutMs: 1000, idleTimeoutMs: 1500 },
  });
  const url = `ws://127.0.0.1:${server.port}/ws`;
  await using good = await TestViewer.connect(url);
  await good.waitFor(() => good.decodedCount >= 10, 10_000, 'the good viewer decoding');

  const cases: { name: string; code: number; reason: RegExp; act: (v: TestViewer) => void; opts?: object }[] =
    [
      { name: 'text message', code: 1003, reason: /binary messages only/, act: (v) => v.sendRaw('hello') },
      {
        name: 'malformed hello (2 codecs announced, 1 sent)',
        code: 4001,
        reason: /client hello: 5 bytes, needs at least 6/,
        act: (v) => v.sendRaw(new Uint8Array([1, 0x10, 0, 2, 1])),
        opts: { codecs: null },
      },
      {
        name: 'unknown message type',
        code: 4002,
        reason: /unknown message type 0x7f/,
        act: (v) => v.sendRaw(new Uint8Array([1, 0x7f])),
        opts: { codecs: null },
      },
      {
        name: 'unsupported protocol version',
        code: 4004,
        reason: /protocol version 9 is not supported/,
        act: (v) => v.sendRaw(new Uint8Array([9, 0x10])),
        opts: { codecs: null },
      },
      {
        name: 'oversized message',
        code: 1009,
        reason: /message of 71680 bytes; at most 65536/,
        act: (v) => v.sendRaw(new Uint8Array(70 * 1024)),
        opts: { codecs: null },
      },
      {
        name: 'a server-only message',
        code: 4005,
        reason: /may not send a videoFrame/,
        act: (v) =>
          v.sendRaw(
            encodeVideoFrameHeader({
              streamId: 1,
              sequence: 0,
              flags: 0,
              ptsUs: 0,
              captureMs: 0,
              encodedMs: 0,
              sentMs: 0,
            }),
          ),
        opts: { codecs: null },
      },
      {
        name: 'feedback before the hello',
        code: 4005,
        reason: /before the hello/,
        act: (v) => v.sendRaw(encodeFeedback([])),
        opts: { codecs: null },
      },
      {
        name: 'no codec in common',
        code: 4003,
        reason: /no common codec|cannot decode/,
        act: () => {},
        opts: { codecs: [] },
      },
      {
        name: 'a viewer that never says hello',
        code: 4000,
        reason: /no hello within 1 s/,
        act: () => {},
        opts: { codecs: null },
      },
      {
        name: 'a viewer that goes silent after its hello',
        code: 4000,
        reason: /idle: no message from the viewer/,
        act: () => {},
        opts: { respond: false },
      },
    ];
  const decodedBefore = good.decodedCount;
  const encodedBefore = server.figures().stream!.framesEncoded;
  const results = await Promise.all(
    cases.map(async (c) => {
      await using v = await TestViewer.connect(url, { decode: false, ...c.opts });
      await v.waitFor(() => v.hello !== null, 5000, 'server hello');
      c.act(v);
      const closed = await Promise.race([
        v.closed,
        new Promise<null>((r) => setTimeout(() => r(null), 8000)),
      ]);
      return { c, closed };
    }),
  );
  for (const { c, closed } of results) {
    assert.ok(closed !== null, `${c.name}: not closed`);
    assert.equal(closed.code, c.code, `${c.name}: close code ${closed.code} (${closed.reason})`);
    assert.match(closed.reason, c.reason, c.name);
    t.diagnostic(`${c.name}: closed ${closed.code} “${closed.reason}”`);
  }
  // The good viewer kept receiving and decoding all along (every frame the encoder made, give or
  // take those in flight), and still does.
  const encoded = server.figures().stream!.framesEncoded - encodedBefore;
  const decoded = good.decodedCount - decodedBefore;
  assert.ok(good.ws.readyState === good.ws.OPEN);
  assert.ok(decoded >= 0.95 * encoded - 3, `decoded ${decoded} of ${encoded} frames`);
  assert.equal(good.decodeErrors, 0);
  const before = good.decodedCount;
  await good.waitFor(() => good.decodedCount >= before + 30, 5000, 'more frames');
  // Only the good viewer is left.
  const viewers = server.figures().viewers;
  assert.equal(viewers.length, 1);
  assert.equal(viewers[0]?.label, 'test-viewer');
  const stats = (await (await fetch(`${server.url}stats`)).json()) as { viewers: unknown[] };
  assert.equal(stats.viewers.length, 1);
});
