import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ENCODERS } from '../src/encode/catalogue.ts';
import { decideEncoder } from '../src/encode/decision.ts';
import type { ProbeEntry } from '../src/encode/probe-types.ts';
import { BUILTIN_PROFILES, findProfile } from '../src/encode/profiles.ts';

function probe(available: readonly string[]): ProbeEntry[] {
  return ENCODERS.map((e) => ({
    name: e.name,
    codec: e.codec,
    api: e.api,
    hardware: e.hardware,
    available: available.includes(e.name),
    reason: available.includes(e.name) ? null : 'not here',
    runtimeBitrate: e.runtimeBitrate,
    probeMs: 1,
  }));
}

const SOFTWARE = ['libx264', 'libx265', 'libsvtav1', 'libvpx-vp9'];

test('decision: codec preference first, hardware before software', () => {
  const profile = findProfile(BUILTIN_PROFILES, '4k60-lowlatency'); // hevc > av1 > h264
  const d = decideEncoder(profile, probe([...SOFTWARE, 'hevc_nvenc', 'h264_nvenc']));
  assert.equal(d.chosen?.name, 'hevc_nvenc');
  assert.deepEqual(
    d.candidates.map((c) => c.name),
    ['hevc_nvenc', 'libx265', 'libsvtav1', 'h264_nvenc', 'libx264'],
  );
});

test('decision: software only picks the first preferred codec, and explains each rejection', () => {
  const profile = findProfile(BUILTIN_PROFILES, '1080p60-lowlatency'); // h264 first
  const d = decideEncoder(profile, probe(SOFTWARE));
  assert.equal(d.chosen?.name, 'libx264');
  const nvenc = d.considered.find((c) => c.encoder === 'h264_nvenc');
  assert.equal(nvenc?.accepted, false);
  assert.equal(nvenc.reason, 'unavailable: not here');
  assert.match(d.considered.find((c) => c.encoder === 'libx264')?.reason ?? '', /bitrate changes apply live/);
});

test('decision: size limits reject an encoder (8K is beyond h264_nvenc)', () => {
  const profile = findProfile(BUILTIN_PROFILES, '8k60-live'); // av1 > hevc > h264
  const d = decideEncoder(profile, probe(['h264_nvenc', 'libx264']));
  assert.equal(d.chosen?.name, 'libx264');
  assert.match(
    d.considered.find((c) => c.encoder === 'h264_nvenc')?.reason ?? '',
    /7680x4320 exceeds its maximum 4096x4096/,
  );
});

test('decision: HDR needs 10-bit; nothing available means no choice', () => {
  const hdr = { ...findProfile(BUILTIN_PROFILES, '4k60-lowlatency'), hdr: true, codecs: ['h264'] as const };
  const d = decideEncoder(hdr, probe(['h264_nvenc']));
  assert.equal(d.chosen, null);
  assert.match(d.considered.find((c) => c.encoder === 'h264_nvenc')?.reason ?? '', /10-bit/);
  assert.equal(decideEncoder(hdr, probe([])).candidates.length, 0);
});
