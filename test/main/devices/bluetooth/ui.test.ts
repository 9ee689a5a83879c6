// The Devices screen's Bluetooth list in a real browser (Debian's Chromium, playwright-core)
// against `concord serve` whose system and session buses are a private bus with
// python-dbusmock's bluez5 and bluez5-obex: the paired devices with what Concord can do with
// each, one appearing and one going, a PBAP phone paired in one click, and the plain line
// when the Bluetooth service stops.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bluezMock, havePeers, obexMock, startPrivateBus, stopChild, type PrivateBus } from './dbus-mock';
import { makePhonebook, phonebookVcf } from './phonebook';

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..', '..');
const CHROMIUM = '/usr/bin/chromium';
const ready = havePeers() && fs.existsSync(CHROMIUM);

let pb: PrivateBus;
let bluezd: ChildProcess;
let child: ChildProcess;
let context: BrowserContext;
let page: Page;
let dataDir: string;

describe.skipIf(!ready)('Bluetooth devices on the Devices screen (Chromium, bluez5 mock)', () => {
  beforeAll(async () => {
    pb = await startPrivateBus();
    bluezd = await pb.startBluez();
    await pb.startObex();
    const m = bluezMock(pb.bus);
    await m.addAdapter('hci0', 'desk');
    await m.addDevice('hci0', '11:22:33:44:55:66', 'Anna Pixel');
    await m.pairDevice('hci0', '11:22:33:44:55:66');
    await m.addDevice('hci0', '22:33:44:55:66:77', 'Nokia 6310i');
    await m.pairDevice('hci0', '22:33:44:55:66:77');
    await m.setDevice('hci0', '22:33:44:55:66:77', { uuids: ['00001101-0000-1000-8000-00805f9b34fb'], deviceClass: 0x520204 });
    const o = obexMock(pb.bus);
    await o.onTransfer((t) => o.complete(t, phonebookVcf(t.location === 'sim1' ? [] : makePhonebook(12))));

    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'concord-bt-ui-'));
    child = spawn(process.execPath, ['bin/run-ts.mjs', 'main/app/serve.ts', 'serve', '--data', dataDir, '--port', '0'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: pb.address, DBUS_SESSION_BUS_ADDRESS: pb.address },
    });
    let stdout = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`concord serve printed no URL:\n${stdout}`)), 90_000);
      child.stdout!.on('data', (d: Buffer) => {
        stdout += d.toString();
        const found = /Concord hub running at (http:\/\/\S+)/.exec(stdout);
        if (found) {
          clearTimeout(timer);
          resolve(found[1]!);
        }
      });
      child.once('exit', (code) => reject(new Error(`concord serve exited (${code}):\n${stdout}`)));
    });
    context = await chromium.launchPersistentContext(fs.mkdtempSync(path.join(os.tmpdir(), 'concord-bt-chromium-')), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
      viewport: { width: 1280, height: 900 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    await page.goto(url);
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
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

    // One appears (paired in the system settings), one goes (forgotten there).
    const m = bluezMock(pb.bus);
    await m.addDevice('hci0', '44:55:66:77:88:99', 'Zoë iPhone');
    await m.pairDevice('hci0', '44:55:66:77:88:99');
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
  });
});
