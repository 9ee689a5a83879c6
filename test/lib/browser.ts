// What a test of the UI in a real browser starts: `concord serve` as a child process (its UI's
// address read from what it prints), and Debian's Chromium driven by playwright-core on a
// profile of its own.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { tmpDir } from './tmp';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
export const CHROMIUM = '/usr/bin/chromium';
export const haveChromium = (): boolean => fs.existsSync(CHROMIUM);

export interface Served {
  child: ChildProcess;
  /** The UI's address, with its access token. */
  url: string;
  stdout(): string;
  /** SIGTERM, and waits for it to exit. */
  stop(): Promise<void>;
}

/** `concord serve ARGS…`, once it prints the UI's address (90 s at most). */
export async function serveHub(args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<Served> {
  const child = spawn(process.execPath, ['bin/concord.mjs', 'serve', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`concord serve printed no URL:\n${out}`)), 90_000);
    const look = () => {
      const m = /Concord hub running at (http:\/\/\S+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.stdout!.off('data', look);
      resolve(m[1]!);
    };
    child.stdout!.on('data', look);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`concord serve exited (${code}):\n${out}`));
    });
  });
  return {
    child,
    url,
    stdout: () => out,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await gone;
    },
  };
}

/** Headless Chromium on a fresh profile, its first page at `url`; `close` removes the profile. */
export async function openChromium(
  url: string,
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
  await page.goto(url);
  return {
    context,
    page,
    close: async () => {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}
