// Partial address data (RFC 6352 §10.4): a REPORT whose CARDDAV:address-data names
// properties gets only those (and BEGIN, END, VERSION, UID), in the version it asks for;
// a media type or version the server does not support is the supported-address-data
// precondition. Raw HTTP against a real hub.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, dav, startHub, type TestHub } from './harness';

const A = basic('alice', 'secret1');
const PHOTO = Buffer.alloc(600, 3).toString('base64');
const fold = (line: string) => line.match(/.{1,74}/g)!.join('\r\n ');
const CARD = [
  'BEGIN:VCARD',
  'VERSION:3.0',
  'PRODID:-//Apple Inc.//macOS 14.0//EN',
  'N:Franklin;Rosalind;;;',
  'FN:Rosalind Franklin',
  'item1.TEL;type=pref:+44 20 7946 0123',
  'item1.X-ABLabel:_$!<Mobile>!$_',
  'item2.EMAIL;type=INTERNET:rosalind@example.org',
  'item2.X-ABLabel:lab',
  fold(`PHOTO;ENCODING=b;TYPE=JPEG:${PHOTO}`),
  'X-CUSTOM;X-PARAM="a:b":value',
  'UID:0D5C2F9E-2222-4B2E-9C43-7C6D2A0F1E02',
  'END:VCARD',
  '',
].join('\r\n');
const HREF = '/dav/alice/contacts/rosalind.vcf';

const unesc = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
const dataOf = (xml: string) => [...xml.matchAll(/<card:address-data>([\s\S]*?)<\/card:address-data>/g)].map((m) => unesc(m[1]!));
const names = (card: string) =>
  card
    .replace(/\r\n[ \t]/g, '')
    .split('\r\n')
    .filter(Boolean)
    .map((l) => /^([^;:]+)/.exec(l)![1]!);
const multiget = (addressData: string, href = HREF) =>
  `<card:addressbook-multiget xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav"><d:prop><d:getetag/>${addressData}</d:prop><d:href>${href}</d:href></card:addressbook-multiget>`;

describe('partial address data', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startHub('adata', [['alice', 'secret1']]);
    expect((await dav(t.base, 'PUT', HREF, { auth: A, body: CARD, headers: { 'if-none-match': '*' } })).status).toBe(201);
  });
  afterAll(async () => t.close());

  it('multiget: only the named properties, with BEGIN, END, VERSION and UID, as the client wrote them', async () => {
    const r = await dav(t.base, 'REPORT', '/dav/alice/contacts/', { auth: A, body: multiget('<card:address-data><card:prop name="EMAIL"/><card:prop name="fn"/></card:address-data>') });
    expect(r.status).toBe(207);
    const [card] = dataOf(r.text);
    expect(names(card!)).toEqual(['BEGIN', 'VERSION', 'FN', 'item2.EMAIL', 'UID', 'END']);
    expect(card).toBe('BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Rosalind Franklin\r\nitem2.EMAIL;type=INTERNET:rosalind@example.org\r\nUID:0D5C2F9E-2222-4B2E-9C43-7C6D2A0F1E02\r\nEND:VCARD\r\n');
    expect(r.text).toContain('<d:getetag>');
  });

  it('novalue="yes" gives the property with its parameters and no value; a folded one too', async () => {
    const r = await dav(t.base, 'REPORT', '/dav/alice/contacts/', { auth: A, body: multiget('<card:address-data><card:prop name="PHOTO" novalue="yes"/><card:prop name="X-CUSTOM" novalue="yes"/><card:prop name="TEL"/></card:address-data>') });
    const [card] = dataOf(r.text);
    expect(card).toContain('PHOTO;ENCODING=b;TYPE=JPEG:\r\n');
    expect(card).not.toContain(PHOTO.slice(0, 40));
    expect(card).toContain('X-CUSTOM;X-PARAM="a:b":\r\n');
    expect(card).toContain('item1.TEL;type=pref:+44 20 7946 0123\r\n');
    expect(names(card!)).toEqual(['BEGIN', 'VERSION', 'item1.TEL', 'PHOTO', 'X-CUSTOM', 'UID', 'END']);
  });

  it('allprop, no prop, or the stored version: the card byte for byte', async () => {
    for (const ad of ['<card:address-data/>', '<card:address-data><card:allprop/></card:address-data>', '<card:address-data content-type="text/vcard; charset=utf-8" version="3.0"/>']) {
      const r = await dav(t.base, 'REPORT', '/dav/alice/contacts/', { auth: A, body: multiget(ad) });
      expect(dataOf(r.text)).toEqual([CARD]);
    }
  });

  it('version="4.0" converts the card (all of it, or the named properties)', async () => {
    const all = dataOf((await dav(t.base, 'REPORT', '/dav/alice/contacts/', { auth: A, body: multiget('<card:address-data content-type="text/vcard" version="4.0"/>') })).text)[0]!;
    expect(all).toMatch(/^BEGIN:VCARD\r\nVERSION:4.0\r\n/);
    expect(all).toContain('FN:Rosalind Franklin');
    expect(all).toContain('UID:0D5C2F9E-2222-4B2E-9C43-7C6D2A0F1E02');
    expect(all.replace(/\r\n[ \t]/g, '')).toContain('rosalind@example.org');
    const some = dataOf((await dav(t.base, 'REPORT', '/dav/alice/contacts/', { auth: A, body: multiget('<card:address-data version="4.0"><card:prop name="FN"/></card:address-data>') })).text)[0]!;
    expect(names(some)).toEqual(['BEGIN', 'VERSION', 'FN', 'UID', 'END']);
    expect(some).toContain('VERSION:4.0\r\n');
  });

  it('addressbook-query and sync-collection honour it too', async () => {
    const q = await dav(t.base, 'REPORT', '/dav/alice/contacts/', {
      auth: A,
      body: '<card:addressbook-query xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav"><d:prop><card:address-data><card:prop name="N"/></card:address-data></d:prop><card:filter><card:prop-filter name="FN"><card:text-match>rosalind</card:text-match></card:prop-filter></card:filter></card:addressbook-query>',
    });
    expect(dataOf(q.text).map(names)).toEqual([['BEGIN', 'VERSION', 'N', 'UID', 'END']]);
    const s = await dav(t.base, 'REPORT', '/dav/alice/contacts/', {
      auth: A,
      body: '<d:sync-collection xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav"><d:sync-token/><d:sync-level>1</d:sync-level><d:prop><card:address-data><card:prop name="EMAIL"/></card:address-data></d:prop></d:sync-collection>',
    });
    expect(dataOf(s.text).map(names)).toEqual([['BEGIN', 'VERSION', 'item2.EMAIL', 'UID', 'END']]);
  });

  it('a media type or version the server does not have is the supported-address-data precondition', async () => {
    for (const ad of ['<card:address-data content-type="application/vcard+json"/>', '<card:address-data content-type="text/vcard" version="2.1"/>', '<card:address-data version="5.0"><card:prop name="FN"/></card:address-data>']) {
      const r = await dav(t.base, 'REPORT', '/dav/alice/contacts/', { auth: A, body: multiget(ad) });
      expect(r.status).toBe(415);
      expect(r.text).toContain('<card:supported-address-data/>');
    }
  });
});
