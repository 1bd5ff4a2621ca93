/**
 * A viewer that only receives: it speaks the protocol over a WebSocket and acknowledges every
 * frame at once without decoding it (reported as `discarded`), and frame-start markers too. For benchmarks that want the
 * server's cost without a browser's decoding and painting on the same CPUs.
 */
import { WebSocket } from 'ws';
import { wallClockMs } from '../capture/clock.ts';
import {
  CLIENT_FLAGS,
  FEEDBACK_FLAGS,
  decodeServerMessage,
  encodeClientHello,
  encodeFeedback,
  encodePong,
} from '../core/protocol.ts';
import type { Codec } from '../core/units.ts';

/** A receive-only viewer. Close it when done. */
export class SinkViewer implements AsyncDisposable {
  readonly #ws: WebSocket;
  framesReceived = 0;
  bytesReceived = 0;
  frameStartsReceived = 0;

  private constructor(ws: WebSocket, codec: Codec) {
    this.#ws = ws;
    ws.on('message', (data: Buffer) => {
      const now = wallClockMs();
      const m = decodeServerMessage(data);
      if (m.type === 'serverHello')
        ws.send(encodeClientHello({ flags: CLIENT_FLAGS.frameStart, codecs: [codec], label: 'sink' }));
      else if (m.type === 'frameStart') {
        this.frameStartsReceived++;
        ws.send(
          encodeFeedback([
            {
              sequence: m.sequence,
              flags: FEEDBACK_FLAGS.frameStart,
              receivedMs: now,
              decodedMs: Number.NaN,
              renderedMs: Number.NaN,
            },
          ]),
        );
      } else if (m.type === 'ping')
        ws.send(encodePong({ id: m.id, originMs: m.originMs, receivedMs: now, sentMs: wallClockMs() }));
      else if (m.type === 'videoFrame') {
        this.framesReceived++;
        this.bytesReceived += data.length;
        ws.send(
          encodeFeedback([
            {
              sequence: m.sequence,
              flags: FEEDBACK_FLAGS.discarded,
              receivedMs: now,
              decodedMs: Number.NaN,
              renderedMs: Number.NaN,
            },
          ]),
        );
      }
    });
  }

  /** Connects to `url` (`ws://…/ws`) asking for `codec`. */
  static async connect(url: string, codec: Codec): Promise<SinkViewer> {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    // Listening before the socket opens: the server hello may come in the same read as the upgrade.
    const viewer = new SinkViewer(ws, codec);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return viewer;
  }

  /** Closes the connection. */
  close(): void {
    this.#ws.terminate();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }
}
