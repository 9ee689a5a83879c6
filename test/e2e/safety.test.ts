// The safety net in a real browser (Debian's Chromium through playwright-core): a simulated
// phone deletes 50 of its 60 contacts; the hold banner appears and the laptop still has 60;
// "Keep them" gives the phone its contacts back; then a sync is undone from Activity. The
// hub, its simulated devices and the UI server run in this process, so the test drives the
// devices and the browser drives the UI.
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api } from '../../main/api/handlers';
import { startServer, type RunningServer } from '../../main/api/ws-server';
import { ensureRendererBuilt, RENDERER_DIST } from '../../main/app/serve';
import { SimulatedDevice } from '../../main/devices/simulated/device';
import { Hub } from '../../main/hub/hub';
import { openChromium } from '../lib/browser';
import { tmpDir } from '../lib/tmp';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const SHOTS = path.join(ROOT, 'test-output', 'e2e-safety', new Date().toISOString().replace(/[:.]/g, '-'));
const people = Array.from({ length: 60 }, (_, i) => ({ fn: `Person ${String(i).padStart(2, '0')}`, tel: [{ type: 'cell', value: `020 7946 ${1000 + i}` }] }));

let dataDir: string;
let hub: Hub;
let api: Api;
let server: RunningServer;
let browser: Awaited<ReturnType<typeof openChromium>>;
let page: Page;
const phone = new SimulatedDevice({ spid: 'phone', initial: people });
const laptop = new SimulatedDevice({ spid: 'laptop' });

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  await ensureRendererBuilt(() => undefined);
  dataDir = tmpDir('e2e-safety');
  hub = Hub.open({ dataDir, region: 'GB' });
  for (const [d, name] of [[phone, 'Phone'], [laptop, 'Laptop']] as const) {
    hub.pairDevice({ spid: d.spid, name, kind: 'simulated', link: 'simulated', changeTracking: 'log' });
    hub.attach(d);
  }
  await hub.sync();
  api = new Api({ hub, dataDir });
  server = await startServer({ api, staticDir: RENDERER_DIST, port: 0 });
  browser = await openChromium(undefined, { viewport: { width: 1280, height: 860 } });
  page = browser.page;
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  api?.dispose();
  await hub?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('the safety net in the UI', () => {
  it('holds a phone that deleted 50 of 60, keeps them on "Keep them", and undoes a sync from Activity', async () => {
    await page.goto(server.url);
    await page.waitForSelector('#screen-heading');
    expect(laptop.records()).toHaveLength(60);

    for (const r of phone.records().slice(0, 50)) phone.userDelete(r.luid);
    await hub.sync();
    const banner = page.getByTestId('hold-banner');
    await banner.waitFor({ timeout: 30_000 });
    await expect.poll(() => banner.textContent()).toMatch(/Your Phone deleted 50 contacts\. Nothing was deleted elsewhere\./);
    expect(laptop.records()).toHaveLength(60);
    expect(hub.contacts()).toHaveLength(60);
    await page.screenshot({ path: path.join(SHOTS, 'hold-banner.png'), fullPage: true });

    await banner.getByRole('button', { name: 'Keep them' }).click();
    await banner.waitFor({ state: 'detached', timeout: 30_000 });
    await hub.sync();
    expect(phone.records()).toHaveLength(60);

    // A sync that adds a contact, undone from Activity.
    laptop.userAdd({ fn: 'Zed Newcomer', tel: [{ type: 'cell', value: '020 7946 9999' }] });
    const run = await hub.sync();
    expect(phone.records()).toHaveLength(61);
    await page.click('nav [data-screen=activity]');
    const entry = page.locator(`li[data-run="${run.id}"]`);
    await entry.waitFor({ timeout: 30_000 });
    await entry.getByTestId('undo-sync').click();
    const dialog = page.getByTestId('undo-dialog');
    await dialog.waitFor();
    await expect.poll(() => dialog.textContent()).toMatch(/Delete Zed Newcomer — on Laptop, Phone|Delete Zed Newcomer — on Phone, Laptop/);
    await page.screenshot({ path: path.join(SHOTS, 'undo-preview.png'), fullPage: true });
    await dialog.getByRole('button', { name: 'Undo this sync' }).click();
    await dialog.waitFor({ state: 'detached', timeout: 30_000 });
    await hub.sync();
    expect(phone.records()).toHaveLength(60);
    expect(laptop.records()).toHaveLength(60);
    expect(hub.contacts().some((r) => r.contact.fn === 'Zed Newcomer')).toBe(false);
  }, 180_000);
});
