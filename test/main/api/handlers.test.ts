// The API layer's own logic: the search index (names, numbers in any format, e-mails) and
// the vCard import plan (add / update / skip as duplicate, nothing written by a preview).
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContactPage, ImportPreview } from '../../../main/api/contract';
import { Api, type DeviceServices } from '../../../main/api/handlers';
import { ContactIndex, queryDigits } from '../../../main/api/search';
import { syncmlPairing } from '../../../main/app/host';
import { Hub } from '../../../main/hub/hub';

let hub: Hub;
let api: Api;

async function value<T>(p: Promise<{ ok: boolean; value?: unknown; error?: unknown }>): Promise<T> {
  const r = await p;
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value as T;
}

beforeAll(async () => {
  hub = Hub.open({ dataDir: mkdtempSync(path.join(os.tmpdir(), 'concord-api-')), region: 'GB' });
  hub.editor.add({ fn: 'Anna Berg', tel: [{ type: 'cell', value: '07700 900123' }], email: [{ type: 'home', value: 'anna@example.org' }] });
  hub.editor.add({ fn: 'Zoë Adams', tel: [{ type: 'work', value: '+49 30 901820' }] });
  hub.editor.add({ fn: 'Ben Carter', email: [{ type: '', value: 'Ben.Carter@Example.com' }] });
  await hub.sync([]);
  // The services main/app adds: SyncML pairing; no LAN endpoint, no phones watched.
  const devices: DeviceServices = {
    lanUrl: () => null,
    discovered: () => [],
    pairPhone: () => Promise.reject(new Error('no phones here')),
    ignorePhone: () => undefined,
    onDiscovered: () => () => undefined,
    pairSyncml: syncmlPairing(hub),
  };
  api = new Api({ hub, dataDir: 'x', devices });
});
afterAll(async () => {
  api.dispose();
  await hub.close();
});

const names = (p: ContactPage) => p.rows.map((r) => r.name);
const search = (query: string) => value<ContactPage>(api.call('contacts:list', { offset: 0, limit: 50, query }));

describe('search', () => {
  it('lists everything sorted by name without a query', async () => {
    expect(names(await value(api.call('contacts:list', { offset: 0, limit: 50 })))).toEqual(['Anna Berg', 'Ben Carter', 'Zoë Adams']);
  });
  it('finds a number typed in any format', async () => {
    for (const q of ['07700 900123', '+44 7700 900123', '0044 7700-900123', '(07700) 900 123', '900123']) expect(names(await search(q)), q).toEqual(['Anna Berg']);
    expect(names(await search('030 901820'))).toEqual(['Zoë Adams']);
    expect(queryDigits('+44 (0)7700')).toBe('4407700');
  });
  it('finds names without accents or case, word by word, and e-mails', async () => {
    expect(names(await search('zoe'))).toEqual(['Zoë Adams']);
    expect(names(await search('berg ann'))).toEqual(['Anna Berg']);
    expect(names(await search('ben.carter@example'))).toEqual(['Ben Carter']);
    expect((await search('nobody')).total).toBe(0);
  });
  it('narrows and widens as the user types and deletes', async () => {
    expect((await search('a')).total).toBe(3);
    expect((await search('an')).total).toBe(1);
    expect((await search('a')).total).toBe(3);
  });
  it('is refreshed when the contacts change', async () => {
    hub.editor.add({ fn: 'Anneli Sommer' });
    await hub.sync([]);
    expect(names(await search('ann'))).toEqual(['Anna Berg', 'Anneli Sommer']);
  });
  it('scans 100,000 contacts quickly', () => {
    const rows = Array.from({ length: 100_000 }, (_, i) => ({
      guid: `g${i}`,
      updatedAt: 0,
      contact: { fn: `Person ${i}`, n: [], tel: [{ type: 'cell', value: `+44770${String(i).padStart(7, '0')}` }], email: [{ type: '', value: `p${i}@example.org` }], adr: [], org: '', title: '', bday: '', note: '', url: [], extra: [] },
    }));
    const index = new ContactIndex(() => rows);
    expect(index.size).toBe(100_000);
    const t0 = performance.now();
    const page = index.page(0, 100, '0099999');
    const ms = performance.now() - t0;
    expect(page.total).toBe(1);
    expect(page.rows[0]!.name).toBe('Person 99999');
    // Generous bound for a shared CI machine; bench/ui.ts prints the real figure.
    expect(ms).toBeLessThan(500);
  });
});

describe('vCard import', () => {
  const file = [
    'BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Anna Berg\r\nTEL;TYPE=CELL:+447700900123\r\nEMAIL:anna@example.org\r\nEND:VCARD',
    'BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Zoë Adams\r\nTEL;TYPE=WORK:+4930901820\r\nEMAIL:zoe@example.de\r\nEND:VCARD',
    'BEGIN:VCARD\r\nVERSION:2.1\r\nN:Okafor;George\r\nFN:George Okafor\r\nTEL;CELL:07700 900107\r\nEND:VCARD',
    'BEGIN:VCARD\r\nVERSION:2.1\r\nN:Okafor;George\r\nFN:George Okafor\r\nTEL;CELL:07700 900107\r\nEND:VCARD',
  ].join('\r\n');

  it('previews add, update and skip without writing anything', async () => {
    const before = hub.contacts().length;
    const p = await value<ImportPreview>(api.call('contacts:importPreview', { text: file }));
    expect(p.items.map((i) => [i.name, i.action])).toEqual([
      ['Anna Berg', 'skip'],
      ['Zoë Adams', 'update'],
      ['George Okafor', 'add'],
      ['George Okafor', 'skip'],
    ]);
    expect(p.counts).toEqual({ add: 1, update: 1, skip: 2 });
    expect(p.items[1]!.reason).toMatch(/Adds 1 e-mail to Zoë Adams/);
    await hub.sync([]);
    expect(hub.contacts().length).toBe(before);
  });

  it('imports what the preview said, leaving out unticked cards', async () => {
    const r = await value(api.call('contacts:import', { text: file, skip: [1] }));
    expect(r).toEqual({ added: 1, updated: 0, skipped: 3 });
    await hub.sync([]);
    expect(names(await search('okafor'))).toEqual(['George Okafor']);
    expect(hub.contacts().find((c) => c.contact.fn === 'Zoë Adams')!.contact.email).toEqual([]);
  });

  it('exports every contact as vCard', async () => {
    const f = await value<{ text: string; count: number; filename: string }>(api.call('contacts:export', { version: '3.0' }));
    expect(f.count).toBe(hub.contacts().length);
    expect(f.text.match(/BEGIN:VCARD/g)).toHaveLength(f.count);
    expect(f.filename).toMatch(/\.vcf$/);
  });
});

describe('devices: SyncML pairing, auto-sync, discovered phones', () => {
  it('pairs a SyncML client with a link "lan", validating its name, user and password', async () => {
    const bad = await api.call('devices:pairSyncml', { name: 'Laptop', user: 'me' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(await api.call('devices:pairSyncml', { name: '', user: 'me', password: 'pw' })).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    const spaced = await api.call('devices:pairSyncml', { name: 'Laptop', user: 'my user', password: 'pw' });
    expect(spaced).toMatchObject({ ok: false, error: { code: 'invalid', message: expect.stringMatching(/spaces/) } });
    const { spid } = await value<{ spid: string }>(api.call('devices:pairSyncml', { name: 'Work laptop', user: 'alice', password: 's3cret' }));
    const d = hub.device(spid)!;
    expect(d).toMatchObject({ kind: 'syncml', link: 'lan', name: 'Work laptop' });
    // The password itself is not kept, only the digest the authentication checks against.
    expect(JSON.stringify(d.config)).not.toContain('s3cret');
    // The same user again re-pairs the same device.
    expect(await value<{ spid: string }>(api.call('devices:pairSyncml', { name: 'Work laptop', user: 'alice', password: 'new' }))).toMatchObject({ spid, kind: 'syncml', user: 'alice' });
    // A SyncML client starts its own sessions: a new pairing syncs by itself.
    expect(hub.device(spid)!.autoSync).toBe(true);
    await value(api.call('devices:setAutoSync', { spid, on: false }));
    expect(hub.device(spid)!.autoSync).toBe(false);
    await value(api.call('devices:setAutoSync', { spid, on: true }));
    expect(hub.device(spid)!.autoSync).toBe(true);
    expect(await api.call('devices:setAutoSync', { spid, on: 'yes' })).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    await value(api.call('devices:forget', { spid }));
  });

  it('without phone watching, nothing is discovered and pairing a phone is refused clearly', async () => {
    expect(await value(api.call('devices:discovered', {}))).toEqual([]);
    expect(await api.call('devices:pairPhone', { spid: 'imei:1', autoSync: true })).toMatchObject({ ok: false, error: { code: 'not-found' } });
    expect(await api.call('devices:pairPhone', { spid: 'imei:1' })).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(await value(api.call('app:info', {}))).toMatchObject({ lanUrl: null });
  });
});
