/**
 * How many segment workers to run, and with how many encoder threads each. Pure: the machine's
 * figures are passed in.
 *
 * Rule: one worker per core, but no more workers than fit in 75% of the free memory (each needs
 * about `baseBytes + bytesPerMegapixel × megapixels`, measured per encoder), and no more than there
 * are segments. The encoders together get 1.5 threads per core, split across the workers (at least
 * one each, rounded up): the ratio encoders such as x264 pick for themselves, so that a thread
 * waiting on its neighbour (lookahead, the worker decoding its next frame) leaves the core to
 * another; segment parallelism does the rest instead of frame threading alone.
 */

/** Memory one encoder instance (plus its decoder and queues) needs, by encoder name. */
const MEMORY: Record<string, { readonly baseBytes: number; readonly bytesPerMegapixel: number }> = {
  libx264: { baseBytes: 80e6, bytesPerMegapixel: 120e6 },
  libx265: { baseBytes: 150e6, bytesPerMegapixel: 250e6 },
  libsvtav1: { baseBytes: 300e6, bytesPerMegapixel: 500e6 },
  'libvpx-vp9': { baseBytes: 100e6, bytesPerMegapixel: 150e6 },
};
const DEFAULT_MEMORY = { baseBytes: 200e6, bytesPerMegapixel: 300e6 };

/** Encoder threads per core, all workers together. */
export const THREADS_PER_CORE = 1.5;

/** The machine and the job. */
export interface WorkerSizingInput {
  readonly cores: number;
  readonly freeMemoryBytes: number;
  readonly encoder: string;
  readonly width: number;
  readonly height: number;
  readonly segments: number;
  /** `--workers`, if given. */
  readonly requested?: number;
  /** `--threads` (encoder threads per worker), if given. */
  readonly requestedThreads?: number;
}

/** The decision, with the reason in words for the report. */
export interface WorkerSizing {
  readonly workers: number;
  readonly threadsPerWorker: number;
  readonly reason: string;
}

/** Decides workers and threads; see the module comment. */
export function sizeWorkers(input: WorkerSizingInput): WorkerSizing {
  const cores = Math.max(1, Math.floor(input.cores));
  const mem = MEMORY[input.encoder] ?? DEFAULT_MEMORY;
  const perWorker = mem.baseBytes + (mem.bytesPerMegapixel * input.width * input.height) / 1e6;
  const byMemory = Math.max(1, Math.floor((0.75 * input.freeMemoryBytes) / perWorker));
  const segments = Math.max(1, input.segments);
  const threads = (workers: number): number =>
    input.requestedThreads !== undefined
      ? Math.max(1, Math.floor(input.requestedThreads))
      : Math.max(1, Math.ceil((THREADS_PER_CORE * cores) / workers));
  if (input.requested !== undefined) {
    const workers = Math.max(1, Math.floor(input.requested));
    return { workers, threadsPerWorker: threads(workers), reason: `--workers ${workers}` };
  }
  const workers = Math.min(cores, byMemory, segments);
  const limit =
    workers === segments && segments < Math.min(cores, byMemory)
      ? `${segments} segments`
      : workers === byMemory && byMemory < cores
        ? `memory (${(perWorker / 1e6).toFixed(0)} MB per worker)`
        : `${cores} cores`;
  return { workers, threadsPerWorker: threads(workers), reason: `limited by ${limit}` };
}
