/**
 * Headless Chromium (Debian's `chromium`, driven by playwright-core) for end-to-end tests and
 * `quadstream bench stream`. Installs it with scripts/ensure-chromium.sh when it is missing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type BrowserServer, type Page } from 'playwright-core';
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

/** A launched headless Chromium (playwright gives it a fresh temporary profile). */
export class HeadlessBrowser implements AsyncDisposable {
  readonly browser: Browser;
  readonly context: BrowserContext;
  readonly #server: BrowserServer;

  private constructor(server: BrowserServer, browser: Browser, context: BrowserContext) {
    this.#server = server;
    this.browser = browser;
    this.context = context;
  }

  /** Launches Chromium. */
  static async launch(
    options: { viewport?: { width: number; height: number } } = {},
  ): Promise<HeadlessBrowser> {
    const executablePath = ensureChromium();
    // A browser server, so that its process (and so its CPU time) is known.
    const server = await chromium.launchServer({ executablePath, headless: true, args: [...CHROMIUM_ARGS] });
    try {
      const browser = await chromium.connect(server.wsEndpoint());
      const context = await browser.newContext({
        viewport: options.viewport ?? { width: 1280, height: 720 },
      });
      return new HeadlessBrowser(server, browser, context);
    } catch (error) {
      await server.close();
      throw error;
    }
  }

  /** Opens `url` in a new tab. */
  async open(url: string): Promise<Page> {
    const page = await this.context.newPage();
    await page.goto(url);
    return page;
  }

  /** The browser's main process id (its renderer, GPU and utility processes are its descendants). */
  get pid(): number | undefined {
    return this.#server.process().pid;
  }

  /** Closes the browser. Idempotent. */
  async close(): Promise<void> {
    try {
      await this.browser.close();
    } finally {
      await this.#server.close();
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
