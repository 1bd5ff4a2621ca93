/**
 * One viewer's connection: the protocol state machine (hello → negotiated → streaming), its
 * bounded send queue, flow control against what it has acknowledged, pings, and its figures.
 *
 * Flow control: a frame leaves the queue for the socket only while the media the viewer has not
 * yet reported (decoded or discarded) stays under `maxInFlightMs` and the bytes the socket has not
 * yet flushed stay under `maxBufferedBytes`. A viewer that stops reading therefore stops taking
 * frames; its queue fills up to `maxQueueMs` and is cut to a keyframe, and the others never wait
 * for it. The keyframe it then needs is requested when it can take frames again.
 */
import type { WebSocket } from 'ws';
import { wallClockMs } from '../capture/clock.ts';
import { describeError, isQuadStreamError } from '../core/errors.ts';
import {
  CLIENT_FLAGS,
  FEEDBACK_FLAGS,
  FRAME_FLAGS,
  VIDEO_FRAME_HEADER_BYTES,
  decodeClientMessage,
  encodeFrameStart,
  encodePing,
  encodePong,
  encodeServerHello,
  encodeStreamConfig,
  encodeVideoFrameHeader,
  sequenceDelta,
  smoothRttMs,
  BITSTREAM_FORMATS,
  type ClientHelloMessage,
  type ClientMessage,
  type CodecOffer,
  type FeedbackMessage,
} from '../core/protocol.ts';
import type { Codec } from '../core/units.ts';
import type { Logger } from '../log.ts';
import type { EncodedFrame, StreamDescription } from './encoded-frame.ts';
import type { DeliverySample, QueueDropSample, SentSample } from './rate-control.ts';
import { ViewerQueue } from './viewer-queue.ts';
import { ViewerStats, type SentRecord, type ViewerFigures } from './viewer-stats.ts';

/** WebSocket close codes the server uses (4000–4999 are the application's). */
export const CLOSE_CODES = {
  goingAway: 1001,
  unsupportedData: 1003,
  tooBig: 1009,
  idle: 4000,
  malformed: 4001,
  unknownType: 4002,
  noCommonCodec: 4003,
  version: 4004,
  unexpected: 4005,
  pipelineFailed: 4006,
} as const;

/** Per-viewer limits. Times in milliseconds. */
export interface ViewerLimits {
  /** Most media a viewer's queue holds before it is cut to a keyframe. */
  readonly maxQueueMs: number;
  /** Most media sent but not yet reported decoded by the viewer. */
  readonly maxInFlightMs: number;
  /** Most bytes handed to the socket and not yet flushed to the kernel. */
  readonly maxBufferedBytes: number;
  /** The viewer must answer the server hello within this time. */
  readonly helloTimeoutMs: number;
  /** A viewer that sends nothing for this long is closed. */
  readonly idleTimeoutMs: number;
  readonly pingIntervalMs: number;
  /** A viewer's own keyframe requests are honoured at most this often. */
  readonly keyframeRequestIntervalMs: number;
  /** Largest message a viewer may send, bytes. */
  readonly maxMessageBytes: number;
}

/** Defaults of {@link ViewerLimits}. */
export const DEFAULT_VIEWER_LIMITS: ViewerLimits = {
  maxQueueMs: 100,
  maxInFlightMs: 200,
  maxBufferedBytes: 8 * 1024 * 1024,
  helloTimeoutMs: 5000,
  idleTimeoutMs: 10_000,
  pingIntervalMs: 1000,
  keyframeRequestIntervalMs: 250,
  maxMessageBytes: 64 * 1024,
};

/** What a viewer needs from the hub that owns it. */
export interface ViewerHost {
  readonly streamId: number;
  readonly limits: ViewerLimits;
  readonly log: Logger;
  /** Size, rate and codecs offered in the server hello. */
  hello(): {
    width: number;
    height: number;
    frameRate: readonly [number, number];
    offers: readonly CodecOffer[];
  };
  /** Chooses the codec for a viewer and makes sure the pipeline runs; an error text when impossible. */
  join(viewer: Viewer, codecs: readonly Codec[]): Promise<{ codec: Codec } | { error: string }>;
  leave(viewer: Viewer): void;
  /** A keyframe for this viewer (merged with others' requests). */
  requestKeyframe(viewer: Viewer, reason: string): void;
  /**
   * Most bytes this viewer may have sent but not acknowledged (an adaptive-bitrate window sized
   * from its link rate), or `undefined` for no limit beyond `maxInFlightMs`. One frame may always
   * be in flight.
   */
  inFlightBudgetBytes(viewer: Viewer): number | undefined;
  /** A frame went to this viewer's socket. */
  sent(sample: SentSample, nowMs: number): void;
  delivery(sample: DeliverySample, nowMs: number): void;
  queueDrop(sample: QueueDropSample, nowMs: number): void;
  rtt(viewer: Viewer, rttMs: number, nowMs: number): void;
  /** A frame's story is complete (painted or given up); for benchmarks and traces. */
  frameFinished(viewer: Viewer, record: Readonly<SentRecord>): void;
}

type State = 'hello' | 'joining' | 'streaming' | 'closed';

interface Unacked {
  readonly sequence: number;
  readonly bytes: number;
  readonly captureMs: number;
  readonly durationMs: number;
}

/** A connected viewer. Created by the server for each WebSocket. */
export class Viewer {
  readonly id: number;
  readonly #ws: WebSocket;
  readonly #host: ViewerHost;
  readonly #log: Logger;
  readonly #queue: ViewerQueue<EncodedFrame>;
  readonly #stats: ViewerStats;
  readonly #sent = new Map<number, SentRecord>();
  readonly #unacked: Unacked[] = [];
  /** Bytes of the frames in `#unacked`. */
  #unackedBytes = 0;
  #state: State = 'hello';
  #codec: Codec | null = null;
  #label = '';
  #adaptive = false;
  /** The viewer reports frame-start markers: each frame gets one in front of it. */
  #frameStarts = false;
  #configKey = '';
  #bufferedBytes = 0;
  #lastClientKeyframeMs = -Infinity;
  #lastMessageMs: number;
  #pingId = 0;
  readonly #timers: NodeJS.Timeout[] = [];

  constructor(id: number, ws: WebSocket, host: ViewerHost) {
    this.id = id;
    this.#ws = ws;
    this.#host = host;
    this.#log = host.log.child({ viewer: id });
    this.#queue = new ViewerQueue(host.limits.maxQueueMs);
    const now = wallClockMs();
    this.#stats = new ViewerStats(now);
    this.#lastMessageMs = now;
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data, isBinary) => this.#onMessage(data as Buffer, isBinary));
    ws.on('close', (code, reason) => this.#onClosed(code, reason.toString()));
    ws.on('error', (error) => this.#log.debug({ err: describeError(error) }, 'socket error'));
    const hello = host.hello();
    this.#send(
      encodeServerHello({
        streamId: host.streamId,
        viewerId: id,
        width: hello.width,
        height: hello.height,
        frameRate: hello.frameRate,
        offers: hello.offers,
      }),
    );
    // A running stream starts making this viewer's keyframe now, while the hello goes back and forth.
    host.requestKeyframe(this, 'viewer connected');
    const limits = host.limits;
    this.#timers.push(
      setTimeout(() => {
        if (this.#state === 'hello')
          this.close(CLOSE_CODES.idle, `no hello within ${Math.round(limits.helloTimeoutMs / 1000)} s`);
      }, limits.helloTimeoutMs),
      setInterval(() => this.#tick(), Math.min(limits.pingIntervalMs, limits.idleTimeoutMs / 4)),
    );
  }

  /** The negotiated codec, once the hello is done. */
  get codec(): Codec | null {
    return this.#codec;
  }

  /** The viewer asked for adaptive bitrate. */
  get adaptive(): boolean {
    return this.#adaptive;
  }

  /** Free text from the viewer's hello. */
  get label(): string {
    return this.#label;
  }

  /** True once negotiated and receiving frames. */
  get streaming(): boolean {
    return this.#state === 'streaming';
  }

  /** Media queued for this viewer and not yet sent, milliseconds. */
  get queuedMs(): number {
    return this.#queue.mediaMs;
  }

  /** Media sent and not yet reported by the viewer, milliseconds. */
  get inFlightMs(): number {
    const first = this.#unacked[0];
    const last = this.#unacked[this.#unacked.length - 1];
    if (first === undefined || last === undefined) return 0;
    return last.captureMs - first.captureMs + last.durationMs;
  }

  /** The viewer's figures now. */
  figures(nowMs: number): ViewerFigures {
    return this.#stats.snapshot(nowMs, {
      id: this.id,
      codec: this.#codec,
      label: this.#label,
      adaptive: this.#adaptive,
    });
  }

  /** Offers an encoded frame to this viewer (queued, sent when it can take it). */
  enqueue(frame: EncodedFrame, nowMs: number): void {
    // Frames queue up from the connection on (sent once the hello is done), so that the keyframe
    // asked for at connection time is made while the codec is being negotiated.
    if (this.#state === 'closed') return;
    const result = this.#queue.push(frame);
    if (result.dropped.length > 0) {
      this.#stats.queueDropped += result.dropped.length;
      this.#host.queueDrop(
        {
          viewerId: this.id,
          frames: result.dropped.length,
          bytes: result.dropped.reduce((n, f) => n + f.data.length, 0),
        },
        nowMs,
      );
    }
    this.#stats.queueCuts = this.#queue.cuts;
    if (result.needsKeyframe)
      this.#log.debug({ inFlightMs: this.inFlightMs }, 'viewer behind: queue cut, waiting for a keyframe');
    this.#pump();
  }

  /** Closes the connection with a reason (the viewer leaves the hub). Idempotent. */
  close(code: number, reason: string): void {
    if (this.#state === 'closed') return;
    this.#log.info({ code, reason }, 'closing viewer');
    this.#shutdown();
    try {
      this.#ws.close(code, reason.slice(0, 120));
    } catch {
      // Already closing.
    }
    // A peer that does not read will never complete the closing handshake.
    const kill = setTimeout(() => this.#ws.terminate(), 2000);
    kill.unref();
  }

  #shutdown(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    for (const t of this.#timers) clearTimeout(t);
    this.#host.leave(this);
  }

  #onClosed(code: number, reason: string): void {
    if (this.#state !== 'closed') this.#log.info({ code, reason }, 'viewer disconnected');
    this.#shutdown();
  }

  #tick(): void {
    const now = wallClockMs();
    if (now - this.#lastMessageMs > this.#host.limits.idleTimeoutMs) {
      this.close(
        CLOSE_CODES.idle,
        `idle: no message from the viewer for ${((now - this.#lastMessageMs) / 1000).toFixed(1)} s`,
      );
      return;
    }
    if (this.#state === 'streaming' || this.#state === 'joining') {
      this.#pingId = (this.#pingId + 1) >>> 0;
      this.#send(encodePing({ id: this.#pingId, originMs: now }));
    }
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    if (this.#state === 'closed') return;
    const now = wallClockMs();
    this.#lastMessageMs = now;
    if (!isBinary) {
      this.close(CLOSE_CODES.unsupportedData, 'binary messages only');
      return;
    }
    if (data.length > this.#host.limits.maxMessageBytes) {
      this.close(
        CLOSE_CODES.tooBig,
        `message of ${data.length} bytes; at most ${this.#host.limits.maxMessageBytes}`,
      );
      return;
    }
    let message: ClientMessage;
    try {
      message = decodeClientMessage(data);
    } catch (error) {
      const code = isQuadStreamError(error) ? error.code : '';
      const closeCode =
        code === 'protocol.unknown-type'
          ? CLOSE_CODES.unknownType
          : code === 'protocol.version'
            ? CLOSE_CODES.version
            : code === 'protocol.unexpected'
              ? CLOSE_CODES.unexpected
              : CLOSE_CODES.malformed;
      this.close(closeCode, describeError(error));
      return;
    }
    switch (message.type) {
      case 'clientHello':
        void this.#onHello(message);
        return;
      case 'ping':
        this.#send(
          encodePong({ id: message.id, originMs: message.originMs, receivedMs: now, sentMs: wallClockMs() }),
        );
        return;
      case 'pong': {
        const rtt = Math.max(0, now - message.originMs - (message.sentMs - message.receivedMs));
        this.#stats.rttMs = smoothRttMs(this.#stats.rttMs, rtt);
        this.#host.rtt(this, rtt, now);
        return;
      }
      case 'keyframeRequest':
        if (!this.#expect('streaming', message.type)) return;
        this.#stats.keyframeRequests++;
        if (now - this.#lastClientKeyframeMs >= this.#host.limits.keyframeRequestIntervalMs) {
          this.#lastClientKeyframeMs = now;
          // Frames queued behind the failure cannot be decoded: drop them and wait for the keyframe.
          const dropped = this.#queue.resetToKeyframe();
          this.#stats.queueDropped += dropped.length;
          this.#host.requestKeyframe(this, `viewer asked (reason ${message.reason})`);
        }
        return;
      case 'feedback':
        if (!this.#expect('streaming', message.type)) return;
        this.#onFeedback(message, now);
        return;
    }
  }

  #expect(state: State, type: string): boolean {
    if (this.#state === state || (state === 'streaming' && this.#state === 'joining')) return true;
    this.close(CLOSE_CODES.unexpected, `unexpected ${type} message before the hello`);
    return false;
  }

  async #onHello(hello: ClientHelloMessage): Promise<void> {
    if (this.#state !== 'hello') {
      this.close(CLOSE_CODES.unexpected, 'a second hello');
      return;
    }
    this.#state = 'joining';
    this.#label = hello.label;
    this.#adaptive = (hello.flags & CLIENT_FLAGS.adaptive) !== 0;
    this.#frameStarts = (hello.flags & CLIENT_FLAGS.frameStart) !== 0;
    let result: { codec: Codec } | { error: string };
    try {
      result = await this.#host.join(this, hello.codecs);
    } catch (error) {
      this.close(CLOSE_CODES.pipelineFailed, `the stream could not start: ${describeError(error)}`);
      return;
    }
    if ((this.#state as State) === 'closed') return;
    if ('error' in result) {
      this.close(CLOSE_CODES.noCommonCodec, result.error);
      return;
    }
    this.#codec = result.codec;
    this.#state = 'streaming';
    this.#log.info({ codec: result.codec, label: hello.label }, 'viewer joined');
    this.#host.requestKeyframe(this, 'viewer joined');
    this.#pump();
  }

  #onFeedback(message: FeedbackMessage, now: number): void {
    let ackedThrough: number | undefined;
    for (const e of message.entries) {
      if ((e.flags & FEEDBACK_FLAGS.frameStart) !== 0) {
        const r = this.#sent.get(e.sequence);
        if (r !== undefined && !r.delivered) r.firstByteMs = e.receivedMs;
        continue;
      }
      const record = this.#sent.get(e.sequence);
      const { delivered, finished } = this.#stats.onFeedback(e, record, now);
      if (record === undefined) continue;
      if (delivered) {
        if (ackedThrough === undefined || sequenceDelta(e.sequence, ackedThrough) > 0)
          ackedThrough = e.sequence;
        this.#host.delivery(
          {
            viewerId: this.id,
            sequence: record.sequence,
            bytes: record.bytes,
            keyframe: record.keyframe,
            captureMs: record.captureMs,
            sentMs: record.sentMs,
            receivedMs: record.receivedMs,
            firstByteMs: record.firstByteMs,
            decodedMs: record.decodedMs,
          },
          now,
        );
      }
      if (finished) {
        this.#host.frameFinished(this, record);
        this.#sent.delete(record.sequence);
      }
    }
    if (ackedThrough !== undefined) {
      // The socket delivers in order: everything up to the newest reported frame has arrived.
      while (this.#unacked.length > 0 && sequenceDelta(this.#unacked[0]!.sequence, ackedThrough) <= 0)
        this.#unackedBytes -= this.#unacked.shift()!.bytes;
    }
    this.#pruneSent(now);
    this.#pump();
  }

  /** Forgets records the viewer never finished (lost to a decoder reset, for instance). */
  #pruneSent(now: number): void {
    if (this.#sent.size < 512) return;
    for (const [seq, r] of this.#sent) {
      if (now - r.sentMs < 10_000 && this.#sent.size < 4096) break;
      this.#sent.delete(seq);
    }
  }

  #canSend(): boolean {
    const limits = this.#host.limits;
    return (
      this.#state === 'streaming' &&
      this.#ws.readyState === this.#ws.OPEN &&
      this.#bufferedBytes < limits.maxBufferedBytes &&
      this.inFlightMs < limits.maxInFlightMs &&
      (this.#unackedBytes === 0 || this.#unackedBytes < (this.#host.inFlightBudgetBytes(this) ?? Infinity))
    );
  }

  #pump(): void {
    // A viewer waiting for a keyframe (joined, cut, or after a decoder error) asks for one whenever
    // it could take it; the hub merges requests, so this repeats only if one got lost. A stalled
    // viewer cannot take frames and so never asks: no keyframe storm.
    if (this.#queue.waitingForKeyframe && this.#canSend())
      this.#host.requestKeyframe(this, 'waiting for a keyframe');
    while (this.#queue.length > 0 && this.#canSend()) {
      const next = this.#queue.shift();
      if (next === undefined) break;
      this.#sendFrame(next.item, next.discontinuity);
    }
  }

  #sendFrame(frame: EncodedFrame, discontinuity: boolean): void {
    this.#sendConfigIfChanged(frame.description);
    const sentMs = wallClockMs();
    const flags =
      (frame.keyframe ? FRAME_FLAGS.keyframe : 0) | (discontinuity ? FRAME_FLAGS.discontinuity : 0);
    const header = encodeVideoFrameHeader({
      streamId: this.#host.streamId,
      sequence: frame.sequence,
      flags,
      ptsUs: frame.ptsUs,
      captureMs: frame.captureMs,
      encodedMs: frame.encodedMs,
      sentMs,
    });
    const bytes = VIDEO_FRAME_HEADER_BYTES + frame.data.length;
    // The marker goes to the socket right before the frame: its arrival is the frame's first byte's.
    if (this.#frameStarts) this.#send(encodeFrameStart({ sequence: frame.sequence, sentMs }));
    this.#send(Buffer.concat([header, frame.data], bytes));
    const record: SentRecord = {
      sequence: frame.sequence,
      bytes,
      keyframe: frame.keyframe,
      captureMs: frame.captureMs,
      encodedMs: frame.encodedMs,
      sentMs,
      durationMs: frame.durationMs,
      firstByteMs: Number.NaN,
      receivedMs: Number.NaN,
      decodedMs: Number.NaN,
      renderedMs: Number.NaN,
      delivered: false,
      finished: false,
    };
    this.#sent.set(frame.sequence, record);
    this.#unackedBytes += bytes;
    this.#unacked.push({
      bytes,
      sequence: frame.sequence,
      captureMs: frame.captureMs,
      durationMs: frame.durationMs,
    });
    this.#stats.onSent(record);
    this.#host.sent({ viewerId: this.id, sequence: frame.sequence, bytes, sentMs }, sentMs);
  }

  #sendConfigIfChanged(d: StreamDescription): void {
    const key = `${d.codec}|${d.codecString}|${d.width}x${d.height}|${d.generation}`;
    if (key === this.#configKey) return;
    this.#configKey = key;
    this.#send(
      encodeStreamConfig({
        streamId: this.#host.streamId,
        generation: d.generation,
        width: d.width,
        height: d.height,
        frameRate: d.frameRate,
        codec: d.codec,
        codecString: d.codecString,
        format: BITSTREAM_FORMATS.inBand,
        description: new Uint8Array(0),
      }),
    );
  }

  #send(data: Uint8Array): void {
    if (this.#ws.readyState !== this.#ws.OPEN) return;
    const n = data.length;
    this.#bufferedBytes += n;
    this.#ws.send(data, { binary: true }, () => {
      this.#bufferedBytes -= n;
      if (this.#state === 'streaming') this.#pump();
    });
  }
}
