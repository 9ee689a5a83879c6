// The Contacts screen and its editor in Debian's Chromium against `concord serve --demo`:
// bad input refused next to its field, warnings for the SIM of the demo phone, numbers
// shown as people of the region write them, every field editable, one message at a time,
// the Activity list naming edits, and the screen usable at 400 px and at 800×600.
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, startSession, type Session } from './harness';

const SHOTS = path.join(ROOT, 'test-output', 'e2e-contacts', new Date().toISOString().replace(/[:.]/g, '-'));

let session: Session;
let page: Page;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  // bypassCSP: only to inject axe-core, as the a11y test does.
  session = await startSession({ args: ['--demo'], bypassCSP: true });
  page = session.page;
  await page.goto(session.url);
  await page.getByTestId('contact-count').filter({ hasText: /^\d+ contacts$/ }).waitFor();
}, 120_000);

afterAll(async () => {
  await session?.close();
});

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** axe-core's serious and critical findings on the page as it is now, one line each. */
async function axe(): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    type Violation = { id: string; impact: string | null; help: string; nodes: { target: string[] }[] };
    const a = (window as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: Violation[] }> } }).axe;
    const r = await a.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
      rules: { 'label-content-name-mismatch': { enabled: true } },
    });
    return r.violations;
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').flatMap((v) => v.nodes.map((n) => `${v.id}: ${v.help} — ${n.target.join(' ')}`));
}

const count = async () => Number((await page.getByTestId('contact-count').textContent())!.split(' ')[0]);
const nameInput = () => page.getByLabel('Name', { exact: true });
const phone = (n: number) => page.getByLabel(`Phone numbers ${n}`, { exact: true });

/** What the page says about an input: its aria-describedby texts. */
async function describedBy(input: Locator): Promise<string> {
  return input.evaluate((el) =>
    (el.getAttribute('aria-describedby') ?? '')
      .split(/\s+/)
      .filter(Boolean)
      .map((id) => document.getElementById(id)?.textContent ?? '')
      .join(' | '),
  );
}

async function focusedName(): Promise<string | null> {
  return page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.getAttribute('name') ?? null);
}

async function search(q: string): Promise<void> {
  await page.getByRole('searchbox').fill(q);
}

describe('the contacts editor', () => {
  it('refuses a number that cannot be one, next to the field, focused and marked invalid', async () => {
    const before = await count();
    await page.getByRole('button', { name: 'Add contact' }).click();
    await nameInput().fill('Bad Number');
    await phone(1).fill('abc-not-a-number!!');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => phone(1).getAttribute('aria-invalid')).toBe('true');
    expect(await describedBy(phone(1))).toMatch(/Phone number 1 is not a phone number/);
    expect(await focusedName()).toBe('Phone numbers 1');
    await page.getByRole('alert').filter({ hasText: 'Correct the marked field' }).waitFor();
    await page.screenshot({ path: path.join(SHOTS, '01-bad-number.png') });
    expect(await axe()).toEqual([]);

    await phone(1).fill('12');
    await expect.poll(() => describedBy(phone(1))).toMatch(/Phone number 1 is too short to be a phone number/);
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(focusedName).toBe('Phone numbers 1');
    // Nothing was saved.
    expect(await count()).toBe(before);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe('Add contact');
  });

  it('refuses a 10,000-character name and keeps the layout', async () => {
    await page.getByRole('button', { name: 'Add contact' }).click();
    await nameInput().fill('x'.repeat(10_000));
    await phone(1).fill('07700 900555');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => nameInput().getAttribute('aria-invalid')).toBe('true');
    expect(await describedBy(nameInput())).toContain('Name is too long: 10,000 characters, at most 200.');
    expect(await focusedName()).toBe('fn');
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await page.getByRole('button', { name: 'Cancel' }).click();
  });

  it('warns, without refusing, when a contact will not fit the SIM of the demo phone', async () => {
    await page.getByRole('button', { name: 'Add contact' }).click();
    await nameInput().fill('Alexandra Konstantinou');
    await phone(1).fill('07700 900561');
    await page.getByRole('button', { name: 'Add number' }).click();
    await phone(2).fill('020 7946 0561');
    await page.getByRole('button', { name: 'Add e-mail' }).click();
    await page.getByLabel('E-mails 1', { exact: true }).fill('alexandra@example.org');
    await expect.poll(() => describedBy(nameInput())).toContain('Phone (SIM card) keeps names of up to 18 characters: it will show "Alexandra Konstant".');
    await expect.poll(() => describedBy(phone(2))).toContain('Phone (SIM card) keeps only the first number.');
    await expect.poll(() => describedBy(page.getByLabel('E-mails 1', { exact: true }))).toContain('Phone (SIM card) does not keep e-mails');
    expect(await nameInput().getAttribute('aria-invalid')).toBeNull();
    await page.screenshot({ path: path.join(SHOTS, '02-warnings.png') });
    expect(await axe()).toEqual([]);
    const before = await count();
    await page.getByRole('button', { name: 'Save' }).click();
    // A new contact is opened; its numbers are shown as people in the UK write them, and
    // stored in E.164.
    await page.locator('#detail-name:text-is("Alexandra Konstantinou")').waitFor();
    await expect.poll(count).toBe(before + 1);
    await page.locator('.detail dd[data-value="+447700900561"]:text-is("07700 900561")').waitFor();
    await page.locator('.detail dd[data-value="+442079460561"]:text-is("020 7946 0561")').waitFor();
    await page.getByTestId('contacts-notice').filter({ hasText: 'Alexandra Konstantinou was added.' }).waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('detail-name');
    await search('Alexandra');
    await page.getByRole('option', { name: 'Alexandra Konstantinou 07700 900561, alexandra@example.org' }).waitFor();
    await search('');
  });

  it('edits every field the detail shows: addresses, birthday, web addresses, note', async () => {
    await search('Alexandra');
    await page.getByRole('option', { name: /^Alexandra Konstantinou/ }).click();
    await page.getByRole('button', { name: 'Edit' }).click();
    // The success message of the add went when this action started.
    expect(await page.getByTestId('contacts-notice').count()).toBe(0);
    expect(await phone(1).inputValue()).toBe('07700 900561');
    await page.getByRole('button', { name: 'Add address' }).click();
    const adr = page.getByRole('group', { name: 'Address 1' });
    await adr.getByLabel('Street').fill('1 High Street');
    await adr.getByLabel('Town or city').fill('Oxford');
    await adr.getByLabel('Postcode').fill('OX1 1AA');
    await adr.getByLabel('Country').fill('United Kingdom');
    await page.getByLabel('Birthday').fill('1985-02-30');
    await page.getByRole('button', { name: 'Add web address' }).click();
    await page.getByLabel('Web addresses 1', { exact: true }).fill('example.org/alexandra');
    await page.getByLabel('Note').fill('Met at the conference.\nLikes tea.');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.getByLabel('Birthday').getAttribute('aria-invalid')).toBe('true');
    expect(await describedBy(page.getByLabel('Birthday'))).toContain('Birthday is not a real date.');
    await page.getByLabel('Birthday').fill('1985-04-23');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('.detail dd:text-is("1 High Street, Oxford, OX1 1AA, United Kingdom")').waitFor();
    await page.locator('.detail dd:text-is("example.org/alexandra")').waitFor();
    await page.locator('.detail dd').filter({ hasText: 'Likes tea.' }).waitFor();
    expect(await page.locator('.detail .field').filter({ hasText: 'Birthday' }).locator('dd').textContent()).toMatch(/23 April 1985|April 23, 1985/);
    await page.getByTestId('contacts-notice').filter({ hasText: 'Changes to Alexandra Konstantinou saved.' }).waitFor();
    await page.screenshot({ path: path.join(SHOTS, '03-detail.png') });
    expect(await axe()).toEqual([]);
    // The editor shows all of it again.
    await page.getByRole('button', { name: 'Edit' }).click();
    expect(await page.getByRole('group', { name: 'Address 1' }).getByLabel('Town or city').inputValue()).toBe('Oxford');
    expect(await page.getByLabel('Birthday').inputValue()).toBe('1985-04-23');
    expect(await page.getByLabel('Web addresses 1', { exact: true }).inputValue()).toBe('example.org/alexandra');
    // Escape closes the editor and gives the focus back to Edit.
    await page.keyboard.press('Escape');
    await page.locator('#detail-name').waitFor();
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe('Edit');
    await search('');
  });

  it('shows one message at a time: a success goes when the next action starts and never sits beside an error', async () => {
    await page.getByRole('button', { name: 'Add contact' }).click();
    await nameInput().fill('Message Test');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByTestId('contacts-notice').filter({ hasText: 'Message Test was added.' }).waitFor();
    await page.getByRole('button', { name: 'Delete…' }).click();
    expect(await page.getByTestId('contacts-notice').count()).toBe(0);
    await page.getByRole('button', { name: 'Yes, delete' }).click();
    await page.getByTestId('contacts-notice').filter({ hasText: 'Message Test was deleted.' }).waitFor();
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('role'))).toBe('listbox');
    await page.getByRole('button', { name: 'Dismiss' }).click();
    expect(await page.getByTestId('contacts-notice').count()).toBe(0);
    // A success, then an action that fails: the error stands alone.
    await page.getByRole('button', { name: 'Add contact' }).click();
    await nameInput().fill('Message Test 2');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByTestId('contacts-notice').filter({ hasText: 'Message Test 2 was added.' }).waitFor();
    await page.getByRole('button', { name: 'Add contact' }).click();
    expect(await page.getByTestId('contacts-notice').count()).toBe(0);
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => describedBy(nameInput())).toContain('A contact needs a name, a number or an e-mail.');
    expect(await page.getByTestId('contacts-notice').count()).toBe(0);
    await page.getByRole('button', { name: 'Cancel' }).click();
  });

  it('the Activity list groups editor edits and names what changed', async () => {
    await page.click('nav [data-screen=activity]');
    const group = page.locator('.history li.edits').first();
    await group.getByText('Added Alexandra Konstantinou').waitFor();
    await expect.poll(() => group.textContent()).toContain('Changed Alexandra Konstantinou: address, birthday, web address, note');
    expect(await group.textContent()).toContain('Deleted Message Test');
    // The runs that saved these edits are not listed one by one.
    expect(await page.locator('.history li.run:not(.edits)').filter({ hasText: 'Edits made in Concord saved.' }).count()).toBe(0);
    await page.screenshot({ path: path.join(SHOTS, '05-activity.png') });
    expect(await axe()).toEqual([]);
    await page.click('nav [data-screen=contacts]');
  });
});

describe('narrow windows', () => {
  /** The element lies wholly inside the viewport's width, and nothing scrolls sideways. */
  async function fits(loc: Locator, minWidth = 0): Promise<void> {
    const box = (await loc.boundingBox())!;
    const width = page.viewportSize()!.width;
    expect(box.x, await loc.evaluate((e) => e.outerHTML.slice(0, 80))).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(width);
    expect(box.width).toBeGreaterThanOrEqual(minWidth);
    const main = await page.locator('main').evaluate((m) => ({ scroll: m.scrollWidth, client: m.clientWidth }));
    expect(main.scroll).toBeLessThanOrEqual(main.client);
  }

  for (const size of [
    { width: 400, height: 800 },
    { width: 800, height: 600 },
  ]) {
    it(`the list, the detail and the editor at ${size.width}×${size.height}`, async () => {
      await page.setViewportSize(size);
      await search('Alexandra');
      await page.getByRole('option', { name: /^Alexandra Konstantinou/ }).click();
      await fits(page.getByRole('searchbox'));
      await fits(page.getByRole('listbox', { name: 'Contacts' }));
      await fits(page.getByRole('button', { name: 'Export all' }));
      await fits(page.locator('#detail-name'));
      await page.getByRole('button', { name: 'Edit' }).click();
      // A phone field shows a whole number: at least 11 characters wide.
      const em = await page.evaluate(() => parseFloat(getComputedStyle(document.documentElement).fontSize));
      for (const n of [1, 2]) await fits(phone(n), 10 * em);
      await fits(page.getByRole('button', { name: 'Remove phone number 2' }));
      await fits(page.getByRole('group', { name: 'Address 1' }).getByLabel('Postcode'));
      await fits(page.getByRole('button', { name: 'Save' }));
      expect(await phone(1).evaluate((el: HTMLInputElement) => el.scrollWidth <= el.clientWidth)).toBe(true);
      await page.screenshot({ path: path.join(SHOTS, `06-editor-${size.width}.png`), fullPage: true });
      expect(await axe()).toEqual([]);
      await page.getByRole('button', { name: 'Cancel' }).click();
      await search('');
    });
  }
});
