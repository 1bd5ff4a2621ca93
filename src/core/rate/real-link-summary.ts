/**
 * Figures of an adaptive-bitrate run on a real link, from samples taken every few hundred
 * milliseconds: how fast the queue drains after a capacity drop, how fast the sent rate follows a
 * rise, utilisation and delay at steady state, and where the bitrate settles. Pure.
 */

/** One sample (times in seconds, rates in bits per second, delays in ms). */
export interface LinkSample {
  readonly tS: number;
  readonly capacityBps: number;
  readonly targetBps: number;
  readonly sentBps: number;
  readonly queueMs: number | null;
  readonly latencyP95Ms: number | null;
}

/** What happened after one capacity step. */
export interface StepFigures {
  readonly atS: number;
  readonly fromBps: number;
  readonly toBps: number;
  /** After a drop: seconds until the queue stayed under 100 ms (null: never in the window). */
  readonly queueUnder100MsAfterS: number | null;
  /** After a drop: seconds until the target went under the new capacity. */
  readonly targetUnderCapacityAfterS: number | null;
  /** After a rise: seconds until the sent bitrate reached 85% of the new capacity. */
  readonly sent85PercentAfterS: number | null;
}

/** The run's figures. */
export interface RealLinkSummary {
  readonly steps: readonly StepFigures[];
  /** Over the last `tailS` seconds: sent / capacity. */
  readonly tailUtilisation: number;
  /** Over the last `tailS` seconds: 95th percentile of the queue delay. */
  readonly tailQueueP95Ms: number | null;
  /** Glass-to-glass p95 in the last sample. */
  readonly lastLatencyP95Ms: number | null;
  /** Target in the last sample. */
  readonly lastTargetBps: number;
}

function p95(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(0.95 * (s.length - 1) + 0.5))]!;
}

/** Summarises samples; `tailS` is the steady-state window at the end (default 5 s). */
export function summariseRealLink(samples: readonly LinkSample[], tailS = 5): RealLinkSummary {
  const steps: StepFigures[] = [];
  for (let i = 1; i < samples.length; i++) {
    const prev = samples[i - 1]!;
    const cur = samples[i]!;
    if (cur.capacityBps === prev.capacityBps) continue;
    const end = samples.findIndex((s, j) => j > i && s.capacityBps !== cur.capacityBps);
    const after = samples.slice(i, end === -1 ? undefined : end);
    const since = (pred: (s: LinkSample, k: number) => boolean): number | null => {
      const k = after.findIndex(pred);
      return k === -1 ? null : after[k]!.tS - cur.tS;
    };
    const drop = cur.capacityBps < prev.capacityBps;
    steps.push({
      atS: cur.tS,
      fromBps: prev.capacityBps,
      toBps: cur.capacityBps,
      queueUnder100MsAfterS: drop
        ? since((_s, k) => after.slice(k).every((x) => x.queueMs === null || x.queueMs < 100))
        : null,
      targetUnderCapacityAfterS: drop ? since((s) => s.targetBps < cur.capacityBps) : null,
      sent85PercentAfterS: drop ? null : since((s) => s.sentBps >= 0.85 * cur.capacityBps),
    });
  }
  const last = samples.at(-1);
  const tail = samples.filter((s) => last !== undefined && s.tS >= last.tS - tailS);
  const sent = tail.reduce((a, s) => a + s.sentBps, 0);
  const cap = tail.reduce((a, s) => a + s.capacityBps, 0);
  return {
    steps,
    tailUtilisation: cap === 0 ? 0 : sent / cap,
    tailQueueP95Ms: p95(tail.flatMap((s) => (s.queueMs === null ? [] : [s.queueMs]))),
    lastLatencyP95Ms: last?.latencyP95Ms ?? null,
    lastTargetBps: last?.targetBps ?? 0,
  };
}
