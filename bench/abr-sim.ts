/**
 * Adaptive-bitrate simulator bench: runs every standard trace with each controller through the
 * deterministic link model in src/core/rate/simulator.ts, prints one table row per trace and
 * controller, and writes one SVG plot per trace to bench/abr-sim/TRACE.svg.
 *
 * With `--seeds N` every trace runs with seeds 1..N (the encoder noise and loss patterns) and the
 * table shows the worst figure of each column over the seeds; the plots are of seed 1.
 *
 *   npm run bench:abr-sim [-- --trace step-down,step-up] [--controllers gcc,pid] [--seeds 30] [--json] [--out DIR]
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { CONTROLLER_KINDS } from '../src/core/rate/controller.ts';
import type { ControllerKind } from '../src/core/rate/controller.ts';
import { STANDARD_SCENARIOS, runScenario } from '../src/core/rate/simulator.ts';
import type { Scenario, SimMetrics, SimResult } from '../src/core/rate/simulator.ts';

const { values } = parseArgs({
  options: {
    trace: { type: 'string' },
    controllers: { type: 'string', default: 'gcc,gcc-classic,pid' },
    json: { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench/abr-sim' },
    seeds: { type: 'string', default: '1' },
  },
});

const seeds = Number(values.seeds);
if (!Number.isInteger(seeds) || seeds < 1) {
  console.error(`--seeds: expected a positive whole number, got ${values.seeds}`);
  process.exit(2);
}

const kinds = values.controllers.split(',').map((k) => k.trim());
for (const k of kinds) {
  if (!(CONTROLLER_KINDS as readonly string[]).includes(k)) {
    console.error(`--controllers: unknown controller ${k} (known: ${CONTROLLER_KINDS.join(', ')})`);
    process.exit(2);
  }
}
const wanted = values.trace?.split(',').map((t) => t.trim());
const scenarios = STANDARD_SCENARIOS.filter((s) => wanted === undefined || wanted.includes(s.name));
if (scenarios.length === 0) {
  console.error(`--trace: no such trace (known: ${STANDARD_SCENARIOS.map((s) => s.name).join(', ')})`);
  process.exit(2);
}

const results: SimResult[] = [];
const started = performance.now();
for (const sc of scenarios) {
  const perTrace = kinds.map((k) => runScenario(sc, k as ControllerKind));
  mkdirSync(values.out, { recursive: true });
  writeFileSync(join(values.out, `${sc.name}.svg`), plot(sc, perTrace));
  for (const first of perTrace) {
    let metrics = first.metrics;
    for (let seed = 2; seed <= seeds; seed++) {
      metrics = worst(metrics, runScenario({ ...sc, seed }, first.controller).metrics);
    }
    results.push({ ...first, metrics });
  }
}
const elapsedMs = performance.now() - started;

if (values.json) {
  console.log(
    JSON.stringify(
      results.map((r) => ({ trace: r.scenario.name, controller: r.controller, ...r.metrics })),
      null,
      2,
    ),
  );
} else {
  printTable(results);
  const what =
    seeds > 1 ? `worst of seeds 1–${seeds}, ${results.length * seeds} runs` : `${results.length} runs`;
  console.log(`\n${what} in ${(elapsedMs / 1000).toFixed(1)} s; plots (seed 1) in ${values.out}/`);
}

/** The worse of two runs' figures, column by column. */
function worst(a: SimMetrics, b: SimMetrics): SimMetrics {
  const max = (x: number | null, y: number | null): number | null =>
    x === null ? y : y === null ? x : Math.max(x, y);
  const rise =
    a.riseTo85Ms === 'never' || b.riseTo85Ms === 'never' ? 'never' : max(a.riseTo85Ms, b.riseTo85Ms);
  return {
    utilisation: Math.min(a.utilisation, b.utilisation),
    p95QueuingDelayMs: Math.max(a.p95QueuingDelayMs, b.p95QueuingDelayMs),
    dropRecoveryMs: max(a.dropRecoveryMs, b.dropRecoveryMs),
    riseTo85Ms: rise,
    maxStallMs: Math.max(a.maxStallMs, b.maxStallMs),
    steadyOscillation: max(a.steadyOscillation, b.steadyOscillation),
    nanCount: a.nanCount + b.nanCount,
    outOfBoundsCount: a.outOfBoundsCount + b.outOfBoundsCount,
    meanTargetBps: Math.min(a.meanTargetBps, b.meanTargetBps),
    framesSent: a.framesSent + b.framesSent,
    framesDelivered: a.framesDelivered + b.framesDelivered,
  };
}

function printTable(rows: readonly SimResult[]): void {
  const header = [
    'trace',
    'controller',
    'util',
    'p95 queue ms',
    'drop→<100ms',
    'rise→85%',
    'max stall ms',
    'steady osc',
    'NaN',
    'out of bounds',
    seeds > 1 ? 'lowest mean target' : 'mean target',
  ];
  const lines = rows.map((r) => row(r.scenario, r.controller, r.metrics));
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const fmt = (cells: readonly string[]): string =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  console.log(fmt(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const l of lines) console.log(fmt(l));
}

function row(sc: Scenario, controller: string, m: SimMetrics): string[] {
  const ms = (v: number | null): string => (v === null ? '–' : `${Math.round(v)} ms`);
  return [
    sc.name,
    controller,
    `${(m.utilisation * 100).toFixed(1)}%`,
    m.p95QueuingDelayMs.toFixed(1),
    ms(m.dropRecoveryMs),
    m.riseTo85Ms === 'never' ? 'never' : ms(m.riseTo85Ms),
    Math.round(m.maxStallMs).toString(),
    m.steadyOscillation === null ? '–' : `±${(m.steadyOscillation * 100).toFixed(1)}%`,
    m.nanCount.toString(),
    m.outOfBoundsCount.toString(),
    `${(m.meanTargetBps / 1e6).toFixed(2)} Mbit/s`,
  ];
}

/** One panel per controller: bitrates above, queue wait below. */
function plot(sc: Scenario, runs: readonly SimResult[]): string {
  const width = 1000;
  const chartH = 170;
  const delayH = 90;
  const panelH = chartH + delayH + 60;
  const left = 60;
  const right = 20;
  const plotW = width - left - right;
  const height = 60 + panelH * runs.length;
  const x = (tMs: number): number => left + (tMs / sc.durationMs) * plotW;
  const maxCapBps = Math.max(...sc.capacityBps.map((p) => p.value));
  const bitrateTop = Math.min(sc.bounds.maxBitrateBps, maxCapBps) * 1.3;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="20" font-size="14">${escape(sc.name)}: ${escape(sc.description)}</text>`,
  ];
  runs.forEach((run, i) => {
    const top = 40 + i * panelH;
    const yRate = (bps: number): number =>
      top + 20 + chartH - (Math.min(bps, bitrateTop) / bitrateTop) * chartH;
    const delayTop = 400;
    const delayBase = top + 20 + chartH + 20 + delayH;
    const yDelay = (ms: number): number => delayBase - (Math.min(ms, delayTop) / delayTop) * delayH;
    parts.push(
      `<text x="${left}" y="${top + 12}" font-weight="bold">${escape(run.controller)}</text>`,
      `<rect x="${left}" y="${top + 20}" width="${plotW}" height="${chartH}" fill="none" stroke="#ccc"/>`,
      `<rect x="${left}" y="${delayBase - delayH}" width="${plotW}" height="${delayH}" fill="none" stroke="#ccc"/>`,
    );
    for (let k = 0; k <= 4; k++) {
      const bps = (bitrateTop * k) / 4;
      parts.push(
        `<text x="${left - 4}" y="${yRate(bps) + 4}" text-anchor="end">${(bps / 1e6).toFixed(bps < 4e6 ? 1 : 0)}</text>`,
      );
    }
    const yMid = top + 20 + chartH / 2;
    parts.push(
      `<text x="14" y="${yMid}" transform="rotate(-90 14 ${yMid})" text-anchor="middle">Mbit/s</text>`,
    );
    for (const ms of [0, 100, 200, 400]) {
      parts.push(`<text x="${left - 4}" y="${yDelay(ms) + 4}" text-anchor="end">${ms}</text>`);
    }
    parts.push(
      `<text x="14" y="${delayBase - delayH / 2}" transform="rotate(-90 14 ${delayBase - delayH / 2})" text-anchor="middle">queue ms</text>`,
      `<line x1="${left}" x2="${left + plotW}" y1="${yDelay(100)}" y2="${yDelay(100)}" stroke="#f99" stroke-dasharray="4 3"/>`,
    );
    // Capacity as a step line.
    const cap: string[] = [];
    sc.capacityBps.forEach((p, k) => {
      const endMs = sc.capacityBps[k + 1]?.atMs ?? sc.durationMs;
      cap.push(
        `${x(p.atMs).toFixed(1)},${yRate(p.value).toFixed(1)}`,
        `${x(endMs).toFixed(1)},${yRate(p.value).toFixed(1)}`,
      );
    });
    parts.push(polyline(cap, '#999', 3));
    // Sent bitrate in 100 ms bins.
    const binMs = 100;
    const bins = new Array<number>(Math.ceil(sc.durationMs / binMs)).fill(0);
    for (const f of run.frames) {
      const b = Math.floor(f.sendMs / binMs);
      bins[b] = (bins[b] ?? 0) + f.sizeBytes * 8;
    }
    parts.push(
      polyline(
        bins.map(
          (bits, b) => `${x((b + 0.5) * binMs).toFixed(1)},${yRate((bits * 1000) / binMs).toFixed(1)}`,
        ),
        '#f0a030',
        1,
      ),
    );
    parts.push(
      polyline(thin(run.frames.map((f) => [x(f.sendMs), yRate(f.decisionBps)] as const)), '#2060d0', 1.5),
    );
    parts.push(
      polyline(
        thin(
          run.frames
            .filter((f) => f.fate === 'delivered')
            .map((f) => [x(f.sendMs), yDelay(f.queueWaitMs)] as const),
        ),
        '#d03030',
        1,
      ),
    );
    // Dropped frames as ticks under the delay chart, one per pixel and kind.
    for (const fate of ['random-loss', 'queue-drop'] as const) {
      const xs = new Set(run.frames.filter((f) => f.fate === fate).map((f) => Math.round(x(f.sendMs))));
      if (xs.size === 0) continue;
      const d = [...xs].map((px) => `M${px} ${delayBase}v5`).join('');
      parts.push(`<path d="${d}" stroke="${fate === 'queue-drop' ? '#000' : '#aaa'}"/>`);
    }
    for (let s = 0; s <= sc.durationMs / 1000; s += 5) {
      parts.push(`<text x="${x(s * 1000)}" y="${delayBase + 18}" text-anchor="middle">${s} s</text>`);
    }
  });
  const legendY = height - 12;
  parts.push(
    `<text x="${left}" y="${legendY}"><tspan fill="#999">■ capacity</tspan>  <tspan fill="#2060d0">■ target</tspan>  <tspan fill="#f0a030">■ sent (100 ms bins)</tspan>  <tspan fill="#d03030">■ queue wait per frame</tspan>  ticks under the delay chart: dropped frames (black: queue full, grey: random loss)</text>`,
    '</svg>',
  );
  return parts.join('\n');
}

/**
 * Points for a polyline, at most four per 2 pixels across, keeping the extremes in each (so spikes
 * survive) and dropping points on a horizontal run.
 */
function thin(points: readonly (readonly [number, number])[]): string[] {
  const out: (readonly [number, number])[] = [];
  let i = 0;
  while (i < points.length) {
    const first = points[i];
    if (first === undefined) break;
    let lo = first;
    let hi = first;
    let last = first;
    let j = i + 1;
    for (; j < points.length; j++) {
      const p = points[j];
      if (p === undefined || p[0] - first[0] >= 2) break;
      if (p[1] < lo[1]) lo = p;
      if (p[1] > hi[1]) hi = p;
      last = p;
    }
    const group = [first, lo, hi, last]
      .filter((p, k, all) => all.indexOf(p) === k)
      .sort((a, b) => a[0] - b[0]);
    for (const p of group) {
      const prev = out.at(-1);
      const prev2 = out.at(-2);
      // On a horizontal run, move the run's end instead of adding a point.
      if (prev !== undefined && prev2 !== undefined && prev[1] === p[1] && prev2[1] === p[1])
        out[out.length - 1] = p;
      else out.push(p);
    }
    i = j;
  }
  return out.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`);
}

function polyline(points: readonly string[], colour: string, widthPx: number): string {
  return `<polyline fill="none" stroke="${colour}" stroke-width="${widthPx}" points="${points.join(' ')}"/>`;
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
