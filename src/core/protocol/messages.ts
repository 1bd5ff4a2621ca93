/**
 * The wire protocol's message types (version 1), as plain data. Encoding and decoding live in
 * `codec.ts`; the byte layout is written down in docs/protocol.md. Pure and isomorphic: shared by
 * the server (Node) and the player (browser).
 */
import type { Codec } from '../units.ts';

/** The protocol version this code speaks; the first byte of every message. */
export const PROTOCOL_VERSION = 1;

/** Message type codes (the second byte of every message). */
export const MESSAGE_TYPES = {
  videoFrame: 0x01,
  serverHello: 0x02,
  streamConfig: 0x03,
  clientHello: 0x10,
  keyframeRequest: 0x11,
  feedback: 0x12,
  ping: 0x13,
  pong: 0x14,
  frameStart: 0x15,
} as const;
/** The name of a message type. */
export type MessageTypeName = keyof typeof MESSAGE_TYPES;

/** Codec identifiers on the wire. */
export const CODEC_IDS: Readonly<Record<Codec, number>> = { h264: 1, hevc: 2, vp9: 3, av1: 4 };

/** Bits of {@link VideoFrameHeader.flags}. */
export const FRAME_FLAGS = {
  /** The frame is a keyframe (decodable on its own). */
  keyframe: 0x01,
  /** Frames before this one were not sent to this viewer (its queue was cut); it is a keyframe. */
  discontinuity: 0x02,
} as const;

/** Size in bytes of the fixed header in front of every video frame's payload. */
export const VIDEO_FRAME_HEADER_BYTES = 44;

/** Header of a video frame. Times are milliseconds on the server's clock (epoch-based). */
export interface VideoFrameHeader {
  readonly type: 'videoFrame';
  readonly streamId: number;
  /** Frame sequence number of the stream (same for every viewer), wrapping at 2^32. */
  readonly sequence: number;
  readonly flags: number;
  /** Presentation time in microseconds (the WebCodecs chunk timestamp). */
  readonly ptsUs: number;
  readonly captureMs: number;
  readonly encodedMs: number;
  readonly sentMs: number;
}

/** A video frame: header and the codec's bitstream (Annex-B for H.264, OBUs for AV1, VP9 frames). */
export interface VideoFrameMessage extends VideoFrameHeader {
  /** A view into the received message (not a copy). */
  readonly payload: Uint8Array;
}

/** One codec the server can send, with the WebCodecs codec string the player should test. */
export interface CodecOffer {
  readonly codec: Codec;
  readonly codecString: string;
}

/** First message from the server on every connection. */
export interface ServerHelloMessage {
  readonly type: 'serverHello';
  readonly streamId: number;
  /** The id the server gives this viewer (shown in `/stats`). */
  readonly viewerId: number;
  readonly width: number;
  readonly height: number;
  readonly frameRate: readonly [number, number];
  /** Codecs the server can encode now, best first. */
  readonly offers: readonly CodecOffer[];
}

/** Bitstream formats of {@link StreamConfigMessage.format}. */
export const BITSTREAM_FORMATS = { inBand: 0 } as const;

/** The stream the viewer will receive: sent after negotiation and whenever it changes. */
export interface StreamConfigMessage {
  readonly type: 'streamConfig';
  readonly streamId: number;
  /** Changes whenever the encoder is reopened (new headers follow at the next keyframe). */
  readonly generation: number;
  readonly width: number;
  readonly height: number;
  readonly frameRate: readonly [number, number];
  readonly codec: Codec;
  /** WebCodecs codec string, e.g. `avc1.42C01F`. */
  readonly codecString: string;
  /** {@link BITSTREAM_FORMATS}; 0: parameter sets in band (Annex-B for H.264). */
  readonly format: number;
  /** Decoder configuration record when the format is out-of-band; empty otherwise. */
  readonly description: Uint8Array;
}

/** Bits of {@link ClientHelloMessage.flags}. */
export const CLIENT_FLAGS = {
  /** The viewer asks that the encoder's bitrate follow its feedback (adaptive bitrate). */
  adaptive: 0x01,
  /**
   * The viewer reports frame-start markers (see {@link FrameStartMessage}): the server sends one
   * in front of every video frame. Older players leave it clear and never get one.
   */
  frameStart: 0x02,
} as const;

/** The player's answer to the server hello: what it can decode. */
export interface ClientHelloMessage {
  readonly type: 'clientHello';
  readonly flags: number;
  /** Offered codecs the player's `VideoDecoder.isConfigSupported` accepted, in the offer's order. */
  readonly codecs: readonly Codec[];
  /** Free text naming the player (e.g. the user agent's product), at most 255 UTF-8 bytes. */
  readonly label: string;
}

/** Why a viewer asks for a keyframe. */
export const KEYFRAME_REASONS = { unspecified: 0, decoderError: 1, sequenceGap: 2, startup: 3 } as const;

/** The viewer needs a keyframe (after a decoder error, for example). */
export interface KeyframeRequestMessage {
  readonly type: 'keyframeRequest';
  readonly reason: number;
  /** Sequence of the last frame the viewer decoded (0 when none). */
  readonly lastSequence: number;
}

/** Bits of {@link FeedbackEntry.flags}. */
export const FEEDBACK_FLAGS = {
  /** Received but not decoded (waiting for a keyframe, or the decoder failed). */
  discarded: 0x01,
  /** Decoded but never painted (a newer frame replaced it before the next paint). */
  notRendered: 0x02,
  /** The arrival of frame `sequence`'s frame-start marker: only `receivedMs` is set. */
  frameStart: 0x04,
} as const;

/**
 * What the viewer knows about one frame. Times are milliseconds on the *server's* clock (the
 * player converts with its ping/pong offset); `NaN` when not known (yet). A frame is reported
 * once when decoded or discarded (with `receivedMs`), and again when painted or replaced.
 */
export interface FeedbackEntry {
  readonly sequence: number;
  readonly flags: number;
  readonly receivedMs: number;
  readonly decodedMs: number;
  readonly renderedMs: number;
}

/** Size in bytes of one {@link FeedbackEntry} on the wire. */
export const FEEDBACK_ENTRY_BYTES = 32;
/** Most entries in one feedback message. */
export const MAX_FEEDBACK_ENTRIES = 1024;

/** Per-frame feedback from a viewer. */
export interface FeedbackMessage {
  readonly type: 'feedback';
  readonly entries: readonly FeedbackEntry[];
}

/** Clock probe; either side may send it and the other answers with a {@link PongMessage}. */
export interface PingMessage {
  readonly type: 'ping';
  readonly id: number;
  /** The sender's clock when sent, milliseconds. */
  readonly originMs: number;
}

/** Answer to a ping: the ping's id and origin, and the answering side's receive and send times. */
export interface PongMessage {
  readonly type: 'pong';
  readonly id: number;
  readonly originMs: number;
  readonly receivedMs: number;
  readonly sentMs: number;
}

/** Size in bytes of a frame-start marker. */
export const FRAME_START_BYTES = 16;

/**
 * A marker the server sends right in front of a video frame (to viewers whose hello set
 * {@link CLIENT_FLAGS.frameStart}): its arrival is when the frame's first byte arrives, so the
 * time from it to the frame's own arrival is the frame's transmission over the slowest link — the
 * link's rate, measured on every frame — and the time to it from `sentMs` is the frame's delay
 * without its own transmission. The viewer reports it at once, in a feedback entry flagged
 * {@link FEEDBACK_FLAGS.frameStart}.
 */
export interface FrameStartMessage {
  readonly type: 'frameStart';
  /** The sequence number of the video frame that follows. */
  readonly sequence: number;
  /** When the server handed the marker to the socket, server clock, ms. */
  readonly sentMs: number;
}

/** Messages the server sends. */
export type ServerMessage =
  | VideoFrameMessage
  | ServerHelloMessage
  | StreamConfigMessage
  | PingMessage
  | PongMessage
  | FrameStartMessage;
/** Messages the player sends. */
export type ClientMessage =
  ClientHelloMessage | KeyframeRequestMessage | FeedbackMessage | PingMessage | PongMessage;
/** Any message. */
export type Message = ServerMessage | ClientMessage;
