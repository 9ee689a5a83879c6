// Pairing a CardDAV contacts app in Chromium against `concord serve --lan-port`: the flow
// shows the URL, user and password, the HTTPS URL with the certificate's fingerprint (the
// same the hub reports in Settings), the steps for each kind of client and a QR code of it
// all; the focus lands on what to type; axe-core finds no serious or critical violation.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { create } from 'qrcode';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Settings } from '../../main/api/contract';
import { freePort } from '../lib/process';
import { ROOT, axe, focused, go, startSession, type Session } from './harness';

/** The CardDAV server is its own part of the hub; without it in this build the request
 *  answers "not available" and there is no flow to test. */
const HAVE_CARDDAV = existsSync(path.join(ROOT, 'main', 'devices', 'carddav', 'pair.ts'));

let s: Session;
let lanPort: number;

beforeAll(async () => {
  if (!HAVE_CARDDAV) return;
  lanPort = await freePort();
  s = await startSession({ args: ['--lan-port', String(lanPort), '--lan-host', '127.0.0.1'], bypassCSP: true });
}, 120_000);

afterAll(async () => {
  await s?.close();
});

it.skipIf(!HAVE_CARDDAV)('pairs a CardDAV app: URL, HTTPS URL and fingerprint, user, password, steps per client and a QR code', async () => {
  const { page } = s;
  const lan = ((await s.call('settings:get', {})).value as Settings).lan;
  expect(lan.httpsUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/syncml$/);
  expect(lan.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);

  // Settings shows the same HTTPS address and fingerprint.
  await page.goto(s.url + '#/settings');
  const tlsRow = page.getByTestId('lan-https');
  await tlsRow.waitFor();
  expect(await tlsRow.locator('code').nth(0).textContent()).toBe(lan.httpsUrl);
  expect(await tlsRow.locator('code').nth(1).textContent()).toBe(lan.fingerprint);

  await go(page, 'devices');
  await page.getByRole('button', { name: 'Add a device…' }).click();
  await page.getByRole('radio', { name: /CardDAV/ }).check();
  const form = page.getByRole('form', { name: 'Pair a CardDAV contacts app' });
  await form.getByLabel('Device name').fill('Ann’s iPhone');
  expect(await form.getByLabel('User name').inputValue()).toBe('ann-s-iphone');
  // A user name a CardDAV client could not send is refused before asking the hub.
  await form.getByLabel('User name').fill('ann smith');
  expect(await form.getByText('The user name may have letters, digits and . _ @ - only').count()).toBe(1);
  await form.getByLabel('User name').fill('ann');
  const password = await form.getByLabel('Password').inputValue();
  expect(await axe(page)).toEqual([]);
  await form.getByRole('button', { name: 'Pair', exact: true }).click();

  const card = page.getByTestId('pair-account');
  const url = `http://127.0.0.1:${lanPort}/dav/`;
  const httpsUrl = `${new URL(lan.httpsUrl!).origin}/dav/`;
  expect(await card.getByTestId('pair-url').textContent()).toBe(url);
  expect(await card.getByTestId('pair-https-url').textContent()).toBe(httpsUrl);
  expect(await card.getByTestId('pair-fingerprint').textContent()).toBe(lan.fingerprint);
  expect(await card.getByTestId('pair-user').textContent()).toBe('ann');
  expect(await card.getByTestId('pair-password').textContent()).toBe(password);
  expect(await focused(page)).toMatch(/^h4 "Ann’s iPhone is paired. Add a CardDAV account/);
  for (const client of ['iPhone or iPad:', 'Mac:', 'Android with DAVx⁵:', 'Thunderbird:']) expect(await card.getByText(client).count()).toBe(1);

  // The QR code holds the HTTPS address, the login and the fingerprint.
  const m = create(`CardDAV server: ${httpsUrl}\nUser name: ann\nPassword: ${password}\nCertificate SHA-256: ${lan.fingerprint}`, { errorCorrectionLevel: 'M' }).modules;
  const dark: string[] = [];
  for (let r = 0; r < m.size; r++) for (let c = 0; c < m.size; c++) if (m.data[r * m.size + c]) dark.push(`M${c + 4} ${r + 4}h1v1h-1z`);
  expect(await card.getByRole('img', { name: /QR code/ }).locator('path').getAttribute('d')).toBe(dark.join(''));
  expect(await axe(page)).toEqual([]);

  // The account is a device of the hub now.
  const devices = (await s.call('devices:list', {})).value as { name: string; kind: string }[];
  expect(devices.find((d) => d.name === 'Ann’s iPhone')).toMatchObject({ kind: 'carddav' });
  await card.getByRole('button', { name: 'Done' }).click();
  await expect.poll(() => focused(page)).toBe('button "Add a device…"');
}, 90_000);
