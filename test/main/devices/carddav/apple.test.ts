// An Apple-style card (itemN groups with X-ABLabel, a photo, X- properties, a group card)
// round-trips unchanged through the hub; a change in the hub's editor keeps what Concord does
// not model.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, connect, dav, startHub, until, type TestHub } from './harness';

const A = basic('alice', 'secret1');
const B = basic('bob', 'secret2');
const PHOTO = `PHOTO;ENCODING=b;TYPE=JPEG:${Buffer.alloc(3000, 7).toString('base64')}`;
const fold = (line: string) => line.match(/.{1,74}/g)!.join('\r\n ');
const APPLE = [
  'BEGIN:VCARD',
  'VERSION:3.0',
  'PRODID:-//Apple Inc.//macOS 14.0//EN',
  'N:Uchida;Mitsuko;;;',
  'FN:Mitsuko Uchida',
  'ORG:Philharmonia;',
  'item1.TEL;type=pref:+44 20 7946 0958',
  'item1.X-ABLabel:_$!<Mobile>!$_',
  'item2.EMAIL;type=INTERNET:mitsuko@example.org',
  'item2.X-ABLabel:agent',
  'X-SOCIALPROFILE;type=twitter:https://twitter.com/example',
  fold(PHOTO),
  'UID:5C2A0D44-1D33-4B2E-9C43-7C6D2A0F1E01',
  'REV:2026-01-01T00:00:00Z',
  'END:VCARD',
  '',
].join('\r\n');

describe('Apple-style cards', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startHub('apple', [
      ['alice', 'secret1'],
      ['bob', 'secret2'],
    ]);
    await connect(t, 'bob', 'secret2');
  });
  afterAll(async () => t.close());

  it('keeps the card byte for byte, and what Concord does not model when the hub changes it', async () => {
    const href = '/dav/alice/contacts/5C2A0D44-1D33-4B2E-9C43-7C6D2A0F1E01.vcf';
    const put = await dav(t.base, 'PUT', href, { auth: A, body: APPLE, headers: { 'if-none-match': '*' } });
    expect(put.status).toBe(201);
    await until(() => t.hub.contacts().length === 1 && !t.hub.running() && t.ep.carddav!.pendingChanges(t.spids.alice!) === 0);
    await t.hub.sync();
    const got = await dav(t.base, 'GET', href, { auth: A });
    expect(got.text).toBe(APPLE);
    expect(got.headers.get('etag')).toBe(put.headers.get('etag'));

    // Bob's book gets the person with the photo and the X- properties.
    const bobList = await dav(t.base, 'REPORT', '/dav/bob/contacts/', { auth: B, body: '<card:addressbook-query xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav"><d:prop><card:address-data/></d:prop></card:addressbook-query>' });
    const unfold = (s: string) => s.replace(/\r?\n[ \t]/g, '');
    expect(unfold(bobList.text)).toContain(Buffer.alloc(3000, 7).toString('base64'));
    expect(bobList.text).toContain('X-SOCIALPROFILE');

    // A change in the hub's editor rewrites Alice's card; the photo and X- lines stay.
    const row = t.hub.contacts()[0]!;
    t.hub.editor.update(row.guid, { ...row.contact, title: 'Pianist' });
    await t.hub.sync();
    const after = await dav(t.base, 'GET', href, { auth: A });
    expect(after.text).toContain('TITLE:Pianist');
    expect(unfold(after.text)).toContain(Buffer.alloc(3000, 7).toString('base64'));
    expect(after.text).toContain('X-SOCIALPROFILE');
    expect(after.text).toContain('UID:5C2A0D44-1D33-4B2E-9C43-7C6D2A0F1E01');
    expect(after.headers.get('etag')).not.toBe(put.headers.get('etag'));
    // Only the changed line and REV (the change time, in the client's own ISO 8601 form)
    // are new: every other line is the client's, byte for byte.
    const rev = /^REV:(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)\r$/m.exec(after.text)?.[1];
    expect(rev).toBe(new Date(Math.floor(t.hub.contacts()[0]!.updatedAt / 1000) * 1000).toISOString().replace('.000Z', 'Z'));
    expect(after.text).toBe(APPLE.replace('REV:2026-01-01T00:00:00Z', `REV:${rev}`).replace('END:VCARD', 'TITLE:Pianist\r\nEND:VCARD'));
    // The client's stale write is refused.
    expect((await dav(t.base, 'PUT', href, { auth: A, body: APPLE, headers: { 'if-match': put.headers.get('etag')! } })).status).toBe(412);
  });
});
