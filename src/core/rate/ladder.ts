/**
 * Resolution and frame-rate ladder: when the target bitrate is too low for the current picture
 * size and frame rate, step down a per-profile ladder; when it is comfortably high for the rung
 * above, step back up — with hysteresis (a higher bits-per-pixel threshold to go up than to stay)
 * and minimum dwell times, so the picture size does not flap.
 *
 * Thresholds are in bits per pixel per frame: a rung needs `targetBitrateBps ≥ bpp × width ×
 * height × fps`. Going down may skip rungs (a 20 → 5 Mbit/s drop should not walk down one dwell
 * time at a time); going up is one rung at a time.
 *
 * Pure: `ladderStep(state, targetBitrateBps, nowMs, params) → { state, decision }`.
 */

import { QuadStreamError } from '../errors.ts';

/** One rung: a picture size and frame rate. */
export interface LadderRung {
  readonly width: number;
  readonly height: number;
  readonly fps: number;
}

/** A profile's ladder and its thresholds. */
export interface LadderParams {
  /** Rungs from the highest pixel rate to the lowest; index 0 is the profile's own size. */
  readonly rungs: readonly LadderRung[];
  /** Step down when the target is below this many bits per pixel of the current rung. */
  readonly downBitsPerPixel: number;
  /** Step up when the target is at least this many bits per pixel of the rung above. */
  readonly upBitsPerPixel: number;
  /** Shortest time after a change before stepping down, ms. */
  readonly downDwellMs: number;
  /** Shortest time after a change before stepping up, ms. */
  readonly upDwellMs: number;
  /** The target must stay above the step-up threshold this long, ms. */
  readonly upSustainMs: number;
}

/** State of {@link ladderStep}. */
export interface LadderState {
  /** Index into `rungs`. */
  readonly rungIndex: number;
  /** When the rung last changed, ms; `null` if never. */
  readonly lastChangeMs: number | null;
  /** Since when the target has been above the step-up threshold, ms; `null` if it is not. */
  readonly upCandidateSinceMs: number | null;
}

/** What {@link ladderStep} decided. */
export interface LadderDecision {
  readonly rungIndex: number;
  readonly rung: LadderRung;
  /** `'down'` or `'up'` when the rung changed at this step, else `null`. */
  readonly change: 'down' | 'up' | null;
  /** One line for logs. */
  readonly reason: string;
}

/**
 * An example ladder for a 2160p120 profile, 2160p → 1440p → 1080p → 720p, dropping frame rate
 * 120 → 60 → 30 on the way.
 */
export const LADDER_2160P120: readonly LadderRung[] = [
  { width: 3840, height: 2160, fps: 120 },
  { width: 3840, height: 2160, fps: 60 },
  { width: 2560, height: 1440, fps: 60 },
  { width: 1920, height: 1080, fps: 60 },
  { width: 1920, height: 1080, fps: 30 },
  { width: 1280, height: 720, fps: 30 },
];

/**
 * Default thresholds: down below 0.02 bit per pixel (about 10 Mbit/s at 2160p60 with a modern
 * codec), up above 0.03 for the rung above (1.5× hysteresis); down after 1 s, up after 5 s at
 * the earliest and only after 2 s above the threshold.
 */
export const DEFAULT_LADDER_THRESHOLDS: Omit<LadderParams, 'rungs'> = {
  downBitsPerPixel: 0.02,
  upBitsPerPixel: 0.03,
  downDwellMs: 1_000,
  upDwellMs: 5_000,
  upSustainMs: 2_000,
};

/**
 * Ladder parameters for `rungs`, with any threshold overridden. Throws a `config`
 * {@link QuadStreamError} when the ladder is empty, not ordered by decreasing pixel rate, or the
 * thresholds give no hysteresis.
 */
export function createLadderParams(
  rungs: readonly LadderRung[],
  overrides: Partial<Omit<LadderParams, 'rungs'>> = {},
): LadderParams {
  const params = { ...DEFAULT_LADDER_THRESHOLDS, ...overrides, rungs };
  if (rungs.length === 0) throw new QuadStreamError('config', 'ladder.empty', 'ladder: no rungs');
  for (let i = 0; i < rungs.length; i++) {
    const r = rungs[i];
    if (r === undefined || !(r.width > 0 && r.height > 0 && r.fps > 0)) {
      throw new QuadStreamError('config', 'ladder.rung', `ladder: rung ${i} needs a positive size and fps`);
    }
    const prev = rungs[i - 1];
    if (prev !== undefined && pixelRate(r) >= pixelRate(prev)) {
      throw new QuadStreamError(
        'config',
        'ladder.order',
        `ladder: rung ${i} (${describeRung(r)}) must have fewer pixels per second than rung ${i - 1} (${describeRung(prev)})`,
      );
    }
  }
  if (!(params.upBitsPerPixel > params.downBitsPerPixel && params.downBitsPerPixel > 0)) {
    throw new QuadStreamError(
      'config',
      'ladder.hysteresis',
      `ladder: upBitsPerPixel (${params.upBitsPerPixel}) must exceed downBitsPerPixel (${params.downBitsPerPixel}) > 0`,
    );
  }
  return params;
}

/** A ladder state at rung `rungIndex` (default the top). */
export function createLadderState(rungIndex = 0): LadderState {
  return { rungIndex, lastChangeMs: null, upCandidateSinceMs: null };
}

/** Pixels per second of a rung. */
export function pixelRate(rung: LadderRung): number {
  return rung.width * rung.height * rung.fps;
}

/** `3840x2160@60`. */
export function describeRung(rung: LadderRung): string {
  return `${rung.width}x${rung.height}@${rung.fps}`;
}

/** Decides the rung for `targetBitrateBps` at `nowMs`. */
export function ladderStep(
  state: LadderState,
  targetBitrateBps: number,
  nowMs: number,
  params: LadderParams,
): { state: LadderState; decision: LadderDecision } {
  const { rungs } = params;
  const last = rungs.length - 1;
  const index = Math.min(last, Math.max(0, state.rungIndex));
  const current = rungs[index] ?? rungs[0];
  if (current === undefined) throw new QuadStreamError('config', 'ladder.empty', 'ladder: no rungs');
  const sinceChangeMs = state.lastChangeMs === null ? Infinity : nowMs - state.lastChangeMs;
  const bpp = (rung: LadderRung): number => targetBitrateBps / pixelRate(rung);
  const keep = (s: LadderState, reason: string): { state: LadderState; decision: LadderDecision } => ({
    state: s,
    decision: { rungIndex: index, rung: current, change: null, reason },
  });

  if (bpp(current) < params.downBitsPerPixel && index < last) {
    if (sinceChangeMs < params.downDwellMs) {
      return keep({ ...state, rungIndex: index, upCandidateSinceMs: null }, 'below threshold, dwelling');
    }
    // The highest rung below that the target can carry, or the bottom one.
    let to = index + 1;
    while (to < last && bpp(rungs[to] ?? current) < params.downBitsPerPixel) to++;
    const rung = rungs[to] ?? current;
    return {
      state: { rungIndex: to, lastChangeMs: nowMs, upCandidateSinceMs: null },
      decision: {
        rungIndex: to,
        rung,
        change: 'down',
        reason: `${bpp(current).toFixed(4)} bit/pixel < ${params.downBitsPerPixel} at ${describeRung(current)}`,
      },
    };
  }

  const above = index > 0 ? rungs[index - 1] : undefined;
  if (above === undefined || bpp(above) < params.upBitsPerPixel) {
    return keep({ ...state, rungIndex: index, upCandidateSinceMs: null }, 'hold');
  }
  const sinceMs = state.upCandidateSinceMs ?? nowMs;
  if (nowMs - sinceMs < params.upSustainMs || sinceChangeMs < params.upDwellMs) {
    return keep({ ...state, rungIndex: index, upCandidateSinceMs: sinceMs }, 'above up threshold, dwelling');
  }
  return {
    state: { rungIndex: index - 1, lastChangeMs: nowMs, upCandidateSinceMs: null },
    decision: {
      rungIndex: index - 1,
      rung: above,
      change: 'up',
      reason: `${bpp(above).toFixed(4)} bit/pixel ≥ ${params.upBitsPerPixel} at ${describeRung(above)}`,
    },
  };
}

/** Heights of the resolution ladder below a stream's own size, as fractions of it. */
const RESOLUTION_STEPS = [1, 0.75, 0.5, 0.375, 0.25] as const;

/** The frame rate is halved down the ladder while it stays at least this (60 → 30, 50 → 25). */
const MIN_LADDER_FPS = 24;

/**
 * A resolution and frame-rate ladder for a stream of `width`x`height` at `fps`, in the shape of
 * {@link LADDER_2160P120}: a rate above 60 is first halved at full size (120 → 60); then the size
 * steps down at that rate to half the stream's size (3/4, 1/2); there the rate is halved once more
 * when it stays at least 24 (60 → 30); then 3/8 and 1/4 of the size. Sizes are even, the aspect is
 * kept, and nothing goes under 144 lines. 1280x720@60: 960x540@60, 640x360@60, 640x360@30,
 * 480x270@30, 320x180@30; at 30 fps the rate stays.
 */
export function resolutionLadder(width: number, height: number, fps: number): LadderRung[] {
  const sizes: { width: number; height: number }[] = [];
  for (const f of RESOLUTION_STEPS) {
    const h = Math.round((height * f) / 2) * 2;
    const w = Math.round((width * f) / 2) * 2;
    if (f < 1 && h < 144) break;
    const prev = sizes.at(-1);
    if (prev === undefined || w * h < prev.width * prev.height) sizes.push({ width: w, height: h });
  }
  const rungs: LadderRung[] = [];
  const push = (size: { width: number; height: number }, rate: number): void => {
    const prev = rungs.at(-1);
    if (prev?.width !== size.width || prev.height !== size.height || prev.fps !== rate)
      rungs.push({ ...size, fps: rate });
  };
  let rate = fps;
  const full = sizes[0]!;
  push(full, rate);
  while (rate > 60 && rate / 2 >= MIN_LADDER_FPS) {
    rate /= 2;
    push(full, rate);
  }
  const halfIndex = Math.max(
    0,
    sizes.findIndex((s) => s.height * 2 <= height + 1),
  );
  for (const [i, size] of sizes.entries()) {
    push(size, rate);
    if (i === halfIndex && rate / 2 >= MIN_LADDER_FPS) {
      rate /= 2;
      push(size, rate);
    }
  }
  return rungs;
}
