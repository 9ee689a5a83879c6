// The whole app in a real browser: Debian's Chromium driven by playwright-core against
// `concord serve --demo` started as a child process. Screenshots of every screen are saved
// under the folder printed at the start.
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, go as goTo, startSession, type Session } from './harness';

const SHOTS = path.join(ROOT, 'test-output', 'e2e', new Date().toISOString().replace(/[:.]/g, '-'));

let s: Session;
let page: Page;

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

const go = (screen: string): Promise<void> => goTo(page, screen);

async function search(q: string): Promise<void> {
  await page.getByRole('searchbox').fill(q);
}

async function waitForRunToFinish(): Promise<void> {
  // While a run goes on, the header's "Sync now" is aria-disabled (it keeps the focus).
  await page.waitForFunction(() => document.querySelector('.app-header button.primary')?.getAttribute('aria-disabled') !== 'true', null, { timeout: 60_000 });
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  console.log(`UI screenshots: ${SHOTS}`);
  // Serial ports watched, as a user's `concord serve --demo` does.
  s = await startSession({ args: ['--demo'], phones: true });
  page = s.page;
}, 120_000);

afterAll(async () => {
  await s?.close();
});

describe('concord serve --demo in Chromium', () => {
  it('walks through every screen', async () => {
    // ---- contacts list -----------------------------------------------------------------
    await page.goto(s.url);
    await expect.poll(() => page.getByTestId('contact-count').textContent()).toMatch(/^\d+ contacts$/);
    const total = Number((await page.getByTestId('contact-count').textContent())!.split(' ')[0]);
    expect(total).toBeGreaterThanOrEqual(30);
    await page.getByRole('option', { name: /^Anna Berg/ }).waitFor();
    // The token left the address bar once read.
    expect(page.url()).not.toContain('token=');
    await shot('01-contacts');

    // ---- search: a number in another format, then a name without its accent ----------------
    await search('07700 900107');
    await expect.poll(() => page.getByTestId('contact-count').textContent()).toBe('1 found');
    await page.getByRole('option', { name: /^George Okafor/ }).waitFor();
    await search('zoe');
    await page.getByRole('option', { name: /^Zoë Adams/ }).waitFor();
    await shot('02-search');
    await search('');

    // ---- add, then edit a contact ------------------------------------------------------------
    await page.getByRole('button', { name: 'Add contact' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Test Person');
    await page.getByLabel('Phone numbers 1', { exact: true }).fill('07700 900999');
    await shot('03-add-contact');
    await page.getByRole('button', { name: 'Save' }).click();
    await search('test person');
    await page.getByRole('option', { name: /^Test Person 07700 900999/ }).click();
    await page.getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Test Person-Edited');
    await page.getByRole('button', { name: 'Add e-mail' }).click();
    await page.getByLabel('E-mails 1', { exact: true }).fill('test@example.org');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('#detail-name:text-is("Test Person-Edited")').waitFor();
    await page.locator('.detail dd:text-is("test@example.org")').waitFor();
    await shot('04-edit-contact');
    await search('');

    // ---- reorder priorities: keyboard and drag and drop, saved at once ---------------------------------
    await go('priority');
    const order = () => page.locator('.priority-item').evaluateAll((els) => els.map((e) => e.getAttribute('data-spid')));
    await expect.poll(order).toEqual(['hub', 'demo-phone', 'demo-laptop']);
    await page.locator('.priority-item[data-spid=demo-laptop]').focus();
    await page.keyboard.press('Alt+ArrowUp');
    await expect.poll(order).toEqual(['hub', 'demo-laptop', 'demo-phone']);
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-spid'))).toBe('demo-laptop');
    await page.locator('.priority-item[data-spid=demo-phone]').dragTo(page.locator('.priority-item[data-spid=demo-laptop]'));
    await expect.poll(order).toEqual(['hub', 'demo-phone', 'demo-laptop']);
    await page.locator('.priority-item[data-spid=demo-laptop]').focus();
    await page.keyboard.press('Alt+ArrowUp');
    await expect.poll(order).toEqual(['hub', 'demo-laptop', 'demo-phone']);
    // Saved: a fresh load of the page shows the new order.
    await page.reload();
    await expect.poll(order).toEqual(['hub', 'demo-laptop', 'demo-phone']);
    await shot('09-priority');

    // ---- sync the demo devices and watch the progress bars ---------------------------------------
    await go('activity');
    // Record every state the bars go through (a run of the demo takes about a second).
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { seen: string[] }).seen = seen;
      new MutationObserver(() => {
        for (const el of document.querySelectorAll('[role=progressbar]')) seen.push(`${el.getAttribute('aria-valuenow')}|${el.getAttribute('aria-valuetext')}`);
      }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-valuenow'] });
    });
    await page.getByRole('button', { name: 'Sync now' }).first().click();
    await page.waitForFunction(() => (window as unknown as { seen: string[] }).seen.some((s) => /Sending changes: [1-9]\d* of/.test(s)));
    await shot('05-activity-during-sync');
    await waitForRunToFinish();
    const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
    const midway = seen.filter((s) => {
      const m = /^(\d+)\|.*Sending changes: (\d+) of (\d+)/.exec(s);
      return m && Number(m[2]) > 0 && Number(m[2]) < Number(m[3]);
    });
    expect(midway.length, `bar states seen: ${seen.join(', ')}`).toBeGreaterThan(0);
    await page.getByTestId('current-step').filter({ hasText: 'Finished' }).waitFor();
    await expect.poll(() => page.locator('.history .run').count()).toBeGreaterThanOrEqual(2);
    // The demo synced once at start (its first conflicts are already listed); this run brings
    // the next one, resolved by the order just set.
    await page.locator('.history .run').first().getByText('1 conflict resolved').waitFor();
    await shot('06-activity-after-sync');

    // ---- open a conflict and use the other version --------------------------------------------------
    await go('conflicts');
    await page.getByRole('button', { name: /^Anna Berg/ }).click();
    const table = page.locator('table.versions');
    await table.locator('th[data-spid=demo-phone] .badge:text-is("Kept")').waitFor();
    await expect.poll(() => table.locator('tr.differs').count()).toBe(1);
    await shot('07-conflict');
    await page.getByRole('button', { name: 'Use this version from Laptop' }).click();
    await page.locator('main').getByText('Using the version from Laptop.').waitFor();
    await go('contacts');
    await search('anna berg');
    await page.getByRole('option', { name: /^Anna Berg 07700 900301/ }).click();
    await page.locator('.detail dd[data-value="+447700900301"]:text-is("07700 900301")').waitFor();
    await search('');

    // ---- devices ------------------------------------------------------------------------------
    await go('devices');
    await page.locator('article.card[data-spid=demo-phone]').getByText('Connected').waitFor();
    await shot('08-devices');

    // ---- the conflict of the run above was resolved the new way (the laptop now wins) ------------------
    await go('conflicts');
    const newest = page.locator('.conflict-list li').first();
    await expect.poll(() => newest.textContent()).toContain('Carla Diaz');
    await newest.getByRole('button').click();
    await table.locator('th[data-spid=demo-laptop] .badge:text-is("Kept")').waitFor();
    await table.locator('th[data-spid=demo-phone] .badge:text-is("Not used")').waitFor();
    await shot('10-conflict-new-priority');

    // ---- import a .vcf with its preview --------------------------------------------------------------
    await go('contacts');
    const vcf = [
      'BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Imogen Newperson\r\nN:Newperson;Imogen\r\nTEL;TYPE=CELL:07700 900777\r\nEND:VCARD',
      'BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Dmitri Volkov\r\nTEL;CELL:+447700900104\r\nEND:VCARD',
      'BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Hannah Schmidt\r\nTEL;TYPE=cell:+4930901820\r\nEMAIL:hannah.new@example.de\r\nEND:VCARD',
    ].join('\r\n');
    await page.getByTestId('import-file').setInputFiles({ name: 'friends.vcf', mimeType: 'text/vcard', buffer: Buffer.from(vcf) });
    const dialog = page.getByRole('dialog', { name: 'Import friends.vcf' });
    await dialog.getByTestId('import-summary').filter({ hasText: '1 to add, 1 to update, 1 to skip as duplicates' }).waitFor();
    expect(await dialog.locator('tr[data-action=skip]').textContent()).toContain('Dmitri Volkov');
    expect(await dialog.locator('tr[data-action=update]').textContent()).toContain('Hannah Schmidt');
    await shot('11-import-preview');
    await dialog.getByRole('button', { name: 'Import 2 contacts' }).click();
    await page.locator('main').getByText('Imported friends.vcf: 1 added, 1 updated, 1 skipped.').waitFor();
    await search('newperson');
    await page.getByRole('option', { name: /^Imogen Newperson/ }).waitFor();
    await search('hannah.new@');
    await page.getByRole('option', { name: /^Hannah Schmidt/ }).waitFor();
    await search('');

    // ---- export ------------------------------------------------------------------------------
    await expect.poll(() => page.getByTestId('contact-count').textContent()).toMatch(/^\d+ contacts$/);
    const count = Number((await page.getByTestId('contact-count').textContent())!.split(' ')[0]);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export all' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^concord-contacts-\d{4}-\d\d-\d\d\.vcf$/);
    const text = readFileSync((await download.path())!, 'utf8');
    expect(text.match(/BEGIN:VCARD/g)).toHaveLength(count);
    expect(text).toContain('FN:Imogen Newperson');
    await page.locator('main').getByText(`Exported ${count} contacts`).waitFor();
    await shot('12-export');
  }, 240_000);

  it('stops cleanly on SIGTERM', async () => {
    expect(await s.hub.stop()).toBe(0);
    expect(s.hub.output()).toContain('Concord hub stopped.');
  });
});
