/**
 * `/metrics`: the `/stats` figures in Prometheus' text format (prom-client), from one snapshot
 * per scrape. A registry of its own, so that several servers in one process do not mix.
 */
import { Gauge, Registry } from 'prom-client';
import type { HubFigures } from './hub.ts';

const QUANTILES = [
  ['0.5', 'p50'],
  ['0.95', 'p95'],
  ['0.99', 'p99'],
] as const;

/** Renders hub figures as Prometheus metrics. */
export class StreamMetrics {
  readonly #registry = new Registry();
  readonly #viewers: Gauge;
  readonly #viewer: Record<string, Gauge>;
  readonly #latency: Gauge;
  readonly #stage: Gauge;
  readonly #stream: Record<string, Gauge>;

  constructor() {
    const registers = [this.#registry];
    const gauge = (name: string, help: string, labelNames: string[] = []): Gauge =>
      new Gauge({ name, help, labelNames, registers });
    const v = ['viewer', 'codec'];
    this.#viewers = gauge('quadstream_viewers', 'Viewers connected');
    this.#viewer = {
      framesSent: gauge('quadstream_viewer_frames_sent', 'Frames sent to the viewer', v),
      framesDecoded: gauge('quadstream_viewer_frames_decoded', 'Frames the viewer reported decoded', v),
      framesDropped: gauge('quadstream_viewer_frames_dropped', 'Frames the viewer did not show', v),
      framesRendered: gauge('quadstream_viewer_frames_rendered', 'Frames the viewer painted', v),
      bitrateBps: gauge('quadstream_viewer_bitrate_bps', 'Sending bitrate over the last second', v),
      rttMs: gauge('quadstream_viewer_rtt_ms', 'Smoothed ping round trip', v),
      renderedFps: gauge('quadstream_viewer_rendered_fps', 'Frames painted per second (last 5 s)', v),
    };
    this.#latency = gauge('quadstream_viewer_latency_ms', 'Glass-to-glass latency (capture to painted)', [
      ...v,
      'window',
      'quantile',
    ]);
    this.#stage = gauge('quadstream_viewer_stage_ms', 'Median time per stage over the last 5 s', [
      ...v,
      'stage',
    ]);
    this.#stream = {
      framesCaptured: gauge('quadstream_stream_frames_captured', 'Frames captured'),
      framesEncoded: gauge('quadstream_stream_frames_encoded', 'Frames encoded'),
      framesSkippedAtSource: gauge(
        'quadstream_stream_frames_skipped_at_source',
        'Capture slots skipped (late)',
      ),
      framesDroppedBeforeEncoder: gauge(
        'quadstream_stream_frames_dropped_before_encoder',
        'Captured frames replaced while the encoder was busy',
      ),
      encodedFps: gauge('quadstream_stream_encoded_fps', 'Frames encoded per second (last 5 s)'),
      bitrateBps: gauge('quadstream_stream_target_bitrate_bps', 'Encoder target bitrate'),
    };
  }

  /** The content type of {@link render}'s output. */
  get contentType(): string {
    return this.#registry.contentType;
  }

  /** The metrics text for `figures`. */
  async render(figures: HubFigures): Promise<string> {
    this.#registry.resetMetrics();
    this.#viewers.set(figures.viewers.length);
    for (const f of figures.viewers) {
      const labels = { viewer: String(f.id), codec: f.codec ?? 'none' };
      for (const [key, g] of Object.entries(this.#viewer)) {
        const value = f[key as keyof typeof f];
        if (typeof value === 'number') g.set(labels, value);
      }
      for (const [window, p] of [
        ['5s', f.latencyMs],
        ['all', f.latencyMsAll],
      ] as const) {
        if (p === null) continue;
        for (const [quantile, key] of QUANTILES) this.#latency.set({ ...labels, window, quantile }, p[key]);
      }
      for (const [stage, ms] of Object.entries(f.stagesMs)) {
        if (typeof ms === 'number') this.#stage.set({ ...labels, stage }, ms);
      }
    }
    const s = figures.stream;
    if (s !== null) {
      for (const [key, g] of Object.entries(this.#stream)) {
        const value = s[key as keyof typeof s];
        if (typeof value === 'number') g.set(value);
      }
    }
    return this.#registry.metrics();
  }
}
