/**
 * Reads one frame ahead: the next frame is produced while the current one is in use (rendered
 * ahead for the test source, decoded ahead for files), so that at a frame's due time it is ready.
 */
import type { Frame } from 'node-av/lib';

/** A one-frame read-ahead over a function that produces owned frames (`null` at the end). */
export class ReadAhead implements AsyncDisposable {
  readonly #read: () => Promise<Frame | null>;
  #pending: Promise<Frame | null> | undefined;

  constructor(read: () => Promise<Frame | null>) {
    this.#read = read;
    this.#pending = read();
  }

  /** The next frame (owned by the caller: free it), or `null` at the end; starts reading the one after. */
  async next(): Promise<Frame | null> {
    const current = this.#pending ?? Promise.resolve(null);
    this.#pending = undefined;
    const frame = await current;
    if (frame !== null) this.#pending = this.#read();
    return frame;
  }

  /** Waits for a frame read ahead and not taken, and frees it. */
  async close(): Promise<void> {
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending !== undefined)
      await pending.then(
        (f) => f?.free(),
        () => undefined,
      );
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
