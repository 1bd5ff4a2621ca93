/**
 * Which codecs the server can stream and with which encoders: the probe's working encoders,
 * ordered by the codec manager's decision (hardware first), for each codec in the order browsers
 * decode best (H.264, VP9, AV1; HEVC last, as most browsers cannot decode it in software).
 */
import { QuadStreamError } from '../core/errors.ts';
import type { Codec } from '../core/units.ts';
import { decideEncoder } from '../encode/decision.ts';
import type { ProbeEntry } from '../encode/probe-types.ts';
import type { Profile } from '../encode/profiles.ts';
import type { CodecPlan } from './hub.ts';

/** The server's codec preference when the user does not force one. */
export const STREAM_CODEC_ORDER: readonly Codec[] = ['h264', 'vp9', 'av1', 'hevc'];

/** The codecs to offer, with candidates; a `config` error when a forced codec has no encoder. */
export function codecPlans(
  probe: readonly ProbeEntry[],
  stream: {
    width: number;
    height: number;
    fps: number;
    bitrateBps: number;
    minBitrateBps: number;
    maxBitrateBps: number;
  },
  forced?: Codec,
): CodecPlan[] {
  const plans: CodecPlan[] = [];
  for (const codec of forced === undefined ? STREAM_CODEC_ORDER : [forced]) {
    const profile: Profile = {
      name: 'serve',
      width: stream.width,
      height: stream.height,
      fps: stream.fps,
      targetBitrateBps: stream.bitrateBps,
      minBitrateBps: stream.minBitrateBps,
      maxBitrateBps: stream.maxBitrateBps,
      lowLatency: true,
      hdr: false,
      bFrames: false,
      codecs: [codec],
      description: 'live stream',
    };
    const decision = decideEncoder(profile, probe);
    if (decision.candidates.length > 0) plans.push({ codec, candidates: decision.candidates });
    else if (forced !== undefined) {
      const why = decision.considered.map((c) => `${c.encoder}: ${c.reason}`).join('; ');
      throw new QuadStreamError('config', 'serve.no-encoder', `no working ${codec} encoder here (${why})`);
    }
  }
  if (plans.length === 0)
    throw new QuadStreamError(
      'config',
      'serve.no-encoder',
      'no working encoder for any codec (run quadstream probe)',
    );
  return plans;
}
