// Debian's Chromium driven by playwright-core on a profile of its own, for tests of the UI in
// a real browser (with serve.ts's `concord serve`).
import fs from 'node:fs';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { tmpDir } from './tmp';

export const CHROMIUM = '/usr/bin/chromium';
export const haveChromium = (): boolean => fs.existsSync(CHROMIUM);

/** Headless Chromium on a fresh profile, its first page at `url` (left blank without one, for
 *  a test that sets the context up before the first load); a page's uncaught errors are
 *  printed; `close` removes the profile. */
export async function openChromium(
  url?: string,
  opts: { viewport?: { width: number; height: number }; bypassCSP?: boolean } = {},
): Promise<{ context: BrowserContext; page: Page; close(): Promise<void> }> {
  const profile = tmpDir('chromium');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
    viewport: opts.viewport ?? { width: 1280, height: 900 },
    bypassCSP: opts.bypassCSP ?? false,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => console.error('page error:', e.message));
  if (url !== undefined) await page.goto(url);
  return {
    context,
    page,
    close: async () => {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}
