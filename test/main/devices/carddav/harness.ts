// Test helpers: a real hub in a temporary folder with the LAN endpoint (SyncML and CardDAV
// on one port) on loopback, and a small CardDAV client over fetch.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hub } from '../../../../main/hub/hub';
import { startSyncmlEndpoint, type SyncmlEndpoint } from '../../../../main/devices/syncml/http';
import { pairCarddavAccount } from '../../../../main/devices/carddav/pair';
import type { CarddavOptions } from '../../../../main/devices/carddav/service';

export const CARDDAV_TOOLS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../../shared/tools/carddav');
export const SEVO_TOOLS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../../shared/tools/syncevolution');

export interface TestHub {
  hub: Hub;
  ep: SyncmlEndpoint;
  dir: string;
  base: string;
  spids: Record<string, string>;
  close(): Promise<void>;
}

export async function startHub(tag: string, accounts: [user: string, pass: string][], carddav: CarddavOptions = {}): Promise<TestHub> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `concord-carddav-${tag}-`));
  const hub = Hub.open({ dataDir: path.join(dir, 'hub'), region: 'GB' });
  const spids: Record<string, string> = {};
  for (const [user, pass] of accounts) spids[user] = pairCarddavAccount(hub, `Book of ${user}`, user, pass).spid;
  const ep = await startSyncmlEndpoint(hub, { host: '127.0.0.1', port: 0, carddav: { firstContactMs: 300, ...carddav } });
  const base = ep.url.replace(/\/syncml$/, '');
  return {
    hub,
    ep,
    dir,
    base,
    spids,
    close: async () => {
      await ep.close();
      await hub.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function basic(user: string, pass: string): string {
  return `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
}

export async function dav(base: string, method: string, p: string, opts: { auth?: string; body?: string; headers?: Record<string, string> } = {}) {
  const r = await fetch(base + p, {
    method,
    redirect: 'manual',
    headers: { ...(opts.auth ? { authorization: opts.auth } : {}), ...(opts.body !== undefined ? { 'content-type': method === 'PUT' ? 'text/vcard' : 'application/xml' } : {}), ...(opts.headers ?? {}) },
    ...(opts.body !== undefined ? { body: opts.body } : {}),
  });
  return { status: r.status, headers: r.headers, text: await r.text() };
}

export function card(uid: string, fn: string, tel = '+44 20 7946 0000', extra = ''): string {
  const [given, family] = fn.split(' ');
  return `BEGIN:VCARD\r\nVERSION:3.0\r\nUID:${uid}\r\nFN:${fn}\r\nN:${family ?? ''};${given ?? ''};;;\r\nTEL;TYPE=CELL:${tel}\r\n${extra}END:VCARD\r\n`;
}

/** Waits until `fn` holds (the debounced run lands). */
export async function until(fn: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A client reaches the account for the first time; resolves once its book is online. */
export async function connect(t: TestHub, user: string, pass: string): Promise<void> {
  await dav(t.base, 'PROPFIND', `/dav/${user}/contacts/`, { auth: basic(user, pass), headers: { depth: '0' }, body: '<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop></d:propfind>' });
  await until(() => t.ep.carddav!.isOnline(t.spids[user]!));
}
