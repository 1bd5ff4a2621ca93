/** Writes a file under a temporary name and renames it into place, so a failure leaves nothing half-written. */
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { QuadStreamError } from '../core/errors.ts';

/** Writes `content` to `path` atomically; errors name the file. */
export async function writeFileAtomic(path: string, content: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    await writeFile(tmp, content);
    await rename(tmp, path);
  } catch (cause) {
    await rm(tmp, { force: true });
    const code = (cause as NodeJS.ErrnoException).code ?? 'error';
    throw new QuadStreamError('input', 'output.unwritable', `${path}: cannot write (${code})`, {
      cause,
      subject: path,
    });
  }
}
