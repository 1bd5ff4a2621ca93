/**
 * Default bitrates for a live stream: a built-in low-latency profile's when one has this size and
 * frame rate, otherwise 0.064 bits per pixel (what the 1080p60 profile's 8 Mbit/s amounts to).
 */
import { BUILTIN_PROFILES } from '../encode/profiles.ts';

/** Target, floor and ceiling in bits per second. */
export interface BitrateBounds {
  readonly bitrateBps: number;
  readonly minBitrateBps: number;
  readonly maxBitrateBps: number;
}

const BITS_PER_PIXEL = 0.064;

/** Default bounds for `width`×`height` at `fps`. */
export function defaultBitrates(width: number, height: number, fps: number): BitrateBounds {
  const profile = BUILTIN_PROFILES.find(
    (p) => p.lowLatency && p.width === width && p.height === height && Math.abs(p.fps - fps) < 0.01,
  );
  if (profile !== undefined)
    return {
      bitrateBps: profile.targetBitrateBps,
      minBitrateBps: profile.minBitrateBps,
      maxBitrateBps: profile.maxBitrateBps,
    };
  const bitrateBps = Math.round(Math.min(120e6, Math.max(300e3, BITS_PER_PIXEL * width * height * fps)));
  return {
    bitrateBps,
    minBitrateBps: Math.round(bitrateBps / 8),
    maxBitrateBps: Math.round(bitrateBps * 2.5),
  };
}
