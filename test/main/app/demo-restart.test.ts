// `concord serve --demo` restarted: the demo devices keep their contents and sync state in
// the data folder as a real phone and laptop would, and are never re-paired or re-ranked,
// so a user's work survives every restart: no duplicates, no deleted contact back, the
// priority order as set.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Api } from '../../../main/api/handlers';
import { startHost, type HubHost } from '../../../main/app/host';
import { DEMO_LAPTOP, DEMO_PHONE, haveSocat, startDemoPhone } from '../../../main/app/demo';
import type { ContactRow, ConflictEntry, DeviceStatus } from '../../../main/hub/types';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function call<T>(api: Api, channel: string, args: unknown = {}): Promise<T> {
  const r = await api.call(channel, args);
  if (!r.ok) throw new Error(`${channel}: ${r.error.message}`);
  return r.value as T;
}

const start = (dataDir: string) => startHost({ dataDir, demo: { opDelayMs: 0 }, phones: false, log: () => undefined });

/** The truth as the user sees it: one line per contact, sorted. */
async function contacts(host: HubHost): Promise<string[]> {
  const rows: ContactRow[] = host.hub.contacts();
  return rows.map((r) => `${r.contact.fn} ${r.contact.tel.map((t) => t.value).join(',')}`).sort();
}

const THREE_CARDS = [
  'BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ada Lovelace\r\nN:Lovelace;Ada;;;\r\nTEL;TYPE=CELL:+44 7700 900501\r\nEND:VCARD\r\n',
  'BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Alan Turing\r\nN:Turing;Alan;;;\r\nTEL;TYPE=CELL:+44 7700 900502\r\nEND:VCARD\r\n',
  'BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Grace Hopper\r\nN:Hopper;Grace;;;\r\nEMAIL:grace@example.org\r\nEND:VCARD\r\n',
].join('');

describe('concord serve --demo, restarted', () => {
  it('keeps exactly the contacts the user made and the priorities as set, over three restarts', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'concord-demo-restart-'));
    dirs.push(dataDir);

    // The first session: everything a new user does in the first minutes.
    let host = await start(dataDir);
    await call(host.api, 'sync:run'); // brings the demo's scripted conflicts
    const conflicts = await call<ConflictEntry[]>(host.api, 'conflicts:list', {});
    expect(conflicts.length).toBeGreaterThan(0);
    const c = conflicts[0]!;
    const other = c.versions.find((v) => v.spid !== c.versions[0]!.spid) ?? c.versions[0]!;
    await call(host.api, 'conflicts:resolve', { id: c.id, spid: other.spid });
    await call(host.api, 'contacts:add', { contact: { fn: 'Zed Newcomer', tel: [{ type: 'cell', value: '07700 900999' }] } });
    const mum = host.hub.contacts().find((r) => r.contact.fn === 'Mum')!;
    await call(host.api, 'contacts:delete', { guid: mum.guid });
    const imported = await call<{ added: number }>(host.api, 'contacts:import', { text: THREE_CARDS });
    expect(imported.added).toBe(3);
    const order = (await call<DeviceStatus[]>(host.api, 'devices:list')).map((d) => d.spid).reverse();
    await call(host.api, 'devices:setPriority', { order });
    // Sync until the demo's script has run out (one run is cut halfway on purpose).
    for (let i = 0; i < 4; i++) await call(host.api, 'sync:run');
    const made = await contacts(host);
    const priorities = (await call<DeviceStatus[]>(host.api, 'devices:list')).map((d) => [d.spid, d.priority]);
    expect(made.filter((l) => l.startsWith('Zed Newcomer'))).toHaveLength(1);
    expect(made.some((l) => l.startsWith('Mum '))).toBe(false);
    for (const n of ['Ada Lovelace', 'Alan Turing', 'Grace Hopper']) expect(made.filter((l) => l.startsWith(`${n} `))).toHaveLength(1);
    expect(new Set(made).size).toBe(made.length);
    await host.close();

    for (let restart = 1; restart <= 3; restart++) {
      host = await start(dataDir);
      expect(host.hub.isOnline(DEMO_PHONE) && host.hub.isOnline(DEMO_LAPTOP)).toBe(true);
      await call(host.api, 'sync:run');
      await call(host.api, 'sync:run');
      expect(await contacts(host), `after restart ${restart}`).toEqual(made);
      expect((await call<DeviceStatus[]>(host.api, 'devices:list')).map((d) => [d.spid, d.priority])).toEqual(priorities);
      await host.close();
    }
  }, 60_000);

  it('does not bring back a demo device the user forgot', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'concord-demo-forgot-'));
    dirs.push(dataDir);
    let host = await start(dataDir);
    await call(host.api, 'devices:forget', { spid: DEMO_PHONE });
    await host.close();
    host = await start(dataDir);
    expect(host.hub.device(DEMO_PHONE)).toBeUndefined();
    expect(host.hub.isOnline(DEMO_LAPTOP)).toBe(true);
    await host.close();
  }, 30_000);
});

describe.skipIf(!haveSocat())('the demo handset (--demo-phone), restarted', () => {
  it('keeps its phonebook in the data folder, as a real phone keeps its own', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'concord-demo-handset-'));
    dirs.push(dataDir);
    const first = (await startDemoPhone(() => undefined, dataDir))!;
    const sm = first.sim.storages.get('SM')!;
    expect(sm.entries.size).toBe(25);
    // What the hub does over AT: delete one entry, write another.
    const [gone] = [...sm.entries.keys()];
    sm.entries.delete(gone!);
    sm.entries.set(200, { number: '+447700900999', type: 145, name: 'Zed Newcomer' });
    const before = JSON.stringify([...first.sim.storages].map(([n, s]) => [n, [...s.entries]]));
    await first.close();
    const again = (await startDemoPhone(() => undefined, dataDir))!;
    try {
      expect(JSON.stringify([...again.sim.storages].map(([n, s]) => [n, [...s.entries]]))).toBe(before);
      expect(again.sim.storages.get('SM')!.entries.has(gone!)).toBe(false);
    } finally {
      await again.close();
    }
  }, 30_000);
});
