// Keyboard and screen-reader use of the app in Chromium: axe-core (injected into the page)
// finds no serious or critical violation on any screen, in the states a user reaches
// (an editor, the pairing flow, a conflict open); the first Tab reaches the skip link, and
// the skip link keeps the screen; Escape and Cancel close the rename box with the focus
// back on its button; buttons repeated on every device card are told apart by name.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveSocat } from '../../main/app/demo';
import { freePort } from '../lib/process';
import { axe, focused, go, startSession, type Session } from './harness';

let s: Session;

beforeAll(async () => {
  const lanPort = await freePort();
  // With the demo handset on a pty pair when socat is there: a phone "just plugged in".
  s = await startSession({ args: ['--demo', ...(haveSocat() ? ['--demo-phone'] : []), '--lan-port', String(lanPort), '--lan-host', '127.0.0.1'], bypassCSP: true, phones: true });
}, 120_000);

afterAll(async () => {
  await s?.close();
});

/** The screen, whatever the tab showed before (each test can run alone). */
async function show(screen: string): Promise<void> {
  await s.page.goto(`${s.url}#/${screen}`);
  await s.page.locator(`#screen-heading:text-is("${screen[0]!.toUpperCase()}${screen.slice(1)}")`).waitFor();
}

describe('axe-core on every screen', () => {
  it('finds no serious or critical violation', async () => {
    const { page } = s;
    await page.goto(s.url);
    await page.getByTestId('contact-count').filter({ hasText: /\d+ contacts/ }).waitFor();
    const found: Record<string, string[]> = {};
    found.contacts = await axe(page);
    await page.getByRole('option', { name: /^Anna Berg/ }).click();
    await page.locator('#detail-name').waitFor();
    found['contacts, one open'] = await axe(page);

    await go(page, 'devices');
    await page.locator('article.card[data-spid=demo-phone]').waitFor();
    found.devices = await axe(page);
    await page.getByRole('button', { name: 'Add a device…' }).click();
    found['devices, adding a phone'] = await axe(page);
    await page.getByRole('radio', { name: /home network/ }).check();
    await page.getByLabel('Device name').fill('Test laptop');
    found['devices, pairing a laptop'] = await axe(page);
    await page.getByRole('button', { name: 'Pair', exact: true }).click();
    await page.getByTestId('pair-account').waitFor();
    found['devices, paired'] = await axe(page);
    await page.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('button', { name: 'Rename Laptop', exact: true }).click();
    found['devices, renaming'] = await axe(page);
    await page.keyboard.press('Escape');

    await go(page, 'priority');
    found.priority = await axe(page);
    await go(page, 'conflicts');
    await page.locator('table.versions').waitFor();
    found.conflicts = await axe(page);
    await go(page, 'activity');
    await page.locator('.history .run').first().waitFor();
    found.activity = await axe(page);
    await go(page, 'settings');
    await page.getByTestId('lan-state').waitFor();
    found.settings = await axe(page);

    for (const [screen, list] of Object.entries(found)) expect(list, screen).toEqual([]);
  });
});

describe('keyboard', () => {
  it('reaches the skip link with the first Tab, and the skip link keeps the screen', async () => {
    const { page } = s;
    await page.goto(s.url + '#/devices');
    await page.reload();
    await page.locator('#screen-heading:text-is("Devices")').waitFor();
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('a "Skip to content"');
    await page.keyboard.press('Enter');
    expect(await focused(page)).toBe('h2#screen-heading "Devices"');
    expect(page.url()).toMatch(/#\/devices$/);
  });

  it('closes the rename box with Escape or Cancel, and the forget question, with the focus back on their buttons', async () => {
    const { page } = s;
    await show('devices');
    const card = page.locator('article.card[data-spid=demo-laptop]');
    const rename = card.getByRole('button', { name: 'Rename Laptop', exact: true });
    await rename.click();
    await page.keyboard.type(' 2');
    await page.keyboard.press('Escape');
    await expect.poll(() => focused(page)).toBe('button "Rename Laptop"');
    expect(await card.locator('input').count()).toBe(1); // the auto-sync box only

    await rename.click();
    await card.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => focused(page)).toBe('button "Rename Laptop"');

    await card.getByRole('button', { name: 'Forget… Laptop' }).click();
    await card.getByRole('button', { name: 'Keep it' }).click();
    await expect.poll(() => focused(page)).toBe('button "Forget… Laptop"');
  });

  it('keeps the focus on "Sync now" while it works, and after', async () => {
    const { page } = s;
    await show('devices');
    const button = page.getByRole('button', { name: 'Sync now Laptop', exact: true });
    await button.focus();
    await page.keyboard.press('Enter');
    await page.locator('article.card[data-spid=demo-laptop]').getByText('Working on Laptop…').waitFor();
    expect(await focused(page)).toBe('button "Sync now Laptop"');
    await page.locator('article.card[data-spid=demo-laptop]').getByText('Working on Laptop…').waitFor({ state: 'detached', timeout: 30_000 });
    expect(await focused(page)).toBe('button "Sync now Laptop"');
    // The header's own "Sync now" too.
    const all = page.locator('.app-header button.sync-all');
    await all.focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => all.getAttribute('aria-disabled')).toBe('true');
    expect(await focused(page)).toBe('button "Syncing…"');
    await expect.poll(() => all.getAttribute('aria-disabled'), { timeout: 30_000 }).toBe(null);
    expect(await focused(page)).toBe('button "Sync now"');
  });

  it('names each device card\'s buttons and boxes after its device', async () => {
    const { page } = s;
    await show('devices');
    await page.locator('article.card[data-spid=demo-phone]').waitFor();
    const names = async (role: 'button' | 'checkbox', name: RegExp) => {
      const list = page.locator('main').getByRole(role, { name });
      // Without aria-label, these controls are named by their text (hidden parts included).
      return list.evaluateAll((els) => els.map((e) => (e.closest('label') ?? e).textContent!.trim()));
    };
    for (const [role, name] of [
      ['button', /^Sync now/],
      ['button', /^Rename/],
      ['button', /^Forget/],
      ['checkbox', /^Sync by itself/],
    ] as const) {
      const list = await names(role, name);
      expect(list.length, `${name}`).toBeGreaterThanOrEqual(2);
      expect(new Set(list).size, `${name}: ${list.join(' | ')}`).toBe(list.length);
    }
    // The same for the tabs' own "Sync now", which is not a device's.
    expect(await page.getByRole('button', { name: 'Sync now', exact: true }).count()).toBe(1);
  });
});

describe('pairing a phone just plugged in', () => {
  it.skipIf(!haveSocat())('moves the focus to the paired phone\'s card, not to the page', async () => {
    const { page } = s;
    await page.goto(s.url + '#/devices');
    const offered = page.locator('article[data-discovered]');
    await offered.waitFor({ timeout: 45_000 });
    const spid = (await offered.getAttribute('data-discovered'))!;
    expect(await axe(page), 'devices, a phone offered').toEqual([]);
    await offered.getByRole('button', { name: /^Pair this phone/ }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe(`device-${spid}`);
  }, 90_000);
});
