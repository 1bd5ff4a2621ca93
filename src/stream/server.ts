/**
 * The stream server (kernel D's front): one HTTP server on 127.0.0.1 by default serving the player
 * at `/`, live figures at `/stats` (JSON) and `/metrics` (Prometheus), and the viewers' WebSocket
 * at `/ws`. It opens the source at start (so a bad source fails at once) and runs the pipeline
 * while there are viewers.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { openSource } from '../capture/open-source.ts';
import type { FrameSource } from '../capture/types.ts';
import { describeError, QuadStreamError } from '../core/errors.ts';
import type { Codec } from '../core/units.ts';
import type { ProbeEntry } from '../encode/probe-types.ts';
import { probeEncoders } from '../encode/probe.ts';
import type { SessionEvent } from '../encode/session.ts';
import { logger } from '../log.ts';
import { defaultBitrates } from './bitrate-defaults.ts';
import { codecPlans } from './codec-plans.ts';
import { StreamHub, type CodecPlan, type HubFigures } from './hub.ts';
import { StreamMetrics } from './metrics.ts';
import type { RateController } from './rate-control.ts';
import { DEFAULT_VIEWER_LIMITS, type ViewerLimits } from './viewer.ts';
import type { SentRecord } from './viewer-stats.ts';
import { webAssets, type WebAsset } from './web-assets.ts';

const log = logger.child({ component: 'server' });

/** Largest message a viewer may send (bytes); larger ones close its connection (1009). */
export const MAX_CLIENT_MESSAGE_BYTES = 64 * 1024;
/** Beyond this the socket layer itself refuses a message, without reading it into memory. */
const HARD_MAX_MESSAGE_BYTES = 1024 * 1024;

/** Options for {@link StreamServer.start}. */
export interface StreamServerOptions {
  /** `test`, `file:PATH`, `screen[:DISPLAY]`, `camera[:DEVICE]`. */
  readonly source: string;
  /** Encoded size; default: the test source's 1920x1080, or the source's own size. */
  readonly width?: number;
  readonly height?: number;
  /** Frame rate `[num, den]` (the test source's and devices' rate; files play at their own). */
  readonly frameRate?: readonly [number, number];
  /** Stream only this codec. */
  readonly codec?: Codec;
  readonly bitrateBps?: number;
  readonly minBitrateBps?: number;
  readonly maxBitrateBps?: number;
  /** Periodic keyframes every N frames (default: on demand only). */
  readonly gopFrames?: number;
  /** Encoder threads (default: the encoder's choice). */
  readonly encoderThreads?: number;
  /** Default `127.0.0.1`. */
  readonly host?: string;
  /** Default 8080; 0 picks a free port. */
  readonly port?: number;
  readonly limits?: Partial<ViewerLimits>;
  /** Stop the pipeline this long after the last viewer left (default 2000 ms). */
  readonly idleStopMs?: number;
  /** Adaptive bitrate (issue 5): fed with every viewer's feedback; its decisions are applied. */
  readonly rateController?: RateController;
  /** Probe results to use instead of probing (tests, benchmarks). */
  readonly probe?: readonly ProbeEntry[];
  readonly onFrameFinished?: (viewerId: number, record: Readonly<SentRecord>) => void;
  readonly onSessionEvent?: (event: SessionEvent) => void;
}

/** A running server. Close it (`await using`) to stop viewers, pipeline and source. */
export class StreamServer implements AsyncDisposable {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly hub: StreamHub;
  readonly source: FrameSource;
  readonly codecs: readonly CodecPlan[];
  readonly #http: Server;
  readonly #wss: WebSocketServer;
  #closing: Promise<void> | undefined;

  private constructor(
    http: Server,
    wss: WebSocketServer,
    hub: StreamHub,
    source: FrameSource,
    codecs: readonly CodecPlan[],
    host: string,
    port: number,
  ) {
    this.#http = http;
    this.#wss = wss;
    this.hub = hub;
    this.source = source;
    this.codecs = codecs;
    this.host = host;
    this.port = port;
    this.url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
  }

  /** Opens the source, probes encoders, builds the player and listens. */
  static async start(o: StreamServerOptions): Promise<StreamServer> {
    const frameRate = o.frameRate ?? [60, 1];
    const source = await openSource({
      spec: o.source,
      frameRate,
      ...(o.width !== undefined && o.height !== undefined ? { width: o.width, height: o.height } : {}),
    });
    try {
      const width = o.width ?? source.width;
      const height = o.height ?? source.height;
      const rate = source.kind === 'file' || o.frameRate === undefined ? source.frameRate : frameRate;
      const fps = rate[0] / rate[1];
      const d = defaultBitrates(width, height, fps);
      const bitrateBps = o.bitrateBps ?? d.bitrateBps;
      const bounds = {
        bitrateBps,
        minBitrateBps: o.minBitrateBps ?? Math.min(d.minBitrateBps, bitrateBps),
        maxBitrateBps: o.maxBitrateBps ?? Math.max(d.maxBitrateBps, bitrateBps),
      };
      const probe = o.probe ?? (await probeEncoders()).entries;
      const codecs = codecPlans(probe, { width, height, fps, ...bounds }, o.codec);
      await webAssets();
      const hub = new StreamHub({
        source,
        width,
        height,
        frameRate: rate,
        ...bounds,
        ...(o.gopFrames === undefined ? {} : { gopFrames: o.gopFrames }),
        ...(o.encoderThreads === undefined ? {} : { encoderThreads: o.encoderThreads }),
        codecs,
        limits: { ...DEFAULT_VIEWER_LIMITS, maxMessageBytes: MAX_CLIENT_MESSAGE_BYTES, ...o.limits },
        idleStopMs: o.idleStopMs ?? 2000,
        ...(o.rateController === undefined ? {} : { rateController: o.rateController }),
        ...(o.onFrameFinished === undefined ? {} : { onFrameFinished: o.onFrameFinished }),
        ...(o.onSessionEvent === undefined ? {} : { onSessionEvent: o.onSessionEvent }),
      });
      const metrics = new StreamMetrics();
      const http = createServer((req, res) => void handle(req, res, hub, metrics));
      const wss = new WebSocketServer({
        noServer: true,
        maxPayload: HARD_MAX_MESSAGE_BYTES,
        perMessageDeflate: false,
      });
      http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        if (new URL(req.url ?? '/', 'http://x').pathname !== '/ws') {
          socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
          return;
        }
        wss.handleUpgrade(req, socket, head, (ws) => {
          // Frames are small and latency matters more than packet count.
          (req.socket as { setNoDelay?: (v: boolean) => void }).setNoDelay?.(true);
          hub.accept(ws);
        });
      });
      const host = o.host ?? '127.0.0.1';
      const port = await listen(http, host, o.port ?? 8080);
      const server = new StreamServer(http, wss, hub, source, codecs, host, port);
      log.info(
        { url: server.url, source: source.description, codecs: codecs.map((c) => c.codec) },
        'serving',
      );
      return server;
    } catch (error) {
      await source.close();
      throw error;
    }
  }

  /** The `/stats` figures now. */
  figures(): HubFigures {
    return this.hub.figures();
  }

  /** Closes viewers, pipeline, source and the HTTP server. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.hub.close();
      for (const client of this.#wss.clients) client.terminate();
      this.#wss.close();
      this.#http.closeAllConnections();
      await new Promise<void>((resolve) => this.#http.close(() => resolve()));
      await this.source.close();
    })();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

function listen(http: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      http.off('listening', onListening);
      if (error.code === 'EADDRINUSE')
        reject(
          new QuadStreamError(
            'config',
            'serve.port-in-use',
            `port ${port} on ${host} is in use (choose another with --port)`,
            {
              cause: error,
            },
          ),
        );
      else if (error.code === 'EADDRNOTAVAIL' || error.code === 'EACCES')
        reject(
          new QuadStreamError(
            'config',
            'serve.cannot-listen',
            `cannot listen on ${host}:${port} (${error.code})`,
            {
              cause: error,
            },
          ),
        );
      else reject(error);
    };
    const onListening = (): void => {
      http.off('error', onError);
      const address = http.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    };
    http.once('error', onError);
    http.once('listening', onListening);
    http.listen(port, host);
  });
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  hub: StreamHub,
  metrics: StreamMetrics,
): Promise<void> {
  try {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/stats') {
      send(res, 'application/json; charset=utf-8', `${JSON.stringify(hub.figures())}\n`);
      return;
    }
    if (path === '/metrics') {
      send(res, metrics.contentType, await metrics.render(hub.figures()));
      return;
    }
    const asset: WebAsset | undefined = (await webAssets()).get(path === '/index.html' ? '/' : path);
    if (asset === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    send(res, asset.contentType, asset.body);
  } catch (error) {
    log.error({ err: describeError(error) }, 'request failed');
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(`${describeError(error)}\n`);
  }
}

function send(res: ServerResponse, contentType: string, body: string | Buffer): void {
  res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' }).end(body);
}
