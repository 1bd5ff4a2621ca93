/**
 * Reading packets straight from FFmpeg (`av_read_frame`), without the high-level demuxer's
 * read-ahead thread and timestamp rewriting, so that every pass over a file (analysis, segment
 * workers, audio, joining) sees the same timestamps, and a read error is reported as one instead of
 * looking like the end of the file.
 */
import type { Demuxer } from 'node-av/api';
import { Packet } from 'node-av/lib';
import { AVERROR_EAGAIN, AVERROR_EOF, AVSEEK_FLAG_BACKWARD } from 'node-av/constants';
import { QuadStreamError } from '../core/errors.ts';
import { avErrorText } from './av-error.ts';

/**
 * Yields every packet of the file from the current position. The yielded packet is reused: it is
 * valid until the next iteration (clone it to keep it). A read failure other than the end of the
 * file throws an `input.read-failed` error naming `subject`.
 */
export async function* readPackets(
  demuxer: Demuxer,
  subject: string,
  signal?: AbortSignal,
): AsyncGenerator<Packet, void, undefined> {
  const fmt = demuxer.getFormatContext();
  using packet = new Packet();
  packet.alloc();
  for (;;) {
    signal?.throwIfAborted();
    const ret = await fmt.readFrame(packet);
    if (ret === AVERROR_EOF) return;
    if (ret === AVERROR_EAGAIN) continue;
    if (ret < 0) {
      throw new QuadStreamError(
        'input',
        'input.read-failed',
        `${subject}: reading failed: ${avErrorText(ret)}`,
        {
          subject,
        },
      );
    }
    try {
      yield packet;
    } finally {
      packet.unref();
    }
  }
}

/**
 * Seeks `demuxer` so that the next packets of stream `streamIndex` start at a keyframe at or before
 * `pts` (in that stream's time base). Returns false when the container cannot seek there.
 */
export async function seekBefore(demuxer: Demuxer, streamIndex: number, pts: bigint): Promise<boolean> {
  const ret = await demuxer.getFormatContext().seekFrame(streamIndex, pts, AVSEEK_FLAG_BACKWARD);
  return ret >= 0;
}
