/**
 * Routes FFmpeg's own log (av_log) into the project's logger instead of stderr. By default FFmpeg
 * is quiet; `QUADSTREAM_FFMPEG_LOG=error|warning|info|debug` or {@link setFfmpegLogLevel} lets its
 * messages through, at the matching pino level, under `component: "ffmpeg"`.
 */
import { Log } from 'node-av/lib';
import {
  AV_LOG_DEBUG,
  AV_LOG_ERROR,
  AV_LOG_INFO,
  AV_LOG_QUIET,
  AV_LOG_WARNING,
  type AVLogLevel,
} from 'node-av/constants';
import { logger } from '../log.ts';

export const FFMPEG_LOG_LEVELS = ['quiet', 'error', 'warning', 'info', 'debug'] as const;
export type FfmpegLogLevel = (typeof FFMPEG_LOG_LEVELS)[number];

const AV_LEVEL: Record<FfmpegLogLevel, AVLogLevel> = {
  quiet: AV_LOG_QUIET,
  error: AV_LOG_ERROR,
  warning: AV_LOG_WARNING,
  info: AV_LOG_INFO,
  debug: AV_LOG_DEBUG,
};

const ffmpegLogger = logger.child({ component: 'ffmpeg' });
let installed = false;

/** Sets how much of FFmpeg's log reaches the project's logger. */
export function setFfmpegLogLevel(level: FfmpegLogLevel): void {
  Log.setLevel(AV_LEVEL[level]);
  if (level === 'quiet') {
    Log.setCallback(null);
    installed = false;
    return;
  }
  if (installed) return;
  installed = true;
  Log.setCallback(
    (avLevel, message) => {
      const text = message.trimEnd();
      if (text === '') return;
      if (avLevel <= AV_LOG_ERROR) ffmpegLogger.error(text);
      else if (avLevel <= AV_LOG_WARNING) ffmpegLogger.warn(text);
      else if (avLevel <= AV_LOG_INFO) ffmpegLogger.info(text);
      else ffmpegLogger.debug(text);
    },
    { maxLevel: AV_LEVEL[level] },
  );
}

/** Applies the level from the environment once; called by every media entry point. */
export function ensureFfmpegLog(): void {
  if (configured) return;
  configured = true;
  // SVT-AV1 prints its banner and warnings to stdout unless told otherwise (1 = errors only).
  process.env['SVT_LOG'] ??= '1';
  const wanted = process.env['QUADSTREAM_FFMPEG_LOG'] ?? 'quiet';
  setFfmpegLogLevel(
    (FFMPEG_LOG_LEVELS as readonly string[]).includes(wanted) ? (wanted as FfmpegLogLevel) : 'quiet',
  );
}
let configured = false;
