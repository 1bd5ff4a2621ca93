/**
 * The worker pool: runs segment jobs on a set of transports (one per worker), in the order given
 * (the caller puts the longest first), retrying a failed job up to `maxAttempts` times with every
 * cause kept. When a job fails for the last time the run stops: jobs in flight are cancelled and
 * the error names the segment and each attempt's cause.
 */
import { QuadStreamError, describeError } from '../core/errors.ts';
import type { SegmentJob, SegmentResult } from './job.ts';
import type { JobTransport } from './transport.ts';

/** What happens in the pool, for progress displays and the journal. */
export type PoolEvent =
  | {
      readonly type: 'segment-start';
      readonly segment: number;
      readonly worker: number;
      readonly attempt: number;
      readonly frames: number;
    }
  | {
      readonly type: 'segment-progress';
      readonly segment: number;
      readonly worker: number;
      readonly frames: number;
    }
  | {
      readonly type: 'segment-done';
      readonly segment: number;
      readonly worker: number;
      readonly attempt: number;
      readonly frames: number;
      readonly seconds: number;
    }
  | {
      readonly type: 'segment-failed';
      readonly segment: number;
      readonly worker: number;
      readonly attempt: number;
      readonly cause: string;
      readonly retry: boolean;
    };

/** Per-worker figures. */
export interface WorkerStats {
  readonly worker: number;
  readonly segments: number;
  readonly frames: number;
  /** Milliseconds spent running jobs (successful or not). */
  readonly busyMs: number;
}

/** Options for {@link runPool}. */
export interface PoolOptions {
  readonly jobs: readonly SegmentJob[];
  readonly transports: readonly JobTransport[];
  readonly maxAttempts: number;
  readonly onEvent?: (event: PoolEvent) => void;
  /**
   * Called after each finished segment (e.g. to update the journal) before the worker takes its
   * next job. If it throws, the run stops with that error (a segment is not encoded again for it).
   */
  readonly onResult?: (result: SegmentResult, failures: readonly string[]) => Promise<void>;
  readonly signal?: AbortSignal;
  /** Clock in milliseconds (monotonic). */
  readonly nowMs: () => number;
}

/** What the pool did. */
export interface PoolResult {
  readonly results: readonly SegmentResult[];
  /** Causes of failed attempts, per segment (empty for segments that succeeded first time). */
  readonly failures: ReadonlyMap<number, readonly string[]>;
  readonly workers: readonly WorkerStats[];
}

/** Runs every job; see the module comment. */
export async function runPool(options: PoolOptions): Promise<PoolResult> {
  const queue = [...options.jobs];
  const failures = new Map<number, string[]>();
  const results: SegmentResult[] = [];
  const stop = new AbortController();
  const onOuterAbort = (): void => stop.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  // Written from the slots; an object so the compiler does not narrow it to its initial value.
  const outcome: { fatal: Error | null } = { fatal: null };

  const stats = options.transports.map((_, worker) => ({ worker, segments: 0, frames: 0, busyMs: 0 }));
  const emit = (e: PoolEvent): void => options.onEvent?.(e);

  const slot = async (worker: number, transport: JobTransport): Promise<void> => {
    const stat = stats[worker]!;
    for (;;) {
      if (stop.signal.aborted) return;
      const job = queue.shift();
      if (job === undefined) return;
      emit({ type: 'segment-start', segment: job.segment, worker, attempt: job.attempt, frames: job.frames });
      const started = options.nowMs();
      let result: SegmentResult;
      try {
        result = await transport.run(
          job,
          (frames) => emit({ type: 'segment-progress', segment: job.segment, worker, frames }),
          stop.signal,
        );
        stat.busyMs += options.nowMs() - started;
        stat.segments++;
        stat.frames += result.frames;
        results.push(result);
      } catch (error) {
        stat.busyMs += options.nowMs() - started;
        if (stop.signal.aborted) return;
        const cause = describeError(error);
        const causes = failures.get(job.segment) ?? [];
        causes.push(cause);
        failures.set(job.segment, causes);
        const retry = job.attempt < options.maxAttempts;
        emit({ type: 'segment-failed', segment: job.segment, worker, attempt: job.attempt, cause, retry });
        if (retry) {
          // Retried next, by whichever worker is free first.
          queue.unshift({ ...job, attempt: job.attempt + 1 });
        } else {
          outcome.fatal = new QuadStreamError(
            'encode',
            'segment.failed',
            `segment ${job.segment} (frames ${job.startFrame}–${job.startFrame + job.frames - 1}) failed ${job.attempt} times: ${causes
              .map((c, i) => `attempt ${i + 1}: ${c}`)
              .join('; ')}`,
            { cause: error },
          );
          stop.abort(outcome.fatal);
          return;
        }
        continue;
      }
      // Recording the result is not the segment's failure: if it fails, the run stops.
      try {
        await options.onResult?.(result, failures.get(job.segment) ?? []);
      } catch (error) {
        outcome.fatal = error instanceof Error ? error : new Error(String(error));
        stop.abort(outcome.fatal);
        return;
      }
      emit({
        type: 'segment-done',
        segment: job.segment,
        worker,
        attempt: job.attempt,
        frames: result.frames,
        seconds: result.seconds,
      });
    }
  };

  try {
    await Promise.all(options.transports.map((t, i) => slot(i, t)));
  } finally {
    options.signal?.removeEventListener('abort', onOuterAbort);
  }
  if (outcome.fatal !== null) throw outcome.fatal;
  options.signal?.throwIfAborted();
  return { results, failures, workers: stats };
}
