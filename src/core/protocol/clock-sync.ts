/**
 * Clock offset and round-trip time from ping/pong exchanges (NTP's arithmetic). Pure: the caller
 * passes the four timestamps; nothing reads a clock here.
 *
 * With t0 = ping sent (local clock), t1 = ping received and t2 = pong sent (remote clock), and
 * t3 = pong received (local clock): rtt = (t3 − t0) − (t2 − t1) and
 * offset = ((t1 − t0) + (t2 − t3)) / 2, so that remote time ≈ local time + offset. The sample with
 * the smallest round trip among the recent ones has the least queuing in it and is the one used.
 */

/** One ping/pong exchange, milliseconds. */
export interface ClockSample {
  /** Local clock when the ping left. */
  readonly originMs: number;
  /** Remote clock when the ping arrived. */
  readonly remoteReceivedMs: number;
  /** Remote clock when the pong left. */
  readonly remoteSentMs: number;
  /** Local clock when the pong arrived. */
  readonly arrivalMs: number;
}

/** Round trip of one exchange in milliseconds, not counting the remote side's processing time. */
export function roundTripMs(s: ClockSample): number {
  return Math.max(0, s.arrivalMs - s.originMs - (s.remoteSentMs - s.remoteReceivedMs));
}

/** Offset of one exchange: remote clock minus local clock, milliseconds. */
export function clockOffsetMs(s: ClockSample): number {
  return (s.remoteReceivedMs - s.originMs + (s.remoteSentMs - s.arrivalMs)) / 2;
}

/** The current estimate. */
export interface ClockEstimate {
  /** Remote minus local clock, milliseconds (remote ≈ local + offsetMs). */
  readonly offsetMs: number;
  /** Round trip of the sample the offset comes from. */
  readonly minRttMs: number;
  /** Round trip of the latest sample. */
  readonly lastRttMs: number;
  readonly samples: number;
}

/** Keeps the last `windowSize` exchanges and estimates the offset from the fastest one. */
export class ClockSync {
  readonly #window: ClockSample[] = [];
  readonly #size: number;
  #count = 0;

  /** `windowSize`: how many recent exchanges to choose from (default 16). */
  constructor(windowSize = 16) {
    this.#size = Math.max(1, windowSize);
  }

  /** Adds an exchange and returns the new estimate. */
  add(sample: ClockSample): ClockEstimate {
    this.#window.push(sample);
    if (this.#window.length > this.#size) this.#window.shift();
    this.#count++;
    const est = this.estimate();
    if (est === undefined) throw new Error('unreachable: window is not empty');
    return est;
  }

  /** The estimate, or `undefined` before the first exchange. */
  estimate(): ClockEstimate | undefined {
    const last = this.#window[this.#window.length - 1];
    if (last === undefined) return undefined;
    let best = last;
    for (const s of this.#window) if (roundTripMs(s) < roundTripMs(best)) best = s;
    return {
      offsetMs: clockOffsetMs(best),
      minRttMs: roundTripMs(best),
      lastRttMs: roundTripMs(last),
      samples: this.#count,
    };
  }
}

/** TCP-style smoothed round trip (RFC 6298, gain 1/8); the first sample is taken as is. */
export function smoothRttMs(previousMs: number | undefined, sampleMs: number): number {
  return previousMs === undefined ? sampleMs : previousMs + (sampleMs - previousMs) / 8;
}
