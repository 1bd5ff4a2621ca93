/** `quadstream serve`: stream a live source to browsers and print the URL to open. */
import type { Command } from 'commander';
import { QuadStreamError } from '../../core/errors.ts';
import { isCodec, parseBitrateBps, parseSize, type Codec } from '../../core/units.ts';
import { CONTROLLER_KINDS, type ControllerKind } from '../../core/rate/index.ts';
import { AdaptiveRate } from '../../stream/adaptive-rate.ts';
import { defaultBitrates } from '../../stream/bitrate-defaults.ts';
import { action } from '../run-command.ts';

interface ServeFlags {
  source: string;
  size?: string;
  fps: string;
  codec?: string;
  port: string;
  host: string;
  bitrate?: string;
  minBitrate?: string;
  maxBitrate?: string;
  abr: string;
  gop?: string;
  ladder: boolean;
}

function usage(message: string): QuadStreamError {
  return new QuadStreamError('config', 'cli.bad-flag', message);
}

/** Parses `--fps` (`60`, `59.94`, `30000/1001`) into a fraction. */
export function parseFrameRate(text: string): readonly [number, number] | undefined {
  const m = /^(\d+)(?:\/(\d+))?$/.exec(text.trim());
  if (m !== null) {
    const num = Number(m[1]);
    const den = m[2] === undefined ? 1 : Number(m[2]);
    return num > 0 && den > 0 && num / den <= 480 ? [num, den] : undefined;
  }
  const f = Number(text);
  if (!Number.isFinite(f) || f <= 0 || f > 480) return undefined;
  return [Math.round(f * 1000), 1000];
}

/** Registers `serve` on the program. */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('stream a live source to web browsers (the player is at the printed URL)')
    .option('--source <source>', 'test, file:PATH, screen[:DISPLAY] or camera[:DEVICE]', 'test')
    .option('--size <WxH>', 'picture size (default: 1920x1080 for test, the source’s own otherwise)')
    .option('--fps <n>', 'frame rate of the test, screen and camera sources', '60')
    .option(
      '--codec <codec>',
      'stream only this codec: h264, vp9, av1 or hevc (default: best the browser decodes)',
    )
    .option('--bitrate <rate>', 'target bitrate, e.g. 8M (default: by size and frame rate)')
    .option('--min-bitrate <rate>', 'adaptive bitrate floor (default: an eighth of the target)')
    .option('--max-bitrate <rate>', 'adaptive bitrate ceiling (default: 2.5 times the target)')
    .option(
      '--abr <controller>',
      `adaptive bitrate from the viewers' feedback: ${CONTROLLER_KINDS.join(', ')} (off: fixed bitrate)`,
      'gcc',
    )
    .option(
      '--no-ladder',
      'with --abr: keep the picture size and frame rate (default: step down a resolution and frame-rate ladder at low rates)',
    )
    .option('--gop <frames>', 'a keyframe every N frames as well (default: on demand only)')
    .option('--port <port>', 'TCP port (0: any free port)', '8080')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .action(
      action(async (flags: ServeFlags) => {
        const size = flags.size === undefined ? undefined : parseSize(flags.size);
        if (flags.size !== undefined && size === undefined)
          throw usage(`--size ${flags.size}: expected WIDTHxHEIGHT, e.g. 1920x1080`);
        if (size !== undefined && (size.width % 2 !== 0 || size.height % 2 !== 0))
          throw usage(`--size ${flags.size}: width and height must be even`);
        const frameRate = parseFrameRate(flags.fps);
        if (frameRate === undefined)
          throw usage(`--fps ${flags.fps}: expected a frame rate such as 60 or 30000/1001`);
        let codec: Codec | undefined;
        if (flags.codec !== undefined) {
          if (!isCodec(flags.codec)) throw usage(`--codec ${flags.codec}: expected h264, vp9, av1 or hevc`);
          codec = flags.codec;
        }
        const port = Number(flags.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535)
          throw usage(`--port ${flags.port}: expected a port number (0-65535)`);
        const bitrateBps = flags.bitrate === undefined ? undefined : parseBitrateBps(flags.bitrate);
        if (flags.bitrate !== undefined && bitrateBps === undefined)
          throw usage(`--bitrate ${flags.bitrate}: expected a bitrate such as 8M or 2500k`);
        if (!(CONTROLLER_KINDS as readonly string[]).includes(flags.abr))
          throw usage(`--abr ${flags.abr}: expected one of ${CONTROLLER_KINDS.join(', ')}`);
        const rateFlag = (name: string, text: string | undefined): number | undefined => {
          if (text === undefined) return undefined;
          const bps = parseBitrateBps(text);
          if (bps === undefined) throw usage(`${name} ${text}: expected a bitrate such as 8M or 2500k`);
          return bps;
        };
        // Sources of unknown size until opened (files, screens) get the 1080p defaults.
        const defaults = defaultBitrates(
          size?.width ?? 1920,
          size?.height ?? 1080,
          frameRate[0] / frameRate[1],
        );
        const startBps = bitrateBps ?? defaults.bitrateBps;
        const minBitrateBps = rateFlag('--min-bitrate', flags.minBitrate) ?? Math.round(startBps / 8);
        const maxBitrateBps = rateFlag('--max-bitrate', flags.maxBitrate) ?? Math.round(startBps * 2.5);
        if (!(minBitrateBps <= startBps && startBps <= maxBitrateBps))
          throw usage('--min-bitrate, --bitrate and --max-bitrate must be in increasing order');
        const abr = flags.abr as ControllerKind;
        const gop = flags.gop === undefined ? undefined : Number(flags.gop);
        if (gop !== undefined && (!Number.isInteger(gop) || gop < 1))
          throw usage(`--gop ${flags.gop}: expected a number of frames`);

        const { StreamServer } = await import('../../stream/server.ts');
        const server = await StreamServer.start({
          source: flags.source,
          ...(size ?? (flags.source === 'test' ? { width: 1920, height: 1080 } : {})),
          frameRate,
          host: flags.host,
          port,
          ...(codec === undefined ? {} : { codec }),
          bitrateBps: startBps,
          minBitrateBps,
          maxBitrateBps,
          ...(gop === undefined ? {} : { gopFrames: gop }),
          ...(abr === 'off'
            ? {}
            : {
                rateController: new AdaptiveRate({
                  kind: abr,
                  minBitrateBps,
                  maxBitrateBps,
                  startBitrateBps: startBps,
                  ladder: flags.ladder,
                }),
              }),
        });
        const codecs = server.codecs.map((c) => `${c.codec} (${c.candidates.map((e) => e.name).join(', ')})`);
        process.stdout.write(
          `QuadStream: streaming ${server.source.description}; codecs: ${codecs.join(', ')}\n` +
            `Open ${server.url} in a browser (figures: ${server.url}stats, ${server.url}metrics). Ctrl-C stops.\n`,
        );
        await new Promise<void>((resolve) => {
          const stop = (): void => {
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
            resolve();
          };
          process.on('SIGINT', stop);
          process.on('SIGTERM', stop);
        });
        await server.close();
        process.stdout.write('QuadStream: stopped\n');
        return 0;
      }),
    );
}
