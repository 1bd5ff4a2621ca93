/** Types shared by the hardware probe, its child process and the decision. */
import type { Codec } from '../core/units.ts';
import type { EncoderApi } from './catalogue.ts';

/** What the probe found out about one encoder on this machine. */
export interface ProbeEntry {
  readonly name: string;
  readonly codec: Codec;
  readonly api: EncoderApi;
  readonly hardware: boolean;
  /** A real one-frame encode succeeded and produced a keyframe. */
  readonly available: boolean;
  /** Why not, in one line; `null` when available. */
  readonly reason: string | null;
  readonly runtimeBitrate: boolean;
  /** How long the test encode took, in milliseconds. */
  readonly probeMs: number;
}

/** A whole probe: one entry per catalogue encoder. */
export interface ProbeReport {
  /** Hash of the device and driver facts the result depends on. */
  readonly fingerprint: string;
  /** ISO time of the probe that produced the entries. */
  readonly probedAt: string;
  readonly fromCache: boolean;
  /** Wall time of this call (cache hit or fresh probe), in milliseconds. */
  readonly elapsedMs: number;
  readonly entries: readonly ProbeEntry[];
}

/** Prefix of the probe child's protocol lines on stdout. */
export const PROBE_LINE_PREFIX = 'QSPROBE ';
