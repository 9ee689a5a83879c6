// The Devices, Conflicts and Settings screens in Chromium against `concord serve --demo`
// with LAN sync on loopback: the demo's conflicts are there at start, "Use this version"
// moves the "in use" mark, LAN sync is switched at run time, pairing a laptop shows what to
// type into it (and a QR code of it), "Sync now" says why it cannot, and the screens fit a
// 400 px wide window and an 800×600 one.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { create } from 'qrcode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../lib/process';
import { ROOT, focused, go, startSession, type Session } from './harness';

const SHOTS = path.join(ROOT, 'test-output', 'e2e-devices', new Date().toISOString().replace(/[:.]/g, '-'));
let s: Session;
let lanPort: number;

async function shot(name: string): Promise<void> {
  await s.page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  console.log(`screenshots: ${SHOTS}`);
  lanPort = await freePort();
  s = await startSession({ args: ['--demo', '--lan-port', String(lanPort), '--lan-host', '127.0.0.1'] });
}, 120_000);

afterAll(async () => {
  await s?.close();
});

/** Whether something answers on the LAN port now. */
async function lanAnswers(): Promise<boolean> {
  try {
    await fetch(`http://127.0.0.1:${lanPort}/syncml`);
    return true;
  } catch {
    return false;
  }
}

/** Every element matched that is cut off by the window or by a scrolling ancestor. */
function clipped(selector: string): Promise<string[]> {
  return s.page.evaluate((sel) => {
    const out: string[] = [];
    for (const el of document.querySelectorAll(sel)) {
      const r = el.getBoundingClientRect();
      if (r.width === 0) continue;
      const box = { left: 0, right: document.documentElement.clientWidth };
      for (let a = el.parentElement; a; a = a.parentElement) {
        const st = getComputedStyle(a);
        if (st.overflowX !== 'visible') {
          const ar = a.getBoundingClientRect();
          box.left = Math.max(box.left, ar.left);
          box.right = Math.min(box.right, ar.right);
        }
      }
      if (r.left < box.left - 0.5 || r.right > box.right + 0.5) out.push(`${(el.textContent ?? '').trim()} [${Math.round(r.left)}, ${Math.round(r.right)}] outside [${Math.round(box.left)}, ${Math.round(box.right)}]`);
    }
    return out;
  }, selector);
}

describe('Conflicts', () => {
  it('shows the demo conflicts at start, and moves the "in use" mark to the version chosen', async () => {
    const { page } = s;
    await page.goto(s.url + '#/conflicts');
    await page.getByRole('button', { name: /^Anna Berg/ }).waitFor();
    await page.getByRole('button', { name: /^Kenji Tanaka/ }).waitFor();
    await page.getByRole('button', { name: /^Anna Berg/ }).click();
    const table = page.locator('table.versions');
    await table.locator('th[data-spid=demo-phone] .badge:text-is("Kept")').waitFor();
    // The kept version offers no "Use this version"; the other does, named with its device.
    const foot = table.locator('tfoot td');
    await expect.poll(() => foot.nth(1).getByRole('button').count()).toBe(0);
    const useLaptop = page.getByRole('button', { name: 'Use this version from Laptop', exact: true });
    expect(await useLaptop.textContent()).toBe('Use this version from Laptop');
    expect(await useLaptop.isVisible()).toBe(true);

    await useLaptop.click();
    await table.locator('th[data-spid=demo-laptop] .badge:text-is("In use (your choice)")').waitFor();
    await table.locator('th[data-spid=demo-phone] .badge:text-is("Not used")').waitFor();
    expect(await table.locator('th .badge:text-is("Kept")').count()).toBe(0);
    await expect.poll(() => table.locator('button').allTextContents()).toEqual(['Use this version from Phone (SIM card)']);
    await page.locator('article.conflict').getByText(/You chose the version from Laptop today at/).waitFor();
    // The pressed button is gone; the focus is on what happened, not on the page.
    expect(await focused(page)).toMatch(/^p "Using the version from Laptop/);

    // The choice is the hub's, not the page's: a fresh load shows the same.
    await page.reload();
    await page.getByRole('button', { name: /^Anna Berg/ }).click();
    await table.locator('th[data-spid=demo-laptop] .badge:text-is("In use (your choice)")').waitFor();
    expect(await page.getByRole('button', { name: /^Anna Berg/ }).textContent()).toContain('you chose the version from Laptop');
  });

  it('keeps every conflict button whole in an 800×600 window', async () => {
    const { page } = s;
    await page.setViewportSize({ width: 800, height: 600 });
    await page.goto(s.url + '#/conflicts');
    await page.getByRole('button', { name: /^Kenji Tanaka/ }).click();
    await page.locator('table.versions tfoot button').first().waitFor();
    await shot('conflict-800x600');
    expect(await clipped('table.versions button')).toEqual([]);
    expect(await page.evaluate(() => document.querySelector('.table-wrap')!.scrollWidth <= document.querySelector('.table-wrap')!.clientWidth)).toBe(true);
    await page.setViewportSize({ width: 1280, height: 860 });
  });
});

describe('Settings and pairing', () => {
  it('switches LAN sync at run time, shows the data folder, and says start at login is the app\'s', async () => {
    const { page } = s;
    await page.goto(s.url + '#/settings');
    await page.getByTestId('lan-state').filter({ hasText: `http://127.0.0.1:${lanPort}/syncml` }).waitFor();
    await shot('settings');
    expect(await page.getByTestId('data-dir').textContent()).toBe(s.dataDir);
    expect(await page.getByTestId('login-note').textContent()).toMatch(/applies to the Concord desktop app/);
    expect(await lanAnswers()).toBe(true);

    await page.getByLabel('Let devices on my home network sync').uncheck();
    await page.getByTestId('lan-state').filter({ hasText: /^Off\./ }).waitFor();
    await expect.poll(lanAnswers).toBe(false);
    // Pairing needs LAN sync: the hub refuses it, and says how to turn it on.
    const refused = await s.call('devices:pairSyncml', { name: 'Old laptop', user: 'old', password: 'pw' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'invalid', message: expect.stringMatching(/Turn on LAN sync in Settings/) } });
  });

  it('pairs a laptop: the address, user and password to type in, a QR code of them, focus kept', async () => {
    const { page } = s;
    await go(page, 'devices');
    const opener = page.getByRole('button', { name: 'Add a device…' });
    await opener.click();
    // Each kind of device says what to do.
    await page.getByText('Plug the phone into this computer').waitFor();
    await page.getByRole('radio', { name: /A phone over Bluetooth/ }).check();
    await page.getByText('Pair the phone in this computer’s own Bluetooth settings first').waitFor();
    // Escape closes the flow, and the focus is back on its button.
    await page.keyboard.press('Escape');
    await expect.poll(() => focused(page)).toBe('button "Add a device…"');

    await opener.click();
    await page.getByRole('radio', { name: /A laptop or phone on your home network/ }).check();
    await page.locator('.pair-steps').getByText('LAN sync is off').waitFor();
    await page.getByRole('button', { name: 'Turn on LAN sync' }).click();
    // The button is gone once LAN sync is on: the focus is on the form, not the page.
    await expect.poll(() => focused(page)).toBe('input ""');
    expect(await page.evaluate(() => document.activeElement === document.querySelector('.pair-steps input'))).toBe(true);
    await page.getByLabel('Device name').fill('Work laptop');
    expect(await page.getByLabel('User name').inputValue()).toBe('work-laptop');
    const password = await page.getByLabel('Password').inputValue();
    expect(password).toMatch(/^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$/);
    expect(await lanAnswers()).toBe(true);
    await page.getByRole('button', { name: 'Pair', exact: true }).click();

    const card = page.getByTestId('pair-account');
    const url = `http://127.0.0.1:${lanPort}/syncml`;
    expect(await card.getByTestId('pair-url').textContent()).toBe(url);
    expect(await card.getByTestId('pair-user').textContent()).toBe('work-laptop');
    expect(await card.getByTestId('pair-password').textContent()).toBe(password);
    expect(await focused(page)).toBe('h4 "Work laptop is paired. Enter these in its sync settings:"');
    // The QR code holds exactly those three.
    const m = create(`SyncML server: ${url}\nUser name: work-laptop\nPassword: ${password}`, { errorCorrectionLevel: 'M' }).modules;
    const dark: string[] = [];
    for (let r = 0; r < m.size; r++) for (let c = 0; c < m.size; c++) if (m.data[r * m.size + c]) dark.push(`M${c + 4} ${r + 4}h1v1h-1z`);
    expect(await card.getByRole('img', { name: /QR code/ }).locator('path').getAttribute('d')).toBe(dark.join(''));

    await shot('paired');
    await card.getByRole('button', { name: 'Done' }).click();
    await expect.poll(() => focused(page)).toBe('button "Add a device…"');

    // The new device syncs by itself; its "Sync now" says why it is greyed out.
    const laptop = page.locator('article.card', { has: page.getByRole('heading', { name: 'Work laptop' }) });
    expect(await laptop.getByRole('checkbox', { name: /Sync by itself/ }).isChecked()).toBe(true);
    const syncNow = laptop.getByRole('button', { name: 'Sync now Work laptop' });
    expect(await syncNow.isDisabled()).toBe(true);
    expect(await laptop.getByTestId('sync-reason').textContent()).toBe(
      `Work laptop starts its own syncs: start a sync on it (its server address is ${url}). It syncs by itself whenever it connects.`,
    );
    expect(await syncNow.getAttribute('title')).toMatch(/starts its own syncs/);
  });

  it('remembers LAN sync for the next start', async () => {
    const settings = (await s.call('settings:get', {})).value as { lan: { on: boolean; port: number } };
    expect(settings.lan).toMatchObject({ on: true, port: lanPort });
  });
});

describe('narrow windows', () => {
  it('keeps the tabs and each screen within 400 px', async () => {
    const { page } = s;
    await page.setViewportSize({ width: 400, height: 800 });
    await page.goto(s.url + '#/devices');
    for (const screen of ['devices', 'conflicts', 'priority', 'settings', 'activity']) {
      await go(page, screen);
      expect(await clipped('nav a'), `tabs on ${screen}`).toEqual([]);
      const overflow = await page.evaluate(() => ({ page: document.documentElement.scrollWidth, main: document.querySelector('main')!.scrollWidth - document.querySelector('main')!.clientWidth }));
      expect(overflow, `width of ${screen}`).toEqual({ page: 400, main: 0 });
      await shot(`400-${screen}`);
      expect(await clipped('main button'), `buttons on ${screen}`).toEqual([]);
    }
    await page.setViewportSize({ width: 1280, height: 860 });
  });
});
