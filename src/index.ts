/**
 * QuadStream's library API. Everything a program needs to probe encoders, choose one for a
 * profile, and run an encoder session; the CLI is a thin shell over these.
 */
export { QuadStreamError, isQuadStreamError, ERROR_KINDS, type ErrorKind } from './core/errors.ts';
export { CODECS, type Codec, parseBitrateBps, formatBitrate, parseSize } from './core/units.ts';
export {
  ENCODERS,
  findEncoder,
  softwareEncoderFor,
  type EncoderInfo,
  type EncoderApi,
} from './encode/catalogue.ts';
export { probeEncoders, defaultCacheDir, type ProbeOptions } from './encode/probe.ts';
export type { ProbeEntry, ProbeReport } from './encode/probe-types.ts';
export {
  BUILTIN_PROFILES,
  findProfile,
  loadProfilesFile,
  mergeProfiles,
  parseProfiles,
  type Profile,
} from './encode/profiles.ts';
export { decideEncoder, type Decision, type Consideration } from './encode/decision.ts';
export { resolveSettings, type EncodeIntent, type ResolvedSettings } from './encode/settings.ts';
export {
  EncoderSession,
  type EncoderSessionOptions,
  type SessionEvent,
  type SessionPacket,
} from './encode/session.ts';
export { decodedFrames, type DecodedFramesOptions } from './media/frames.ts';
export { inspectVideo, type VideoInspection } from './media/inspect.ts';
export { VideoFileWriter } from './media/video-writer.ts';
export { setFfmpegLogLevel, type FfmpegLogLevel } from './media/ffmpeg-log.ts';
