import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ENCODERS } from '../src/encode/catalogue.ts';
import { probeEncoders } from '../src/encode/probe.ts';
import { tempDir } from './helpers/tmp.ts';

const SOFTWARE = ['libx264', 'libx265', 'libsvtav1', 'libvpx-vp9'];

test('probe: software encoders available, every hardware encoder unavailable with a reason; cold < 15 s, cached < 1 s', async () => {
  using dir = tempDir();
  const cold = await probeEncoders({ cacheDir: dir.path, refresh: true });
  assert.equal(cold.fromCache, false);
  assert.ok(cold.elapsedMs < 15_000, `cold probe took ${cold.elapsedMs} ms`);
  assert.deepEqual(
    cold.entries.map((e) => e.name),
    ENCODERS.map((e) => e.name),
  );
  for (const name of SOFTWARE) {
    const entry = cold.entries.find((e) => e.name === name);
    assert.equal(entry?.available, true, `${name}: ${entry?.reason}`);
    assert.equal(entry.reason, null);
  }
  // This machine (and CI) has no GPU: every hardware encoder must say why it is unavailable.
  for (const entry of cold.entries.filter((e) => e.hardware)) {
    assert.equal(entry.available, false, entry.name);
    assert.ok(
      entry.reason !== null && entry.reason.length > 5 && !entry.reason.includes('\n'),
      `${entry.name}: ${entry.reason}`,
    );
  }
  assert.equal(cold.entries.find((e) => e.name === 'libx264')?.runtimeBitrate, true);
  assert.equal(cold.entries.find((e) => e.name === 'libx265')?.runtimeBitrate, false);

  // A second call in this process comes from memory; a new process would read the disk cache.
  const warm = await probeEncoders({ cacheDir: dir.path });
  assert.equal(warm.fromCache, true);
  assert.ok(warm.elapsedMs < 1000, `cached probe took ${warm.elapsedMs} ms`);
  assert.deepEqual(warm.entries, cold.entries);
});

test('probe: a timed-out test encode marks only that encoder unavailable, naming the timeout', async () => {
  using dir = tempDir();
  // 1 ms is too short for any encode (the child needs longer just to start): every encoder times out
  // one after another, each in a fresh child, and the probe still returns an entry for each.
  const report = await probeEncoders({
    cacheDir: dir.path,
    refresh: true,
    timeoutMs: 1,
    encoders: ['libx264', 'libvpx-vp9'],
  });
  assert.equal(report.entries.length, 2);
  for (const e of report.entries) {
    assert.equal(e.available, false);
    assert.match(e.reason ?? '', /gave no answer within 1 ms|timed out after/);
  }
});
