// The Devices screen's Bluetooth list in a real browser (Debian's Chromium, playwright-core)
// against `concord serve` whose system and session buses are a private bus with
// python-dbusmock's bluez5 and bluez5-obex: the paired devices with what Concord can do with
// each, one appearing and one going, a PBAP phone paired in one click, and the plain line
// when the Bluetooth service stops.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bluezMock, havePeers, obexMock, startPrivateBus, stopChild, type PrivateBus } from '../../../lib/bluez';
import { haveChromium, openChromium } from '../../../lib/browser';
import { serveHub, type Served } from '../../../lib/serve';
import { tmpDir } from '../../../lib/tmp';
import { makePhonebook, phonebookVcf } from './phonebook';

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..', '..');
const SHOTS = path.join(ROOT, 'test-output', 'bluetooth');
const ready = havePeers() && haveChromium();

let pb: PrivateBus;
let bluezd: ChildProcess;
let served: Served;
let browser: Awaited<ReturnType<typeof openChromium>>;
let page: Page;
let dataDir: string;

describe.skipIf(!ready)('Bluetooth devices on the Devices screen (Chromium, bluez5 mock)', () => {
  beforeAll(async () => {
    pb = await startPrivateBus();
    bluezd = await pb.startBluez();
    await pb.startObex();
    const m = bluezMock(pb.bus);
    await m.addAdapter('hci0', 'desk');
    await m.pairedDevice('hci0', '11:22:33:44:55:66', 'Anna Pixel');
    await m.pairedDevice('hci0', '22:33:44:55:66:77', 'Nokia 6310i', { uuids: ['00001101-0000-1000-8000-00805f9b34fb'], deviceClass: 0x520204 });
    const o = obexMock(pb.bus);
    await o.onTransfer((t) => o.complete(t, phonebookVcf(t.location === 'sim1' ? [] : makePhonebook(12))));

    dataDir = tmpDir('bt-ui');
    served = await serveHub(['--data', dataDir, '--port', '0'], { env: { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: pb.address, DBUS_SESSION_BUS_ADDRESS: pb.address } });
    browser = await openChromium(served.url);
    page = browser.page;
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    await pb?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('lists the paired devices, follows one appearing and one going, pairs a PBAP phone in one click, and says when the service stops', async () => {
    await page.click('nav [data-screen=devices]');
    const list = page.getByTestId('bluetooth-devices');
    await list.getByRole('heading', { name: 'Bluetooth devices paired with this computer' }).waitFor();
    const anna = list.locator('[data-bluetooth="11:22:33:44:55:66"]');
    const nokia = list.locator('[data-bluetooth="22:33:44:55:66:77"]');
    await expect.poll(() => anna.textContent()).toMatch(/Anna Pixel.*phonebook access.*contacts can be read/);
    await expect.poll(() => nokia.textContent()).toMatch(/Nokia 6310i.*serial port.*synced both ways/);
    expect(await anna.getByRole('button', { name: 'Read its contacts' }).count()).toBe(1);
    expect(await nokia.getByRole('button', { name: 'Sync this phone' }).count()).toBe(1);
    fs.mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, 'bluetooth-devices.png'), fullPage: true });

    // One appears (paired in the system settings), one goes (forgotten there).
    const m = bluezMock(pb.bus);
    await m.pairedDevice('hci0', '44:55:66:77:88:99', 'Zoë iPhone');
    await list.locator('[data-bluetooth="44:55:66:77:88:99"]').getByRole('heading', { name: 'Zoë iPhone' }).waitFor();
    await m.removeDevice('hci0', '22:33:44:55:66:77');
    await nokia.waitFor({ state: 'detached' });

    // One click: Anna's phone becomes a read-only sync point and its 12 contacts are read.
    await anna.getByRole('button', { name: 'Read its contacts' }).click();
    await anna.getByText('Paired as a sync point').waitFor();
    await page.locator('.cards h4', { hasText: 'Anna Pixel' }).first().waitFor();
    await page.click('nav [data-screen=contacts]');
    await expect.poll(() => page.getByTestId('contact-count').textContent(), { timeout: 20_000 }).toBe('12 contacts');

    // The Bluetooth service stops: one plain line, no dialog.
    await page.click('nav [data-screen=devices]');
    await stopChild(bluezd);
    await expect.poll(() => page.getByTestId('bluetooth-unavailable').textContent()).toMatch(/Bluetooth service \(bluetoothd\) is not running/);
    expect(await page.getByRole('alertdialog').count()).toBe(0);
    await page.screenshot({ path: path.join(SHOTS, 'bluetooth-unavailable.png'), fullPage: true });
  });
});
