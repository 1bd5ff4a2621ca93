/**
 * Encoding and decoding of protocol messages (layout in docs/protocol.md). Pure functions over
 * bytes: big-endian integers, IEEE-754 doubles, strings as a length byte and UTF-8. Decoding
 * never trusts the input: a short, oversized or inconsistent message is a `transport` error with
 * a `protocol.*` code, never an exception from a typed-array bound.
 */
import { QuadStreamError } from '../errors.ts';
import type { Codec } from '../units.ts';
import {
  CODEC_IDS,
  FEEDBACK_ENTRY_BYTES,
  MAX_FEEDBACK_ENTRIES,
  MESSAGE_TYPES,
  PROTOCOL_VERSION,
  VIDEO_FRAME_HEADER_BYTES,
  type ClientHelloMessage,
  type ClientMessage,
  type CodecOffer,
  type FeedbackEntry,
  type FeedbackMessage,
  type KeyframeRequestMessage,
  type FrameStartMessage,
  type Message,
  type PingMessage,
  type PongMessage,
  type ServerHelloMessage,
  type ServerMessage,
  type StreamConfigMessage,
  type VideoFrameHeader,
  type VideoFrameMessage,
} from './messages.ts';

/** Codes of the errors {@link decodeMessage} throws. */
export const PROTOCOL_ERROR_CODES = [
  'protocol.truncated',
  'protocol.version',
  'protocol.unknown-type',
  'protocol.malformed',
  'protocol.unexpected',
] as const;
export type ProtocolErrorCode = (typeof PROTOCOL_ERROR_CODES)[number];

function fail(code: ProtocolErrorCode, message: string): never {
  throw new QuadStreamError('transport', code, message);
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

const CODEC_BY_ID = new Map<number, Codec>(Object.entries(CODEC_IDS).map(([c, id]) => [id, c as Codec]));

function codecId(codec: Codec): number {
  return CODEC_IDS[codec];
}

function u16(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff)
    fail('protocol.malformed', `${name} ${value} is not a u16`);
  return value;
}

function u32(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff)
    fail('protocol.malformed', `${name} ${value} is not a u32`);
  return value;
}

function u8(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xff)
    fail('protocol.malformed', `${name} ${value} is not a u8`);
  return value;
}

function shortString(name: string, text: string): Uint8Array<ArrayBuffer> {
  const bytes = utf8Encoder.encode(text);
  if (bytes.length > 255) fail('protocol.malformed', `${name} is ${bytes.length} bytes; at most 255`);
  return bytes;
}

/** A bounds-checked reader over one message. */
class Reader {
  readonly #view: DataView;
  readonly #bytes: Uint8Array;
  #at: number;
  readonly #what: string;

  constructor(bytes: Uint8Array, start: number, what: string) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#at = start;
    this.#what = what;
  }

  #need(n: number): number {
    const at = this.#at;
    if (at + n > this.#bytes.length)
      fail('protocol.truncated', `${this.#what}: ${this.#bytes.length} bytes, needs at least ${at + n}`);
    this.#at += n;
    return at;
  }

  u8(): number {
    return this.#view.getUint8(this.#need(1));
  }
  u16(): number {
    return this.#view.getUint16(this.#need(2));
  }
  u32(): number {
    return this.#view.getUint32(this.#need(4));
  }
  f64(): number {
    return this.#view.getFloat64(this.#need(8));
  }
  bytes(n: number): Uint8Array {
    const at = this.#need(n);
    return this.#bytes.subarray(at, at + n);
  }
  string(): string {
    const n = this.u8();
    try {
      return utf8Decoder.decode(this.bytes(n));
    } catch {
      return fail('protocol.malformed', `${this.#what}: a string is not valid UTF-8`);
    }
  }
  skip(n: number): void {
    this.#need(n);
  }
  end(): void {
    if (this.#at !== this.#bytes.length)
      fail('protocol.malformed', `${this.#what}: ${this.#bytes.length - this.#at} unexpected trailing bytes`);
  }
  get offset(): number {
    return this.#at;
  }
}

/** A writer into a buffer of known size. */
class Writer {
  readonly bytes: Uint8Array<ArrayBuffer>;
  readonly #view: DataView;
  #at = 0;

  constructor(size: number, type: number) {
    this.bytes = new Uint8Array(size);
    this.#view = new DataView(this.bytes.buffer);
    this.u8(PROTOCOL_VERSION);
    this.u8(type);
  }
  u8(v: number): this {
    this.#view.setUint8(this.#at, v);
    this.#at += 1;
    return this;
  }
  u16(v: number): this {
    this.#view.setUint16(this.#at, v);
    this.#at += 2;
    return this;
  }
  u32(v: number): this {
    this.#view.setUint32(this.#at, v);
    this.#at += 4;
    return this;
  }
  f64(v: number): this {
    this.#view.setFloat64(this.#at, v);
    this.#at += 8;
    return this;
  }
  raw(b: Uint8Array): this {
    this.bytes.set(b, this.#at);
    this.#at += b.length;
    return this;
  }
  string(b: Uint8Array): this {
    return this.u8(b.length).raw(b);
  }
  done(): Uint8Array<ArrayBuffer> {
    if (this.#at !== this.bytes.length)
      throw new QuadStreamError('internal', 'protocol.size', 'writer size mismatch');
    return this.bytes;
  }
}

/**
 * The 44-byte header of a video frame; the payload follows it in the same WebSocket message.
 * The caller concatenates (the payload is shared between viewers, the header is per viewer).
 */
export function encodeVideoFrameHeader(h: Omit<VideoFrameHeader, 'type'>): Uint8Array<ArrayBuffer> {
  return new Writer(VIDEO_FRAME_HEADER_BYTES, MESSAGE_TYPES.videoFrame)
    .u16(u16('streamId', h.streamId))
    .u32(u32('sequence', h.sequence))
    .u8(u8('flags', h.flags))
    .u8(0)
    .u16(0)
    .f64(h.ptsUs)
    .f64(h.captureMs)
    .f64(h.encodedMs)
    .f64(h.sentMs)
    .done();
}

/** A whole video frame message (header and payload in one buffer). */
export function encodeVideoFrame(m: Omit<VideoFrameMessage, 'type'>): Uint8Array<ArrayBuffer> {
  const header = encodeVideoFrameHeader(m);
  const out = new Uint8Array(header.length + m.payload.length);
  out.set(header, 0);
  out.set(m.payload, header.length);
  return out;
}

function encodeOffers(offers: readonly CodecOffer[]): Uint8Array[] {
  if (offers.length > 255) fail('protocol.malformed', 'more than 255 codec offers');
  return offers.map((o) => {
    const s = shortString('codecString', o.codecString);
    const b = new Uint8Array(2 + s.length);
    b[0] = codecId(o.codec);
    b[1] = s.length;
    b.set(s, 2);
    return b;
  });
}

/** Encodes the server's hello. */
export function encodeServerHello(m: Omit<ServerHelloMessage, 'type'>): Uint8Array<ArrayBuffer> {
  const offers = encodeOffers(m.offers);
  const size = 17 + offers.reduce((n, o) => n + o.length, 0);
  const w = new Writer(size, MESSAGE_TYPES.serverHello)
    .u16(u16('streamId', m.streamId))
    .u32(u32('viewerId', m.viewerId))
    .u16(u16('width', m.width))
    .u16(u16('height', m.height))
    .u16(u16('frameRate numerator', m.frameRate[0]))
    .u16(u16('frameRate denominator', m.frameRate[1]))
    .u8(offers.length);
  for (const o of offers) w.raw(o);
  return w.done();
}

/** Encodes a stream configuration. */
export function encodeStreamConfig(m: Omit<StreamConfigMessage, 'type'>): Uint8Array<ArrayBuffer> {
  const s = shortString('codecString', m.codecString);
  if (m.description.length > 0xffff) fail('protocol.malformed', 'description longer than 65535 bytes');
  const w = new Writer(21 + s.length + m.description.length, MESSAGE_TYPES.streamConfig)
    .u16(u16('streamId', m.streamId))
    .u32(u32('generation', m.generation))
    .u16(u16('width', m.width))
    .u16(u16('height', m.height))
    .u16(u16('frameRate numerator', m.frameRate[0]))
    .u16(u16('frameRate denominator', m.frameRate[1]))
    .u8(codecId(m.codec))
    .u8(u8('format', m.format))
    .string(s)
    .u16(m.description.length)
    .raw(m.description);
  return w.done();
}

/** Encodes the player's hello. */
export function encodeClientHello(m: Omit<ClientHelloMessage, 'type'>): Uint8Array<ArrayBuffer> {
  if (m.codecs.length > 255) fail('protocol.malformed', 'more than 255 codecs');
  const label = shortString('label', m.label);
  const w = new Writer(5 + m.codecs.length + label.length, MESSAGE_TYPES.clientHello)
    .u8(u8('flags', m.flags))
    .u8(m.codecs.length);
  for (const c of m.codecs) w.u8(codecId(c));
  return w.string(label).done();
}

/** Encodes a keyframe request. */
export function encodeKeyframeRequest(m: Omit<KeyframeRequestMessage, 'type'>): Uint8Array<ArrayBuffer> {
  return new Writer(8, MESSAGE_TYPES.keyframeRequest)
    .u8(u8('reason', m.reason))
    .u8(0)
    .u32(u32('lastSequence', m.lastSequence))
    .done();
}

/** Encodes a feedback message (at most {@link MAX_FEEDBACK_ENTRIES} entries). */
export function encodeFeedback(entries: readonly FeedbackEntry[]): Uint8Array<ArrayBuffer> {
  if (entries.length > MAX_FEEDBACK_ENTRIES)
    fail('protocol.malformed', `${entries.length} feedback entries; at most ${MAX_FEEDBACK_ENTRIES}`);
  const w = new Writer(4 + entries.length * FEEDBACK_ENTRY_BYTES, MESSAGE_TYPES.feedback).u16(entries.length);
  for (const e of entries) {
    w.u32(u32('sequence', e.sequence))
      .u8(u8('flags', e.flags))
      .u8(0)
      .u16(0)
      .f64(e.receivedMs)
      .f64(e.decodedMs)
      .f64(e.renderedMs);
  }
  return w.done();
}

/** Encodes a ping. */
export function encodePing(m: Omit<PingMessage, 'type'>): Uint8Array<ArrayBuffer> {
  return new Writer(16, MESSAGE_TYPES.ping).u16(0).u32(u32('id', m.id)).f64(m.originMs).done();
}

/** Encodes a pong. */
export function encodePong(m: Omit<PongMessage, 'type'>): Uint8Array<ArrayBuffer> {
  return new Writer(32, MESSAGE_TYPES.pong)
    .u16(0)
    .u32(u32('id', m.id))
    .f64(m.originMs)
    .f64(m.receivedMs)
    .f64(m.sentMs)
    .done();
}

/** Encodes a frame-start marker. */
export function encodeFrameStart(m: Omit<FrameStartMessage, 'type'>): Uint8Array<ArrayBuffer> {
  return new Writer(16, MESSAGE_TYPES.frameStart)
    .u16(0)
    .u32(u32('sequence', m.sequence))
    .f64(m.sentMs)
    .done();
}

function readCodec(r: Reader, what: string): Codec {
  const id = r.u8();
  const codec = CODEC_BY_ID.get(id);
  if (codec === undefined) fail('protocol.malformed', `${what}: unknown codec id ${id}`);
  return codec;
}

function positive(value: number, name: string, what: string): number {
  if (value === 0) fail('protocol.malformed', `${what}: ${name} is 0`);
  return value;
}

function decodeVideoFrame(bytes: Uint8Array): VideoFrameMessage {
  const r = new Reader(bytes, 2, 'video frame');
  const streamId = r.u16();
  const sequence = r.u32();
  const flags = r.u8();
  r.skip(3);
  const ptsUs = r.f64();
  const captureMs = r.f64();
  const encodedMs = r.f64();
  const sentMs = r.f64();
  return {
    type: 'videoFrame',
    streamId,
    sequence,
    flags,
    ptsUs,
    captureMs,
    encodedMs,
    sentMs,
    payload: bytes.subarray(r.offset),
  };
}

function decodeServerHello(bytes: Uint8Array): ServerHelloMessage {
  const what = 'server hello';
  const r = new Reader(bytes, 2, what);
  const streamId = r.u16();
  const viewerId = r.u32();
  const width = positive(r.u16(), 'width', what);
  const height = positive(r.u16(), 'height', what);
  const frameRate = [positive(r.u16(), 'frame rate', what), positive(r.u16(), 'frame rate', what)] as const;
  const count = r.u8();
  const offers: CodecOffer[] = [];
  for (let i = 0; i < count; i++) offers.push({ codec: readCodec(r, what), codecString: r.string() });
  r.end();
  return { type: 'serverHello', streamId, viewerId, width, height, frameRate, offers };
}

function decodeStreamConfig(bytes: Uint8Array): StreamConfigMessage {
  const what = 'stream config';
  const r = new Reader(bytes, 2, what);
  const streamId = r.u16();
  const generation = r.u32();
  const width = positive(r.u16(), 'width', what);
  const height = positive(r.u16(), 'height', what);
  const frameRate = [positive(r.u16(), 'frame rate', what), positive(r.u16(), 'frame rate', what)] as const;
  const codec = readCodec(r, what);
  const format = r.u8();
  const codecString = r.string();
  const description = r.bytes(r.u16());
  r.end();
  return {
    type: 'streamConfig',
    streamId,
    generation,
    width,
    height,
    frameRate,
    codec,
    format,
    codecString,
    description,
  };
}

function decodeClientHello(bytes: Uint8Array): ClientHelloMessage {
  const what = 'client hello';
  const r = new Reader(bytes, 2, what);
  const flags = r.u8();
  const count = r.u8();
  const codecs: Codec[] = [];
  for (let i = 0; i < count; i++) codecs.push(readCodec(r, what));
  const label = r.string();
  r.end();
  return { type: 'clientHello', flags, codecs, label };
}

function decodeKeyframeRequest(bytes: Uint8Array): KeyframeRequestMessage {
  const r = new Reader(bytes, 2, 'keyframe request');
  const reason = r.u8();
  r.skip(1);
  const lastSequence = r.u32();
  r.end();
  return { type: 'keyframeRequest', reason, lastSequence };
}

function decodeFeedback(bytes: Uint8Array): FeedbackMessage {
  const what = 'feedback';
  const r = new Reader(bytes, 2, what);
  const count = r.u16();
  if (count > MAX_FEEDBACK_ENTRIES)
    fail('protocol.malformed', `${what}: ${count} entries; at most ${MAX_FEEDBACK_ENTRIES}`);
  const entries: FeedbackEntry[] = [];
  for (let i = 0; i < count; i++) {
    const sequence = r.u32();
    const flags = r.u8();
    r.skip(3);
    entries.push({ sequence, flags, receivedMs: r.f64(), decodedMs: r.f64(), renderedMs: r.f64() });
  }
  r.end();
  return { type: 'feedback', entries };
}

function decodePing(bytes: Uint8Array): PingMessage {
  const r = new Reader(bytes, 2, 'ping');
  r.skip(2);
  const id = r.u32();
  const originMs = r.f64();
  r.end();
  return { type: 'ping', id, originMs };
}

function decodeFrameStart(bytes: Uint8Array): FrameStartMessage {
  const r = new Reader(bytes, 2, 'frame start');
  r.skip(2);
  const sequence = r.u32();
  const sentMs = r.f64();
  r.end();
  return { type: 'frameStart', sequence, sentMs };
}

function decodePong(bytes: Uint8Array): PongMessage {
  const r = new Reader(bytes, 2, 'pong');
  r.skip(2);
  const id = r.u32();
  const originMs = r.f64();
  const receivedMs = r.f64();
  const sentMs = r.f64();
  r.end();
  return { type: 'pong', id, originMs, receivedMs, sentMs };
}

/** Decodes any message. Throws a `transport` {@link QuadStreamError} with a {@link ProtocolErrorCode}. */
export function decodeMessage(bytes: Uint8Array): Message {
  if (bytes.length < 2) fail('protocol.truncated', `message of ${bytes.length} bytes; at least 2 expected`);
  const version = bytes[0]!;
  if (version !== PROTOCOL_VERSION)
    fail(
      'protocol.version',
      `protocol version ${version} is not supported (this side speaks ${PROTOCOL_VERSION})`,
    );
  const type = bytes[1]!;
  switch (type) {
    case MESSAGE_TYPES.videoFrame:
      return decodeVideoFrame(bytes);
    case MESSAGE_TYPES.serverHello:
      return decodeServerHello(bytes);
    case MESSAGE_TYPES.streamConfig:
      return decodeStreamConfig(bytes);
    case MESSAGE_TYPES.clientHello:
      return decodeClientHello(bytes);
    case MESSAGE_TYPES.keyframeRequest:
      return decodeKeyframeRequest(bytes);
    case MESSAGE_TYPES.feedback:
      return decodeFeedback(bytes);
    case MESSAGE_TYPES.ping:
      return decodePing(bytes);
    case MESSAGE_TYPES.pong:
      return decodePong(bytes);
    case MESSAGE_TYPES.frameStart:
      return decodeFrameStart(bytes);
    default:
      return fail('protocol.unknown-type', `unknown message type 0x${type.toString(16).padStart(2, '0')}`);
  }
}

const FROM_CLIENT = new Set<Message['type']>(['clientHello', 'keyframeRequest', 'feedback', 'ping', 'pong']);
const FROM_SERVER = new Set<Message['type']>([
  'videoFrame',
  'serverHello',
  'streamConfig',
  'ping',
  'pong',
  'frameStart',
]);

/** Decodes a message the server received; a server-only type is `protocol.unexpected`. */
export function decodeClientMessage(bytes: Uint8Array): ClientMessage {
  const m = decodeMessage(bytes);
  if (!FROM_CLIENT.has(m.type)) fail('protocol.unexpected', `a viewer may not send a ${m.type} message`);
  return m as ClientMessage;
}

/** Decodes a message the player received; a client-only type is `protocol.unexpected`. */
export function decodeServerMessage(bytes: Uint8Array): ServerMessage {
  const m = decodeMessage(bytes);
  if (!FROM_SERVER.has(m.type)) fail('protocol.unexpected', `a server may not send a ${m.type} message`);
  return m as ServerMessage;
}
