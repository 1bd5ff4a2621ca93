/**
 * The work folder of a file encode: the input's analysis (written once), the journal (plan and
 * finished segments) and the segment files, so that a rerun on the same input and settings resumes.
 * The journal is small and rewritten atomically (temporary file, then rename) after each finished
 * segment; a lock file with the process id keeps two runs from sharing a folder.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { QuadStreamError } from '../core/errors.ts';
import type { PlannedSegment } from '../core/segments.ts';
import type { MediaAnalysis } from '../media/analyze.ts';
import type { TargetQualityOutcome } from './job.ts';

/** Version of the journal's layout; a journal of another version is ignored. */
export const JOURNAL_VERSION = 1;

/** A finished segment as recorded. */
export interface JournalSegment {
  readonly segment: number;
  readonly file: string;
  readonly frames: number;
  readonly bytes: number;
  readonly attempts: number;
  readonly seconds: number;
  readonly causes: readonly string[];
  /** What `--target-vmaf` chose for it. */
  readonly targetQuality?: TargetQualityOutcome;
}

/** The journal's content. */
export interface Journal {
  readonly version: number;
  /** Identity of the input (path, size, modification time). */
  readonly inputKey: string;
  /** Identity of everything that shapes the segments (plan, encoder settings); null until planned. */
  readonly settingsKey: string | null;
  readonly plan: readonly PlannedSegment[] | null;
  readonly done: Readonly<Record<string, JournalSegment>>;
}

/** A stable hash of a JSON-serialisable value. */
export function hashOf(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 32);
}

/** The identity of an input file: a change of path, size or modification time invalidates the work. */
export async function inputKeyOf(path: string): Promise<string> {
  const s = await stat(path);
  return hashOf({ path: resolve(path), size: s.size, mtimeMs: s.mtimeMs });
}

/** An open, locked work folder. */
export class WorkFolder implements AsyncDisposable {
  readonly dir: string;
  /** The journal found on opening, if it belongs to the same input. */
  readonly previous: Journal | null;
  /** The analysis found on opening, if it belongs to the same input. */
  readonly previousAnalysis: MediaAnalysis | null;
  readonly #created: boolean;
  #released = false;
  #saving: Promise<void> = Promise.resolve();

  private constructor(
    dir: string,
    previous: Journal | null,
    analysis: MediaAnalysis | null,
    created: boolean,
  ) {
    this.dir = dir;
    this.previous = previous;
    this.previousAnalysis = analysis;
    this.#created = created;
  }

  /** Opens (creating if needed) and locks `dir`; loads its journal when it matches `inputKey`. */
  static async open(dir: string, inputKey: string): Promise<WorkFolder> {
    let created = false;
    try {
      await stat(dir);
    } catch {
      created = true;
    }
    try {
      // Not recursive for the folder itself: Node's recursive mkdir loops forever where a parent
      // exists but refuses new entries (/proc).
      const parent = dirname(dir);
      if (!(await exists(parent))) await mkdir(parent, { recursive: true });
      if (created) await mkdir(dir);
    } catch (cause) {
      throw new QuadStreamError(
        'config',
        'work.unwritable',
        `${dir}: cannot create the work folder (${(cause as NodeJS.ErrnoException).code ?? 'error'})`,
        { cause, subject: dir },
      );
    }
    await takeLock(join(dir, 'lock'));
    const previous = await readJson<Journal>(join(dir, 'journal.json'));
    const analysis = await readJson<SavedAnalysis>(join(dir, 'analysis.json'));
    const same = (j: { version: number; inputKey: string } | null): boolean =>
      j !== null && j.version === JOURNAL_VERSION && j.inputKey === inputKey;
    return new WorkFolder(
      dir,
      same(previous) ? previous : null,
      same(analysis) ? analysis!.analysis : null,
      created,
    );
  }

  /** Whether this run created the folder. */
  get created(): boolean {
    return this.#created;
  }

  /** Path of a file in the folder. */
  path(name: string): string {
    return join(this.dir, name);
  }

  /**
   * Writes the journal atomically. Saves are queued: two segments finishing together must not
   * interleave their writes (the later journal wins, as it holds more).
   */
  save(journal: Journal): Promise<void> {
    const next = this.#saving.then(() => writeAtomically(this.path('journal.json'), journal));
    // A failed save fails its caller; the queue goes on.
    this.#saving = next.catch(() => undefined);
    return next;
  }

  /** Writes the input's analysis (once per input), atomically. */
  async saveAnalysis(inputKey: string, analysis: MediaAnalysis): Promise<void> {
    await writeAtomically(this.path('analysis.json'), { version: JOURNAL_VERSION, inputKey, analysis });
  }

  /** Releases the lock and deletes the folder (after a successful run). */
  async remove(): Promise<void> {
    this.#released = true;
    await rm(this.dir, { recursive: true, force: true });
  }

  /** Releases the lock, keeping the folder for a later resume. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    await rm(this.path('lock'), { force: true });
  }
}

/** The analysis file's content. */
interface SavedAnalysis {
  readonly version: number;
  readonly inputKey: string;
  readonly analysis: MediaAnalysis;
}

async function readJson<T>(path: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    return null;
  }
}

let tmpCounter = 0;

async function writeAtomically(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.${process.pid}.${++tmpCounter}.tmp`;
  await writeFile(tmp, JSON.stringify(value));
  await rename(tmp, path);
}

async function takeLock(path: string): Promise<void> {
  for (let tries = 0; tries < 2; tries++) {
    try {
      await writeFile(path, String(process.pid), { flag: 'wx' });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(await readFile(path, 'utf8').catch(() => ''));
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
        throw new QuadStreamError(
          'config',
          'work.locked',
          `${path}: another quadstream encode (process ${holder}) is using this work folder`,
          { subject: path },
        );
      }
      // A stale lock from a run that was killed: take it over.
      await rm(path, { force: true });
    }
  }
  throw new QuadStreamError('config', 'work.locked', `${path}: could not lock the work folder`, {
    subject: path,
  });
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
