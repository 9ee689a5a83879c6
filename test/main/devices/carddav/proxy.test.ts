// Replies lost on the way back: a proxy between a real client and the hub forwards chosen
// requests (every third PUT, a DELETE, a REPORT) and closes the client's connection once the
// hub has answered. The client fails or retries; its next sync converges: nothing lost,
// nothing doubled, the truth holds each contact once.
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { addressBookMultiGet, DAVClient, type DAVObject } from 'tsdav';
import { parseVCard } from '../../../../main/core/vcard';
import { CarddavStore } from '../../../../main/dss/carddav-store';
import { startDropProxy, type DropProxy, type ProxiedRequest } from '../../../lib/drop-proxy';
import { card, startHub, until, type TestHub } from './harness';
import { fieldsOf, folderFields, genCards, has, mutateCards, vdirsyncer, vdirsyncerAgain } from './real-clients';

let t: TestHub | null = null;
let proxy: DropProxy | null = null;
afterEach(async () => {
  await proxy?.close();
  proxy = null;
  await t?.close();
  t = null;
});

/** The account's book on the hub, as parsed fields (sorted). */
function bookFields(th: TestHub, user: string): string[] {
  return new CarddavStore(th.hub.dss.db)
    .liveCards(th.spids[user]!)
    .map((c) => fieldsOf(parseVCard(c.body!).contact))
    .sort();
}

const truthFields = (th: TestHub) => th.hub.contacts().map((r) => fieldsOf(r.contact)).sort();

async function settle(th: TestHub, user: string): Promise<void> {
  await until(() => th.ep.carddav!.pendingChanges(th.spids[user]!) === 0 && !th.hub.running(), 30_000);
  await th.hub.sync();
}

/** Loses the reply of the next request with this method, once. */
function once(method: string): (r: ProxiedRequest) => boolean {
  let done = false;
  return (r) => r.method === method && !done && (done = true);
}

/** Every list equal, each entry once (no two cards for one person). */
function expectConverged(...lists: string[][]): void {
  for (const l of lists.slice(1)) expect(l).toEqual(lists[0]);
  expect(new Set(lists[0]).size).toBe(lists[0]!.length);
}

describe.skipIf(!has('vdirsyncer'))('vdirsyncer through a proxy that loses replies', () => {
  it('fails on lost replies, and its next syncs converge with nothing lost or doubled', async () => {
    t = await startHub('proxy-vds', [['alice', 'secret1']]);
    const th = t;
    proxy = await startDropProxy(th.base);
    const px = proxy;
    const local = path.join(th.dir, 'client', 'contacts');
    const state = path.join(th.dir, 'state');
    /** Syncs until one run succeeds; returns how many runs failed first. */
    let first = true;
    const syncUntilClean = async (): Promise<number> => {
      for (let failed = 0; failed < 8; failed++) {
        const r = first ? await vdirsyncer(px.url, 'alice', 'secret1', local, state) : await vdirsyncerAgain(state);
        first = false;
        if (r.rc === 0) return failed;
      }
      throw new Error('vdirsyncer never completed a sync through the proxy');
    };

    // 1. The first upload: every third PUT's reply is lost (the hub stored the card).
    genCards(30, local, 5);
    px.drop = (r) => r.method === 'PUT' && r.nth % 3 === 0 && r.nth <= 9;
    expect(await syncUntilClean()).toBeGreaterThan(0);
    expect(px.dropped.filter((r) => r.method === 'PUT')).toHaveLength(3);
    await settle(th, 'alice');
    expect(th.hub.contacts()).toHaveLength(30);
    expectConverged(folderFields(local), bookFields(th, 'alice'), truthFields(th));

    // 2. Changes, deletions and additions on the client and in the hub's editor: the
    // replies of the first DELETE, the first REPORT (the multiget that fetches the hub's
    // changes) and every third PUT are lost.
    mutateCards(local, 6, 3, 4, 9);
    // The editor changes contacts the client left alone (no conflict to count around).
    const untouched = new Set(folderFields(local));
    const rows = th.hub.contacts().filter((r) => untouched.has(fieldsOf(r.contact)));
    th.hub.editor.update(rows[0]!.guid, { ...rows[0]!.contact, note: 'changed in the hub' });
    th.hub.editor.delete(rows[1]!.guid);
    th.hub.editor.add({ fn: 'Added In Hub', n: ['Hub', 'Added'], tel: [{ type: 'cell', value: '+447700900123' }] });
    await th.hub.sync();
    const base = px.dropped.length;
    const firstDelete = once('DELETE');
    const firstReport = once('REPORT');
    px.drop = (r) => firstDelete(r) || firstReport(r) || (r.method === 'PUT' && r.nth % 3 === 0);
    expect(await syncUntilClean()).toBeGreaterThan(0);
    const lost = px.dropped.slice(base).map((r) => r.method);
    expect(lost).toContain('DELETE');
    expect(lost).toContain('REPORT');
    await settle(th, 'alice');
    expect(th.hub.contacts()).toHaveLength(30 - 3 + 4 - 1 + 1);
    expectConverged(folderFields(local), bookFields(th, 'alice'), truthFields(th));
    expect(folderFields(local).some((f) => f.includes('changed in the hub'))).toBe(true);

    // An extra sync, nothing lost on the way: no change anywhere.
    px.drop = () => false;
    const before = truthFields(th);
    expect((await vdirsyncerAgain(state)).rc).toBe(0);
    await settle(th, 'alice');
    expectConverged(before, truthFields(th), folderFields(local), bookFields(th, 'alice'));
  }, 60_000);
});

describe('tsdav through a proxy that loses replies', () => {
  it('retries each lost write, meets the hub\'s 412/404 for what was done, and converges', async () => {
    t = await startHub('proxy-tsdav', [['bob', 'secret2']]);
    const th = t;
    proxy = await startDropProxy(th.base);
    const px = proxy;
    const client = new DAVClient({ serverUrl: `${px.url}/`, credentials: { username: 'bob', password: 'secret2' }, authMethod: 'Basic', defaultAccountType: 'carddav' });
    await client.login();
    const book = { ...(await client.fetchAddressBooks())[0]!, objectMultiGet: addressBookMultiGet };
    /** A client that retries a request whose reply never came, once. */
    const retry = async <T>(fn: () => Promise<T>): Promise<{ value: T; lost: boolean }> => {
      try {
        return { value: await fn(), lost: false };
      } catch {
        return { value: await fn(), lost: true };
      }
    };

    // Creations: every fourth PUT's reply is lost. The retry (If-None-Match: *) meets 412:
    // the card is there already.
    px.drop = (r) => r.method === 'PUT' && r.nth % 4 === 0;
    let lostCreates = 0;
    for (let i = 0; i < 12; i++) {
      const { value, lost } = await retry(() => client.createVCard({ addressBook: book, filename: `p${i}.vcf`, vCardString: card(`p${i}`, `Proxied${i} Person`, `+44 20 7946 ${String(3000 + i)}`) }));
      if (lost) {
        lostCreates += 1;
        expect(value.status).toBe(412);
      } else expect(value.status).toBe(201);
    }
    expect(lostCreates).toBe(3);

    // An update whose reply is lost: the retry with the old ETag meets 412; the client
    // fetches the card and finds its own change there.
    let objects: DAVObject[] = await client.fetchVCards({ addressBook: book });
    expect(objects).toHaveLength(12);
    const three = objects.find((o) => o.url.endsWith('/p3.vcf'))!;
    px.drop = once('PUT');
    const upd = await retry(() => client.updateVCard({ vCard: { ...three, data: String(three.data).replace('FN:Proxied3 Person', 'FN:Proxied3 Renamed') } }));
    expect(upd.lost).toBe(true);
    px.drop = () => false;
    expect(upd.value.status).toBe(412);
    objects = await client.fetchVCards({ addressBook: book });
    expect(String(objects.find((o) => o.url.endsWith('/p3.vcf'))!.data)).toContain('FN:Proxied3 Renamed');

    // A delete whose reply is lost: the retry meets 404, the card is gone.
    const four = objects.find((o) => o.url.endsWith('/p4.vcf'))!;
    px.drop = once('DELETE');
    const del = await retry(() => client.deleteVCard({ vCard: four }));
    px.drop = () => false;
    expect(del.lost).toBe(true);
    expect(del.value.status).toBe(404);

    // A change from the hub's editor; the sync-collection REPORT's reply is lost once.
    await settle(th, 'bob');
    const row = th.hub.contacts().find((r) => r.contact.fn === 'Proxied5 Person')!;
    th.hub.editor.update(row.guid, { ...row.contact, title: 'Courier' });
    await th.hub.sync();
    px.drop = once('REPORT');
    const synced = await retry(() => client.smartCollectionSync({ collection: { ...book, objects }, method: 'webdav', detailedResult: true }));
    expect(synced.lost).toBe(true);
    const d = synced.value.objects as { created: DAVObject[]; updated: DAVObject[]; deleted: DAVObject[] };
    expect(d.updated.map((o) => String(o.data)).join('')).toContain('TITLE:Courier');

    // Nothing lost, nothing doubled: client, book and truth hold the same 11 contacts.
    objects = await client.fetchVCards({ addressBook: book });
    const clientFields = objects.map((o) => fieldsOf(parseVCard(String(o.data)).contact)).sort();
    expect(clientFields).toHaveLength(11);
    expectConverged(clientFields, bookFields(th, 'bob'), truthFields(th));
  }, 60_000);
});
