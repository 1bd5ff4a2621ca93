/**
 * A pool of worker threads that measure VMAF frames in parallel. Motion needs the previous
 * reference frame, so every request carries it: frames are independent jobs and any worker can
 * take any frame; motion2 and the model are applied afterwards on the caller's thread
 * ({@link assembleVmafResult}).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { FrameMeasurement } from './vmaf.ts';

/** A frame for a worker to measure (tightly packed planes, `width * height` bytes each). */
export interface PoolRequest {
  readonly id: number;
  readonly index: number;
  readonly width: number;
  readonly height: number;
  readonly ref: Uint8Array;
  /** Null when the frame is skipped by subsampling (only motion is measured). */
  readonly dis: Uint8Array | null;
  /** The previous reference frame; null for the first frame. */
  readonly prevRef: Uint8Array | null;
}

/** A worker's answer to one {@link PoolRequest}. */
export type PoolResponse =
  | { readonly id: number; readonly ok: true; readonly measurement: FrameMeasurement }
  | { readonly id: number; readonly ok: false; readonly message: string };

/** One less than the available cores (the decoder needs one), at least 1. */
export function defaultThreadCount(): number {
  return Math.max(1, availableParallelism() - 1);
}

interface Pending {
  readonly resolve: (m: FrameMeasurement) => void;
  readonly reject: (e: Error) => void;
  readonly worker: Worker;
}

/**
 * Measures frames on `threads` worker threads. At most `2 * threads` frames are in flight;
 * {@link measure} waits for a free slot before sending, which is the producer's back-pressure.
 * If a worker dies, every in-flight and later request is rejected.
 */
export class VmafPool implements AsyncDisposable {
  readonly threads: number;
  readonly #workers: Worker[] = [];
  readonly #load = new Map<Worker, number>();
  readonly #pending = new Map<number, Pending>();
  readonly #waiters: (() => void)[] = [];
  #nextId = 0;
  #failure: Error | undefined;
  #closed = false;

  constructor(threads: number) {
    if (!Number.isInteger(threads) || threads < 1)
      throw new RangeError(`threads must be >= 1, got ${threads}`);
    this.threads = threads;
    for (let i = 0; i < threads; ++i) {
      const worker = new Worker(new URL('./pool-worker.ts', import.meta.url));
      worker.on('message', (response: PoolResponse) => this.#settle(worker, response));
      worker.on('error', (error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        this.#fail(new Error(`VMAF worker failed: ${message}`, { cause: error }));
      });
      worker.on('exit', (code) => {
        if (!this.#closed) this.#fail(new Error(`VMAF worker exited with code ${code}`));
      });
      this.#workers.push(worker);
      this.#load.set(worker, 0);
    }
  }

  /** Sends one frame to the least busy worker and resolves with its measurement. */
  async measure(request: Omit<PoolRequest, 'id'>): Promise<FrameMeasurement> {
    while (this.#pending.size >= 2 * this.threads && this.#failure === undefined) {
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
    if (this.#failure !== undefined) throw this.#failure;
    if (this.#closed) throw new Error('VMAF pool is closed');
    let worker = this.#workers[0] as Worker;
    for (const w of this.#workers) if ((this.#load.get(w) ?? 0) < (this.#load.get(worker) ?? 0)) worker = w;
    const id = this.#nextId++;
    this.#load.set(worker, (this.#load.get(worker) ?? 0) + 1);
    const result = new Promise<FrameMeasurement>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, worker });
    });
    worker.postMessage({ ...request, id } satisfies PoolRequest);
    return result;
  }

  #settle(worker: Worker, response: PoolResponse): void {
    const pending = this.#pending.get(response.id);
    if (pending === undefined) return;
    this.#pending.delete(response.id);
    this.#load.set(worker, (this.#load.get(worker) ?? 1) - 1);
    if (response.ok) pending.resolve(response.measurement);
    else pending.reject(new Error(response.message));
    this.#waiters.shift()?.();
  }

  #fail(error: Error): void {
    if (this.#failure !== undefined) return;
    this.#failure = error;
    for (const p of this.#pending.values()) p.reject(error);
    this.#pending.clear();
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** Terminates the workers; pending requests are rejected. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#fail(new Error('VMAF pool is closed'));
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
