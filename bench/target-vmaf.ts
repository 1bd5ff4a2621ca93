/**
 * Target quality against fixed CRF, on the file encoder's multi-scene test input (five 1.8 s
 * clips of ../shared/media at 320x180, 25 fps): `encode --target-vmaf 93` against the largest
 * fixed CRF (fewest bytes) whose VMAF reaches 93 on every segment, found by trying CRFs from the
 * lowest the search chose downwards. Prints both sizes and their ratio.
 *
 *   npm run bench:target-vmaf [-- --target 93]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { EncodeReport } from '../src/batch/report.ts';
import { scoreVmaf } from '../src/quality/vmaf/index.ts';
import { buildStandardMultiScene } from '../test/helpers/batch-clips.ts';

const { values } = parseArgs({ options: { target: { type: 'string', default: '93' } } });
const target = Number(values.target);
const MAIN = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'qs-bench-target-'));

function encode(args: string[]): EncodeReport {
  const r = spawnSync(process.execPath, [MAIN, 'encode', ...args, '--json'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`encode failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as EncodeReport;
}

try {
  const input = await buildStandardMultiScene(join(dir, 'multi.mp4'));
  const t0 = performance.now();
  const tq = encode([input.path, '-o', join(dir, 'target.mp4'), '--target-vmaf', String(target)]);
  const tqSeconds = (performance.now() - t0) / 1000;
  console.log(`--target-vmaf ${target}: ${tq.bytes} bytes in ${tqSeconds.toFixed(1)} s`);
  for (const s of tq.segments) {
    const o = s.targetQuality!;
    console.log(
      `  segment ${s.index} (frames ${s.startFrame}-${s.startFrame + s.frames - 1}): CRF ${o.crf}, predicted ${o.predictedVmaf.toFixed(2)}, measured ${o.measuredVmaf.toFixed(2)}, ${o.probes.length} probes (${o.stop})`,
    );
  }
  const segmentScores = async (path: string): Promise<number[]> => {
    const v = await scoreVmaf(input.path, path);
    return tq.segments.map((s) => {
      const frames = v.frames.filter((f) => f.index >= s.startFrame && f.index < s.startFrame + s.frames);
      return frames.reduce((a, f) => a + f.vmaf, 0) / frames.length;
    });
  };
  let crf = Math.ceil(Math.min(...tq.segments.map((s) => s.targetQuality!.crf))) + 1;
  let fixed: { crf: number; bytes: number; scores: number[] } | null = null;
  for (; crf >= 10; crf--) {
    const out = join(dir, `fixed-${crf}.mp4`);
    const report = encode([input.path, '-o', out, '--crf', String(crf)]);
    const scores = await segmentScores(out);
    console.log(
      `fixed CRF ${crf}: ${report.bytes} bytes; segment VMAF ${scores.map((x) => x.toFixed(2)).join(', ')}`,
    );
    if (scores.every((x) => x >= target)) {
      fixed = { crf, bytes: report.bytes, scores };
      break;
    }
  }
  if (fixed === null) throw new Error('no fixed CRF reached the target on every segment');
  console.log(
    `\nsmallest fixed CRF reaching ${target} everywhere: ${fixed.crf} (${fixed.bytes} bytes); --target-vmaf: ${tq.bytes} bytes = ${(tq.bytes / fixed.bytes).toFixed(3)}x`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
