/**
 * Adaptive bitrate: the public API of the pure rate-control core (see docs/abr.md).
 *
 * The stream kernel owns one estimator and one controller per adaptive viewer:
 *
 * ```ts
 * let est = createEstimator();
 * let ctl = createController('gcc', { minBitrateBps, maxBitrateBps }, startBitrateBps);
 * est = estimatorOnSent(est, { seq, sendTimeMs, sizeBytes });            // each frame sent
 * est = estimatorOnFeedback(est, { seq, sendTimeMs, receiveTimeMs, sizeBytes }, nowMs); // each ack
 * est = estimatorOnRtt(est, rttMs, nowMs);                               // each pong
 * const step = controllerStep(ctl, estimatorObserve(est, nowMs), nowMs); // each frame or ack
 * ctl = step.controller;                                                 // step.decision.targetBitrateBps
 * ```
 */

export { RATE_REASONS, clampBitrate } from './decision.ts';
export type { BitrateBounds, RateDecision, RateReason } from './decision.ts';
export {
  DEFAULT_ESTIMATOR_PARAMS,
  createEstimator,
  estimatorObserve,
  estimatorOnFeedback,
  estimatorOnRtt,
  estimatorOnSent,
} from './estimator.ts';
export type {
  EstimatorParams,
  EstimatorState,
  FrameFeedback,
  RateObservation,
  SentFrame,
} from './estimator.ts';
export { DEFAULT_GCC_TUNING, createGccParams, createGccState, gccStep } from './gcc.ts';
export type { GccParams, GccState } from './gcc.ts';
export { DEFAULT_PID_TUNING, createPidParams, createPidState, pidStep } from './pid.ts';
export type { PidParams, PidState } from './pid.ts';
export { CONTROLLER_KINDS, GCC_CLASSIC_OVERRIDES, controllerStep, createController } from './controller.ts';
export type { Controller, ControllerKind } from './controller.ts';
export {
  DEFAULT_LADDER_THRESHOLDS,
  LADDER_2160P120,
  createLadderParams,
  createLadderState,
  describeRung,
  ladderStep,
  pixelRate,
  resolutionLadder,
} from './ladder.ts';
export type { LadderDecision, LadderParams, LadderRung, LadderState } from './ladder.ts';
export { DEFAULT_ENCODER_MODEL, STANDARD_SCENARIOS, computeMetrics, runScenario } from './simulator.ts';
export type { EncoderModel, FrameRecord, Scenario, SimMetrics, SimResult, TracePoint } from './simulator.ts';
