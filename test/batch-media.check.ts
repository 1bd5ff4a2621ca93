/**
 * Every clip of the shared media folder encoded to H.264 with `quadstream encode` (a subprocess,
 * `--preset fast`, default workers) must pass the encoder's own verification, and decode to the
 * same frame count. Slower than the unit suite (full-size clips up to 1080p): run with
 * `npm run test:media`.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { EncodeReport } from '../src/batch/report.ts';
import { inspectVideo } from '../src/media/inspect.ts';
import { MEDIA } from './helpers/batch-clips.ts';
import { reportOf, runCli } from './helpers/batch-cli.ts';
import { tempDir } from './helpers/tmp.ts';

const dir = tempDir('qs-batch-media-');
after(() => dir[Symbol.dispose]());

const clips = readdirSync(MEDIA).filter((f) => /\.(mp4|ts|webm|mkv|mov)$/.test(f));

for (const clip of clips) {
  test(`${clip} → H.264 MP4 verifies`, async () => {
    const output = join(dir.path, `${clip}.mp4`);
    const run = await runCli(['encode', join(MEDIA, clip), '-o', output, '--preset', 'fast', '--json'], {
      timeoutMs: 300_000,
    });
    assert.equal(run.code, 0, run.stderr);
    const report = reportOf<EncodeReport>(run);
    assert.equal(report.outputFrames, report.inputFrames);
    const decoded = await inspectVideo(output);
    assert.equal(decoded.codec, 'h264');
    assert.equal(decoded.frames, report.inputFrames);
    console.log(
      `${clip}: ${report.inputFrames} frames, ${report.segments.length} segment(s), ${report.workers} worker(s), ` +
        `${report.wallSeconds.toFixed(1)} s, audio ${report.audio.map((a) => `${a.action} ${a.codec}`).join(', ') || 'none'}, ` +
        `max timestamp error ${(report.verify.maxTimestampErrorS * 1000).toFixed(3)} ms` +
        (report.dropped.length > 0 ? `, dropped ${report.dropped.join(', ')}` : ''),
    );
  });
}
