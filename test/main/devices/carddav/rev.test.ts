// REV of the cards the hub serves: a card the hub rewrites (the truth changed because
// another device changed the contact) says when, in UTC and in its version's form; a card
// the hub leaves alone keeps the client's REV byte for byte.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revValue } from '../../../../main/devices/carddav/merge';
import { basic, connect, dav, startHub, until, type TestHub } from './harness';

const A = basic('alice', 'secret1');
const B = basic('bob', 'secret2');
const MG = (href: string) => `<card:addressbook-multiget xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav"><d:prop><d:getetag/></d:prop><d:href>${href}</d:href></card:addressbook-multiget>`;
const PF = '<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop></d:propfind>';

const CARD40 = [
  'BEGIN:VCARD',
  'VERSION:4.0',
  'UID:urn:uuid:4f1a2b3c-0000-4000-8000-000000000001',
  'FN:Lise Meitner',
  'N:Meitner;Lise;;;',
  'TEL;TYPE=cell;VALUE=uri:tel:+43-1-4277-0001',
  'X-UNMODELLED;FOO=bar:kept as it is',
  'REV:20200102T030405Z',
  'END:VCARD',
  '',
].join('\r\n');
const CARD40_OTHER = [
  'BEGIN:VCARD',
  'VERSION:4.0',
  'UID:urn:uuid:4f1a2b3c-0000-4000-8000-000000000002',
  'FN:Emmy Noether',
  'N:Noether;Emmy;;;',
  'EMAIL:emmy@example.org',
  'REV:19991231T235959Z',
  'END:VCARD',
  '',
].join('\r\n');

const revLine = (text: string) => /^REV:(.*)$/m.exec(text)?.[1]?.trim();
/** A REV (either ISO 8601 form, UTC) as ms. */
function revMs(rev: string): number {
  const m = /^(\d{4})-?(\d{2})-?(\d{2})T(\d{2}):?(\d{2}):?(\d{2})Z$/.exec(rev);
  if (!m) throw new Error(`not a UTC timestamp: ${rev}`);
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
}

describe('REV of served cards', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startHub('rev', [
      ['alice', 'secret1'],
      ['bob', 'secret2'],
    ]);
    await connect(t, 'alice', 'secret1');
    await connect(t, 'bob', 'secret2');
  });
  afterAll(async () => t.close());

  it('writes the 4.0 basic and the 3.0 forms, in UTC', () => {
    const ms = Date.UTC(2026, 11, 3, 12, 45, 0, 678);
    expect(revValue(ms, '4.0')).toBe('20261203T124500Z');
    expect(revValue(ms, '4.0', '2020-01-01T00:00:00Z')).toBe('20261203T124500Z');
    expect(revValue(ms, '3.0')).toBe('20261203T124500Z');
    expect(revValue(ms, '3.0', '20200101T000000Z')).toBe('20261203T124500Z');
    expect(revValue(ms, '3.0', '2020-01-01T00:00:00Z')).toBe('2026-12-03T12:45:00Z');
  });

  it('a card rewritten for another device\'s change gets the change time; an untouched one keeps its REV', async () => {
    const a1 = '/dav/alice/contacts/lise.vcf';
    const a2 = '/dav/alice/contacts/emmy.vcf';
    expect((await dav(t.base, 'PUT', a1, { auth: A, body: CARD40, headers: { 'if-none-match': '*' } })).status).toBe(201);
    expect((await dav(t.base, 'PUT', a2, { auth: A, body: CARD40_OTHER, headers: { 'if-none-match': '*' } })).status).toBe(201);
    // Bob's book receives both, written by the hub: each with a REV (bob's cards are 3.0,
    // so the basic form), at the time the truth took them.
    let bobHref = '';
    await until(async () => {
      const list = await dav(t.base, 'PROPFIND', '/dav/bob/contacts/', { auth: B, headers: { depth: '1' }, body: PF });
      const hrefs = [...list.text.matchAll(/<d:href>(\/dav\/bob\/contacts\/[^<]+)<\/d:href>/g)].map((m) => m[1]!);
      for (const h of hrefs) if ((await dav(t.base, 'GET', h, { auth: B })).text.includes('FN:Lise Meitner')) bobHref = h;
      return hrefs.length === 2 && bobHref !== '' && !t.hub.running();
    });
    const truthAt = t.hub.contacts().find((c) => c.contact.fn === 'Lise Meitner')!.updatedAt;
    const bobCard = (await dav(t.base, 'GET', bobHref, { auth: B })).text;
    expect(bobCard).toContain('VERSION:3.0');
    expect(revLine(bobCard)).toMatch(/^\d{8}T\d{6}Z$/);
    expect(revMs(revLine(bobCard)!)).toBe(Math.floor(truthAt / 1000) * 1000);

    // Alice's cards are left as she wrote them, REV included.
    expect((await dav(t.base, 'GET', a1, { auth: A })).text).toBe(CARD40);
    expect((await dav(t.base, 'GET', a2, { auth: A })).text).toBe(CARD40_OTHER);

    // Bob changes Lise's number: the run rewrites Alice's card of Lise, not of Emmy.
    const before = Date.now();
    const changed = bobCard.replace(/^TEL[^\r\n]*$/m, 'TEL;TYPE=CELL:+43 1 4277 9999');
    expect((await dav(t.base, 'PUT', bobHref, { auth: B, body: changed, headers: { 'if-match': (await dav(t.base, 'GET', bobHref, { auth: B })).headers.get('etag')! } })).status).toBe(204);
    await until(async () => (await dav(t.base, 'GET', a1, { auth: A })).text.includes('9999') && !t.hub.running());
    const after = Date.now();
    const lise = (await dav(t.base, 'GET', a1, { auth: A })).text;
    const rev = revLine(lise)!;
    expect(rev).toMatch(/^\d{8}T\d{6}Z$/); // vCard 4.0: the basic form
    expect(revMs(rev)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(revMs(rev)).toBeLessThanOrEqual(after);
    expect(revMs(rev)).toBe(Math.floor(t.hub.contacts().find((c) => c.contact.fn === 'Lise Meitner')!.updatedAt / 1000) * 1000);
    expect(lise.match(/^REV:/gm)).toHaveLength(1);
    // Only the TEL line and REV differ; every other line is Alice's, byte for byte.
    const keep = (s: string) => s.split('\r\n').filter((l) => !/^(TEL|REV)[;:]/.test(l));
    expect(keep(lise)).toEqual(keep(CARD40));
    expect(lise).toContain('X-UNMODELLED;FOO=bar:kept as it is');
    // The served ETag and multiget body agree with GET.
    const mg = await dav(t.base, 'REPORT', '/dav/alice/contacts/', { auth: A, body: MG(a1) });
    expect(mg.text).toContain((await dav(t.base, 'GET', a1, { auth: A })).headers.get('etag')!.replace(/"/g, '&quot;'));
    // Emmy's card was not rewritten: her REV is the client's, byte for byte.
    expect((await dav(t.base, 'GET', a2, { auth: A })).text).toBe(CARD40_OTHER);
  });
});
