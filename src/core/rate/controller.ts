/**
 * One handle over the rate controllers, for callers that pick one by name (`serve --abr`,
 * the simulator): the controller's parameters travel with its state, and
 * {@link controllerStep} dispatches on the kind.
 */

import type { BitrateBounds, RateDecision } from './decision.ts';
import { clampBitrate } from './decision.ts';
import type { RateObservation } from './estimator.ts';
import { createGccParams, createGccState, gccStep } from './gcc.ts';
import type { GccParams, GccState } from './gcc.ts';
import { createPidParams, createPidState, pidStep } from './pid.ts';
import type { PidParams, PidState } from './pid.ts';

/**
 * Controllers by name: `gcc` (delay-based with probing, the default), `gcc-classic` (the same
 * without this project's additions — no probing, no queue guards or drain, GCC's packet-sized
 * additive increase — as a baseline), `pid`, and `off` (a fixed bitrate).
 */
export const CONTROLLER_KINDS = ['gcc', 'gcc-classic', 'pid', 'off'] as const;
/** One of {@link CONTROLLER_KINDS}. */
export type ControllerKind = (typeof CONTROLLER_KINDS)[number];

/** A controller of any kind with its parameters and state. */
export type Controller =
  | { readonly kind: 'gcc' | 'gcc-classic'; readonly params: GccParams; readonly state: GccState }
  | { readonly kind: 'pid'; readonly params: PidParams; readonly state: PidState }
  | { readonly kind: 'off'; readonly params: BitrateBounds; readonly bitrateBps: number };

/** Plain GCC's overrides of the tunables: what `gcc-classic` runs with. */
export const GCC_CLASSIC_OVERRIDES = {
  probing: false,
  queueOveruseMs: Infinity,
  standingQueueLimitMs: Infinity,
  drainMinQueueMs: Infinity,
  additivePacketBytes: 1200,
  pendingDelayGuard: false,
  useLinkRate: false,
} as const;

/** A controller of `kind` with `bounds`, starting at `startBitrateBps`. */
export function createController(
  kind: ControllerKind,
  bounds: BitrateBounds,
  startBitrateBps: number,
): Controller {
  switch (kind) {
    case 'gcc': {
      const params = createGccParams(bounds);
      return { kind, params, state: createGccState(startBitrateBps, params) };
    }
    case 'gcc-classic': {
      const params = createGccParams(bounds, GCC_CLASSIC_OVERRIDES);
      return { kind, params, state: createGccState(startBitrateBps, params) };
    }
    case 'pid': {
      const params = createPidParams(bounds);
      return { kind, params, state: createPidState(startBitrateBps, params) };
    }
    case 'off':
      return { kind, params: bounds, bitrateBps: clampBitrate(startBitrateBps, bounds) };
  }
}

/** One step of whichever controller this is. */
export function controllerStep(
  controller: Controller,
  obs: RateObservation,
  nowMs: number,
): { controller: Controller; decision: RateDecision } {
  switch (controller.kind) {
    case 'gcc':
    case 'gcc-classic': {
      const { state, decision } = gccStep(controller.state, obs, nowMs, controller.params);
      return { controller: { ...controller, state }, decision };
    }
    case 'pid': {
      const { state, decision } = pidStep(controller.state, obs, nowMs, controller.params);
      return { controller: { ...controller, state }, decision };
    }
    case 'off':
      return { controller, decision: { targetBitrateBps: controller.bitrateBps, reason: 'fixed' } };
  }
}
