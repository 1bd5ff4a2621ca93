/**
 * The project's logger: pino, writing JSON lines to stderr. The level comes from
 * `QUADSTREAM_LOG` (default `warn`); the CLI's `--verbose` lowers it to `debug`.
 */
import { pino, type Logger } from 'pino';

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
type Level = (typeof LEVELS)[number];

function initialLevel(): Level {
  const wanted = process.env['QUADSTREAM_LOG'];
  return (LEVELS as readonly string[]).includes(wanted ?? '') ? (wanted as Level) : 'warn';
}

/** The root logger. Use `logger.child({ component })` in modules. */
export const logger: Logger = pino({ level: initialLevel(), base: null }, pino.destination(2));

/** Sets the level of the root logger and of every child created afterwards. */
export function setLogLevel(level: Level): void {
  logger.level = level;
}

export type { Logger };
