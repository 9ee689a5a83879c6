// The CardDAV protocol on the hub's LAN endpoint, with a real hub and real sockets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, card, dav, startHub, until, type TestHub } from './harness';

const A = basic('alice', 'secret1');
const B = basic('bob', 'secret2');
const PF = (props: string) => `<?xml version="1.0"?><d:propfind xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav" xmlns:cs="http://calendarserver.org/ns/"><d:prop>${props}</d:prop></d:propfind>`;
const tokenOf = (xml: string) => /<d:sync-token>([^<]*)<\/d:sync-token>/.exec(xml)?.[1] ?? '';

describe('CardDAV protocol', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startHub('proto', [
      ['alice', 'secret1'],
      ['bob', 'secret2'],
    ]);
  });
  afterAll(async () => t.close());

  it('redirects the well-known URL, answers OPTIONS and challenges without credentials', async () => {
    const wk = await dav(t.base, 'PROPFIND', '/.well-known/carddav');
    expect(wk.status).toBe(301);
    expect(wk.headers.get('location')).toBe('/dav/');
    const o = await dav(t.base, 'OPTIONS', '/dav/');
    expect(o.headers.get('dav')).toBe('1, 3, addressbook');
    const noAuth = await dav(t.base, 'PROPFIND', '/dav/', { body: PF('<d:current-user-principal/>') });
    expect(noAuth.status).toBe(401);
    expect(noAuth.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    expect((await dav(t.base, 'PROPFIND', '/dav/', { auth: basic('alice', 'wrong'), body: PF('<d:displayname/>') })).status).toBe(401);
    expect((await dav(t.base, 'PROPFIND', '/dav/', { auth: basic('mallory', 'x'), body: PF('<d:displayname/>') })).status).toBe(401);
  });

  it('discovers principal, home set and the book; unknown properties are 404 propstats', async () => {
    const root = await dav(t.base, 'PROPFIND', '/dav/', { auth: A, headers: { depth: '0' }, body: PF('<d:current-user-principal/><d:foo-bar/>') });
    expect(root.status).toBe(207);
    expect(root.text).toContain('<d:current-user-principal><d:href>/dav/alice/</d:href>');
    expect(root.text).toMatch(/<d:foo-bar\/><\/d:prop><d:status>HTTP\/1.1 404/);
    const home = await dav(t.base, 'PROPFIND', '/dav/alice/', { auth: A, headers: { depth: '1' }, body: PF('<card:addressbook-home-set/><d:resourcetype/><cs:getctag/><d:sync-token/><card:supported-address-data/><d:supported-report-set/><d:current-user-privilege-set/>') });
    expect(home.text).toContain('<card:addressbook-home-set><d:href>/dav/alice/</d:href>');
    expect(home.text).toContain('<d:href>/dav/alice/contacts/</d:href>');
    expect(home.text).toContain('<card:addressbook/>');
    expect(home.text).toContain('version="4.0"');
    expect(home.text).toContain('<d:sync-collection/>');
    expect(home.text).toContain('<cs:getctag>');
  });

  it('stores a PUT at once, answers with a strong ETag, and honours If-Match / If-None-Match', async () => {
    const body = card('u1', 'Ada Lovelace', '+44 20 7946 0001', 'item1.X-ABLabel:_$!<Other>!$_\r\nX-CUSTOM;FOO=bar:keep me\r\n');
    const put = await dav(t.base, 'PUT', '/dav/alice/contacts/u1.vcf', { auth: A, body, headers: { 'if-none-match': '*' } });
    expect(put.status).toBe(201);
    const etag = put.headers.get('etag')!;
    expect(etag).toMatch(/^"[^"]+"$/);
    expect((await dav(t.base, 'PUT', '/dav/alice/contacts/u1.vcf', { auth: A, body, headers: { 'if-none-match': '*' } })).status).toBe(412);
    expect((await dav(t.base, 'PUT', '/dav/alice/contacts/u1.vcf', { auth: A, body: card('u1', 'Ada X'), headers: { 'if-match': '"stale"' } })).status).toBe(412);
    const get = await dav(t.base, 'GET', '/dav/alice/contacts/u1.vcf', { auth: A });
    expect(get.text).toBe(body);
    expect(get.headers.get('etag')).toBe(etag);
    // The run reconciles it into the truth; the card the client wrote is not rewritten.
    await until(() => t.hub.contacts().some((c) => c.contact.fn === 'Ada Lovelace'));
    await new Promise((r) => setTimeout(r, 300));
    expect((await dav(t.base, 'GET', '/dav/alice/contacts/u1.vcf', { auth: A })).text).toBe(body);
    // Bob's book receives it from the run, and Bob cannot read Alice's book.
    await until(async () => (await dav(t.base, 'PROPFIND', '/dav/bob/contacts/', { auth: B, headers: { depth: '1' }, body: PF('<d:getetag/>') })).text.includes('.vcf'));
    expect((await dav(t.base, 'GET', '/dav/alice/contacts/u1.vcf', { auth: B })).status).toBe(404);
    expect((await dav(t.base, 'PROPFIND', '/dav/alice/contacts/', { auth: B, body: PF('<d:getetag/>') })).status).toBe(404);
  });

  it('sync-collection gives changes since a token, deletions as 404, and refuses a foreign token', async () => {
    const first = await dav(t.base, 'REPORT', '/dav/alice/contacts/', { auth: A, body: '<d:sync-collection xmlns:d="DAV:"><d:sync-token/><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>' });
    expect(first.status).toBe(207);
    const tok = tokenOf(first.text);
    expect(tok).not.toBe('');
    const noop = await dav(t.base, 'REPORT', '/dav/alice/contacts/', { auth: A, body: `<d:sync-collection xmlns:d="DAV:"><d:sync-token>${tok}</d:sync-token><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>` });
    expect(noop.text).not.toContain('<d:response>');
    expect((await dav(t.base, 'PUT', '/dav/alice/contacts/u2.vcf', { auth: A, body: card('u2', 'Grace Hopper') })).status).toBe(201);
    expect((await dav(t.base, 'DELETE', '/dav/alice/contacts/u2.vcf', { auth: A })).status).toBe(204);
    const after = await dav(t.base, 'REPORT', '/dav/alice/contacts/', { auth: A, body: `<d:sync-collection xmlns:d="DAV:"><d:sync-token>${tok}</d:sync-token><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>` });
    expect(after.text).toMatch(/u2\.vcf<\/d:href><d:status>HTTP\/1.1 404/);
    const bobTok = tokenOf((await dav(t.base, 'REPORT', '/dav/bob/contacts/', { auth: B, body: '<d:sync-collection xmlns:d="DAV:"><d:sync-token/><d:prop><d:getetag/></d:prop></d:sync-collection>' })).text);
    const foreign = await dav(t.base, 'REPORT', '/dav/alice/contacts/', { auth: A, body: `<d:sync-collection xmlns:d="DAV:"><d:sync-token>${bobTok}</d:sync-token><d:prop><d:getetag/></d:prop></d:sync-collection>` });
    expect(foreign.status).toBe(403);
    expect(foreign.text).toContain('valid-sync-token');
  });

  it('answers addressbook-multiget and addressbook-query', async () => {
    const mg = await dav(t.base, 'REPORT', '/dav/alice/contacts/', { auth: A, body: '<card:addressbook-multiget xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav"><d:prop><d:getetag/><card:address-data/></d:prop><d:href>/dav/alice/contacts/u1.vcf</d:href><d:href>/dav/alice/contacts/nope.vcf</d:href><d:href>/dav/alice/contacts/../../bob/contacts/x.vcf</d:href></card:addressbook-multiget>' });
    expect(mg.text).toContain('FN:Ada Lovelace');
    expect(mg.text).toMatch(/nope\.vcf<\/d:href><d:status>HTTP\/1.1 404/);
    const q = await dav(t.base, 'REPORT', '/dav/alice/contacts/', { auth: A, body: '<card:addressbook-query xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav"><d:prop><d:getetag/></d:prop><card:filter><card:prop-filter name="FN"><card:text-match collation="i;unicode-casemap" match-type="contains">lovelace</card:text-match></card:prop-filter></card:filter></card:addressbook-query>' });
    expect(q.text).toContain('u1.vcf');
    const q2 = await dav(t.base, 'REPORT', '/dav/alice/contacts/', { auth: A, body: '<card:addressbook-query xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav"><d:prop><d:getetag/></d:prop><card:filter><card:prop-filter name="FN"><card:text-match match-type="equals">nobody</card:text-match></card:prop-filter></card:filter></card:addressbook-query>' });
    expect(q2.text).not.toContain('u1.vcf');
  });

  it('renames the book with PROPPATCH', async () => {
    const r = await dav(t.base, 'PROPPATCH', '/dav/alice/contacts/', { auth: A, body: '<d:propertyupdate xmlns:d="DAV:"><d:set><d:prop><d:displayname>Family</d:displayname></d:prop></d:set></d:propertyupdate>' });
    expect(r.status).toBe(207);
    expect(r.text).toContain('200 OK');
    expect((await dav(t.base, 'PROPFIND', '/dav/alice/contacts/', { auth: A, headers: { depth: '0' }, body: PF('<d:displayname/>') })).text).toContain('<d:displayname>Family</d:displayname>');
  });

  it('refuses bad input with a 4xx and changes nothing', async () => {
    const before = (await dav(t.base, 'PROPFIND', '/dav/alice/contacts/', { auth: A, headers: { depth: '0' }, body: PF('<d:sync-token/>') })).text;
    const laughs = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><d:propfind xmlns:d="DAV:"><d:prop><d:displayname>&lol2;</d:displayname></d:prop></d:propfind>';
    expect((await dav(t.base, 'PROPFIND', '/dav/alice/', { auth: A, body: laughs })).status).toBe(400);
    expect((await dav(t.base, 'PROPFIND', '/dav/alice/', { auth: A, body: '<d:propfind xmlns:d="DAV:"><d:prop>' })).status).toBe(400);
    expect((await dav(t.base, 'PROPFIND', '/dav/alice/', { auth: A, body: '<a>'.repeat(5000) + '</a>'.repeat(5000) })).status).toBe(400);
    expect((await dav(t.base, 'PROPFIND', '/dav/alice/', { auth: A, body: `<d:propfind xmlns:d="DAV:">${' '.repeat(1_100_000)}</d:propfind>` })).status).toBe(413);
    expect((await dav(t.base, 'PUT', '/dav/alice/contacts/big.vcf', { auth: A, body: card('big', 'Big One', '1', `NOTE:${'x'.repeat(2_100_000)}\r\n`) })).status).toBe(413);
    expect((await dav(t.base, 'PUT', '/dav/alice/contacts/bad.vcf', { auth: A, body: 'BEGIN:VCARD\r\nFN:x\r\n' })).status).toBe(400);
    // (fetch folds a dot-dot segment before sending: the server sees the principal, not a card)
    expect((await dav(t.base, 'PUT', '/dav/alice/contacts/%2e%2e', { auth: A, body: card('x', 'X Y') })).status).toBeGreaterThanOrEqual(400);
    expect((await dav(t.base, 'PUT', '/dav/alice/contacts/a%2fb.vcf', { auth: A, body: card('x', 'X Y') })).status).toBe(400);
    expect((await dav(t.base, 'PUT', '/dav/bob/contacts/x.vcf', { auth: A, body: card('x', 'X Y') })).status).toBe(404);
    expect((await dav(t.base, 'PUT', '/dav/alice/contacts/sub/x.vcf', { auth: A, body: card('x', 'X Y') })).status).toBe(404);
    const after = (await dav(t.base, 'PROPFIND', '/dav/alice/contacts/', { auth: A, headers: { depth: '0' }, body: PF('<d:sync-token/>') })).text;
    expect(after).toBe(before);
  });

  it('keeps group cards and serves them, never as people', async () => {
    const group = 'BEGIN:VCARD\r\nVERSION:3.0\r\nUID:g1\r\nFN:Friends\r\nN:Friends;;;;\r\nX-ADDRESSBOOKSERVER-KIND:group\r\nX-ADDRESSBOOKSERVER-MEMBER:urn:uuid:u1\r\nEND:VCARD\r\n';
    expect((await dav(t.base, 'PUT', '/dav/alice/contacts/g1.vcf', { auth: A, body: group })).status).toBe(201);
    await new Promise((r) => setTimeout(r, 800));
    await t.hub.sync();
    expect(t.hub.contacts().some((c) => c.contact.fn === 'Friends')).toBe(false);
    expect((await dav(t.base, 'GET', '/dav/alice/contacts/g1.vcf', { auth: A })).text).toBe(group);
  });

  it('rate-limits failed logins', async () => {
    let last = 0;
    for (let i = 0; i < 10; i++) last = (await dav(t.base, 'PROPFIND', '/dav/', { auth: basic('carol', `bad${i}`), body: PF('<d:displayname/>') })).status;
    expect(last).toBe(429);
  });
});
