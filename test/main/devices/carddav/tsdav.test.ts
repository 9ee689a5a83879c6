// tsdav (npm, the most used JavaScript CardDAV client): discovery from the bare host,
// smartCollectionSync with sync tokens, updates and deletes, against the hub.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressBookMultiGet, DAVClient, type DAVObject } from 'tsdav';
import { card, startHub, until, type TestHub } from './harness';

describe('tsdav', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startHub('tsdav', [['alice', 'secret1']]);
  });
  afterAll(async () => t.close());

  it('discovers the book from the bare host, syncs by token, updates and deletes', async () => {
    const client = new DAVClient({ serverUrl: `${t.base}/`, credentials: { username: 'alice', password: 'secret1' }, authMethod: 'Basic', defaultAccountType: 'carddav' });
    await client.login();
    const books = await client.fetchAddressBooks();
    expect(books).toHaveLength(1);
    const book = { ...books[0]!, objectMultiGet: addressBookMultiGet };
    expect(new URL(book.url).pathname).toBe('/dav/alice/contacts/');
    expect(book.syncToken).toBeTruthy();

    for (let i = 0; i < 20; i++) {
      const r = await client.createVCard({ addressBook: book, filename: `c${i}.vcf`, vCardString: card(`c${i}`, `Person${i} Test`, `+44 20 7946 ${String(1000 + i)}`) });
      expect(r.status).toBe(201);
    }
    let objects: DAVObject[] = await client.fetchVCards({ addressBook: book });
    expect(objects).toHaveLength(20);

    // A change in the hub's editor reaches the client through sync-collection.
    await until(() => t.hub.contacts().length === 20 && !t.hub.running() && t.ep.carddav!.pendingChanges(t.spids.alice!) === 0);
    const row = t.hub.contacts().find((r) => r.contact.fn === 'Person3 Test')!;
    t.hub.editor.update(row.guid, { ...row.contact, title: 'Conductor' });
    t.hub.editor.add({ fn: 'New From Hub', n: ['Hub', 'New'] });
    await t.hub.sync();
    const synced = await client.smartCollectionSync({ collection: { ...book, objects }, method: 'webdav', detailedResult: true });
    const { created, updated, deleted } = synced.objects as { created: DAVObject[]; updated: DAVObject[]; deleted: DAVObject[] };
    expect(created).toHaveLength(1);
    expect(String(created[0]!.data)).toContain('FN:New From Hub');
    expect(updated).toHaveLength(1);
    expect(String(updated[0]!.data)).toContain('TITLE:Conductor');
    expect(deleted).toHaveLength(0);
    expect(synced.syncToken).not.toBe(book.syncToken);

    // Updates and deletes from the client; a stale If-Match is refused.
    objects = await client.fetchVCards({ addressBook: book });
    const five = objects.find((o) => o.url.endsWith('/c5.vcf'))!;
    const upd = await client.updateVCard({ vCard: { ...five, data: String(five.data).replace('FN:Person5 Test', 'FN:Person5 Renamed') } });
    expect(upd.status).toBe(204);
    const stale = await client.updateVCard({ vCard: { ...five, data: String(five.data).replace('FN:Person5 Test', 'FN:Stale') } });
    expect(stale.status).toBe(412);
    const six = objects.find((o) => o.url.endsWith('/c6.vcf'))!;
    expect((await client.deleteVCard({ vCard: six })).status).toBe(204);
    await until(() => !t.hub.running() && t.ep.carddav!.pendingChanges(t.spids.alice!) === 0 && t.hub.contacts().some((r) => r.contact.fn === 'Person5 Renamed'));
    expect(t.hub.contacts().some((r) => r.contact.fn === 'Person6 Test')).toBe(false);
    expect(t.hub.contacts().some((r) => r.contact.fn === 'Stale')).toBe(false);

    const again = await client.smartCollectionSync({ collection: { ...book, syncToken: synced.syncToken, objects: synced.objects ? [...objects] : [] }, method: 'webdav', detailedResult: true });
    const d = again.objects as { created: DAVObject[]; updated: DAVObject[]; deleted: DAVObject[] };
    expect(d.deleted.map((o) => o.url.split('/').pop())).toEqual(['c6.vcf']);
  }, 60_000);
});
