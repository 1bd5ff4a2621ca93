/**
 * Headless Chromium (Debian's `chromium`, driven by playwright-core) for end-to-end tests and
 * `quadstream bench stream`. Installs it with scripts/ensure-chromium.sh when it is missing. Each
 * launch gets a fresh profile folder, removed at close.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { QuadStreamError } from '../core/errors.ts';

/** Where Debian installs Chromium. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

const ENSURE_SCRIPT = fileURLToPath(new URL('../../scripts/ensure-chromium.sh', import.meta.url));

/** Flags for a quiet, reproducible headless browser on a machine without a GPU. */
export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
  // Keep painting and timers at full rate although nobody looks at the window.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
] as const;

/** Makes sure Chromium is installed (running scripts/ensure-chromium.sh when it is not). */
export function ensureChromium(): string {
  if (existsSync(CHROMIUM_PATH)) return CHROMIUM_PATH;
  const r = spawnSync('sh', [ENSURE_SCRIPT], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0 || !existsSync(CHROMIUM_PATH))
    throw new QuadStreamError(
      'config',
      'browser.missing',
      `chromium is not installed and scripts/ensure-chromium.sh failed: ${(r.stderr || r.stdout || '').trim().split('\n').pop() ?? ''}`,
    );
  return CHROMIUM_PATH;
}

/** A launched headless Chromium. */
export class HeadlessBrowser implements AsyncDisposable {
  readonly context: BrowserContext;
  readonly #profile: string;

  private constructor(context: BrowserContext, profile: string) {
    this.context = context;
    this.#profile = profile;
  }

  /** Launches Chromium with a fresh profile. */
  static async launch(
    options: { viewport?: { width: number; height: number } } = {},
  ): Promise<HeadlessBrowser> {
    const executablePath = ensureChromium();
    const profile = mkdtempSync(join(tmpdir(), 'qs-chromium-'));
    try {
      const context = await chromium.launchPersistentContext(profile, {
        executablePath,
        headless: true,
        args: [...CHROMIUM_ARGS],
        viewport: options.viewport ?? { width: 1280, height: 720 },
      });
      return new HeadlessBrowser(context, profile);
    } catch (error) {
      rmSync(profile, { recursive: true, force: true });
      throw error;
    }
  }

  /** Opens `url` in a new tab. */
  async open(url: string): Promise<Page> {
    const page = await this.context.newPage();
    await page.goto(url);
    return page;
  }

  /** The browser's main process id, when known (for CPU accounting). */
  get pid(): number | undefined {
    const browser = this.context.browser();
    const proc = (browser as unknown as { process?: () => { pid?: number } } | null)?.process?.();
    return proc?.pid;
  }

  /** Closes the browser and removes its profile. Idempotent. */
  async close(): Promise<void> {
    try {
      await this.context.close();
    } finally {
      rmSync(this.#profile, { recursive: true, force: true });
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
