/**
 * Named encoding profiles: size, frame rate, bitrate bounds, latency and HDR needs, and codec
 * preferences. Built-in ones ship here; users add their own in a JSON config file. Validated with
 * zod so that a bad file names the field and the problem.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { QuadStreamError } from '../core/errors.ts';
import { CODECS, parseBitrateBps, type Codec } from '../core/units.ts';

const bitrate = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const bps = parseBitrateBps(value);
  if (bps === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `not a bitrate: ${JSON.stringify(value)} (use e.g. 8M or 500k)`,
    });
    return z.NEVER;
  }
  return bps;
});

/** The schema of one profile as written in a config file (bitrates as numbers or `8M`). */
export const profileSchema = z
  .object({
    width: z.number().int().min(16).max(16384),
    height: z.number().int().min(16).max(16384),
    fps: z.number().positive().max(480),
    targetBitrate: bitrate,
    minBitrate: bitrate,
    maxBitrate: bitrate,
    lowLatency: z.boolean().default(false),
    hdr: z.boolean().default(false),
    bFrames: z.boolean().default(true),
    codecs: z.array(z.enum(CODECS)).min(1),
    description: z.string().optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.minBitrate > p.targetBitrate || p.targetBitrate > p.maxBitrate) {
      ctx.addIssue({
        code: 'custom',
        path: ['targetBitrate'],
        message: 'must satisfy minBitrate <= targetBitrate <= maxBitrate',
      });
    }
    if (p.width % 2 !== 0 || p.height % 2 !== 0) {
      ctx.addIssue({ code: 'custom', path: ['width'], message: 'width and height must be even (4:2:0)' });
    }
  });

/** A validated profile. Bitrates in bits per second. */
export interface Profile {
  readonly name: string;
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  readonly targetBitrateBps: number;
  readonly minBitrateBps: number;
  readonly maxBitrateBps: number;
  /** No B-frames, no lookahead, CBR with about one frame of VBV, keyframes on demand. */
  readonly lowLatency: boolean;
  /** Needs 10-bit encoding. */
  readonly hdr: boolean;
  /** B-frames allowed (always false when `lowLatency`). */
  readonly bFrames: boolean;
  /** Codecs in order of preference. */
  readonly codecs: readonly Codec[];
  readonly description: string;
}

function profile(name: string, p: Omit<Profile, 'name'>): Profile {
  return { name, ...p };
}

const M = 1_000_000;

/** The profiles that ship with QuadStream. */
export const BUILTIN_PROFILES: readonly Profile[] = [
  profile('1080p60-lowlatency', {
    width: 1920,
    height: 1080,
    fps: 60,
    targetBitrateBps: 8 * M,
    minBitrateBps: 1 * M,
    maxBitrateBps: 20 * M,
    lowLatency: true,
    hdr: false,
    bFrames: false,
    codecs: ['h264', 'hevc', 'av1', 'vp9'],
    description: 'Desktop and game streaming at 1080p60 with the lowest latency.',
  }),
  profile('1440p120-lowlatency', {
    width: 2560,
    height: 1440,
    fps: 120,
    targetBitrateBps: 30 * M,
    minBitrateBps: 3 * M,
    maxBitrateBps: 60 * M,
    lowLatency: true,
    hdr: false,
    bFrames: false,
    codecs: ['hevc', 'av1', 'h264'],
    description: 'High-refresh game streaming.',
  }),
  profile('4k60-lowlatency', {
    width: 3840,
    height: 2160,
    fps: 60,
    targetBitrateBps: 40 * M,
    minBitrateBps: 5 * M,
    maxBitrateBps: 80 * M,
    lowLatency: true,
    hdr: false,
    bFrames: false,
    codecs: ['hevc', 'av1', 'h264'],
    description: '4K desktop or game streaming.',
  }),
  profile('4k120-lowlatency', {
    width: 3840,
    height: 2160,
    fps: 120,
    targetBitrateBps: 70 * M,
    minBitrateBps: 8 * M,
    maxBitrateBps: 120 * M,
    lowLatency: true,
    hdr: false,
    bFrames: false,
    codecs: ['hevc', 'av1', 'h264'],
    description: '4K high-refresh streaming; needs a hardware encoder.',
  }),
  profile('8k60-live', {
    width: 7680,
    height: 4320,
    fps: 60,
    targetBitrateBps: 120 * M,
    minBitrateBps: 5 * M,
    maxBitrateBps: 120 * M,
    lowLatency: true,
    hdr: false,
    bFrames: false,
    codecs: ['av1', 'hevc', 'h264'],
    description: '8K live production: 120 Mbit/s target and ceiling, 5 Mbit/s floor.',
  }),
  profile('4k-conference', {
    width: 3840,
    height: 2160,
    fps: 30,
    targetBitrateBps: 12 * M,
    minBitrateBps: 1 * M,
    maxBitrateBps: 25 * M,
    lowLatency: true,
    hdr: false,
    bFrames: false,
    codecs: ['h264', 'hevc', 'vp9', 'av1'],
    description: 'Video conferencing: no B-frames, widest decoder support first.',
  }),
  profile('archive-quality', {
    width: 3840,
    height: 2160,
    fps: 60,
    targetBitrateBps: 25 * M,
    minBitrateBps: 5 * M,
    maxBitrateBps: 60 * M,
    lowLatency: false,
    hdr: false,
    bFrames: true,
    codecs: ['av1', 'hevc', 'h264'],
    description: 'File encoding for an archive: best compression, latency does not matter.',
  }),
];

/** Formats zod issues as `profiles.NAME.field: problem; …`. */
function describeIssues(prefix: string, error: z.ZodError): string {
  return error.issues
    .map((i) => `${[prefix, ...i.path.map(String)].filter((s) => s !== '').join('.')}: ${i.message}`)
    .join('; ');
}

const configSchema = z.object({ profiles: z.record(z.string(), z.unknown()) }).loose();

/** Parses a config object `{ "profiles": { NAME: {…} } }` (already read from `source`). */
export function parseProfiles(config: unknown, source: string): Profile[] {
  const top = configSchema.safeParse(config);
  if (!top.success) {
    throw new QuadStreamError('config', 'config.invalid', `${source}: ${describeIssues('', top.error)}`, {
      subject: source,
    });
  }
  const out: Profile[] = [];
  for (const [name, raw] of Object.entries(top.data.profiles)) {
    if (!/^[a-z0-9][a-z0-9._-]*$/i.test(name)) {
      throw new QuadStreamError(
        'config',
        'config.invalid',
        `${source}: profile name "${name}" must be letters, digits, . _ -`,
      );
    }
    const parsed = profileSchema.safeParse(raw);
    if (!parsed.success) {
      throw new QuadStreamError(
        'config',
        'config.invalid',
        `${source}: ${describeIssues(`profiles.${name}`, parsed.error)}`,
        {
          subject: source,
        },
      );
    }
    const p = parsed.data;
    out.push({
      name,
      width: p.width,
      height: p.height,
      fps: p.fps,
      targetBitrateBps: p.targetBitrate,
      minBitrateBps: p.minBitrate,
      maxBitrateBps: p.maxBitrate,
      lowLatency: p.lowLatency,
      hdr: p.hdr,
      bFrames: p.bFrames && !p.lowLatency,
      codecs: p.codecs,
      description: p.description ?? '',
    });
  }
  return out;
}

/** Reads a JSON config file and returns its profiles; errors name the file and the field. */
export async function loadProfilesFile(path: string): Promise<Profile[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new QuadStreamError(
      'config',
      'config.unreadable',
      `${path}: cannot read config file (${(cause as NodeJS.ErrnoException).code ?? 'error'})`,
      { cause, subject: path },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new QuadStreamError(
      'config',
      'config.invalid',
      `${path}: not valid JSON (${(cause as Error).message})`,
      { cause, subject: path },
    );
  }
  return parseProfiles(json, path);
}

/** All profiles: built-ins, overridden or extended by the user's. */
export function mergeProfiles(user: readonly Profile[]): Profile[] {
  const byName = new Map<string, Profile>(BUILTIN_PROFILES.map((p) => [p.name, p]));
  for (const p of user) byName.set(p.name, p);
  return [...byName.values()];
}

/** Finds a profile by name, or throws a config error listing the known names. */
export function findProfile(profiles: readonly Profile[], name: string): Profile {
  const found = profiles.find((p) => p.name === name);
  if (found === undefined) {
    throw new QuadStreamError(
      'config',
      'config.unknown-profile',
      `unknown profile "${name}" (known: ${profiles.map((p) => p.name).join(', ')})`,
    );
  }
  return found;
}
