/**
 * Progress of the encode phase: frames done per worker and in total, throughput over a rolling
 * window, and the time left. Pure: the caller passes the time of every update and snapshot.
 */

/** Seconds of history the throughput is measured over. */
export const RATE_WINDOW_S = 5;

/** One worker's state. */
export interface WorkerProgress {
  readonly worker: number;
  /** Segment being encoded, or null when idle. */
  readonly segment: number | null;
  /** Frames encoded of that segment. */
  readonly frames: number;
  /** Frames per second of this worker over the window. */
  readonly fps: number;
}

/** A snapshot for displays and NDJSON events. */
export interface ProgressSnapshot {
  readonly framesDone: number;
  readonly framesTotal: number;
  /** Frames per second over the last {@link RATE_WINDOW_S} seconds. */
  readonly fps: number;
  /** Seconds left at that rate, or null before there is a rate. */
  readonly etaS: number | null;
  readonly workers: readonly WorkerProgress[];
}

interface WorkerState {
  segment: number | null;
  frames: number;
  doneFrames: number;
  readonly samples: Sample[];
}

interface Sample {
  readonly tMs: number;
  readonly frames: number;
}

/** Tracks progress; see the module comment. */
export class ProgressTracker {
  readonly #total: number;
  #finished = 0;
  readonly #workers: WorkerState[];
  readonly #samples: Sample[] = [];

  /** `framesTotal` counts every frame to encode this run; `framesAlready` those reused. */
  constructor(workers: number, framesTotal: number, framesAlready: number) {
    this.#total = framesTotal;
    this.#finished = framesAlready;
    this.#workers = Array.from({ length: workers }, () => ({
      segment: null,
      frames: 0,
      samples: [],
      doneFrames: 0,
    }));
  }

  /** Worker `worker` started `segment`. */
  start(worker: number, segment: number, nowMs: number): void {
    const w = this.#worker(worker);
    w.segment = segment;
    w.frames = 0;
    this.#record(nowMs);
  }

  /** Worker `worker` has encoded `frames` frames of its segment. */
  progress(worker: number, frames: number, nowMs: number): void {
    this.#worker(worker).frames = frames;
    this.#record(nowMs);
  }

  /** Worker `worker` finished its segment (`ok`), or the attempt failed (its frames do not count). */
  end(worker: number, frames: number, ok: boolean, nowMs: number): void {
    const w = this.#worker(worker);
    if (ok) {
      this.#finished += frames;
      w.doneFrames += frames;
    }
    w.segment = null;
    w.frames = 0;
    this.#record(nowMs);
  }

  /** The current state. */
  snapshot(nowMs: number): ProgressSnapshot {
    const done = this.#done();
    const fps = rate(this.#samples, nowMs);
    const left = Math.max(0, this.#total - done);
    return {
      framesDone: done,
      framesTotal: this.#total,
      fps,
      etaS: fps > 0 ? left / fps : null,
      workers: this.#workers.map((w, worker) => ({
        worker,
        segment: w.segment,
        frames: w.frames,
        fps: rate(w.samples, nowMs),
      })),
    };
  }

  #done(): number {
    return this.#finished + this.#workers.reduce((a, w) => a + w.frames, 0);
  }

  #worker(index: number): WorkerState {
    const w = this.#workers[index];
    if (w === undefined) throw new RangeError(`no worker ${index}`);
    return w;
  }

  #record(nowMs: number): void {
    push(this.#samples, { tMs: nowMs, frames: this.#done() }, nowMs);
    for (const w of this.#workers) push(w.samples, { tMs: nowMs, frames: w.doneFrames + w.frames }, nowMs);
  }
}

function push(samples: Sample[], s: Sample, nowMs: number): void {
  samples.push(s);
  // Keep one sample older than the window so the rate spans the whole window.
  while (samples.length > 2 && samples[1]!.tMs <= nowMs - RATE_WINDOW_S * 1000) samples.shift();
}

function rate(samples: readonly Sample[], nowMs: number): number {
  const first = samples[0];
  const last = samples.at(-1);
  if (first === undefined || last === undefined) return 0;
  const dt = (Math.max(nowMs, last.tMs) - first.tMs) / 1000;
  return dt > 0 ? Math.max(0, last.frames - first.frames) / dt : 0;
}
