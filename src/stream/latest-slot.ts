/**
 * A one-item mailbox between a live producer and a slower consumer: the newest item wins. Putting
 * an item while one is waiting drops the waiting one (handed to `onDrop`, which releases it), so
 * the consumer always gets the freshest frame and latency never builds up between the stages.
 */

/** A one-slot, newest-wins handoff. */
export class LatestSlot<T> {
  #item: T | undefined;
  #waiter: ((item: T) => void) | undefined;
  readonly #onDrop: (item: T) => void;
  #dropped = 0;
  #emptyWaiters: (() => void)[] = [];

  /** `onDrop` receives each item that was replaced before it was taken. */
  constructor(onDrop: (item: T) => void) {
    this.#onDrop = onDrop;
  }

  /** Items replaced before the consumer took them. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Hands `item` to a waiting consumer, or leaves it in the slot (dropping an older one). */
  put(item: T): void {
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      waiter(item);
      return;
    }
    if (this.#item !== undefined) {
      this.#dropped++;
      this.#onDrop(this.#item);
    }
    this.#item = item;
  }

  /** The item in the slot, or the next one put; rejects with the signal's reason on abort. */
  take(signal: AbortSignal): Promise<T> {
    signal.throwIfAborted();
    const item = this.#item;
    if (item !== undefined) {
      this.#item = undefined;
      this.#notifyEmpty();
      return Promise.resolve(item);
    }
    if (this.#waiter !== undefined) return Promise.reject(new Error('LatestSlot: one consumer at a time'));
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => {
        this.#waiter = undefined;
        reject(signal.reason as Error);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiter = (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      };
    });
  }

  /**
   * Resolves once the slot is empty (its item was taken or dropped), at once if it is; rejects
   * with the signal's reason on abort. Lets a producer that can wait (an on-demand source) make
   * its next item only when the consumer is ready for it.
   */
  waitEmpty(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    if (this.#item === undefined) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => reject(signal.reason as Error);
      signal.addEventListener('abort', onAbort, { once: true });
      this.#emptyWaiters.push(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }

  #notifyEmpty(): void {
    const waiters = this.#emptyWaiters;
    this.#emptyWaiters = [];
    for (const w of waiters) w();
  }

  /** Drops the item left in the slot, if any (at shutdown). */
  clear(): void {
    const item = this.#item;
    this.#item = undefined;
    if (item !== undefined) this.#onDrop(item);
    this.#notifyEmpty();
  }
}
