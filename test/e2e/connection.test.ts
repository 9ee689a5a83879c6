// The browser UI when the hub is away, in Debian's Chromium: a wrong or old access token
// says so and what to do (instead of "trying again" for ever); a stopped hub says it is not
// running and keeps the last list on screen, read-only; started again (same address, kept
// in the data folder), the page reconnects by itself.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const CHROMIUM = '/usr/bin/chromium';
const dirs: string[] = [];
const children: ChildProcess[] = [];
let context: BrowserContext | undefined;

afterAll(async () => {
  await context?.close();
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function serve(dataDir: string): Promise<{ url: string; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, ['bin/concord.mjs', 'serve', '--data', dataDir, '--no-phones'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const end = Date.now() + 90_000;
  while (!/running at \S+/.test(out)) {
    if (Date.now() > end || child.exitCode !== null) throw new Error(`concord serve printed no URL:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: /running at (\S+)/.exec(out)![1]!,
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

describe('the browser UI when the hub is away', () => {
  it('says a wrong token is wrong, and a stopped hub is not running, keeping the list read-only', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'concord-e2e-conn-'));
    dirs.push(dataDir);
    let hub = await serve(dataDir);
    const url = new URL(hub.url);
    const token = url.searchParams.get('token')!;
    for (const fn of ['Anna Berg', 'Ben Carter']) {
      const r = await fetch(`${url.origin}/api/contacts:add`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ contact: { fn } }) });
      expect(r.status).toBe(200);
    }

    context = await chromium.launchPersistentContext(mkdtempSync(path.join(os.tmpdir(), 'concord-chromium-')), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
      viewport: { width: 1280, height: 860 },
    });

    // ---- an old token: said plainly, with what to do, and not retried for ever --------------
    const stale = await context.newPage();
    await stale.goto(`${url.origin}/?token=${'x'.repeat(43)}`);
    const refused = stale.locator('[data-connection=unauthorized]');
    await refused.waitFor({ timeout: 15_000 });
    expect(await refused.getAttribute('role')).toBe('alert');
    expect(await refused.textContent()).toMatch(/access key is wrong or out of date.*concord open/s);
    await stale.waitForTimeout(1500);
    expect(await stale.locator('[data-connection]').getAttribute('data-connection')).toBe('unauthorized');
    await stale.close();

    // ---- the right token, then the hub stops -------------------------------------------------
    const page = await context.newPage();
    await page.goto(hub.url);
    await page.getByRole('option', { name: /^Ben Carter/ }).waitFor({ timeout: 30_000 });
    expect(await page.locator('[data-connection]').count()).toBe(0);
    expect(await hub.stop()).toBe(0);
    const stopped = page.locator('[data-connection=stopped]');
    await stopped.waitFor({ timeout: 15_000 });
    expect(await stopped.textContent()).toMatch(/The Concord hub is not running\..*read-only.*concord serve.*reconnects by itself/s);
    // The last list stays on screen.
    await page.getByRole('option', { name: /^Anna Berg/ }).waitFor();
    await page.getByRole('option', { name: /^Ben Carter/ }).waitFor();
    // Read-only: what would change something is greyed out, saying why.
    const syncNow = page.getByRole('button', { name: 'Sync now' });
    expect(await syncNow.isDisabled()).toBe(true);
    expect(await syncNow.getAttribute('title')).toMatch(/Not connected to the Concord hub/);

    // ---- started again: the same address, and the page is back by itself ------------------------
    hub = await serve(dataDir);
    expect(hub.url).toBe(url.href);
    await page.locator('[data-connection]').waitFor({ state: 'detached', timeout: 20_000 });
    await page.getByRole('option', { name: /^Anna Berg/ }).waitFor();
    expect(await hub.stop()).toBe(0);
  }, 180_000);
});
