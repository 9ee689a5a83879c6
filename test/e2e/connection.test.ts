// The browser UI when the hub is away, in Debian's Chromium: a wrong or old access token
// says so and what to do (instead of "trying again" for ever); a stopped hub says it is not
// running and keeps the last list on screen, read-only; started again (same address, kept
// in the data folder), the page reconnects by itself.
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { openChromium } from '../lib/browser';
import { serveHub, type Served } from '../lib/serve';
import { tmpDir } from '../lib/tmp';

const dirs: string[] = [];
let browser: Awaited<ReturnType<typeof openChromium>> | undefined;

afterAll(async () => {
  await browser?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The hub on `dataDir` at the address kept there (no --port: the same one each start). */
const serve = (dataDir: string): Promise<Served> => serveHub(['--data', dataDir, '--no-phones']);

describe('the browser UI when the hub is away', () => {
  it('says a wrong token is wrong, and a stopped hub is not running, keeping the list read-only', async () => {
    const dataDir = tmpDir('e2e-conn');
    dirs.push(dataDir);
    let hub = await serve(dataDir);
    const url = new URL(hub.url);
    const token = url.searchParams.get('token')!;
    for (const fn of ['Anna Berg', 'Ben Carter']) {
      const r = await fetch(`${url.origin}/api/contacts:add`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ contact: { fn } }) });
      expect(r.status).toBe(200);
    }

    browser = await openChromium(undefined, { viewport: { width: 1280, height: 860 } });
    const { context } = browser;

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
