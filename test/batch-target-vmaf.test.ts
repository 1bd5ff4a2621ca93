import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { EncodeReport } from '../src/batch/report.ts';
import { buildStandardMultiScene, type MultiScene } from './helpers/batch-clips.ts';
import { reportOf, runCli } from './helpers/batch-cli.ts';
import { tempDir } from './helpers/tmp.ts';

// The file encoder's multi-scene input: five 1.8 s clips of the shared media at 320x180, 25 fps.
const dir = tempDir('qs-batch-target-');
let input: MultiScene;

before(async () => {
  input = await buildStandardMultiScene(join(dir.path, 'multi.mp4'));
});
after(() => dir[Symbol.dispose]());

test('--target-vmaf 93: every segment measures within ±1.0 of 93 unless even the highest CRF is above it; fewer bytes than a fixed CRF at the lowest chosen', async () => {
  const run = await runCli([
    'encode',
    input.path,
    '-o',
    join(dir.path, 'target.mp4'),
    '--target-vmaf',
    '93',
    '--json',
  ]);
  assert.equal(run.code, 0, run.stderr);
  const report = reportOf<EncodeReport>(run);
  assert.equal(report.outputFrames, input.frames);
  const outcomes = report.segments.map((s) => s.targetQuality);
  assert.ok(outcomes.every((o) => o !== undefined && o.probes.length >= 1 && o.probes.length <= 6));
  for (const o of outcomes) {
    if (o === undefined) continue;
    const flat = o.probes.every((p) => p.vmaf > 93.5);
    if (flat) {
      // A scene so simple that every CRF tried scores above the target: the cheapest one is used.
      assert.equal(o.crf, Math.max(...o.probes.map((p) => p.crf)));
    } else {
      assert.ok(Math.abs(o.measuredVmaf - 93) <= 1.0, `segment at CRF ${o.crf}: measured ${o.measuredVmaf}`);
    }
  }
  assert.ok(outcomes.filter((o) => o !== undefined && Math.abs(o.measuredVmaf - 93) <= 1).length >= 3);

  // The smallest fixed CRF that reaches 93 everywhere can be no higher than the lowest CRF the search chose.
  const lowest = Math.floor(Math.min(...outcomes.map((o) => o?.crf ?? Infinity)));
  const fixed = await runCli([
    'encode',
    input.path,
    '-o',
    join(dir.path, 'fixed.mp4'),
    '--crf',
    String(lowest),
    '--json',
  ]);
  assert.equal(fixed.code, 0, fixed.stderr);
  const fixedBytes = reportOf<EncodeReport>(fixed).bytes;
  assert.ok(
    report.bytes < fixedBytes,
    `target-vmaf ${report.bytes} B vs fixed CRF ${lowest} ${fixedBytes} B`,
  );
});

test('--target-vmaf cannot be combined with --crf, and needs a score', async () => {
  const both = await runCli([
    'encode',
    input.path,
    '-o',
    join(dir.path, 'x.mp4'),
    '--target-vmaf',
    '93',
    '--crf',
    '20',
  ]);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /--target-vmaf chooses the CRF itself/);
  const bad = await runCli(['encode', input.path, '-o', join(dir.path, 'x.mp4'), '--target-vmaf', 'high']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--target-vmaf: /);
});
