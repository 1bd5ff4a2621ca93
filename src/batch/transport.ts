/**
 * Job transports: how a segment job reaches the code that runs it. `InlineTransport` calls it in
 * this thread (`--workers 1`); `ThreadTransport` runs it in a worker thread, and turns a worker that
 * dies or stops reporting into a failed attempt (never a hang). A distributed transport (a queue on
 * Redis) would implement the same interface.
 */
import { Worker } from 'node:worker_threads';
import { QuadStreamError, describeError, type ErrorKind, ERROR_KINDS } from '../core/errors.ts';
import type { SegmentJob, SegmentResult } from './job.ts';
import { runSegmentJob } from './segment-encoder.ts';

/** Runs segment jobs one at a time. */
export interface JobTransport extends AsyncDisposable {
  /**
   * Runs `job`, reporting encoded frames through `onProgress`. Rejects with the job's error, or
   * with `segment.worker-crashed` / `segment.stalled` when the worker dies or goes silent.
   */
  run(job: SegmentJob, onProgress: (frames: number) => void, signal: AbortSignal): Promise<SegmentResult>;
}

/** Runs jobs in the calling thread. */
export class InlineTransport implements JobTransport {
  /** Runs `job` here. */
  run(job: SegmentJob, onProgress: (frames: number) => void, signal: AbortSignal): Promise<SegmentResult> {
    return runSegmentJob(job, { onProgress, signal });
  }

  async [Symbol.asyncDispose](): Promise<void> {}
}

/** Messages from the worker thread (see worker-thread.ts). */
export type WorkerMessage =
  | { readonly type: 'progress'; readonly frames: number }
  | { readonly type: 'done'; readonly result: SegmentResult }
  | {
      readonly type: 'failed';
      readonly error: { readonly kind: string; readonly code: string; readonly message: string };
    };

/** Messages to the worker thread. */
export interface WorkerRequest {
  readonly type: 'run';
  readonly job: SegmentJob;
}

/** Options for {@link ThreadTransport}. */
export interface ThreadTransportOptions {
  /** A worker that sends nothing for this long is stopped and its attempt fails. */
  readonly stallTimeoutMs: number;
}

const WORKER_URL = new URL('./worker-thread.ts', import.meta.url);

/** Runs jobs in one worker thread, replaced after a crash. */
export class ThreadTransport implements JobTransport {
  readonly #options: ThreadTransportOptions;
  #worker: Worker | null = null;
  #busy = false;

  constructor(options: ThreadTransportOptions) {
    this.#options = options;
  }

  /** Runs `job` in the worker thread (started on first use, restarted after a crash). */
  run(job: SegmentJob, onProgress: (frames: number) => void, signal: AbortSignal): Promise<SegmentResult> {
    if (this.#busy) {
      return Promise.reject(
        new QuadStreamError('internal', 'transport.busy', 'worker is already running a job'),
      );
    }
    this.#busy = true;
    const worker = (this.#worker ??= new Worker(WORKER_URL));
    return new Promise<SegmentResult>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const arm = (): void => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          finish(
            new QuadStreamError(
              'encode',
              'segment.stalled',
              `segment ${job.segment}: worker sent nothing for ${this.#options.stallTimeoutMs / 1000} s; stopped`,
            ),
          );
          void this.#kill();
        }, this.#options.stallTimeoutMs);
      };
      const finish = (outcome: SegmentResult | Error): void => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        signal.removeEventListener('abort', onAbort);
        this.#busy = false;
        if (outcome instanceof Error) reject(outcome);
        else resolve(outcome);
      };
      const onMessage = (message: WorkerMessage): void => {
        arm();
        if (message.type === 'progress') onProgress(message.frames);
        else if (message.type === 'done') finish(message.result);
        else finish(revive(message.error));
      };
      const onError = (error: Error): void => {
        this.#worker = null;
        finish(
          new QuadStreamError(
            'encode',
            'segment.worker-crashed',
            `segment ${job.segment}: worker crashed: ${describeError(error)}`,
            {
              cause: error,
            },
          ),
        );
      };
      const onExit = (code: number): void => {
        this.#worker = null;
        finish(
          new QuadStreamError(
            'encode',
            'segment.worker-crashed',
            `segment ${job.segment}: worker exited with code ${code} mid-job`,
          ),
        );
      };
      const onAbort = (): void => {
        finish(new QuadStreamError('encode', 'segment.cancelled', `segment ${job.segment}: cancelled`));
        void this.#kill();
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      signal.addEventListener('abort', onAbort, { once: true });
      arm();
      worker.postMessage({ type: 'run', job } satisfies WorkerRequest);
    });
  }

  async #kill(): Promise<void> {
    const w = this.#worker;
    this.#worker = null;
    if (w !== null) await w.terminate();
  }

  /** Stops the worker thread. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.#kill();
  }
}

/** Rebuilds an error sent from a worker thread. */
function revive(e: { kind: string; code: string; message: string }): QuadStreamError {
  const kind: ErrorKind = (ERROR_KINDS as readonly string[]).includes(e.kind)
    ? (e.kind as ErrorKind)
    : 'internal';
  return new QuadStreamError(kind, e.code, e.message);
}
