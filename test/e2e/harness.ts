// What the Playwright tests of the UI share: `concord serve` started as a user starts it
// (test/lib/serve.ts) on a fresh data folder, Debian's Chromium driven by playwright-core
// (test/lib/browser.ts), a few page helpers, and the hub's HTTP face of the contract for
// calls a test makes behind the UI's back.
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { openChromium } from '../lib/browser';
import { serveHub, type Served } from '../lib/serve';
import { tmpDir } from '../lib/tmp';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

export interface Session {
  /** The `concord serve` child: its output, and `stop` (its exit status). */
  hub: Served;
  dataDir: string;
  url: string;
  context: BrowserContext;
  page: Page;
  /** POST /api/<channel> with the access token. */
  call(channel: string, args: unknown): Promise<{ ok: boolean; value?: unknown; error?: { code: string; message: string } }>;
  /** Closes the browser, stops the hub and removes the data folder. */
  close(): Promise<void>;
}

/** `concord serve --data <fresh> --port 0 [--no-phones] ARGS…` and Chromium on a blank page
 *  (the test loads the address itself). */
export async function startSession(
  opts: { args?: string[]; viewport?: { width: number; height: number }; bypassCSP?: boolean; /** watch serial ports (for --demo-phone) */ phones?: boolean } = {},
): Promise<Session> {
  const dataDir = tmpDir('e2e');
  const hub = await serveHub(['--data', dataDir, '--port', '0', ...(opts.phones ? [] : ['--no-phones']), ...(opts.args ?? [])], { echoStderr: true });
  const browser = await openChromium(undefined, {
    viewport: opts.viewport ?? { width: 1280, height: 860 },
    // Only to inject axe-core into a page whose CSP (rightly) allows no foreign script.
    bypassCSP: opts.bypassCSP ?? false,
  });
  const hubUrl = new URL(hub.url);
  const token = hubUrl.searchParams.get('token') ?? '';
  return {
    hub,
    dataDir,
    url: hub.url,
    context: browser.context,
    page: browser.page,
    call: async (channel, args) => {
      const r = await fetch(`${hubUrl.origin}/api/${channel}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(args) });
      return (await r.json()) as { ok: boolean; value?: unknown; error?: { code: string; message: string } };
    },
    close: async () => {
      await browser.close();
      await hub.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Clicks a tab and waits for its screen's heading. */
export async function go(page: Page, screen: string): Promise<void> {
  await page.click(`nav [data-screen=${screen}]`);
  await page.waitForSelector(`#screen-heading:text-is("${screen[0]!.toUpperCase()}${screen.slice(1)}")`);
}

/** The element that has the keyboard focus, as tag#id.class "text". */
export function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return 'body';
    return `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''} "${(el.textContent ?? '').trim().slice(0, 60)}"`;
  });
}

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

/** axe-core's serious and critical findings on the page as it is now, one line each (the
 *  context must bypass the page's CSP to inject it). */
export async function axe(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const a = (window as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: Violation[] }> } }).axe;
    const r = await a.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
      // Experimental in axe, and exactly what a speech-input user needs: a control's name
      // contains its visible text.
      rules: { 'label-content-name-mismatch': { enabled: true } },
    });
    return r.violations;
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${v.help} — ${n.target.join(' ')}`));
}
