/**
 * A protocol-level viewer for tests, in Node: speaks the wire protocol over `ws`, decodes H.264,
 * VP9 or AV1 with FFmpeg (node-av) and reports real receive and decode times, and can stop
 * reading its socket (`pause`) to play a viewer that falls behind. Not a mock: it is a second,
 * independent client implementation of docs/protocol.md.
 */
import { Codec as AvCodec, CodecContext, Frame, Packet } from 'node-av/lib';
import { AV_CODEC_ID_AV1, AV_CODEC_ID_H264, AV_CODEC_ID_VP9 } from 'node-av/constants';
import { WebSocket } from 'ws';
import { wallClockMs } from '../src/capture/clock.ts';
import {
  FEEDBACK_FLAGS,
  FRAME_FLAGS,
  decodeServerMessage,
  encodeClientHello,
  encodeFeedback,
  encodePong,
  type ServerHelloMessage,
  type StreamConfigMessage,
} from '../src/core/protocol.ts';
import type { Codec } from '../src/core/units.ts';

/** A frame as this viewer saw it. */
export interface SeenFrame {
  readonly sequence: number;
  readonly keyframe: boolean;
  readonly discontinuity: boolean;
  readonly receivedMs: number;
  readonly bytes: number;
  decoded: boolean;
}

/** Options for {@link TestViewer.connect}. */
export interface TestViewerOptions {
  /** Codecs to claim in the hello; default h264. `null`: send no hello. */
  readonly codecs?: readonly Codec[] | null;
  /** Decode frames (and report decode times). Default true. */
  readonly decode?: boolean;
  /** Answer the server's pings and send feedback (the hello is sent regardless). Default true. */
  readonly respond?: boolean;
}

const AV_IDS = { h264: AV_CODEC_ID_H264, vp9: AV_CODEC_ID_VP9, av1: AV_CODEC_ID_AV1 } as const;

/** A Node viewer. Close it when done. */
export class TestViewer implements AsyncDisposable {
  readonly ws: WebSocket;
  readonly frames: SeenFrame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  hello: ServerHelloMessage | null = null;
  config: StreamConfigMessage | null = null;
  decodeErrors = 0;
  readonly #opts: TestViewerOptions;
  #ctx: CodecContext | null = null;
  #chain: Promise<void> = Promise.resolve();
  #waitingForKeyframe = true;

  private constructor(ws: WebSocket, opts: TestViewerOptions) {
    this.ws = ws;
    this.#opts = opts;
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    ws.on('message', (data: Buffer) => this.#onMessage(data));
  }

  /** Connects to `url` (`ws://…/ws`) and waits until the socket is open. */
  static async connect(url: string, opts: TestViewerOptions = {}): Promise<TestViewer> {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const viewer = new TestViewer(ws, opts);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return viewer;
  }

  /** Frames decoded so far. */
  get decodedCount(): number {
    return this.frames.filter((f) => f.decoded).length;
  }

  /** Stops reading the socket (the kernel buffers fill, then the server sees a stalled viewer). */
  pause(): void {
    this.ws.pause();
  }

  resume(): void {
    this.ws.resume();
  }

  /** Sends raw bytes (binary) or text. */
  sendRaw(data: Uint8Array | string): void {
    this.ws.send(data);
  }

  /** Resolves when `predicate` holds (checked every 10 ms), or rejects after `timeoutMs`. */
  async waitFor(predicate: () => boolean, timeoutMs: number, what = 'condition'): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  #send(data: Uint8Array): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(data);
  }

  #onMessage(data: Buffer): void {
    const now = wallClockMs();
    const m = decodeServerMessage(data);
    const respond = this.#opts.respond !== false;
    switch (m.type) {
      case 'serverHello': {
        this.hello = m;
        const codecs = this.#opts.codecs === undefined ? (['h264'] as const) : this.#opts.codecs;
        if (codecs !== null) this.#send(encodeClientHello({ flags: 0, codecs, label: 'test-viewer' }));
        return;
      }
      case 'streamConfig':
        this.config = m;
        this.#openDecoder(m);
        return;
      case 'ping':
        if (respond)
          this.#send(encodePong({ id: m.id, originMs: m.originMs, receivedMs: now, sentMs: wallClockMs() }));
        return;
      case 'pong':
        return;
      case 'videoFrame': {
        const frame: SeenFrame = {
          sequence: m.sequence,
          keyframe: (m.flags & FRAME_FLAGS.keyframe) !== 0,
          discontinuity: (m.flags & FRAME_FLAGS.discontinuity) !== 0,
          receivedMs: now,
          bytes: data.length,
          decoded: false,
        };
        this.frames.push(frame);
        const payload = Buffer.from(m.payload);
        this.#chain = this.#chain.then(() => this.#decode(frame, payload));
        return;
      }
    }
  }

  #openDecoder(config: StreamConfigMessage): void {
    if (this.#opts.decode === false) return;
    const id = AV_IDS[config.codec as keyof typeof AV_IDS];
    const codec = id === undefined ? null : AvCodec.findDecoder(id);
    if (codec === null) throw new Error(`no FFmpeg decoder for ${config.codec}`);
    this.#chain = this.#chain.then(async () => {
      this.#ctx?.freeContext();
      const ctx = new CodecContext();
      ctx.allocContext3(codec);
      if ((await ctx.open2(codec, null)) < 0) throw new Error('cannot open decoder');
      this.#ctx = ctx;
      this.#waitingForKeyframe = true;
    });
  }

  async #decode(frame: SeenFrame, payload: Buffer): Promise<void> {
    const ctx = this.#ctx;
    let ok = false;
    if (ctx !== null && !(this.#waitingForKeyframe && !frame.keyframe)) {
      this.#waitingForKeyframe = false;
      const packet = new Packet();
      packet.alloc();
      const out = new Frame();
      out.alloc();
      try {
        packet.data = payload;
        const sent = await ctx.sendPacket(packet);
        if (sent < 0) this.decodeErrors++;
        else {
          // Low-latency streams decode one frame per packet, without delay.
          while ((await ctx.receiveFrame(out)) >= 0) {
            ok = true;
            out.unref();
          }
        }
      } finally {
        packet.free();
        out.free();
      }
    }
    frame.decoded = ok;
    if (this.#opts.respond === false) return;
    const t = wallClockMs();
    this.#send(
      encodeFeedback([
        {
          sequence: frame.sequence,
          flags: ok ? 0 : FEEDBACK_FLAGS.discarded,
          receivedMs: frame.receivedMs,
          decodedMs: ok ? t : Number.NaN,
          renderedMs: Number.NaN,
        },
        // Nothing is painted here: report the frame as finished without a paint.
        ...(ok
          ? [
              {
                sequence: frame.sequence,
                flags: FEEDBACK_FLAGS.notRendered,
                receivedMs: Number.NaN,
                decodedMs: Number.NaN,
                renderedMs: Number.NaN,
              },
            ]
          : []),
      ]),
    );
  }

  /** Closes the socket and the decoder. */
  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING)
      this.ws.terminate();
    await this.#chain.catch(() => undefined);
    this.#ctx?.freeContext();
    this.#ctx = null;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
