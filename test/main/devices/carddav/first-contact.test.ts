// A new account whose first client brings the people the hub already has: the book is not
// filled before the client has been heard, so nobody ends up in it twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, card, dav, startHub, until, type TestHub } from './harness';

const A = basic('alice', 'secret1');
const PF = '<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop></d:propfind>';

describe('first contact', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startHub('first', [['alice', 'secret1']]);
  });
  afterAll(async () => t.close());

  it('matches the first client\'s cards with the truth instead of doubling them', async () => {
    t.hub.editor.add({ fn: 'Ada Lovelace', n: ['Lovelace', 'Ada'], tel: [{ type: 'cell', value: '+442079460001' }] });
    t.hub.editor.add({ fn: 'Grace Hopper', n: ['Hopper', 'Grace'], tel: [{ type: 'cell', value: '+442079460002' }] });
    await t.hub.sync();
    expect(t.ep.carddav!.isOnline(t.spids.alice!)).toBe(false);
    // Another run (the editor, another device) does not fill the book before a client came.
    await t.hub.sync();
    const list = await dav(t.base, 'PROPFIND', '/dav/alice/contacts/', { auth: A, headers: { depth: '1' }, body: PF });
    expect(list.text).not.toContain('.vcf');
    // The Mac uploads what it has: the same two people and one more.
    for (const [uid, fn, tel] of [
      ['m1', 'Ada Lovelace', '+44 20 7946 0001'],
      ['m2', 'Grace Hopper', '+44 20 7946 0002'],
      ['m3', 'Alan Turing', '+44 20 7946 0003'],
    ] as const) {
      expect((await dav(t.base, 'PUT', `/dav/alice/contacts/${uid}.vcf`, { auth: A, body: card(uid, fn, tel), headers: { 'if-none-match': '*' } })).status).toBe(201);
    }
    await until(() => t.ep.carddav!.isOnline(t.spids.alice!) && t.ep.carddav!.pendingChanges(t.spids.alice!) === 0 && !t.hub.running());
    await t.hub.sync();
    expect(t.hub.contacts().map((r) => r.contact.fn).sort()).toEqual(['Ada Lovelace', 'Alan Turing', 'Grace Hopper']);
    const after = await dav(t.base, 'PROPFIND', '/dav/alice/contacts/', { auth: A, headers: { depth: '1' }, body: PF });
    expect(after.text.match(/\.vcf</g)).toHaveLength(3);
  });
});
