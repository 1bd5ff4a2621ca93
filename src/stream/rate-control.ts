/**
 * The hook through which adaptive bitrate plugs into the stream server: per-viewer feedback goes
 * in, bitrate decisions come out. The server owns the clock and the encoder; a controller only
 * sees samples and returns decisions (wrap a pure `(state, observation, nowMs) → decision` core in
 * an object implementing this). Without a controller the bitrate stays where it was set.
 */

/** A viewer as the controller sees it. */
export interface RateViewer {
  readonly id: number;
  /** The viewer asked for adaptive bitrate in its hello (flag `adaptive`). */
  readonly adaptive: boolean;
  /** Free text from the viewer's hello. */
  readonly label: string;
}

/**
 * One frame's delivery to one viewer, reported when the viewer has decoded or discarded it. All
 * times are the server's clock, epoch milliseconds (the player converts with its clock offset).
 */
export interface DeliverySample {
  readonly viewerId: number;
  readonly sequence: number;
  /** Size of the frame message on the wire (header and payload), bytes. */
  readonly bytes: number;
  readonly keyframe: boolean;
  readonly captureMs: number;
  /** When the server handed the frame to the socket. */
  readonly sentMs: number;
  /** When the viewer received it. */
  readonly receivedMs: number;
  /**
   * When its first byte arrived (the frame-start marker in front of it), `NaN` when the viewer does
   * not report markers: `receivedMs − firstByteMs` is the frame's transmission over the slowest link.
   */
  readonly firstByteMs: number;
  /** When the viewer decoded it; `NaN` when it discarded it (decoder error, waiting for a keyframe). */
  readonly decodedMs: number;
}

/** One frame handed to a viewer's socket. Times are the server's clock, epoch milliseconds. */
export interface SentSample {
  readonly viewerId: number;
  readonly sequence: number;
  /** Size of the frame message on the wire (header and payload), bytes. */
  readonly bytes: number;
  readonly sentMs: number;
}

/** Frames the server dropped for a viewer (its queue was over its bound): loss as the sender sees it. */
export interface QueueDropSample {
  readonly viewerId: number;
  readonly frames: number;
  readonly bytes: number;
}

/** What a controller decides. */
export interface RateDecision {
  /** New target bitrate, bits per second (clamped by the encoder session's bounds). */
  readonly bitrateBps: number;
  /**
   * New picture size and frame rate (a step of the resolution ladder), or absent to keep them. The
   * encoder reopens at them with a keyframe, and viewers get a new stream configuration. `fps`
   * absent keeps the rate; otherwise it is the source's rate divided by a whole number (frames
   * in between are not encoded).
   */
  readonly size?: { readonly width: number; readonly height: number; readonly fps?: number };
}

/** The current state of the encoder, passed to {@link RateController.decide}. */
export interface EncoderState {
  readonly bitrateBps: number;
  readonly codec: string;
  readonly encoder: string;
  /** Whether the encoder applies bitrate changes between frames (otherwise each costs a keyframe). */
  readonly runtimeBitrate: boolean;
  /** Size of the frame just encoded, bytes (what the encoder really produces against its target). */
  readonly frameBytes?: number;
  /** The picture size being encoded, and frame rate. */
  readonly width?: number;
  readonly height?: number;
  readonly fps?: number;
}

/**
 * An adaptive-bitrate controller. Every method is called from the server's event loop with the
 * time it happened; none may block or throw.
 */
export interface RateController {
  viewerJoined(viewer: RateViewer, nowMs: number): void;
  viewerLeft(viewerId: number, nowMs: number): void;
  /**
   * Optional: the most bytes a viewer may have in flight (sent, not yet reported), or `undefined`
   * for no limit. Frames beyond it wait in the viewer's queue, which is cut to a keyframe when it
   * grows too long: after a capacity drop that bounds the queue the link must drain.
   */
  inFlightBudgetBytes?(viewerId: number, nowMs: number): number | undefined;
  /** Each frame as it is handed to a viewer's socket (what is in flight, before any report). */
  onSent(sample: SentSample, nowMs: number): void;
  /** Each frame's delivery, in the order the viewer reported them. */
  onDelivery(sample: DeliverySample, nowMs: number): void;
  /** A round-trip time measured by the server's ping to the viewer. */
  onRtt(viewerId: number, rttMs: number, nowMs: number): void;
  onQueueDrop(sample: QueueDropSample, nowMs: number): void;
  /**
   * Called after every encoded frame; returns a new target, or `undefined` to keep the current
   * one. The server applies it with `EncoderSession.setBitrate`.
   */
  decide(encoder: EncoderState, nowMs: number): RateDecision | undefined;
}
