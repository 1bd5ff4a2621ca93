/** Shared pieces of the browser end-to-end tests: a server on a free port and the player's state. */
import type { Page } from 'playwright-core';
import type { WorkerStatus } from '../web/messages.ts';
import type { PlayerState } from '../web/player.ts';
import type { EncoderState, RateController, RateDecision } from '../src/stream/rate-control.ts';
import { StreamServer, type StreamServerOptions } from '../src/stream/server.ts';

/**
 * A rate controller that only asks for a picture size (and frame rate), the one it is told to,
 * when told; it remembers the encoder state it saw last.
 */
export class SizeScript implements RateController {
  size: { width: number; height: number; fps?: number } | undefined;
  seen: EncoderState | undefined;
  viewerJoined(): void {}
  viewerLeft(): void {}
  onSent(): void {}
  onDelivery(): void {}
  onRtt(): void {}
  onQueueDrop(): void {}
  decide(encoder: EncoderState): RateDecision | undefined {
    this.seen = encoder;
    return this.size === undefined ? undefined : { bitrateBps: encoder.bitrateBps, size: this.size };
  }
}

/** Starts a test-source server on 127.0.0.1 at a free port. */
export function startServer(options: Partial<StreamServerOptions> = {}): Promise<StreamServer> {
  return StreamServer.start({
    source: 'test',
    width: 640,
    height: 360,
    frameRate: [60, 1],
    port: 0,
    ...options,
  });
}

/** The player's `window.__quadstream`, without its long arrays. */
export interface PlayerSnapshot extends Omit<PlayerState, 'latenciesMs' | 'renderedAtMs' | 'paintMs'> {
  readonly status: WorkerStatus | null;
  readonly latencyCount: number;
}

/** Reads the player's state. */
export async function playerState(page: Page): Promise<PlayerSnapshot> {
  return page.evaluate(() => {
    const s = (window as unknown as { __quadstream?: PlayerState }).__quadstream;
    if (s === undefined) throw new Error('the player did not start');
    const { latenciesMs, renderedAtMs: _r, paintMs: _p, ...rest } = s;
    return { ...rest, latencyCount: latenciesMs.length };
  });
}

/** Polls the player until `predicate` holds; fails with the last state after `timeoutMs`. */
export async function waitForPlayer(
  page: Page,
  predicate: (s: PlayerSnapshot) => boolean,
  timeoutMs: number,
  what: string,
): Promise<PlayerSnapshot> {
  const end = Date.now() + timeoutMs;
  let last: PlayerSnapshot | undefined;
  for (;;) {
    try {
      last = await playerState(page);
      if (predicate(last)) return last;
    } catch {
      // The page is still loading.
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; player: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
