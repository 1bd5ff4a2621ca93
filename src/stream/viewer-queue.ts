/**
 * A viewer's send queue, bounded in milliseconds of media. Pure: no sockets, no clock.
 *
 * Drop policy: when the queued media (from the oldest frame's capture time to the newest one's,
 * plus one frame) would exceed the bound, the queue is cut to its newest keyframe if that leaves it
 * within the bound; otherwise everything is dropped and the queue waits for the next keyframe,
 * dropping the frames that cannot be decoded without it. The first frame sent after any drop
 * carries the discontinuity flag. A new queue waits for a keyframe (a late joiner needs one); the
 * frames it skips before that are not counted as drops.
 */

/** What the queue needs to know about a frame. */
export interface QueueItem {
  readonly sequence: number;
  readonly keyframe: boolean;
  readonly captureMs: number;
  readonly durationMs: number;
}

/** What happened to a push. */
export interface PushResult<T> {
  /** Frames dropped by this push (possibly including the pushed one). */
  readonly dropped: readonly T[];
  /** True when the queue was cut and now waits for a keyframe that must be requested. */
  readonly needsKeyframe: boolean;
}

/** A bounded per-viewer queue with the cut-to-keyframe policy. */
export class ViewerQueue<T extends QueueItem> {
  readonly maxMediaMs: number;
  #items: T[] = [];
  #waitingForKeyframe = true;
  #started = false;
  #gap = false;
  #dropped = 0;
  #cuts = 0;

  /** `maxMediaMs`: the most media the queue holds, in milliseconds. */
  constructor(maxMediaMs: number) {
    this.maxMediaMs = maxMediaMs;
  }

  /** Frames queued. */
  get length(): number {
    return this.#items.length;
  }

  /** True while frames are dropped until a keyframe arrives. */
  get waitingForKeyframe(): boolean {
    return this.#waitingForKeyframe;
  }

  /** Frames dropped so far. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Times the queue was cut because it was over its bound. */
  get cuts(): number {
    return this.#cuts;
  }

  /** Milliseconds of media queued (0 when empty). */
  get mediaMs(): number {
    const first = this.#items[0];
    const last = this.#items[this.#items.length - 1];
    if (first === undefined || last === undefined) return 0;
    return last.captureMs - first.captureMs + last.durationMs;
  }

  /** Adds a frame, applying the drop policy. */
  push(item: T): PushResult<T> {
    if (this.#waitingForKeyframe) {
      // Before the first keyframe nothing was ever sent: skipping frames then is no drop.
      if (!item.keyframe)
        return this.#started ? this.#drop([item], false) : { dropped: [], needsKeyframe: false };
      this.#waitingForKeyframe = false;
      this.#started = true;
    }
    this.#items.push(item);
    if (this.mediaMs <= this.maxMediaMs) return { dropped: [], needsKeyframe: false };
    this.#cuts++;
    let k = -1;
    for (let i = this.#items.length - 1; i > 0; i--) {
      if (this.#items[i]!.keyframe) {
        k = i;
        break;
      }
    }
    if (k > 0) {
      const kept = this.#items.slice(k);
      const last = kept[kept.length - 1]!;
      if (last.captureMs - kept[0]!.captureMs + last.durationMs <= this.maxMediaMs) {
        const dropped = this.#items.slice(0, k);
        this.#items = kept;
        return this.#drop(dropped, false);
      }
    }
    const dropped = this.#items;
    this.#items = [];
    this.#waitingForKeyframe = true;
    return this.#drop(dropped, true);
  }

  /**
   * Takes the oldest frame to send; `discontinuity` is true when frames were dropped since the
   * previous one taken.
   */
  shift(): { item: T; discontinuity: boolean } | undefined {
    const item = this.#items.shift();
    if (item === undefined) return undefined;
    const discontinuity = this.#gap;
    this.#gap = false;
    return { item, discontinuity };
  }

  /** Drops everything and waits for a keyframe (e.g. the viewer's decoder failed). */
  resetToKeyframe(): readonly T[] {
    const dropped = this.#items;
    this.#items = [];
    this.#waitingForKeyframe = true;
    return this.#drop(dropped, true).dropped;
  }

  #drop(items: T[], needsKeyframe: boolean): PushResult<T> {
    if (items.length > 0) {
      this.#dropped += items.length;
      this.#gap = true;
    }
    return { dropped: items, needsKeyframe };
  }
}
