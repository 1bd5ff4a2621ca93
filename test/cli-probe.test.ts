import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { lastJsonLine, runCli } from './helpers/cli.ts';
import { tempDir } from './helpers/tmp.ts';

interface ProbeJson {
  fromCache: boolean;
  encoders: {
    name: string;
    codec: string;
    hardware: boolean;
    available: boolean;
    reason: string | null;
    runtimeBitrate: boolean;
  }[];
  decision?: { chosen: string | null; considered: { encoder: string; accepted: boolean; reason: string }[] };
}

test('quadstream probe --json: the DESIGN.md fields, software available, hardware with reasons; a second run hits the disk cache', async () => {
  using dir = tempDir();
  const env = { XDG_CACHE_HOME: dir.path };
  const first = await runCli(['probe', '--json'], { env });
  assert.equal(first.code, 0, first.stderr);
  const report = lastJsonLine(first.stdout) as ProbeJson;
  assert.equal(report.fromCache, false);
  for (const e of report.encoders) {
    assert.deepEqual(Object.keys(e).sort(), [
      'available',
      'codec',
      'hardware',
      'name',
      'reason',
      'runtimeBitrate',
    ]);
  }
  const x264 = report.encoders.find((e) => e.name === 'libx264');
  assert.equal(x264?.available, true);
  assert.equal(x264.runtimeBitrate, true);
  assert.ok(report.encoders.filter((e) => e.hardware).every((e) => !e.available && (e.reason ?? '') !== ''));
  assert.equal(first.stderr, '', 'nothing on stderr by default (FFmpeg and SVT logs are routed away)');

  const second = await runCli(['probe', '--json'], { env });
  assert.equal((lastJsonLine(second.stdout) as ProbeJson).fromCache, true);
});

test('quadstream probe --profile explains the decision', async () => {
  const r = await runCli(['probe', '--profile', '1080p60-lowlatency', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const report = lastJsonLine(r.stdout) as ProbeJson;
  assert.equal(report.decision?.chosen, 'libx264');
  assert.ok(
    report.decision.considered.some(
      (c) => c.encoder === 'h264_nvenc' && !c.accepted && c.reason.startsWith('unavailable: '),
    ),
  );
  const text = await runCli(['probe', '--profile', '1080p60-lowlatency']);
  assert.match(text.stdout, /Chosen: libx264/);
});

for (const [label, args, pattern] of [
  ['unknown profile', ['probe', '--profile', 'nope'], /^quadstream: unknown profile "nope" \(known: /],
  [
    'unknown codec',
    ['probe', '--codec', 'mpeg2'],
    /argument 'mpeg2' is invalid\. Allowed choices are h264, hevc, av1, vp9/,
  ],
  [
    'missing config file',
    ['probe', '--config', '/nonexistent/qs.json'],
    /^quadstream: \/nonexistent\/qs\.json: cannot read config file \(ENOENT\)/,
  ],
] as const) {
  test(`bad input (${label}) → exit 2, one line, no stack trace`, async () => {
    const r = await runCli(args);
    assert.equal(r.code, 2);
    assert.match(r.stderr, pattern);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    assert.equal(r.stdout, '');
  });
}

test('bad input (invalid profile file) → exit 2 naming the field and the problem', async () => {
  using dir = tempDir();
  const path = join(dir.path, 'profiles.json');
  writeFileSync(
    path,
    JSON.stringify({
      profiles: {
        mine: {
          width: 1280,
          height: 720,
          fps: -5,
          targetBitrate: '2M',
          minBitrate: '1M',
          maxBitrate: '3M',
          codecs: ['h264'],
        },
      },
    }),
  );
  const r = await runCli(['probe', '--config', path, '--profile', 'mine']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /profiles\.json: profiles\.mine\.fps: Too small: expected number to be >0/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
});
