/**
 * The hardware probe: which encoders really work on this machine. Each encoder is tried with a
 * real one-frame encode in a child process, under a timeout; a crash or hang marks that encoder
 * unavailable and the probe goes on with the rest in a new child. Results are cached in the
 * process and on disk, keyed by a fingerprint of the FFmpeg build, devices and drivers.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { getFFmpegInfo } from 'node-av/lib';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { logger } from '../log.ts';
import { ENCODERS, findEncoder } from './catalogue.ts';
import { fingerprint, fingerprintFacts } from './probe-fingerprint.ts';
import { PROBE_LINE_PREFIX, type ProbeEntry, type ProbeReport } from './probe-types.ts';

const log = logger.child({ component: 'probe' });

/** Options for {@link probeEncoders}. */
export interface ProbeOptions {
  /** Ignore cached results and probe again (the fresh result is cached). */
  readonly refresh?: boolean;
  /** Folder of the disk cache; default `$XDG_CACHE_HOME/quadstream` or `~/.cache/quadstream`. */
  readonly cacheDir?: string;
  /** Use no disk cache at all. */
  readonly noDiskCache?: boolean;
  /** Time allowed for one encoder's test encode, in milliseconds (default 8000). */
  readonly timeoutMs?: number;
  /** Encoders to probe (default: the whole catalogue). */
  readonly encoders?: readonly string[];
}

const memory = new Map<string, { probedAt: string; entries: ProbeEntry[] }>();

/** The default cache folder. */
export function defaultCacheDir(): string {
  const base = process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache');
  return join(base, 'quadstream');
}

function versions(): { ffmpeg: string; nodeAv: string } {
  const entry = createRequire(import.meta.url).resolve('node-av');
  const pkgPath = join(dirname(entry), '..', 'package.json');
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { version: string };
  const info = getFFmpegInfo();
  return { ffmpeg: `${info.version} ${info.libraries.avcodec}`, nodeAv: pkg.version };
}

/** Probes the encoders (or returns the cached result for this machine's fingerprint). */
export async function probeEncoders(options: ProbeOptions = {}): Promise<ProbeReport> {
  const started = performance.now();
  const v = versions();
  const names = options.encoders ?? ENCODERS.map((e) => e.name);
  const key = `${fingerprint(fingerprintFacts(v.ffmpeg, v.nodeAv))}-${fingerprint({ names })}`;
  const cachePath = join(options.cacheDir ?? defaultCacheDir(), `probe-${key}.json`);
  const done = (probedAt: string, entries: ProbeEntry[], fromCache: boolean): ProbeReport => ({
    fingerprint: key,
    probedAt,
    fromCache,
    elapsedMs: Math.round(performance.now() - started),
    entries,
  });

  if (options.refresh !== true) {
    const hit = memory.get(key) ?? (options.noDiskCache === true ? undefined : readCache(cachePath));
    if (hit !== undefined) {
      memory.set(key, hit);
      return done(hit.probedAt, hit.entries, true);
    }
  }
  const entries = await probeInChildren(names, options.timeoutMs ?? 8000);
  const probedAt = new Date().toISOString();
  memory.set(key, { probedAt, entries });
  if (options.noDiskCache !== true) writeCache(cachePath, { probedAt, entries });
  return done(probedAt, entries, false);
}

function readCache(path: string): { probedAt: string; entries: ProbeEntry[] } | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as { probedAt?: unknown; entries?: unknown };
    if (typeof parsed.probedAt !== 'string' || !Array.isArray(parsed.entries)) return undefined;
    return { probedAt: parsed.probedAt, entries: parsed.entries as ProbeEntry[] };
  } catch {
    return undefined;
  }
}

function writeCache(path: string, value: { probedAt: string; entries: ProbeEntry[] }): void {
  try {
    mkdirSync(join(path, '..'), { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(value, null, 1));
    renameSync(tmp, path);
  } catch (error) {
    log.warn({ err: error, path }, 'could not write the probe cache');
  }
}

function entryFor(name: string, available: boolean, reason: string | null, probeMs: number): ProbeEntry {
  const info = findEncoder(name);
  return {
    name,
    codec: info?.codec ?? 'h264',
    api: info?.api ?? 'software',
    hardware: info?.hardware ?? false,
    available,
    reason,
    runtimeBitrate: info?.runtimeBitrate ?? false,
    probeMs,
  };
}

const CHILD = fileURLToPath(new URL('./probe-child.ts', import.meta.url));

/** Runs children until every name has an outcome; a crash or timeout costs only that encoder. */
async function probeInChildren(names: readonly string[], timeoutMs: number): Promise<ProbeEntry[]> {
  const results = new Map<string, ProbeEntry>();
  let remaining = [...names];
  while (remaining.length > 0) {
    const outcome = await runChild(remaining, timeoutMs);
    for (const entry of outcome.entries) results.set(entry.name, entry);
    if (outcome.failed !== null) {
      results.set(
        outcome.failed.name,
        entryFor(outcome.failed.name, false, outcome.failed.reason, outcome.failed.ms),
      );
    }
    const next = remaining.filter((n) => !results.has(n));
    if (next.length === remaining.length) {
      // The child died before starting anything: report it for all rather than loop.
      for (const n of next)
        results.set(n, entryFor(n, false, outcome.failed?.reason ?? 'probe process failed to start', 0));
      break;
    }
    remaining = next;
  }
  return names.map((n) => results.get(n) ?? entryFor(n, false, 'not probed', 0));
}

interface ChildOutcome {
  entries: ProbeEntry[];
  failed: { name: string; reason: string; ms: number } | null;
}

function runChild(names: readonly string[], timeoutMs: number): Promise<ChildOutcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CHILD, ...names], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SVT_LOG: '1' },
    });
    const entries: ProbeEntry[] = [];
    let current: { name: string; startedAt: number } | null = null;
    let stderrTail = '';
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, timeoutMs);
    };
    arm();
    child.stderr.on('data', (chunk: Buffer) => {
      stderrTail = (stderrTail + chunk.toString()).slice(-2000);
    });
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      if (!line.startsWith(PROBE_LINE_PREFIX)) return;
      const msg = JSON.parse(line.slice(PROBE_LINE_PREFIX.length)) as
        { start: string } | { name: string; available: boolean; reason: string | null; probeMs: number };
      if ('start' in msg) {
        current = { name: msg.start, startedAt: performance.now() };
        arm();
      } else {
        entries.push(entryFor(msg.name, msg.available, msg.reason, msg.probeMs));
        current = null;
      }
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const c = current;
      if (c === null) {
        if (entries.length < names.length) {
          // Died between encoders: blame the next one, which it was about to start.
          const name = names.find((n) => !entries.some((e) => e.name === n)) ?? names[0]!;
          resolve({
            entries,
            failed: {
              name,
              reason: timedOut
                ? `probe process gave no answer within ${timeoutMs} ms`
                : `probe process exited (${signal ?? `code ${code}`}): ${lastLine(stderrTail)}`,
              ms: 0,
            },
          });
        } else {
          // Every encoder reported; a failure while the process was exiting changes none of them.
          if (code !== 0)
            log.debug(
              { code, signal, stderr: lastLine(stderrTail) },
              'probe child exited uncleanly after its work',
            );
          resolve({ entries, failed: null });
        }
        return;
      }
      const ms = Math.round(performance.now() - c.startedAt);
      const reason = timedOut
        ? `test encode timed out after ${(timeoutMs / 1000).toFixed(0)} s`
        : `test encode crashed the probe process (${signal ?? `exit code ${code}`})`;
      resolve({ entries, failed: { name: c.name, reason, ms } });
    });
  });
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? '';
}
