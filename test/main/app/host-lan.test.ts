// LAN sync switched at run time through the contract, on a real hub and real sockets on
// loopback: on and off while the hub runs, remembered for the next start, a port in use
// reported in plain words, and pairing refused while nothing on the network can reach it.
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { Settings } from '../../../main/api/contract';
import { startHost, type HubHost } from '../../../main/app/host';

const dirs: string[] = [];
let host: HubHost | null = null;
afterEach(async () => {
  await host?.close();
  host = null;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const start = (dataDir: string) => startHost({ dataDir, phones: false, lanHost: '127.0.0.1', lanHttpsPort: 0, log: () => undefined });

async function settings(h: HubHost, channel: 'settings:get' | 'settings:setLan', args: unknown = {}): Promise<Settings> {
  const r = await h.api.call(channel, args);
  if (!r.ok) throw new Error(r.error.message);
  return r.value as Settings;
}

/** Over HTTPS too, with the hub's own certificate (tls.test.ts pins its fingerprint). */
const https = { httpsUrl: expect.stringMatching(/^https:\/\/127\.0\.0\.1:\d+\/syncml$/), fingerprint: expect.stringMatching(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/) };

async function answers(url: string): Promise<boolean> {
  try {
    return /Concord SyncML server/.test(await (await fetch(url)).text());
  } catch {
    return false;
  }
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

it('turns LAN sync on and off while the hub runs, and starts the next time as it was left', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'concord-lan-'));
  dirs.push(dir);
  const port = await freePort();
  host = await start(dir);
  const off = await settings(host, 'settings:get');
  expect(off).toMatchObject({ dataDir: dir, startAtLogin: null, lan: { on: false, url: null } });
  // Nothing on the network can reach the hub: pairing a laptop is refused, in plain words.
  expect(await host.api.call('devices:pairSyncml', { name: 'Laptop', user: 'ann', password: 'pw' })).toMatchObject({
    ok: false,
    error: { code: 'invalid', message: expect.stringMatching(/LAN sync is off/) },
  });

  const on = await settings(host, 'settings:setLan', { on: true, port });
  const url = `http://127.0.0.1:${port}/syncml`;
  expect(on.lan).toEqual({ on: true, port, url, problem: null, ...https });
  expect(await answers(url)).toBe(true);
  expect((await host.api.call('app:info', {})) as { value: { lanUrl: string } }).toMatchObject({ value: { lanUrl: url } });
  const paired = await host.api.call('devices:pairSyncml', { name: 'Laptop', user: 'ann', password: 'pw' });
  expect(paired).toMatchObject({ ok: true, value: { kind: 'syncml', url, user: 'ann' } });

  // Another port while on: the endpoint moves.
  const port2 = await freePort();
  const url2 = `http://127.0.0.1:${port2}/syncml`;
  expect((await settings(host, 'settings:setLan', { on: true, port: port2 })).lan).toEqual({ on: true, port: port2, url: url2, problem: null, ...https });
  expect(await answers(url2)).toBe(true);
  expect(await answers(url)).toBe(false);
  expect((await settings(host, 'settings:setLan', { on: true, port })).lan.url).toBe(url);

  await host.close();
  host = await start(dir);
  expect((await settings(host, 'settings:get')).lan).toEqual({ on: true, port, url, problem: null, ...https });
  expect(await answers(url)).toBe(true);

  expect((await settings(host, 'settings:setLan', { on: false })).lan).toEqual({ on: false, port, url: null, problem: null, httpsUrl: null, fingerprint: null });
  expect(await answers(url)).toBe(false);
  await host.close();
  host = await start(dir);
  expect((await settings(host, 'settings:get')).lan).toMatchObject({ on: false, port });
  expect(await answers(url)).toBe(false);
});

it('says so when the port is taken, and stays off', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'concord-lan-'));
  dirs.push(dir);
  const taken = net.createServer();
  await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
  const port = (taken.address() as net.AddressInfo).port;
  try {
    host = await start(dir);
    const s = await settings(host, 'settings:setLan', { on: true, port });
    expect(s.lan).toMatchObject({ on: false, url: null, problem: expect.stringMatching(new RegExp(`Port ${port} is already used by another program`)) });
    expect(await host.api.call('settings:setLan', { on: true, port: 70000 })).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(await host.api.call('settings:setStartAtLogin', { on: true })).toMatchObject({ ok: false, error: { code: 'invalid', message: expect.stringMatching(/desktop app/) } });
  } finally {
    await new Promise<void>((r) => taken.close(() => r()));
  }
});
