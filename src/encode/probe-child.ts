/**
 * The probe's child process: probes each encoder named on the command line in turn and writes one
 * line per event on stdout, prefixed so that stray output from drivers is ignored:
 * `QSPROBE {"start":NAME}` before an encoder, `QSPROBE {"name":…,"available":…}` after it.
 */
import { probeEncoder } from './probe-encode.ts';
import { PROBE_LINE_PREFIX } from './probe-types.ts';

process.env['SVT_LOG'] ??= '1';
for (const name of process.argv.slice(2)) {
  process.stdout.write(`${PROBE_LINE_PREFIX}${JSON.stringify({ start: name })}\n`);
  const outcome = await probeEncoder(name);
  process.stdout.write(`${PROBE_LINE_PREFIX}${JSON.stringify({ name, ...outcome })}\n`);
}
