/**
 * `quadstream`: a thin shell over the library. Each subcommand lives in `commands/` and registers
 * itself on the program; this file only wires them and handles usage errors.
 */
import { Command, CommanderError } from 'commander';
import { setLogLevel } from '../log.ts';
import { registerBenchAbr } from './commands/bench-abr.ts';
import { registerBench } from './commands/bench.ts';
import { registerCompare } from './commands/compare.ts';
import { registerEncode } from './commands/encode.ts';
import { registerProbe } from './commands/probe.ts';
import { registerServe } from './commands/serve.ts';
import { EXIT, reportError } from './run-command.ts';

const program = new Command('quadstream')
  .description('Encode and stream high-resolution video to web browsers, and encode files in parallel.')
  .version('0.1.0')
  .option('--verbose', 'debug logging and stack traces on errors')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

program.hook('preAction', () => {
  if (program.opts<{ verbose?: boolean }>().verbose === true) setLogLevel('debug');
});

registerProbe(program);
registerCompare(program);
registerEncode(program);
registerServe(program);
registerBenchAbr(registerBench(program));

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Commander has already printed the message; --help and --version exit 0.
    process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  } else {
    process.exitCode = reportError(error);
  }
}
