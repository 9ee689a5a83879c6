// The safety net's settings and notifications in a real browser (Debian's Chromium through
// playwright-core), a user's walk: notifications allowed from a click (never asked on load);
// the guard's threshold raised, and a simulated phone deleting fewer, then more, than it;
// the hold notified once (not again on another run, a reload or a reconnect); history
// retention refused below 30 days, in the form and by the hub; the number of backups and
// "Back up now"; every value still there after the hub restarts; then a sync undone from
// Activity, and that undo undone, which brings back the state before the first undo. The
// hub runs in this process, so the test drives the devices and the browser drives the UI.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api } from '../../main/api/handlers';
import { startServer, type RunningServer } from '../../main/api/ws-server';
import { ensureRendererBuilt, RENDERER_DIST } from '../../main/app/serve';
import { SimulatedDevice } from '../../main/devices/simulated/device';
import { Hub } from '../../main/hub/hub';
import { openChromium } from '../lib/browser';
import { tmpDir } from '../lib/tmp';
import { axe } from './harness';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const SHOTS = path.join(ROOT, 'test-output', 'e2e-settings-safety', new Date().toISOString().replace(/[:.]/g, '-'));
const people = Array.from({ length: 60 }, (_, i) => ({ fn: `Person ${String(i).padStart(2, '0')}`, tel: [{ type: 'cell', value: `020 7946 ${1000 + i}` }] }));

let dataDir: string;
let hub: Hub;
let api: Api;
let server: RunningServer;
let browser: Awaited<ReturnType<typeof openChromium>>;
let context: BrowserContext;
let page: Page;
const phone = new SimulatedDevice({ spid: 'phone', initial: people });
const laptop = new SimulatedDevice({ spid: 'laptop' });
/** What the page did with the Notification API. */
const notes: { title: string; body: string }[] = [];
const asked: { gesture: boolean }[] = [];

/** The hub on the data folder, its devices attached, its UI served (on `port`, with `token`,
 *  when given: a restart the open page reconnects to by itself). */
async function openHub(port = 0, token?: string): Promise<void> {
  hub = Hub.open({ dataDir, region: 'GB' });
  for (const [d, name] of [[phone, 'Phone'], [laptop, 'Laptop']] as const) {
    if (!hub.device(d.spid)) hub.pairDevice({ spid: d.spid, name, kind: 'simulated', link: 'simulated', changeTracking: 'log' });
    hub.attach(d);
  }
  api = new Api({ hub, dataDir });
  server = await startServer({ api, staticDir: RENDERER_DIST, port, ...(token ? { token } : {}) });
}

async function closeHub(): Promise<void> {
  await server?.close();
  api?.dispose();
  await hub?.close();
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  await ensureRendererBuilt(() => undefined);
  dataDir = tmpDir('e2e-settings');
  await openHub();
  await hub.sync();
  // bypassCSP only to inject axe-core into a page whose CSP (rightly) allows no foreign script.
  browser = await openChromium(undefined, { viewport: { width: 1280, height: 860 }, bypassCSP: true });
  context = browser.context;
  await context.grantPermissions(['notifications']);
  // The page's Notification, recorded: its permission starts as the browser's "not asked
  // yet" (kept in the page's storage, so a reload remembers the answer), asking records
  // whether a click was behind it, and each notification made is reported to the test.
  await context.exposeBinding('recordNotification', (_src, title: string, body: string) => void notes.push({ title, body }));
  await context.exposeBinding('recordPermissionAsked', (_src, gesture: boolean) => void asked.push({ gesture }));
  await context.addInitScript(() => {
    const w = window as unknown as { recordNotification(t: string, b: string): void; recordPermissionAsked(g: boolean): void };
    class Recorded {
      onclick: (() => void) | null = null;
      static get permission(): string {
        return localStorage.getItem('test.permission') ?? 'default';
      }
      static async requestPermission(): Promise<string> {
        w.recordPermissionAsked(navigator.userActivation.isActive);
        localStorage.setItem('test.permission', 'granted');
        return 'granted';
      }
      constructor(title: string, init?: { body?: string }) {
        w.recordNotification(title, init?.body ?? '');
      }
      close(): void {}
    }
    Object.defineProperty(window, 'Notification', { value: Recorded, configurable: true, writable: true });
  });
  page = browser.page;
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await closeHub();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function settings(): Promise<void> {
  await page.click('nav [data-screen=settings]');
  await page.getByTestId('guard-state').waitFor();
}

describe('the safety net\'s settings in the UI', () => {
  it('applies the guard as set, notifies a hold once, refuses a short history, keeps backups, and keeps it all across a restart', async () => {
    await page.goto(server.url);
    await page.waitForSelector('#screen-heading');
    await settings();
    const guard = page.getByTestId('guard-settings');
    expect(await page.getByTestId('guard-deletes').inputValue()).toBe('10');
    expect(await page.getByTestId('guard-percent').inputValue()).toBe('10');
    await expect.poll(() => page.getByTestId('guard-state').textContent()).toMatch(/^On: more than 10 deletions and more than 10 % of the contacts/);
    // Never asked on load: only the click on "Notify me" asks.
    expect(asked).toEqual([]);
    await page.getByTestId('notify-me').click();
    await page.getByTestId('notify-choice').waitFor();
    expect(asked).toEqual([{ gesture: true }]);
    expect(await page.getByTestId('notify-choice').isChecked()).toBe(true);

    // The threshold raised to more than 20 deletions (and 10 %).
    await page.getByTestId('guard-deletes').fill('abc');
    await expect.poll(() => page.getByTestId('guard-deletes').getAttribute('aria-invalid')).toBe('true');
    const problemId = await page.getByTestId('guard-deletes').getAttribute('aria-describedby');
    expect(await page.locator(`[id="${problemId}"]`).textContent()).toBe('The number of deletions is a whole number.');
    expect(await guard.getByRole('button', { name: 'Save' }).isDisabled()).toBe(true);
    await page.getByTestId('guard-deletes').fill('20');
    await guard.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.getByTestId('guard-state').textContent()).toMatch(/^On: more than 20 deletions and more than 10 % of the contacts/);
    expect(hub.guard()).toEqual({ deletes: 20, share: 0.1 });

    // 15 deletions (25 % of 60, but not more than 20): they go through everywhere.
    for (const r of phone.records().slice(0, 15)) phone.userDelete(r.luid);
    await hub.sync();
    expect(hub.contacts()).toHaveLength(45);
    expect(laptop.records()).toHaveLength(45);
    expect(await page.getByTestId('hold-banner').count()).toBe(0);

    // 25 more (more than 20, and more than 10 % of 45): held, the banner and one notification.
    for (const r of phone.records().slice(0, 25)) phone.userDelete(r.luid);
    await hub.sync();
    const banner = page.getByTestId('hold-banner');
    await banner.waitFor({ timeout: 30_000 });
    expect(await banner.textContent()).toMatch(/Your Phone deleted 25 contacts\. Nothing was deleted elsewhere\./);
    expect(laptop.records()).toHaveLength(45);
    await expect.poll(() => notes.length, { timeout: 10_000 }).toBe(1);
    expect(notes[0]).toEqual({ title: 'Your Phone deleted 25 contacts.', body: 'Nothing was deleted elsewhere. Open Concord to delete them everywhere or keep them.' });
    // Another run, then a reload: the same hold is not notified again.
    await hub.sync();
    await page.reload();
    await banner.waitFor({ timeout: 30_000 });
    await page.waitForTimeout(500);
    expect(notes).toHaveLength(1);
    await page.screenshot({ path: path.join(SHOTS, 'hold-notified.png'), fullPage: true });

    // History: fewer than 30 days is refused in the form, and by the hub.
    await settings();
    const days = page.getByTestId('retention-days');
    await days.fill('20');
    await expect.poll(() => days.getAttribute('aria-invalid')).toBe('true');
    const daysProblem = await days.getAttribute('aria-describedby');
    expect(await page.locator(`[id="${daysProblem}"]`).textContent()).toBe('History is kept at least 30 days, so that any sync of the last month can be undone.');
    const retention = page.locator('section[aria-labelledby=retention-heading]');
    expect(await retention.getByRole('button', { name: 'Save' }).isDisabled()).toBe(true);
    const refused = await api.call('settings:setRetention', { days: 20 });
    expect(refused).toMatchObject({ ok: false, error: { code: 'invalid', message: 'History is kept at least 30 days, so that any sync of the last month can be undone.' } });
    await days.fill('90');
    await retention.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.getByTestId('retention-state').textContent()).toMatch(/^Kept 90 days/);
    expect(hub.historyRetention()).toBe(90);
    await days.fill('20');
    const found: Record<string, string[]> = { 'settings, with a hold and a refused value': await axe(page) };
    await days.fill('90');

    // Backups: three kept; one made now, where the screen says they are.
    const backups = page.locator('section[aria-labelledby=backup-heading]');
    expect(await page.getByTestId('backup-dir').textContent()).toBe(path.join(dataDir, 'backups'));
    await page.getByTestId('backup-keep').fill('0');
    await expect.poll(() => page.getByTestId('backup-keep').getAttribute('aria-invalid')).toBe('true');
    expect((await api.call('settings:setBackupKeep', { keep: 0 })).ok).toBe(false);
    await page.getByTestId('backup-keep').fill('3');
    await backups.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.getByTestId('backup-keep').getAttribute('aria-invalid')).toBe('false');
    await backups.getByRole('button', { name: 'Back up now' }).click();
    const made = page.getByTestId('backup-made').locator('code');
    await made.waitFor({ timeout: 30_000 });
    const file = (await made.textContent())!;
    expect(path.dirname(file)).toBe(path.join(dataDir, 'backups'));
    expect(existsSync(file)).toBe(true);
    await expect.poll(() => page.getByTestId('backup-latest').textContent()).toMatch(/^Last backup: today at/);

    // At 400 px wide, nothing sticks out sideways.
    await page.setViewportSize({ width: 400, height: 860 });
    await page.screenshot({ path: path.join(SHOTS, 'settings-400.png'), fullPage: true });
    for (const heading of ['guard-heading', 'retention-heading', 'backup-heading']) {
      await page.locator(`section[aria-labelledby=${heading}]`).screenshot({ path: path.join(SHOTS, `settings-400-${heading}.png`) });
    }
    // (The screen scrolls inside <main>: nothing may overflow it, nor the page.)
    expect(await page.evaluate(() => [document.documentElement.scrollWidth, document.getElementById('main')!.scrollWidth - document.getElementById('main')!.clientWidth])).toEqual([400, 0]);
    await page.setViewportSize({ width: 1280, height: 860 });

    expect(found).toEqual({ 'settings, with a hold and a refused value': [] });

    // A restart of the hub on the same port and token: the page reconnects by itself, the
    // values are the same, and the hold (still there) is not notified again.
    const { port, token } = server;
    await closeHub();
    await openHub(port, token);
    expect(hub.guard()).toEqual({ deletes: 20, share: 0.1 });
    await expect.poll(() => page.getByTestId('retention-state').textContent(), { timeout: 30_000 }).toMatch(/^Kept 90 days/);
    await page.reload();
    await settings();
    expect(await page.getByTestId('guard-deletes').inputValue()).toBe('20');
    expect(await page.getByTestId('guard-percent').inputValue()).toBe('10');
    expect(await page.getByTestId('retention-days').inputValue()).toBe('90');
    expect(await page.getByTestId('backup-keep').inputValue()).toBe('3');
    await banner.waitFor();
    await page.waitForTimeout(500);
    expect(notes).toHaveLength(1);

    // Turned off, the thresholds stay (greyed) and come back when it is turned on again.
    await guard.getByRole('checkbox', { name: 'Hold mass deletions and ask me' }).uncheck();
    await expect.poll(() => page.getByTestId('guard-state').textContent()).toMatch(/^Off/);
    expect(hub.guard()).toBeNull();
    expect(await page.getByTestId('guard-deletes').isDisabled()).toBe(true);
    await guard.getByRole('checkbox', { name: 'Hold mass deletions and ask me' }).check();
    await expect.poll(() => page.getByTestId('guard-state').textContent()).toMatch(/^On: more than 20 deletions/);

    // The phone's contacts kept: the banner goes, and the phone has them all again.
    await banner.getByRole('button', { name: 'Keep them' }).click();
    await banner.waitFor({ state: 'detached', timeout: 30_000 });
    await hub.sync();
    expect(phone.records()).toHaveLength(45);
    expect(notes).toHaveLength(1);
  }, 240_000);

  it('undoes an undo from Activity: the contacts are as before the first undo', async () => {
    laptop.userAdd({ fn: 'Zed Newcomer', tel: [{ type: 'cell', value: '020 7946 9999' }] });
    const run = await hub.sync();
    expect(phone.records().some((r) => r.data.fn === 'Zed Newcomer')).toBe(true);
    await page.click('nav [data-screen=activity]');
    const entry = page.locator(`li[data-run="${run.id}"]`);
    await entry.waitFor({ timeout: 30_000 });
    await entry.getByTestId('undo-sync').click();
    const dialog = page.getByTestId('undo-dialog');
    await dialog.getByRole('button', { name: 'Undo this sync' }).click();
    await dialog.waitFor({ state: 'detached', timeout: 30_000 });
    // The desktop app reconciles the undo in a run of the editor's own (no device).
    const undoRun = await hub.sync([]);
    expect(undoRun.devices).toEqual([]);
    await hub.sync();
    expect(phone.records().some((r) => r.data.fn === 'Zed Newcomer')).toBe(false);
    expect(laptop.records().some((r) => r.data.fn === 'Zed Newcomer')).toBe(false);

    // That run is an entry of its own: it says what it undid, and offers "Undo this undo…".
    const undoEntry = page.locator(`li[data-run="${undoRun.id}"]`);
    await undoEntry.waitFor({ timeout: 30_000 });
    expect(await undoEntry.getByTestId('undo-of').textContent()).toMatch(/^Undid the sync of today at/);
    await expect.poll(() => entry.textContent()).toMatch(/Undone today at/);
    await undoEntry.getByRole('button', { name: 'Undo this undo…' }).click();
    await dialog.waitFor();
    await expect.poll(() => dialog.textContent()).toMatch(/Add back Zed Newcomer/);
    await page.screenshot({ path: path.join(SHOTS, 'undo-undo-preview.png'), fullPage: true });
    expect(await axe(page), 'activity, undoing an undo').toEqual([]);
    await dialog.getByRole('button', { name: 'Undo this undo' }).click();
    await dialog.waitFor({ state: 'detached', timeout: 30_000 });
    await hub.sync();
    for (const d of [phone, laptop]) expect(d.records().filter((r) => r.data.fn === 'Zed Newcomer')).toHaveLength(1);
    expect(hub.contacts().filter((r) => r.contact.fn === 'Zed Newcomer')).toHaveLength(1);
    expect(hub.contacts()).toHaveLength(46);
  }, 120_000);
});
