/**
 * Entry point of a segment worker thread: receives jobs, validates them, runs the same job code
 * as the inline transport, and posts progress and the outcome back. A test-only crash fault exits
 * this thread (not the process), which the transport sees as a crashed worker.
 */
import { parentPort } from 'node:worker_threads';
import { isQuadStreamError, describeError } from '../core/errors.ts';
import { parseSegmentJob } from './job.ts';
import { runSegmentJob } from './segment-encoder.ts';
import type { WorkerMessage, WorkerRequest } from './transport.ts';

const port = parentPort;
if (port === null) throw new Error('worker-thread.ts must run in a worker thread');

/** Exit code of a worker thread that crashed on purpose (test-only fault). */
const CRASH_EXIT_CODE = 70;

port.on('message', (request: WorkerRequest) => {
  void handle(request);
});

async function handle(request: WorkerRequest): Promise<void> {
  const post = (message: WorkerMessage): void => port!.postMessage(message);
  try {
    const job = parseSegmentJob(request.job);
    const result = await runSegmentJob(job, {
      onProgress: (frames) => post({ type: 'progress', frames }),
      crash: () => process.exit(CRASH_EXIT_CODE),
    });
    post({ type: 'done', result });
  } catch (error) {
    post({
      type: 'failed',
      error: isQuadStreamError(error)
        ? { kind: error.kind, code: error.code, message: error.message }
        : { kind: 'internal', code: 'segment.internal', message: describeError(error) },
    });
  }
}
