/**
 * Progress output of `quadstream encode`: on a terminal, cli-progress bars (the phase and total
 * frames with fps and ETA over a rolling window, then one line per worker); with `--json`, one
 * NDJSON event per line on stderr; otherwise nothing until the summary.
 */
import cliProgress from 'cli-progress';
import type { EncodeEvent, EncodePhase } from '../../batch/report.ts';

/** Receives the encoder's events and shows them. */
export interface ProgressView {
  readonly onEvent: (event: EncodeEvent) => void;
  /** Stops drawing (before the summary or an error is printed). */
  stop(): void;
}

/** NDJSON on stderr: every event, one JSON object per line, with a timestamp. */
export function jsonProgress(): ProgressView {
  return {
    onEvent: (event) => process.stderr.write(`${JSON.stringify({ t: Date.now(), ...event })}\n`),
    stop: () => {},
  };
}

/** Nothing (output is not a terminal and `--json` was not asked for). */
export function silentProgress(): ProgressView {
  return { onEvent: () => {}, stop: () => {} };
}

/** Bars on the terminal. */
export function terminalProgress(): ProgressView {
  const multi = new cliProgress.MultiBar(
    {
      format: '{phase} [{bar}] {value}/{total} frames | {fps} fps | ETA {eta}',
      barCompleteChar: '█',
      barIncompleteChar: '░',
      hideCursor: true,
      clearOnComplete: false,
      stream: process.stderr,
      fps: 5,
    },
    cliProgress.Presets.shades_grey,
  );
  let phase: EncodePhase = 'analyze';
  const total = multi.create(1, 0, { phase: pad(phase), fps: '-', eta: '-' });
  const workers: cliProgress.SingleBar[] = [];
  const workerFormat = '  worker {worker} [{bar}] {value}/{total} | segment {segment} | {fps} fps';
  return {
    onEvent: (e) => {
      switch (e.type) {
        case 'phase':
          phase = e.phase;
          total.update({ phase: pad(phase) });
          break;
        case 'analyze-progress':
          total.setTotal(Math.max(e.framesExpected ?? e.frames, e.frames, 1));
          total.update(e.frames, { fps: '-', eta: '-' });
          break;
        case 'plan':
          for (let i = 0; i < e.workers; i++) {
            workers.push(multi.create(1, 0, { worker: i, segment: '-', fps: '-' }, { format: workerFormat }));
          }
          break;
        case 'segment-start':
          workers[e.worker]?.setTotal(e.frames);
          workers[e.worker]?.update(0, { segment: e.segment });
          break;
        case 'progress':
          total.setTotal(Math.max(1, e.framesTotal));
          total.update(e.framesDone, {
            fps: e.fps.toFixed(1),
            eta: e.etaS === null ? '-' : formatSeconds(e.etaS),
          });
          for (const w of e.workers) workers[w.worker]?.update(w.frames, { fps: w.fps.toFixed(1) });
          break;
        default:
          break;
      }
    },
    stop: () => multi.stop(),
  };
}

function pad(phase: string): string {
  return phase.padEnd(7);
}

function formatSeconds(s: number): string {
  const t = Math.round(s);
  const m = Math.floor(t / 60);
  return m > 0 ? `${m}m${String(t % 60).padStart(2, '0')}s` : `${t}s`;
}
