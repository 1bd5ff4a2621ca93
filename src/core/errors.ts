/**
 * The project's one error type. Every error that leaves a library function is a
 * {@link QuadStreamError} with a stable string `code`, a `kind` that tells the CLI which exit code
 * to use, and the ES2022 `cause` for the underlying failure.
 */

/** Where an error comes from; the CLI maps `input` and `config` to exit code 2, the rest to 1. */
export const ERROR_KINDS = ['input', 'encode', 'transport', 'config', 'internal'] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

/** Options for {@link QuadStreamError}. */
export interface QuadStreamErrorOptions {
  /** The underlying failure. */
  readonly cause?: unknown;
  /** The file, encoder or other thing the error is about, if any. */
  readonly subject?: string;
}

/** A failure with a stable `code` (for example `input.no-video`), a `kind`, and an optional cause. */
export class QuadStreamError extends Error {
  override readonly name = 'QuadStreamError';
  readonly code: string;
  readonly kind: ErrorKind;
  readonly subject: string | undefined;

  constructor(kind: ErrorKind, code: string, message: string, options: QuadStreamErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.code = code;
    this.subject = options.subject;
  }
}

/** Type guard for {@link QuadStreamError}. */
export function isQuadStreamError(value: unknown): value is QuadStreamError {
  return value instanceof QuadStreamError;
}

/** A one-line description of any thrown value, for messages that wrap it. */
export function describeError(value: unknown): string {
  if (value instanceof Error) return value.message.split('\n')[0] ?? value.name;
  return String(value);
}
