/**
 * Reads one frame ahead from a generator of borrowed frames (valid only until its next step):
 * each frame is referenced (`clone()`, no pixel copy) before the generator moves on, so the next
 * frame can be produced while the current one is in use.
 */
import type { Frame } from 'node-av/lib';
import { QuadStreamError } from '../core/errors.ts';

/** A one-frame read-ahead over `frames`. */
export class ReadAhead implements AsyncDisposable {
  readonly #frames: AsyncGenerator<Frame>;
  #pending: Promise<Frame | null> | undefined;

  constructor(frames: AsyncGenerator<Frame>) {
    this.#frames = frames;
    this.#pending = this.#pull();
  }

  async #pull(): Promise<Frame | null> {
    const r = await this.#frames.next();
    if (r.done === true) return null;
    const own = r.value.clone();
    if (own === null) throw new QuadStreamError('internal', 'capture.clone', 'cannot reference a frame');
    return own;
  }

  /** The next frame (owned by the caller: free it), or `null` at the end; starts reading the one after. */
  async next(): Promise<Frame | null> {
    const current = this.#pending ?? Promise.resolve(null);
    this.#pending = undefined;
    const frame = await current;
    if (frame !== null) this.#pending = this.#pull();
    return frame;
  }

  /** Frees a frame read ahead and not taken, and ends the generator. */
  async close(): Promise<void> {
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending !== undefined)
      await pending.then(
        (f) => f?.free(),
        () => undefined,
      );
    await this.#frames.return(undefined);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
