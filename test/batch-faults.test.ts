import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { EncodeReport } from '../src/batch/report.ts';
import { openInput } from '../src/media/input.ts';
import { MediaWriter } from '../src/media/mux.ts';
import { readPackets } from '../src/media/read-packets.ts';
import { buildMultiScene, CLIPS_WITH_AUDIO, MEDIA, type MultiScene } from './helpers/batch-clips.ts';
import { reportOf, runCli } from './helpers/batch-cli.ts';
import { tempDir } from './helpers/tmp.ts';

const dir = tempDir('qs-batch-faults-');
let input: MultiScene;
const FAULT = 'QUADSTREAM_TEST_FAIL_SEGMENT';

before(async () => {
  input = await buildMultiScene(join(dir.path, 'multi.mp4'), {
    clips: CLIPS_WITH_AUDIO.slice(0, 3),
    secondsPerClip: 1.2,
    width: 320,
    height: 180,
    fps: 25,
  });
});
after(() => dir[Symbol.dispose]());

/** Files whose names start with `prefix` in the test folder (outputs, temporaries, work folders). */
function leftovers(prefix: string): string[] {
  return readdirSync(dir.path).filter((f) => f.startsWith(prefix) || f.startsWith(`.${prefix}`));
}

test('a segment whose first attempt fails is retried, and the run succeeds with the cause kept', async () => {
  const output = join(dir.path, 'retry.mp4');
  const run = await runCli(
    ['encode', input.path, '-o', output, '--preset', 'fast', '--workers', '2', '--json'],
    {
      env: { [FAULT]: '1:1' },
    },
  );
  assert.equal(run.code, 0, run.stderr);
  const report = reportOf<EncodeReport>(run);
  const s1 = report.segments[1]!;
  assert.equal(s1.attempts, 2);
  assert.equal(s1.causes.length, 1);
  assert.match(s1.causes[0]!, /segment 1: injected test fault on attempt 1/);
  assert.ok(report.segments.filter((s) => s.index !== 1).every((s) => s.attempts === 1));
  assert.equal(report.outputFrames, input.frames);
});

test('a worker thread that crashes mid-segment is a retry, not a hang', async () => {
  const output = join(dir.path, 'crash.mp4');
  const run = await runCli(
    ['encode', input.path, '-o', output, '--preset', 'fast', '--workers', '2', '--json'],
    {
      env: { [FAULT]: '0:1:crash' },
      timeoutMs: 60_000,
    },
  );
  assert.equal(run.code, 0, run.stderr);
  const report = reportOf<EncodeReport>(run);
  assert.equal(report.segments[0]!.attempts, 2);
  assert.match(report.segments[0]!.causes[0]!, /worker exited with code 70 mid-job/);
  assert.equal(report.outputFrames, input.frames);
});

test('after 3 failed attempts the run fails, naming the segment and every cause; nothing at the output', async () => {
  const output = join(dir.path, 'fail.mp4');
  const run = await runCli(['encode', input.path, '-o', output, '--preset', 'fast', '--workers', '1'], {
    env: { [FAULT]: '2:3' },
  });
  assert.equal(run.code, 1);
  const lines = run.stderr.trim().split('\n');
  assert.equal(lines.length, 1, run.stderr);
  assert.match(
    lines[0]!,
    /^quadstream: segment 2 \(frames \d+–\d+\) failed 3 times: attempt 1: .*attempt 3: /,
  );
  assert.equal(existsSync(output), false);
  // The work folder stays for a resume; no temporary output remains.
  assert.deepEqual(
    leftovers('fail.mp4').filter((f) => f.includes('partial')),
    [],
  );
});

// Bad inputs: one line on stderr, exit 2, nothing written at the output, no work folder left.
const badInputs: [string, () => string, RegExp][] = [
  ['a missing file', () => join(dir.path, 'missing.mp4'), /missing\.mp4: no such file$/],
  [
    'a text file',
    () => {
      const p = join(dir.path, 'notes.mp4');
      writeFileSync(p, 'this is not a video\n'.repeat(20));
      return p;
    },
    /notes\.mp4: not a media file FFmpeg can read/,
  ],
  [
    'a truncated video (a shared clip cut at half its bytes)',
    () => {
      const bytes = readFileSync(`${MEDIA}video.mp4`);
      const p = join(dir.path, 'half.mp4');
      writeFileSync(p, bytes.subarray(0, bytes.length >> 1));
      return p;
    },
    /half\.mp4: truncated: the container lists 125 video frames but only \d+ are in the file/,
  ],
  [
    'an audio-only file',
    () => join(dir.path, 'audio-only.m4a'),
    /audio-only\.m4a: no video stream \(found: audio\)/,
  ],
];

before(async () => {
  // An audio-only file: the AAC track of a shared clip, copied.
  const src = `${MEDIA}edts.mp4`;
  await using demuxer = await openInput(src);
  const audio = demuxer.audio()!;
  await using writer = await MediaWriter.open(join(dir.path, 'audio-only.m4a'), 'mp4', [
    { parameters: audio.codecpar, timeBase: [audio.timeBase.num, audio.timeBase.den] },
  ]);
  for await (const p of readPackets(demuxer, src))
    if (p.streamIndex === audio.index) await writer.write(p, 0);
  await writer.finish();
});

for (const [name, make, message] of badInputs) {
  test(`bad input, ${name}: one-line error, exit 2, no output`, async () => {
    const path = make();
    const output = join(dir.path, `bad-${name.length}.mp4`);
    const run = await runCli(['encode', path, '-o', output]);
    assert.equal(run.code, 2, run.stderr);
    const lines = run.stderr.trim().split('\n');
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0]!, /^quadstream: /);
    assert.match(lines[0]!, message);
    assert.equal(existsSync(output), false);
    assert.deepEqual(leftovers(`bad-${name.length}.mp4`), []);
  });
}

test('an unwritable output folder: one-line error, exit 2, nothing written', async () => {
  // Root may write anywhere permissions allow nothing; /proc refuses new files to everyone.
  const root = process.getuid?.() === 0;
  let folder = '/proc';
  if (!root) {
    folder = join(dir.path, 'read-only');
    mkdirSync(folder);
    chmodSync(folder, 0o555);
  }
  const output = join(folder, 'out.mp4');
  const run = await runCli(['encode', input.path, '-o', output]);
  assert.equal(run.code, 2, run.stderr);
  const lines = run.stderr.trim().split('\n');
  assert.equal(lines.length, 1, run.stderr);
  assert.match(lines[0]!, new RegExp(`^quadstream: ${folder}: cannot write the output there`));
  assert.equal(existsSync(output), false);
  if (!root) chmodSync(folder, 0o755);
});

test('usage errors exit 2 with one line: unknown output type, codec the container cannot hold, bad flag', async () => {
  for (const [args, message] of [
    [['-o', join(dir.path, 'x.avi')], /unknown output type "\.avi"; use \.mp4, \.mkv or \.webm/],
    [['-o', join(dir.path, 'x.webm'), '--codec', 'h264'], /WebM holds only VP9 or AV1 video, not h264/],
    [
      ['-o', join(dir.path, 'x.mp4'), '--crf', '20', '--bitrate', '2M'],
      /--crf and --bitrate cannot be combined/,
    ],
    [['-o', join(dir.path, 'x.mp4'), '--bitrate', 'fast'], /--bitrate: "fast" is not a bitrate/],
  ] as const) {
    const run = await runCli(['encode', input.path, ...args]);
    assert.equal(run.code, 2, run.stderr);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    assert.match(run.stderr, message);
  }
});
