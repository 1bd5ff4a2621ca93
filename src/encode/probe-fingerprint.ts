/**
 * The facts a probe result depends on: the FFmpeg build, the GPU device nodes and driver
 * versions, and the environment variables drivers read. A change in any of them invalidates the
 * cached result.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { ENCODERS } from './catalogue.ts';

/** Bump when the probe's method changes, so old caches are not trusted. */
const PROBE_METHOD_VERSION = 3;

function list(dir: string, filter: (name: string) => boolean = () => true): string[] {
  try {
    return readdirSync(dir).filter(filter).sort();
  } catch {
    return [];
  }
}

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

/** Gathers the facts (cheap: a few directory listings and small files). */
export function fingerprintFacts(ffmpegVersion: string, nodeAvVersion: string): Record<string, unknown> {
  return {
    method: PROBE_METHOD_VERSION,
    ffmpegVersion,
    nodeAvVersion,
    platform: platform(),
    arch: arch(),
    dri: list('/dev/dri'),
    nvidiaNodes: list('/dev', (n) => n.startsWith('nvidia')),
    nvidiaDriver: read('/proc/driver/nvidia/version').split('\n')[0] ?? '',
    env: Object.fromEntries(
      [
        'LIBVA_DRIVER_NAME',
        'CUDA_VISIBLE_DEVICES',
        'VK_DRIVER_FILES',
        'VK_ICD_FILENAMES',
        'LD_LIBRARY_PATH',
      ].map((k) => [k, process.env[k] ?? '']),
    ),
    encoders: ENCODERS.map((e) => e.name),
  };
}

/** A short stable hash of the facts. */
export function fingerprint(facts: Record<string, unknown>): string {
  return createHash('sha256').update(JSON.stringify(facts)).digest('hex').slice(0, 16);
}
