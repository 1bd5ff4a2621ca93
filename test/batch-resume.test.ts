import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { EncodeReport } from '../src/batch/report.ts';
import { inspectVideo } from '../src/media/inspect.ts';
import { buildMultiScene, CLIPS_WITH_AUDIO, type MultiScene } from './helpers/batch-clips.ts';
import { reportOf, runCli } from './helpers/batch-cli.ts';
import { tempDir } from './helpers/tmp.ts';

const dir = tempDir('qs-batch-resume-');
let input: MultiScene;

before(async () => {
  input = await buildMultiScene(join(dir.path, 'multi.mp4'), {
    clips: CLIPS_WITH_AUDIO,
    secondsPerClip: 2,
    width: 320,
    height: 180,
    fps: 25,
  });
});
after(() => dir[Symbol.dispose]());

interface JournalFile {
  done: Record<string, { segment: number }>;
  plan: unknown[];
}

test('SIGKILL mid-run, then rerun: only the unfinished segments are encoded and the result verifies', async () => {
  const output = join(dir.path, 'killed.mp4');
  const work = join(dir.path, 'work-killed');
  // `quality` and one worker make each segment take a while; kill right after the first one is done.
  const args = [
    'encode',
    input.path,
    '-o',
    output,
    '--work-dir',
    work,
    '--workers',
    '1',
    '--preset',
    'quality',
    '--json',
  ];
  let killed = false;
  const first = await runCli(args, {
    onStderrLine: (line, child) => {
      if (!killed && line.includes('"type":"segment-done"')) {
        killed = true;
        child.kill('SIGKILL');
      }
    },
  });
  assert.equal(
    first.signal,
    'SIGKILL',
    `the first run should have been killed (code ${first.code}): ${first.stderr.slice(-500)}`,
  );
  assert.equal(existsSync(output), false, 'nothing at the output path after a kill');
  assert.deepEqual(
    readdirSync(dir.path).filter((f) => f.startsWith('.killed.mp4')),
    [],
    'no temporary output either (the kill came before the join)',
  );
  const journal = JSON.parse(readFileSync(join(work, 'journal.json'), 'utf8')) as JournalFile;
  const finished = Object.values(journal.done).map((d) => d.segment);
  const total = journal.plan.length;
  assert.ok(
    finished.length >= 1 && finished.length < total,
    `${finished.length} of ${total} finished before the kill`,
  );

  const second = await runCli(args);
  assert.equal(second.code, 0, second.stderr);
  const report = reportOf<EncodeReport>(second);
  assert.equal(report.segments.length, total);
  assert.equal(report.resume.reused, finished.length);
  assert.equal(report.resume.discarded, 0);
  for (const s of report.segments) {
    const wasDone = finished.includes(s.index);
    assert.equal(s.reused, wasDone, `segment ${s.index}`);
    assert.equal(s.attempts, wasDone ? 0 : 1, `segment ${s.index} encoded ${s.attempts} times this run`);
  }
  assert.equal(report.outputFrames, input.frames);
  assert.equal((await inspectVideo(output)).frames, input.frames);
  assert.equal(existsSync(work), false, 'the work folder is removed after success');
});

test('resume re-verifies finished segments: a damaged one is encoded again, the others are reused', async () => {
  const output = join(dir.path, 'damaged.mkv');
  const work = join(dir.path, 'work-damaged');
  const args = ['encode', input.path, '-o', output, '--work-dir', work, '--preset', 'fast', '--json'];
  const first = await runCli([...args, '--keep-work']);
  assert.equal(first.code, 0, first.stderr);
  const total = reportOf<EncodeReport>(first).segments.length;
  const segmentFiles = readdirSync(work)
    .filter((f) => f.startsWith('segment-'))
    .sort();
  assert.equal(segmentFiles.length, total);
  // Cut one segment file short, as a crash during a copy would.
  const victim = join(work, segmentFiles[1]!);
  truncateSync(victim, Math.floor(readFileSync(victim).length / 2));

  const second = await runCli(args);
  assert.equal(second.code, 0, second.stderr);
  const report = reportOf<EncodeReport>(second);
  assert.equal(report.resume.discarded, 1);
  assert.equal(report.resume.reused, total - 1);
  assert.deepEqual(
    report.segments.filter((s) => !s.reused).map((s) => s.index),
    [1],
  );
  assert.equal(report.outputFrames, input.frames);
});
