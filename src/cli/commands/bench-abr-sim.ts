/** `quadstream bench abr` without `--real`: every standard trace through the deterministic simulator. */
import { STANDARD_SCENARIOS, runScenario } from '../../core/rate/simulator.ts';
import type { ControllerKind } from '../../core/rate/index.ts';
import { printJson } from '../run-command.ts';

const KINDS: readonly ControllerKind[] = ['gcc', 'pid', 'gcc-classic'];

/** Runs the simulator bench and prints a table (or JSON); returns the exit code. */
export function runSimulatorBench(json: boolean): number {
  const rows = STANDARD_SCENARIOS.flatMap((sc) =>
    KINDS.map((kind) => ({ trace: sc.name, controller: kind, ...runScenario(sc, kind).metrics })),
  );
  if (json) {
    printJson(rows);
    return 0;
  }
  const ms = (v: number | 'never' | null) =>
    v === null ? '–' : v === 'never' ? 'never' : `${Math.round(v)} ms`;
  const lines = [
    'trace              controller    util   p95 queue  drop→<100ms  rise→85%   max stall  steady osc',
  ];
  for (const r of rows) {
    lines.push(
      `${r.trace.padEnd(18)} ${r.controller.padEnd(12)} ${(100 * r.utilisation).toFixed(1).padStart(5)}%  ${ms(r.p95QueuingDelayMs).padStart(9)}  ${ms(r.dropRecoveryMs).padStart(11)}  ${ms(r.riseTo85Ms).padStart(9)}  ${ms(r.maxStallMs).padStart(9)}  ${r.steadyOscillation === null ? '–' : `±${(100 * r.steadyOscillation).toFixed(1)}%`}`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
