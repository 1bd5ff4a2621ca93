/**
 * A small line chart as an SVG string: one or more panels stacked vertically, each with its own
 * y axis and several series against a shared x axis. Pure; used for quality and rate plots.
 */

/** One line in a panel. */
export interface ChartSeries {
  readonly label: string;
  readonly color: string;
  readonly points: readonly (readonly [x: number, y: number])[];
}

/** A panel: a title, a y-axis label and its series. */
export interface ChartPanel {
  readonly title: string;
  readonly yLabel: string;
  readonly series: readonly ChartSeries[];
  /** Fixed y range; computed from the data when absent. */
  readonly yMin?: number;
  readonly yMax?: number;
}

/** Options for {@link lineChartSvg}. */
export interface ChartOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly panels: readonly ChartPanel[];
  readonly width?: number;
  readonly panelHeight?: number;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (n: number): string =>
  Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2);

/** Renders the chart. Non-finite points are skipped. */
export function lineChartSvg(options: ChartOptions): string {
  const width = options.width ?? 900;
  const panelHeight = options.panelHeight ?? 200;
  const left = 70;
  const right = 20;
  const top = 40;
  const gap = 40;
  const plotW = width - left - right;
  const all = options.panels
    .flatMap((p) => p.series.flatMap((s) => s.points))
    .filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const xMin = Math.min(...all.map(([x]) => x), 0);
  const xMax = Math.max(...all.map(([x]) => x), xMin + 1);
  const height = top + options.panels.length * (panelHeight + gap) + 20;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="15">${esc(options.title)}</text>`,
  ];
  options.panels.forEach((panel, pi) => {
    const y0 = top + pi * (panelHeight + gap);
    const ys = panel.series.flatMap((s) => s.points.map(([, y]) => y)).filter(Number.isFinite);
    let yMin = panel.yMin ?? Math.min(...ys, Number.POSITIVE_INFINITY);
    let yMax = panel.yMax ?? Math.max(...ys, Number.NEGATIVE_INFINITY);
    if (!Number.isFinite(yMin) || !Number.isFinite(yMax)) [yMin, yMax] = [0, 1];
    if (yMax === yMin) [yMin, yMax] = [yMin - 1, yMax + 1];
    const sx = (x: number) => left + ((x - xMin) / (xMax - xMin)) * plotW;
    const sy = (y: number) => y0 + panelHeight - ((y - yMin) / (yMax - yMin)) * panelHeight;
    out.push(
      `<rect x="${left}" y="${y0}" width="${plotW}" height="${panelHeight}" fill="none" stroke="#888"/>`,
    );
    out.push(`<text x="${left}" y="${y0 - 6}" font-weight="bold">${esc(panel.title)}</text>`);
    out.push(
      `<text transform="translate(14 ${y0 + panelHeight / 2}) rotate(-90)" text-anchor="middle">${esc(panel.yLabel)}</text>`,
    );
    for (let t = 0; t <= 4; t++) {
      const v = yMin + ((yMax - yMin) * t) / 4;
      out.push(`<text x="${left - 4}" y="${sy(v) + 4}" text-anchor="end">${fmt(v)}</text>`);
      out.push(`<line x1="${left}" x2="${left + plotW}" y1="${sy(v)}" y2="${sy(v)}" stroke="#eee"/>`);
    }
    for (let t = 0; t <= 5; t++) {
      const v = xMin + ((xMax - xMin) * t) / 5;
      out.push(`<text x="${sx(v)}" y="${y0 + panelHeight + 14}" text-anchor="middle">${fmt(v)}</text>`);
    }
    panel.series.forEach((s, si) => {
      const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
      if (pts.length > 0) {
        const d = pts
          .map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`)
          .join('');
        out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.5"/>`);
      }
      out.push(
        `<text x="${left + plotW - 8}" y="${y0 + 16 + si * 14}" text-anchor="end" fill="${s.color}">${esc(s.label)}</text>`,
      );
    });
  });
  out.push(
    `<text x="${left + plotW / 2}" y="${height - 4}" text-anchor="middle">${esc(options.xLabel)}</text>`,
  );
  out.push('</svg>');
  return out.join('\n');
}
