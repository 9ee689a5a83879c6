// What the Playwright tests of the UI share: `concord serve` started as a child process on
// a fresh data folder, Debian's Chromium driven by playwright-core, a few page helpers, and
// the hub's HTTP face of the contract for calls a test makes behind the UI's back.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');
const CHROMIUM = '/usr/bin/chromium';
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

export interface Session {
  child: ChildProcess;
  dataDir: string;
  url: string;
  stdout: () => string;
  context: BrowserContext;
  page: Page;
  /** POST /api/<channel> with the access token. */
  call(channel: string, args: unknown): Promise<{ ok: boolean; value?: unknown; error?: { code: string; message: string } }>;
  close(): Promise<void>;
}

/** A port free on loopback now (for a `--lan-port` the test wants to know in advance). */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** `concord serve` through the CLI once it is wired; the module directly until then. */
function serveCommand(args: string[]): string[] {
  const cli = path.join(ROOT, 'main', 'cli', 'main.ts');
  const wired = existsSync(cli) && readFileSync(cli, 'utf8').includes('runServe');
  return wired ? ['bin/concord.mjs', 'serve', ...args] : ['bin/run-ts.mjs', 'main/app/serve.ts', 'serve', ...args];
}

export async function startSession(
  opts: { args?: string[]; viewport?: { width: number; height: number }; bypassCSP?: boolean; /** watch serial ports (for --demo-phone) */ phones?: boolean } = {},
): Promise<Session> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'concord-e2e-'));
  const child = spawn(process.execPath, serveCommand(['--data', dataDir, '--port', '0', ...(opts.phones ? [] : ['--no-phones']), ...(opts.args ?? [])]), { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stderr!.on('data', (d) => process.stderr.write(d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`concord serve printed no URL:\n${out}`)), 90_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /Concord hub running at (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`concord serve exited (${code}):\n${out}`)));
  });
  const context = await chromium.launchPersistentContext(mkdtempSync(path.join(os.tmpdir(), 'concord-chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
    viewport: opts.viewport ?? { width: 1280, height: 860 },
    // Only to inject axe-core into a page whose CSP (rightly) allows no foreign script.
    bypassCSP: opts.bypassCSP ?? false,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => console.error('page error:', e.message));
  const hubUrl = new URL(url);
  const token = hubUrl.searchParams.get('token') ?? '';
  return {
    child,
    dataDir,
    url,
    stdout: () => out,
    context,
    page,
    call: async (channel, args) => {
      const r = await fetch(`${hubUrl.origin}/api/${channel}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(args) });
      return (await r.json()) as { ok: boolean; value?: unknown; error?: { code: string; message: string } };
    },
    close: async () => {
      await context.close();
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
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
