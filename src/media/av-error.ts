/**
 * Turns FFmpeg's negative return codes into {@link QuadStreamError}s, once, at the edge where
 * node-av is called, naming the operation.
 */
import { FFmpegError } from 'node-av/lib';
import { QuadStreamError, type ErrorKind } from '../core/errors.ts';

/** FFmpeg's text for an error code, e.g. `Invalid argument`. */
export function avErrorText(code: number): string {
  return FFmpegError.strerror(code);
}

/**
 * Throws when `ret` is negative: `operation failed: FFmpeg's message`. Returns `ret` otherwise so
 * calls can be chained.
 */
export function checkAv(
  ret: number,
  operation: string,
  kind: ErrorKind = 'encode',
  code = 'ffmpeg.failed',
  subject?: string,
): number {
  if (ret >= 0) return ret;
  const prefix = subject === undefined ? '' : `${subject}: `;
  throw new QuadStreamError(kind, code, `${prefix}${operation} failed: ${avErrorText(ret)}`, {
    cause: new FFmpegError(ret),
    ...(subject === undefined ? {} : { subject }),
  });
}
