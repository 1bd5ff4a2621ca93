/**
 * The player's worker: the WebSocket, the protocol, WebCodecs decoding, clock synchronisation and
 * per-frame feedback. Decoded frames go to the page (transferred, not copied) to be painted.
 */
import {
  CLIENT_FLAGS,
  ClockSync,
  FEEDBACK_FLAGS,
  FRAME_FLAGS,
  KEYFRAME_REASONS,
  burnInLayout,
  COUNTER_BITS,
  decodeServerMessage,
  encodeClientHello,
  encodeFeedback,
  encodeKeyframeRequest,
  encodePing,
  encodePong,
  type FeedbackEntry,
  type ServerHelloMessage,
  type ServerMessage,
  type StreamConfigMessage,
  type VideoFrameMessage,
} from '../src/core/protocol.ts';
import type { Codec } from '../src/core/units.ts';
import { nowMs } from './clock.ts';
import type { FromWorker, PlanarPicture, ToWorker, WorkerStart, WorkerStatus } from './messages.ts';

interface WorkerScope {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
}

const scope = self as unknown as WorkerScope;

interface Pending {
  readonly sequence: number;
  readonly receivedMs: number;
  readonly captureMs: number;
  readonly ptsUs: number;
}

class Client {
  readonly #opts: WorkerStart;
  readonly #ws: WebSocket;
  readonly #clock = new ClockSync(16);
  readonly #pending = new Map<number, Pending>();
  #decoder: VideoDecoder | null = null;
  #config: StreamConfigMessage | null = null;
  #hello: ServerHelloMessage | null = null;
  #waitingForKeyframe = true;
  #lastDecoded = 0;
  #lastKeyframeRequestMs = -Infinity;
  #pingId = 0;
  #pings = 0;
  #status: Omit<WorkerStatus, 'type'>;

  constructor(opts: WorkerStart) {
    this.#opts = opts;
    this.#status = {
      state: 'connecting',
      codec: null,
      codecString: null,
      width: 0,
      height: 0,
      viewerId: null,
      bytesReceived: 0,
      framesReceived: 0,
      framesDecoded: 0,
      framesDiscarded: 0,
      decoderErrors: 0,
      keyframesReceived: 0,
      discontinuities: 0,
      keyframeRequests: 0,
      counterMismatches: 0,
      counterMatches: 0,
      clockOffsetMs: 0,
      rttMs: null,
      closeCode: null,
      closeReason: null,
      lastError: null,
      connectStartMs: nowMs(),
      openedMs: null,
      helloMs: null,
      configMs: null,
      firstFrameMs: null,
      firstDecodedMs: null,
    };
    this.#ws = new WebSocket(opts.url);
    this.#ws.binaryType = 'arraybuffer';
    this.#ws.onopen = () => {
      this.#update({ openedMs: nowMs() });
      this.#ping();
    };
    this.#ws.onmessage = (e: MessageEvent<ArrayBuffer>) => this.#onMessage(new Uint8Array(e.data));
    this.#ws.onclose = (e) => {
      this.#update({ state: 'closed', closeCode: e.code, closeReason: e.reason });
      this.#decoder?.close();
    };
    setInterval(() => this.#post(), 250);
  }

  #update(patch: Partial<Omit<WorkerStatus, 'type'>>): void {
    const firstDecode = this.#status.firstDecodedMs === null && patch.firstDecodedMs != null;
    this.#status = { ...this.#status, ...patch };
    if (patch.state !== undefined || firstDecode) this.#post();
  }

  #post(): void {
    scope.postMessage({ type: 'status', ...this.#status });
  }

  #offset(): number {
    return this.#clock.estimate()?.offsetMs ?? 0;
  }

  #send(data: Uint8Array<ArrayBuffer>): void {
    if (this.#ws.readyState === WebSocket.OPEN) this.#ws.send(data);
  }

  /** Pings quickly at first (to learn the clock offset), then once a second. */
  #ping(): void {
    if (this.#ws.readyState !== WebSocket.OPEN) return;
    this.#pingId = (this.#pingId + 1) >>> 0;
    this.#send(encodePing({ id: this.#pingId, originMs: nowMs() }));
    this.#pings++;
    setTimeout(() => this.#ping(), this.#pings < 6 ? 100 : 1000);
  }

  #onMessage(bytes: Uint8Array): void {
    const arrival = nowMs();
    let m: ServerMessage;
    try {
      m = decodeServerMessage(bytes);
    } catch (error) {
      this.#update({ lastError: String(error) });
      return;
    }
    switch (m.type) {
      case 'serverHello':
        void this.#onHello(m);
        return;
      case 'streamConfig':
        this.#configure(m);
        return;
      case 'videoFrame':
        this.#update({
          bytesReceived: this.#status.bytesReceived + bytes.length,
          framesReceived: this.#status.framesReceived + 1,
          firstFrameMs: this.#status.firstFrameMs ?? arrival,
        });
        this.#onFrame(m, arrival);
        return;
      case 'frameStart':
        // The frame's first byte is here: reported at once (the server times the link with it).
        this.#send(
          encodeFeedback([
            {
              sequence: m.sequence,
              flags: FEEDBACK_FLAGS.frameStart,
              receivedMs: arrival + this.#offset(),
              decodedMs: Number.NaN,
              renderedMs: Number.NaN,
            },
          ]),
        );
        return;
      case 'ping':
        this.#send(encodePong({ id: m.id, originMs: m.originMs, receivedMs: arrival, sentMs: nowMs() }));
        return;
      case 'pong': {
        const est = this.#clock.add({
          originMs: m.originMs,
          remoteReceivedMs: m.receivedMs,
          remoteSentMs: m.sentMs,
          arrivalMs: arrival,
        });
        this.#update({ clockOffsetMs: est.offsetMs, rttMs: est.lastRttMs });
        return;
      }
    }
  }

  async #onHello(hello: ServerHelloMessage): Promise<void> {
    this.#hello = hello;
    this.#update({ state: 'negotiating', viewerId: hello.viewerId, helloMs: nowMs() });
    const codecs: Codec[] = [];
    for (const offer of hello.offers) {
      if (this.#opts.codec !== null && offer.codec !== this.#opts.codec) continue;
      try {
        const r = await VideoDecoder.isConfigSupported({
          codec: offer.codecString,
          codedWidth: hello.width,
          codedHeight: hello.height,
          optimizeForLatency: true,
        });
        if (r.supported === true) codecs.push(offer.codec);
      } catch {
        // An unparsable codec string is simply not supported.
      }
    }
    this.#send(
      encodeClientHello({
        flags: (this.#opts.adaptive ? CLIENT_FLAGS.adaptive : 0) | CLIENT_FLAGS.frameStart,
        codecs,
        label:
          `quadstream-player ${navigator.userAgent.match(/(Chrom(e|ium)|Firefox|Safari)\/[\d.]+/)?.[0] ?? ''}`.trim(),
      }),
    );
  }

  #configure(config: StreamConfigMessage): void {
    this.#config = config;
    this.#update({
      state: 'streaming',
      configMs: this.#status.configMs ?? nowMs(),
      codec: config.codec,
      codecString: config.codecString,
      width: config.width,
      height: config.height,
    });
    this.#resetDecoder();
  }

  #resetDecoder(): void {
    const config = this.#config;
    if (this.#decoder !== null && this.#decoder.state !== 'closed') this.#decoder.close();
    this.#discardPending();
    this.#waitingForKeyframe = true;
    if (config === null) return;
    const decoder = new VideoDecoder({
      output: (frame) => this.#onDecoded(frame),
      error: (error) => this.#onDecoderError(decoder, error),
    });
    decoder.configure({
      codec: config.codecString,
      codedWidth: config.width,
      codedHeight: config.height,
      optimizeForLatency: true,
      hardwareAcceleration: 'no-preference',
      ...(config.description.length > 0 ? { description: config.description } : {}),
    });
    this.#decoder = decoder;
  }

  #discardPending(): void {
    const off = this.#offset();
    const entries: FeedbackEntry[] = [];
    for (const p of this.#pending.values())
      entries.push({
        sequence: p.sequence,
        flags: FEEDBACK_FLAGS.discarded,
        receivedMs: p.receivedMs + off,
        decodedMs: Number.NaN,
        renderedMs: Number.NaN,
      });
    this.#pending.clear();
    if (entries.length > 0) {
      this.#update({ framesDiscarded: this.#status.framesDiscarded + entries.length });
      this.#send(encodeFeedback(entries));
    }
  }

  #onFrame(m: VideoFrameMessage, arrival: number): void {
    const key = (m.flags & FRAME_FLAGS.keyframe) !== 0;
    if (key) this.#update({ keyframesReceived: this.#status.keyframesReceived + 1 });
    if ((m.flags & FRAME_FLAGS.discontinuity) !== 0)
      this.#update({ discontinuities: this.#status.discontinuities + 1 });
    const decoder = this.#decoder;
    if (decoder === null || decoder.state !== 'configured' || (this.#waitingForKeyframe && !key)) {
      this.#update({ framesDiscarded: this.#status.framesDiscarded + 1 });
      this.#send(
        encodeFeedback([
          {
            sequence: m.sequence,
            flags: FEEDBACK_FLAGS.discarded,
            receivedMs: arrival + this.#offset(),
            decodedMs: Number.NaN,
            renderedMs: Number.NaN,
          },
        ]),
      );
      if (decoder !== null && this.#waitingForKeyframe) this.#requestKeyframe(KEYFRAME_REASONS.sequenceGap);
      return;
    }
    this.#waitingForKeyframe = false;
    this.#pending.set(m.ptsUs, {
      sequence: m.sequence,
      receivedMs: arrival,
      captureMs: m.captureMs,
      ptsUs: m.ptsUs,
    });
    try {
      decoder.decode(
        new EncodedVideoChunk({ type: key ? 'key' : 'delta', timestamp: m.ptsUs, data: m.payload }),
      );
    } catch (error) {
      this.#onDecoderError(decoder, error);
    }
  }

  #onDecoded(frame: VideoFrame): void {
    const decodedMs = nowMs();
    const p = this.#pending.get(frame.timestamp);
    if (p === undefined) {
      frame.close();
      return;
    }
    this.#pending.delete(frame.timestamp);
    this.#lastDecoded = p.sequence;
    const off = this.#offset();
    this.#send(
      encodeFeedback([
        {
          sequence: p.sequence,
          flags: 0,
          receivedMs: p.receivedMs + off,
          decodedMs: decodedMs + off,
          renderedMs: Number.NaN,
        },
      ]),
    );
    this.#update({
      framesDecoded: this.#status.framesDecoded + 1,
      firstDecodedMs: this.#status.firstDecodedMs ?? decodedMs,
    });
    const post = (counterOk: boolean | null): void => {
      if (counterOk === false) this.#update({ counterMismatches: this.#status.counterMismatches + 1 });
      if (counterOk === true) this.#update({ counterMatches: this.#status.counterMatches + 1 });
      const size = this.#bitmapSize(frame);
      const send = (image: VideoFrame | ImageBitmap | PlanarPicture): void =>
        scope.postMessage(
          {
            type: 'frame',
            frame: image,
            sequence: p.sequence,
            captureMs: p.captureMs,
            offsetMs: off,
            counterOk,
          },
          [image instanceof VideoFrame || image instanceof ImageBitmap ? image : image.data],
        );
      if (this.#opts.planes && (frame.format === 'I420' || frame.format === 'NV12')) {
        const format = frame.format;
        const rect = frame.visibleRect ?? undefined;
        const data = new ArrayBuffer(frame.allocationSize(rect === undefined ? {} : { rect }));
        frame.copyTo(data, rect === undefined ? {} : { rect }).then(
          (layout) => {
            const cs = frame.colorSpace;
            const picture: PlanarPicture = {
              kind: 'planes',
              format,
              data,
              layout: layout.map((l) => ({ offset: l.offset, stride: l.stride })),
              width: rect?.width ?? frame.codedWidth,
              height: rect?.height ?? frame.codedHeight,
              matrix: cs.matrix === 'bt470bg' || cs.matrix === 'smpte170m' ? 'bt601' : 'bt709',
              fullRange: cs.fullRange === true,
            };
            frame.close();
            send(picture);
          },
          (error: unknown) => {
            this.#update({ lastError: `planes: ${String(error)}` });
            send(frame);
          },
        );
        return;
      }
      if (size === null) {
        send(frame);
        return;
      }
      createImageBitmap(frame, {
        resizeWidth: size.width,
        resizeHeight: size.height,
        resizeQuality: 'low',
      }).then(
        (bitmap) => {
          frame.close();
          send(bitmap);
        },
        (error: unknown) => {
          this.#update({ lastError: `bitmap: ${String(error)}` });
          send(frame);
        },
      );
    };
    if (!this.#opts.verify) {
      post(null);
      return;
    }
    this.#checkCounter(frame, p.ptsUs).then(post, () => post(null));
  }

  /** The size of the bitmap for `frame`: fitted to the box the page gave, with the frame's shape. */
  #bitmapSize(frame: VideoFrame): { width: number; height: number } | null {
    const box = this.#opts.bitmapBox;
    if (box === null) return null;
    const scale = Math.min(1, box.width / frame.displayWidth, box.height / frame.displayHeight);
    return {
      width: Math.max(2, Math.round((frame.displayWidth * scale) / 2) * 2),
      height: Math.max(2, Math.round((frame.displayHeight * scale) / 2) * 2),
    };
  }

  /** Reads the burnt-in counter from the decoded luma and compares it with the frame's pts. */
  async #checkCounter(frame: VideoFrame, ptsUs: number): Promise<boolean | null> {
    const config = this.#config;
    if (config === null || (frame.format !== 'I420' && frame.format !== 'NV12' && frame.format !== 'I420A'))
      return null;
    const L = burnInLayout(frame.codedHeight);
    const y = (L.bitRowTop + Math.floor(L.bitSize / 2)) & ~1;
    const width = Math.min(frame.codedWidth, (L.bitRowLeft + COUNTER_BITS * L.bitSize + 1) & ~1);
    const rect = { x: 0, y, width, height: 2 };
    const buffer = new Uint8Array(frame.allocationSize({ rect }));
    const layout = await frame.copyTo(buffer, { rect });
    const row = layout[0];
    if (row === undefined) return null;
    let value = 0;
    for (let b = 0; b < COUNTER_BITS; b++) {
      const x = L.bitRowLeft + b * L.bitSize + Math.floor(L.bitSize / 2);
      if ((buffer[row.offset + x] ?? 0) > 128) value += 2 ** b;
    }
    const [num, den] = config.frameRate;
    const expected = Math.round((ptsUs * num) / (1e6 * den)) % 2 ** COUNTER_BITS;
    return value === expected;
  }

  #onDecoderError(decoder: VideoDecoder, error: unknown): void {
    if (decoder !== this.#decoder) return;
    this.#update({ decoderErrors: this.#status.decoderErrors + 1, lastError: String(error) });
    this.#resetDecoder();
    this.#requestKeyframe(KEYFRAME_REASONS.decoderError);
  }

  #requestKeyframe(reason: number): void {
    const now = nowMs();
    if (now - this.#lastKeyframeRequestMs < 250) return;
    this.#lastKeyframeRequestMs = now;
    this.#update({ keyframeRequests: this.#status.keyframeRequests + 1 });
    this.#send(encodeKeyframeRequest({ reason, lastSequence: this.#lastDecoded }));
  }

  /** Paint reports from the page. */
  rendered(entries: readonly { sequence: number; renderedMs: number; painted: boolean }[]): void {
    const off = this.#offset();
    const out: FeedbackEntry[] = entries.map((e) => ({
      sequence: e.sequence,
      flags: e.painted ? 0 : FEEDBACK_FLAGS.notRendered,
      receivedMs: Number.NaN,
      decodedMs: Number.NaN,
      renderedMs: e.painted ? e.renderedMs + off : Number.NaN,
    }));
    for (let i = 0; i < out.length; i += 1024) this.#send(encodeFeedback(out.slice(i, i + 1024)));
  }

  /** The last hello (for diagnostics). */
  get hello(): ServerHelloMessage | null {
    return this.#hello;
  }
}

let client: Client | null = null;
scope.onmessage = (event) => {
  const m = event.data;
  if (m.type === 'start' && client === null) client = new Client(m);
  else if (m.type === 'rendered') client?.rendered(m.entries);
};
