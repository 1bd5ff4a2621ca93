import assert from 'node:assert/strict';
import { test } from 'node:test';
import type {
  DeliverySample,
  EncoderState,
  RateController,
  RateDecision,
  RateViewer,
} from '../src/stream/rate-control.ts';
import { SinkViewer } from '../src/stream/sink-viewer.ts';
import { TestViewer } from './stream-client.ts';
import { startServer } from './stream-e2e-helpers.ts';

/** A rate controller that only records what it is told. */
class Recorder implements RateController {
  readonly viewers = new Map<number, RateViewer>();
  readonly deliveries: DeliverySample[] = [];
  viewerJoined(v: RateViewer): void {
    this.viewers.set(v.id, v);
  }
  viewerLeft(): void {}
  onSent(): void {}
  onDelivery(sample: DeliverySample): void {
    this.deliveries.push(sample);
  }
  onRtt(): void {}
  onQueueDrop(): void {}
  decide(_encoder: EncoderState): RateDecision | undefined {
    return undefined;
  }
}

test('frame-start markers go before every frame to viewers that ask, and time each frame', async () => {
  const recorder = new Recorder();
  await using server = await startServer({
    codec: 'h264',
    width: 320,
    height: 180,
    rateController: recorder,
  });
  const url = `ws://127.0.0.1:${server.port}/ws`;
  await using sink = await SinkViewer.connect(url, 'h264');
  await using plain = await TestViewer.connect(url);
  await plain.waitFor(() => plain.decodedCount >= 30, 15_000, 'the plain viewer decoding');
  const start = Date.now();
  while (sink.framesReceived < 30 && Date.now() - start < 15_000) await new Promise((r) => setTimeout(r, 50));
  assert.ok(sink.framesReceived >= 30, `${sink.framesReceived} frames`);
  // One marker per frame (a frame may be on its way while this runs).
  assert.ok(Math.abs(sink.frameStartsReceived - sink.framesReceived) <= 1, `${sink.frameStartsReceived}`);

  const idOf = (label: string): number =>
    [...recorder.viewers.values()].find((v) => v.label === label)?.id ?? -1;
  const fromSink = recorder.deliveries.filter((d) => d.viewerId === idOf('sink'));
  const fromPlain = recorder.deliveries.filter((d) => d.viewerId === idOf('test-viewer'));
  assert.ok(fromSink.length >= 20 && fromPlain.length >= 20);
  // The sink's reports carry when each frame's first byte arrived: after it was sent, not after
  // the whole frame.
  const timed = fromSink.filter((d) => Number.isFinite(d.firstByteMs));
  assert.ok(timed.length >= fromSink.length - 2, `${timed.length} of ${fromSink.length} timed`);
  for (const d of timed) {
    assert.ok(d.firstByteMs <= d.receivedMs, `${d.firstByteMs} > ${d.receivedMs}`);
    assert.ok(d.firstByteMs >= d.sentMs - 1, `${d.firstByteMs} < ${d.sentMs}`);
  }
  // A viewer that did not ask gets no markers (an older player would refuse the message type).
  assert.ok(fromPlain.every((d) => Number.isNaN(d.firstByteMs)));
  assert.equal(plain.ws.readyState, plain.ws.OPEN);
});
