/**
 * Opening inputs: files, and FFmpeg's lavfi test sources written `lavfi:testsrc2=size=…`.
 * Failures become one-line input errors that name the file and what is wrong with it.
 */
import { stat } from 'node:fs/promises';
import { Demuxer } from 'node-av/api';
import type { Stream } from 'node-av/lib';
import {
  AVMEDIA_TYPE_AUDIO,
  AVMEDIA_TYPE_SUBTITLE,
  AVMEDIA_TYPE_VIDEO,
  AVMEDIA_TYPE_DATA,
} from 'node-av/constants';
import { QuadStreamError } from '../core/errors.ts';
import { avErrorText } from './av-error.ts';
import { ensureFfmpegLog } from './ffmpeg-log.ts';

const LAVFI_PREFIX = 'lavfi:';

/** True when `input` names a lavfi source graph rather than a file. */
export function isLavfi(input: string): boolean {
  return input.startsWith(LAVFI_PREFIX);
}

/** Opens a file or `lavfi:GRAPH` for demuxing. The caller closes it (`await using`). */
export async function openInput(input: string): Promise<Demuxer> {
  ensureFfmpegLog();
  if (isLavfi(input)) {
    try {
      return await Demuxer.open(input.slice(LAVFI_PREFIX.length), { format: 'lavfi' });
    } catch (cause) {
      throw new QuadStreamError(
        'input',
        'input.bad-lavfi',
        `${input}: not a valid lavfi source (${firstLine(cause)})`,
        {
          cause,
          subject: input,
        },
      );
    }
  }
  let info;
  try {
    info = await stat(input);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : `cannot read (${code ?? 'error'})`;
    throw new QuadStreamError('input', 'input.unreadable', `${input}: ${why}`, { cause, subject: input });
  }
  if (info.isDirectory())
    throw new QuadStreamError('input', 'input.unreadable', `${input}: is a directory, not a video file`, {
      subject: input,
    });
  if (info.size === 0)
    throw new QuadStreamError('input', 'input.not-media', `${input}: file is empty`, { subject: input });
  let demuxer: Demuxer;
  try {
    demuxer = await Demuxer.open(input);
  } catch (cause) {
    throw new QuadStreamError(
      'input',
      'input.not-media',
      `${input}: not a media file FFmpeg can read (${firstLine(cause)})`,
      {
        cause,
        subject: input,
      },
    );
  }
  // FFmpeg's `tty` demuxer turns any text file into "ANSI art" video; nobody means that.
  if (TEXT_FORMATS.has(demuxer.formatName)) {
    await demuxer.close();
    throw new QuadStreamError(
      'input',
      'input.not-media',
      `${input}: not a media file FFmpeg can read (it is text)`,
      {
        subject: input,
      },
    );
  }
  return demuxer;
}

const TEXT_FORMATS = new Set(['tty']);

/** The input's best video stream, or an input error listing what the file has instead. */
export function videoStreamOf(demuxer: Demuxer, input: string): Stream {
  const video = demuxer.video();
  if (video !== undefined) return video;
  const kinds = demuxer.streams.map((s) => {
    const t = s.codecpar.codecType;
    if (t === AVMEDIA_TYPE_AUDIO) return 'audio';
    if (t === AVMEDIA_TYPE_SUBTITLE) return 'subtitle';
    if (t === AVMEDIA_TYPE_DATA) return 'data';
    if (t === AVMEDIA_TYPE_VIDEO) return 'video';
    return 'other';
  });
  throw new QuadStreamError(
    'input',
    'input.no-video',
    `${input}: no video stream (found: ${kinds.length === 0 ? 'no streams' : kinds.join(', ')})`,
    { subject: input },
  );
}

function firstLine(cause: unknown): string {
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'number' && code < 0) return avErrorText(code);
    return cause.message.split('\n')[0] ?? 'error';
  }
  return String(cause);
}
