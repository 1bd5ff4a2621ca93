/**
 * The decision: which encoder to use for a profile on this machine, and why. Pure: it reads a
 * probe report and the catalogue, nothing else. Order: the profile's codec preference, then
 * hardware before software, then the profile's constraints (size, 10-bit).
 */
import type { Codec } from '../core/units.ts';
import { ENCODERS, type EncoderInfo } from './catalogue.ts';
import type { ProbeEntry } from './probe-types.ts';
import type { Profile } from './profiles.ts';

/** One encoder considered, with the verdict. */
export interface Consideration {
  readonly encoder: string;
  readonly codec: Codec;
  readonly hardware: boolean;
  readonly accepted: boolean;
  readonly reason: string;
}

/** The outcome: the chosen encoder (or none), the ordered fallbacks, and every reason. */
export interface Decision {
  readonly profile: string;
  /** The first encoder that works and meets the profile, or `null`. */
  readonly chosen: EncoderInfo | null;
  /** Every acceptable encoder in order; the session fails over along this list. */
  readonly candidates: readonly EncoderInfo[];
  readonly considered: readonly Consideration[];
}

/** Decides the encoder for `profile` given what the probe found. */
export function decideEncoder(profile: Profile, probe: readonly ProbeEntry[]): Decision {
  const considered: Consideration[] = [];
  const candidates: EncoderInfo[] = [];
  for (const codec of profile.codecs) {
    const forCodec = ENCODERS.filter((e) => e.codec === codec).sort(
      (a, b) => Number(b.hardware) - Number(a.hardware),
    );
    for (const encoder of forCodec) {
      const reason = rejection(encoder, profile, probe);
      considered.push({
        encoder: encoder.name,
        codec,
        hardware: encoder.hardware,
        accepted: reason === null,
        reason: reason ?? acceptance(encoder, profile),
      });
      if (reason === null) candidates.push(encoder);
    }
  }
  return { profile: profile.name, chosen: candidates[0] ?? null, candidates, considered };
}

function rejection(encoder: EncoderInfo, profile: Profile, probe: readonly ProbeEntry[]): string | null {
  const entry = probe.find((p) => p.name === encoder.name);
  if (entry === undefined) return 'not probed';
  if (!entry.available) return `unavailable: ${entry.reason ?? 'unknown reason'}`;
  if (profile.width > encoder.maxWidth || profile.height > encoder.maxHeight) {
    return `${profile.width}x${profile.height} exceeds its maximum ${encoder.maxWidth}x${encoder.maxHeight}`;
  }
  if (profile.hdr && !encoder.tenBit) return 'HDR needs 10-bit, which it cannot encode';
  return null;
}

function acceptance(encoder: EncoderInfo, profile: Profile): string {
  const parts = [`${encoder.hardware ? 'hardware' : 'software'} ${encoder.codec} encoder works`];
  if (profile.lowLatency) {
    parts.push(
      encoder.runtimeBitrate
        ? 'bitrate changes apply live'
        : 'bitrate changes reopen the encoder (one keyframe each)',
    );
  }
  return parts.join('; ');
}
