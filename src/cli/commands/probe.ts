/** `quadstream probe`: which encoders work here, and which one a profile would use. */
import { Option, type Command } from 'commander';
import { CODECS } from '../../core/units.ts';
import { decideEncoder } from '../../encode/decision.ts';
import { probeEncoders } from '../../encode/probe.ts';
import { findProfile, loadProfilesFile, mergeProfiles } from '../../encode/profiles.ts';
import { action, printJson } from '../run-command.ts';

interface ProbeFlags {
  json?: boolean;
  profile?: string;
  config?: string;
  refresh?: boolean;
  codec?: string;
}

/** Registers `probe` on the program. */
export function registerProbe(program: Command): void {
  program
    .command('probe')
    .description('test every encoder with a real one-frame encode; with --profile, show the choice and why')
    .option('--json', 'machine-readable output')
    .option('--profile <name>', 'show which encoder this profile would use, and why')
    .option('--config <file>', 'JSON file with extra profiles ({ "profiles": { NAME: {...} } })')
    .option('--refresh', 'ignore the cached result and probe again')
    .addOption(new Option('--codec <codec>', 'list only encoders of this codec').choices(CODECS))
    .action(
      action(async (flags: ProbeFlags) => {
        const profiles = mergeProfiles(
          flags.config === undefined ? [] : await loadProfilesFile(flags.config),
        );
        const profile = flags.profile === undefined ? undefined : findProfile(profiles, flags.profile);
        const report = await probeEncoders({ refresh: flags.refresh === true });
        const encoders = report.entries
          .filter((e) => flags.codec === undefined || e.codec === flags.codec)
          .map((e) => ({
            name: e.name,
            codec: e.codec,
            hardware: e.hardware,
            available: e.available,
            reason: e.reason,
            runtimeBitrate: e.runtimeBitrate,
          }));
        const decision = profile === undefined ? undefined : decideEncoder(profile, report.entries);
        if (flags.json === true) {
          printJson({
            fingerprint: report.fingerprint,
            probedAt: report.probedAt,
            fromCache: report.fromCache,
            elapsedMs: report.elapsedMs,
            encoders,
            ...(decision === undefined || profile === undefined
              ? {}
              : {
                  profile,
                  decision: {
                    chosen: decision.chosen?.name ?? null,
                    candidates: decision.candidates.map((c) => c.name),
                    considered: decision.considered,
                  },
                }),
          });
          return decision !== undefined && decision.chosen === null ? 1 : 0;
        }
        const out: string[] = [];
        out.push(
          `Encoders (${report.fromCache ? `cached, probed ${report.probedAt}` : `probed in ${report.elapsedMs} ms`}):`,
        );
        for (const e of encoders) {
          const kind = e.hardware ? 'hw' : 'sw';
          const state = e.available ? 'available' : `unavailable: ${e.reason ?? ''}`;
          out.push(
            `  ${e.name.padEnd(12)} ${e.codec.padEnd(5)} ${kind}  live-bitrate:${e.runtimeBitrate ? 'yes' : 'no '}  ${state}`,
          );
        }
        if (decision !== undefined && profile !== undefined) {
          out.push(
            '',
            `Profile ${profile.name}: ${profile.width}x${profile.height}@${profile.fps}, codecs ${profile.codecs.join(' > ')}`,
          );
          for (const c of decision.considered)
            out.push(`  ${c.accepted ? '+' : '-'} ${c.encoder.padEnd(12)} ${c.reason}`);
          out.push(
            decision.chosen === null ? 'No encoder meets this profile.' : `Chosen: ${decision.chosen.name}`,
          );
        }
        process.stdout.write(`${out.join('\n')}\n`);
        return decision !== undefined && decision.chosen === null ? 1 : 0;
      }),
    );
}
