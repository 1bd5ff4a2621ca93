/**
 * The player's files: `web/index.html` as is, and `web/player.ts` and `web/worker.ts` bundled by
 * esbuild in memory (no build folder). Built once per process and cached.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { QuadStreamError, describeError } from '../core/errors.ts';

/** A file the server serves. */
export interface WebAsset {
  readonly contentType: string;
  readonly body: Buffer;
}

const WEB_DIR = fileURLToPath(new URL('../../web/', import.meta.url));

let cached: Promise<ReadonlyMap<string, WebAsset>> | undefined;

async function buildAssets(): Promise<ReadonlyMap<string, WebAsset>> {
  const assets = new Map<string, WebAsset>();
  try {
    const result = await build({
      entryPoints: { player: `${WEB_DIR}player.ts`, worker: `${WEB_DIR}worker.ts` },
      bundle: true,
      write: false,
      format: 'esm',
      target: 'chrome110',
      platform: 'browser',
      sourcemap: 'inline',
      outdir: '/',
      logLevel: 'silent',
    });
    for (const file of result.outputFiles) {
      const name = file.path.replace(/^.*\//, '');
      assets.set(`/${name}`, {
        contentType: 'text/javascript; charset=utf-8',
        body: Buffer.from(file.contents),
      });
    }
    const html = await readFile(`${WEB_DIR}index.html`);
    assets.set('/', { contentType: 'text/html; charset=utf-8', body: html });
  } catch (cause) {
    throw new QuadStreamError(
      'internal',
      'web.build-failed',
      `cannot build the player: ${describeError(cause)}`,
      {
        cause,
      },
    );
  }
  return assets;
}

/** The player's files by URL path (`/`, `/player.js`, `/worker.js`). */
export function webAssets(): Promise<ReadonlyMap<string, WebAsset>> {
  cached ??= buildAssets();
  cached.catch(() => {
    cached = undefined;
  });
  return cached;
}
