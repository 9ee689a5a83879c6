// Sync on connect, end to end: the handset simulator on a socat pty pair, the host as
// `concord serve` runs it (Hub, API, phone watcher), real serialport. A new phone is
// offered → paired through the API with auto-sync → synced; the cable is pulled (socat
// killed) → detached; plugged in again → synced by itself, receiving what changed meanwhile.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeviceStatus, DiscoveredPhone, Events, EventName, RunSummary } from '../../../main/api/contract';
import { SimHandset } from '../../../main/devices/at-phonebook/simulator';
import { SimulatedDevice } from '../../../main/devices/simulated/device';
import { startHost, type HubHost } from '../../../main/app/host';
import { haveSocat, ptyPair, socatMissing, tempDir, type PtyPair } from '../devices/at-phonebook/helpers';

const IMEI = '490154203237518';
const SPID = `imei:${IMEI}`;

let host: HubHost | null = null;
let pair: PtyPair | null = null;
let dir = '';
afterEach(async () => {
  await host?.close();
  host = null;
  await pair?.kill();
  pair = null;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function until<T>(what: string, f: () => T | undefined | false | Promise<T | undefined | false>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function value<T>(p: Promise<{ ok: boolean; value?: unknown; error?: unknown }>): Promise<T> {
  const r = await p;
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value as T;
}

describe.skipIf(!haveSocat)(`sync on connect ${socatMissing}`, () => {
  it('offers a new phone, pairs and syncs it through the API, detaches it when unplugged, auto-syncs it when plugged in again', async () => {
    dir = tempDir('concord-app-phones-');
    pair = await ptyPair(dir);
    const sim = new SimHandset({ baud: 0, charsets: ['GSM', 'UCS2'], fill: { SM: 12, ME: 8 }, imei: IMEI, imsi: '234150000000001', model: 'Test handset' });
    sim.serve(pair.phoneEnd);

    const log: string[] = [];
    host = await startHost({ dataDir: path.join(dir, 'data'), phones: { extraPaths: [pair.hostEnd], intervalMs: 150, timeoutMs: 3000 }, log: (l) => log.push(l) });
    const { api, hub } = host;
    const events: { event: EventName; payload: unknown }[] = [];
    api.on((event, payload) => events.push({ event, payload }));
    const runsWith = (spid: string) => events.filter((e) => e.event === 'sync:progress' && (e.payload as Events['sync:progress']).type === 'run-finished').map((e) => (e.payload as { summary: RunSummary }).summary).filter((s) => s.devices.includes(spid));
    const phoneStatus = async () => (await value<DeviceStatus[]>(api.call('devices:list', {}))).find((d) => d.spid === SPID);

    // A laptop already paired, with contacts the phone does not have.
    const laptop = new SimulatedDevice({ spid: 'laptop', changeTracking: 'log', initial: [{ fn: 'Anna Berg', tel: [{ type: 'cell', value: '+447700900101' }] }] });
    hub.pairDevice({ spid: 'laptop', name: 'Laptop', kind: 'simulated', link: 'simulated', changeTracking: 'log' });
    hub.attach(laptop);
    await hub.sync(['laptop']);

    // 1. Discovered: offered for pairing, with an event for the UI; nothing paired yet.
    const [offered] = await until('the phone to be offered', async () => {
      const list = await value<DiscoveredPhone[]>(api.call('devices:discovered', {}));
      return list.length > 0 && list;
    });
    expect(offered).toMatchObject({ spid: SPID, imei: IMEI, port: path.resolve(pair.hostEnd), storages: ['SM', 'ME'] });
    expect(offered!.name).toMatch(/Test handset/);
    expect(events.some((e) => e.event === 'devices:discovered' && (e.payload as DiscoveredPhone[]).some((p) => p.spid === SPID))).toBe(true);
    expect(hub.device(SPID)).toBeUndefined();

    // 2. Paired through the API with auto-sync: attached and synced at once.
    expect(await value(api.call('devices:pairPhone', { spid: SPID, autoSync: true, name: 'My phone' }))).toEqual({ spid: SPID });
    expect(await value(api.call('devices:discovered', {}))).toEqual([]);
    const first = await until('the first sync of the phone', () => runsWith(SPID)[0]);
    expect(first.outcome).toBe('ok');
    expect(first.counts[SPID]!.in.add).toBeGreaterThan(0);
    expect(await phoneStatus()).toMatchObject({ name: 'My phone', kind: 'at-phonebook', link: 'usb', online: true, autoSync: true, lastOutcome: 'ok' });
    expect(hub.device(SPID)!.config).toMatchObject({ imei: IMEI, imsi: '234150000000001' });
    const simNames = () => [...sim.entries('SM').values(), ...sim.entries('ME').values()].map((e) => e.name);
    expect(simNames().some((n) => n.startsWith('Anna Berg'))).toBe(true);
    // The laptop gets the phone's contacts at its own next run.
    await hub.sync(['laptop']);
    expect(laptop.records().length).toBe(hub.contacts().length);

    // 3. Unplugged (socat killed): detached, not offered.
    await pair.kill();
    await until('the phone to go offline', async () => (await phoneStatus())?.online === false);
    expect(hub.isOnline(SPID)).toBe(false);
    await sim.whenDetached();

    // Meanwhile a contact is added on the laptop and synced there.
    laptop.userAdd({ fn: 'Ben Carter', tel: [{ type: 'cell', value: '+447700900102' }] });
    await hub.sync(['laptop']);

    // 4. Plugged in again: known, auto-sync on → attached and synced without being asked.
    const before = runsWith(SPID).length;
    pair = await ptyPair(dir);
    sim.serve(pair.phoneEnd);
    const again = await until('the automatic sync after replug', () => runsWith(SPID)[before]);
    expect(again.outcome).toBe('ok');
    expect(again.counts[SPID]!.out.add).toBe(1);
    expect(simNames().some((n) => n.startsWith('Ben Carter'))).toBe(true);
    expect(await value(api.call('devices:discovered', {}))).toEqual([]);
    expect(log.join('\n')).toMatch(/New phone connected/);
  }, 90_000);

  it('ignores a phone until it is plugged in again; a known phone without auto-sync is attached, not synced', async () => {
    dir = tempDir('concord-app-phones-');
    pair = await ptyPair(dir);
    const sim = new SimHandset({ baud: 0, fill: { SM: 3 }, imei: IMEI });
    sim.serve(pair.phoneEnd);
    host = await startHost({ dataDir: path.join(dir, 'data'), phones: { extraPaths: [pair.hostEnd], intervalMs: 150, timeoutMs: 3000 }, log: () => undefined });
    const { api, hub } = host;
    await until('the phone to be offered', async () => (await value<DiscoveredPhone[]>(api.call('devices:discovered', {}))).length > 0);
    await value(api.call('devices:ignorePhone', { spid: SPID }));
    expect(await value(api.call('devices:discovered', {}))).toEqual([]);

    // Unplugged and plugged in again: offered again; paired without auto-sync.
    await pair.kill();
    await sim.whenDetached();
    await new Promise((r) => setTimeout(r, 400));
    pair = await ptyPair(dir);
    sim.serve(pair.phoneEnd);
    await until('the phone to be offered again', async () => (await value<DiscoveredPhone[]>(api.call('devices:discovered', {}))).length > 0);
    await value(api.call('devices:pairPhone', { spid: SPID, autoSync: false }));
    await until('the phone to be attached', () => hub.isOnline(SPID));
    await new Promise((r) => setTimeout(r, 300));
    expect(hub.history().filter((r) => r.devices.includes(SPID))).toEqual([]);
    // "Sync now" works on it.
    const s = await value<RunSummary>(api.call('devices:sync', { spid: SPID }));
    expect(s.outcome).toBe('ok');
    expect(s.counts[SPID]!.in.add).toBeGreaterThan(0);
    expect(hub.contacts().length).toBe(s.counts[SPID]!.in.add);
  }, 60_000);
});
