/**
 * The CLI's one place that turns errors into exit codes and one-line messages: 0 success,
 * 1 failure of the work, 2 bad usage or bad input. Stack traces only with `--verbose`.
 */
import { isQuadStreamError } from '../core/errors.ts';

/** Exit codes of every `quadstream` command. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** Whether `--verbose` was given anywhere on the command line. */
export function verbose(): boolean {
  return process.argv.includes('--verbose');
}

/** Prints one line for `error` on stderr and returns the exit code it deserves. */
export function reportError(error: unknown): number {
  if (isQuadStreamError(error)) {
    process.stderr.write(`quadstream: ${error.message}\n`);
    if (verbose())
      process.stderr.write(
        `${error.stack ?? ''}\n${error.cause instanceof Error ? `cause: ${error.cause.stack}\n` : ''}`,
      );
    return error.kind === 'input' || error.kind === 'config' ? EXIT.usage : EXIT.failure;
  }
  const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
  process.stderr.write(
    `quadstream: internal error: ${message}${verbose() ? '' : ' (run with --verbose for details)'}\n`,
  );
  if (verbose() && error instanceof Error) process.stderr.write(`${error.stack ?? ''}\n`);
  return EXIT.failure;
}

/**
 * Wraps a command's action: runs it, and sets `process.exitCode` from its result or its error.
 * The action returns an exit code (default 0).
 */
export function action<A extends unknown[]>(
  fn: (...args: A) => Promise<number | void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      process.exitCode = (await fn(...args)) ?? EXIT.ok;
    } catch (error) {
      process.exitCode = reportError(error);
    }
  };
}

/** Writes a JSON report as the last line of stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}
