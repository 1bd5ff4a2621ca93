/** Typed messages between the player page and its decoding worker. */

/** Options the page gives the worker. */
export interface WorkerStart {
  readonly type: 'start';
  /** WebSocket URL of the stream. */
  readonly url: string;
  /** Only accept this codec (from `?codec=`), or any. */
  readonly codec: string | null;
  /** Ask for adaptive bitrate (`?adaptive=1`). */
  readonly adaptive: boolean;
  /**
   * Convert each decoded frame to an RGB bitmap in the worker (off the page's thread, scaled
   * before converting) that fits this box (the canvas on screen, device pixels), instead of
   * handing the page the YUV frame; `null`: hand over the frame.
   */
  readonly bitmapBox: { readonly width: number; readonly height: number } | null;
  /**
   * Copy each decoded 4:2:0 frame's planes out in the worker and hand the page those bytes (for
   * the WebGL renderer, which converts to RGB in a shader) instead of the frame.
   */
  readonly planes: boolean;
  /** Read the burnt-in counter of decoded frames and count mismatches (`?verify=1`). */
  readonly verify: boolean;
}

/** Frames painted or replaced, from the page; times are the page's epoch milliseconds. */
export interface RenderReport {
  readonly type: 'rendered';
  readonly entries: readonly {
    readonly sequence: number;
    readonly renderedMs: number;
    readonly painted: boolean;
  }[];
}

/** Page → worker. */
export type ToWorker = WorkerStart | RenderReport;

/** A decoded 8-bit 4:2:0 picture as bytes: Y, then U and V (I420) or interleaved UV (NV12). */
export interface PlanarPicture {
  readonly kind: 'planes';
  readonly format: 'I420' | 'NV12';
  readonly data: ArrayBuffer;
  /** Offset and stride of each plane in `data` (`copyTo`'s layout). */
  readonly layout: readonly { readonly offset: number; readonly stride: number }[];
  readonly width: number;
  readonly height: number;
  /** YUV → RGB matrix and range, from the frame's colour space. */
  readonly matrix: 'bt709' | 'bt601';
  readonly fullRange: boolean;
}

/** A decoded frame for the page to paint. The page owns `frame` and closes it. */
export interface DecodedFrameMessage {
  readonly type: 'frame';
  /** The decoded frame, or the bitmap made from it (see `bitmapBox`), or its planes (see `planes`). */
  readonly frame: VideoFrame | ImageBitmap | PlanarPicture;
  readonly sequence: number;
  /** Capture time on the server's clock (epoch ms). */
  readonly captureMs: number;
  /** Clock offset: server minus local, when the frame was decoded. */
  readonly offsetMs: number;
  /** The burnt-in counter matches the frame's pts (null when not checked). */
  readonly counterOk: boolean | null;
}

/** The worker's counters, a few times a second. */
export interface WorkerStatus {
  readonly type: 'status';
  readonly state: 'connecting' | 'negotiating' | 'streaming' | 'closed';
  readonly codec: string | null;
  readonly codecString: string | null;
  readonly width: number;
  readonly height: number;
  readonly viewerId: number | null;
  readonly bytesReceived: number;
  readonly framesReceived: number;
  readonly framesDecoded: number;
  readonly framesDiscarded: number;
  readonly decoderErrors: number;
  readonly keyframesReceived: number;
  readonly discontinuities: number;
  readonly keyframeRequests: number;
  /** Decoded frames whose burnt-in counter did (not) match their pts (with `verify`). */
  readonly counterMismatches: number;
  readonly counterMatches: number;
  readonly clockOffsetMs: number;
  readonly rttMs: number | null;
  readonly closeCode: number | null;
  readonly closeReason: string | null;
  readonly lastError: string | null;
  /**
   * Local epoch ms: socket created, socket open, server hello received, first stream config
   * received, first frame received, first frame decoded.
   */
  readonly connectStartMs: number;
  readonly openedMs: number | null;
  readonly helloMs: number | null;
  readonly configMs: number | null;
  readonly firstFrameMs: number | null;
  readonly firstDecodedMs: number | null;
}

/** Worker → page. */
export type FromWorker = DecodedFrameMessage | WorkerStatus;
