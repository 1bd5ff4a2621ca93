import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isQuadStreamError } from '../src/core/errors.ts';
import {
  BUILTIN_PROFILES,
  findProfile,
  loadProfilesFile,
  mergeProfiles,
  parseProfiles,
} from '../src/encode/profiles.ts';
import { tempDir } from './helpers/tmp.ts';

test('built-in profiles include the ones the product promises, with 8k60-live at 120 Mbit/s and a 5 Mbit/s floor', () => {
  for (const name of [
    '1080p60-lowlatency',
    '1440p120-lowlatency',
    '4k60-lowlatency',
    '4k120-lowlatency',
    '8k60-live',
    '4k-conference',
    'archive-quality',
  ]) {
    assert.ok(findProfile(BUILTIN_PROFILES, name));
  }
  const p8k = findProfile(BUILTIN_PROFILES, '8k60-live');
  assert.equal(p8k.targetBitrateBps, 120_000_000);
  assert.equal(p8k.minBitrateBps, 5_000_000);
  assert.equal(findProfile(BUILTIN_PROFILES, '4k-conference').bFrames, false);
});

test('user profiles parse bitrates like 8M and override built-ins by name', () => {
  const user = parseProfiles(
    {
      profiles: {
        'my-720p': {
          width: 1280,
          height: 720,
          fps: 30,
          targetBitrate: '3M',
          minBitrate: '500k',
          maxBitrate: 6e6,
          codecs: ['vp9', 'h264'],
        },
        '8k60-live': {
          width: 7680,
          height: 4320,
          fps: 30,
          targetBitrate: '60M',
          minBitrate: '5M',
          maxBitrate: '80M',
          codecs: ['av1'],
        },
      },
    },
    'test.json',
  );
  assert.equal(user[0]?.targetBitrateBps, 3_000_000);
  assert.equal(user[0]?.minBitrateBps, 500_000);
  const all = mergeProfiles(user);
  assert.equal(findProfile(all, '8k60-live').fps, 30);
  assert.equal(findProfile(all, 'my-720p').codecs[0], 'vp9');
});

test('an invalid profile file names the field and the problem', async () => {
  using dir = tempDir();
  const path = join(dir.path, 'bad.json');
  writeFileSync(
    path,
    JSON.stringify({
      profiles: {
        x: {
          width: 1280,
          height: 720,
          fps: 30,
          targetBitrate: 'fast',
          minBitrate: 1,
          maxBitrate: 2,
          codecs: ['h264'],
        },
      },
    }),
  );
  await assert.rejects(loadProfilesFile(path), (e: unknown) => {
    assert.ok(isQuadStreamError(e));
    assert.equal(e.kind, 'config');
    assert.match(e.message, /bad\.json: profiles\.x\.targetBitrate: not a bitrate: "fast"/);
    return true;
  });
  writeFileSync(
    path,
    JSON.stringify({
      profiles: {
        y: {
          width: 1280,
          height: 720,
          fps: 30,
          targetBitrate: 1,
          minBitrate: 1,
          maxBitrate: 2,
          codecs: ['mpeg2'],
        },
      },
    }),
  );
  await assert.rejects(loadProfilesFile(path), /profiles\.y\.codecs\.0: /);
  writeFileSync(path, '{ not json');
  await assert.rejects(loadProfilesFile(path), /bad\.json: not valid JSON/);
});

test('unknown profile lists the known names', () => {
  assert.throws(
    () => findProfile(BUILTIN_PROFILES, 'nope'),
    /unknown profile "nope" \(known: 1080p60-lowlatency, /,
  );
});
