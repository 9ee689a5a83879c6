// The Depth 1 listing of a book (each sync of most clients starts with it) is rendered once
// per book revision and kept: it must follow every change to the book, from a client, from
// another account through a run, and from a PROPPATCH, and name odd cards exactly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, card, connect, dav, startHub, until, type TestHub } from './harness';

const A = basic('ann', 'secret1');
const B = basic('ben', 'secret2');
const LIST = '<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:resourcetype/><d:getcontenttype/><d:getetag/></d:prop></d:propfind>';
const list = async (t: TestHub, user: string, auth: string, body = LIST) => (await dav(t.base, 'PROPFIND', `/dav/${user}/contacts/`, { auth, headers: { depth: '1' }, body })).text;
const etags = (xml: string) => new Map([...xml.matchAll(/<d:href>([^<]*\.vcf)<\/d:href>.*?<d:getetag>([^<]*)<\/d:getetag>/g)].map((m) => [m[1]!, m[2]!]));

describe('CardDAV Depth 1 listing', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startHub('listing', [
      ['ann', 'secret1'],
      ['ben', 'secret2'],
    ]);
    await connect(t, 'ann', 'secret1');
    await connect(t, 'ben', 'secret2');
  });
  afterAll(async () => t.close());

  it('follows PUT, DELETE, a run and PROPPATCH, and lists each card as its own PROPFIND does', async () => {
    expect(etags(await list(t, 'ann', A)).size).toBe(0);
    const put = await dav(t.base, 'PUT', '/dav/ann/contacts/a%20b%3Fc.vcf', { auth: A, body: card('l1', 'Ada Lovelace') });
    expect(put.status).toBe(201);
    const one = await list(t, 'ann', A);
    expect(etags(one)).toEqual(new Map([['/dav/ann/contacts/a%20b%3Fc.vcf', put.headers.get('etag')!.replace(/"/g, '&quot;')]]));
    // The same listing twice is the same bytes; a single card's PROPFIND answers as its entry does.
    expect(await list(t, 'ann', A)).toBe(one);
    const single = await dav(t.base, 'PROPFIND', '/dav/ann/contacts/a%20b%3Fc.vcf', { auth: A, headers: { depth: '0' }, body: LIST });
    expect(one).toContain(/<d:response>.*<\/d:response>/.exec(single.text)![0]);

    const upd = await dav(t.base, 'PUT', '/dav/ann/contacts/a%20b%3Fc.vcf', { auth: A, body: card('l1', 'Ada King') });
    expect([...etags(await list(t, 'ann', A)).values()]).toEqual([upd.headers.get('etag')!.replace(/"/g, '&quot;')]);

    // A card Ann wrote reaches Ben's book through a run; his kept listing moves with it.
    const before = await list(t, 'ben', B);
    await until(async () => etags(await list(t, 'ben', B)).size === 1);
    expect(await list(t, 'ben', B)).not.toBe(before);

    expect((await dav(t.base, 'DELETE', '/dav/ann/contacts/a%20b%3Fc.vcf', { auth: A })).status).toBe(204);
    expect(etags(await list(t, 'ann', A)).size).toBe(0);

    await dav(t.base, 'PROPPATCH', '/dav/ann/contacts/', { auth: A, body: '<d:propertyupdate xmlns:d="DAV:"><d:set><d:prop><d:displayname>Ann’s</d:displayname></d:prop></d:set></d:propertyupdate>' });
    expect(await list(t, 'ann', A, '<d:propfind xmlns:d="DAV:"><d:prop><d:displayname/></d:prop></d:propfind>')).toContain('<d:displayname>Ann’s</d:displayname>');
    // Another property set is another listing.
    expect(await list(t, 'ann', A, '<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop></d:propfind>')).not.toContain('getcontenttype');
  });
});
