// Export through the project's codec for the version asked for, and back: each version's
// file parses (with the same codec) to the contacts exported. 2.1 is real 2.1 (bare types,
// TEL;CELL;VOICE, CHARSET=UTF-8 and QUOTED-PRINTABLE for non-ASCII), 4.0 real 4.0, and a
// contact without a structured name gets an N derived from its formatted name.
import { describe, expect, it } from 'vitest';
import { parseCards, writeCards } from '../../../main/api/vcard';
import { contactOf, equalContacts, normalizeContact, type Contact } from '../../../main/core/contact';
import type { VCardVersion } from '../../../main/core/vcard';

const norm = (c: Contact) => normalizeContact(contactOf(c), 'GB');

const CONTACTS: Contact[] = [
  contactOf({
    fn: 'Günther Müller',
    n: ['Müller', 'Günther'],
    tel: [{ type: 'cell', value: '+491711234567' }, { type: 'fax,work', value: '+49301234599' }, { type: 'home,pref', value: '+442079460001' }],
    email: [{ type: 'home', value: 'g@example.de' }],
    adr: [{ type: 'home', value: ';;Hauptstraße 5;Berlin;;10115;Deutschland' }],
    org: 'Müller & Söhne;Vertrieb',
    title: 'Geschäftsführer',
    note: 'Zwei Zeilen:\nzweite; mit Semikolon, Komma und \\ Backslash',
    url: [{ type: 'work', value: 'https://example.de/m?a=1&b=2' }],
    bday: '1970-04-01',
  }),
  contactOf({ fn: 'Anna Maria Berg', tel: [{ type: 'cell', value: '+447700900101' }] }),
  contactOf({ fn: 'Mum', tel: [{ type: 'home', value: '+447700900130' }] }),
  contactOf({ fn: '李小龙', n: ['李', '小龙'], email: [{ type: 'work', value: 'li@example.cn' }] }),
];

/** What a contact without N becomes: the same, with the N derived from its name. */
const DERIVED_N: Record<string, string[]> = { 'Anna Maria Berg': ['Berg', 'Anna Maria'], Mum: ['', 'Mum'] };

function roundTrip(version: VCardVersion): { text: string; back: Contact[] } {
  const text = writeCards(CONTACTS.map((contact, i) => ({ contact, uid: `uid-${i}` })), version);
  const parsed = parseCards(text);
  expect(parsed.errors).toEqual([]);
  return { text, back: parsed.contacts.map((p) => p.contact) };
}

describe('export through the codec, and back', () => {
  for (const version of ['2.1', '3.0', '4.0'] as const) {
    it(`vCard ${version}: parses to the contacts exported`, () => {
      const { text, back } = roundTrip(version);
      expect(text.match(/^VERSION:[^\r]*/gm)).toEqual(CONTACTS.map(() => `VERSION:${version}`));
      expect(back).toHaveLength(CONTACTS.length);
      CONTACTS.forEach((c, i) => {
        const want = norm(contactOf({ ...c, n: c.n.length ? c.n : DERIVED_N[c.fn]! }));
        expect(norm(back[i]!), `${version} ${c.fn}`).toEqual(want);
        expect(equalContacts(norm(back[i]!), want)).toBe(true);
      });
      // Never an empty N.
      expect(text).not.toMatch(/^N:;;;;/m);
    });
  }

  it('writes 2.1 as phones that speak 2.1 do', () => {
    const { text } = roundTrip('2.1');
    expect(text).not.toMatch(/TYPE=/);
    expect(text).toContain('TEL;CELL;VOICE:+491711234567');
    expect(text).toContain('TEL;FAX;WORK:+49301234599');
    expect(text).toContain('TEL;HOME;VOICE;PREF:+442079460001');
    expect(text).toContain('N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=C3=BCller;G=C3=BCnther;;;');
    expect(text).toContain('N:Berg;Anna Maria;;;');
    expect(text).toContain('N:;Mum;;;');
    // Non-ASCII text is QUOTED-PRINTABLE with its charset; nothing else is.
    for (const line of text.split('\r\n')) {
      if (/[^\x20-\x7e]/.test(line)) throw new Error(`raw non-ASCII in a 2.1 line: ${line}`);
      if (/ENCODING=QUOTED-PRINTABLE/.test(line) && /=[89A-F][0-9A-F]/.test(line)) expect(line).toMatch(/CHARSET=UTF-8/);
    }
  });

  it('writes 3.0 with TYPE= parameters and 4.0 as 4.0', () => {
    const three = roundTrip('3.0').text;
    expect(three).toContain('TEL;TYPE=CELL:+491711234567');
    expect(three).not.toMatch(/CHARSET|QUOTED-PRINTABLE/);
    const four = roundTrip('4.0').text;
    expect(four).toContain('TEL;VALUE=uri;TYPE=cell:tel:+491711234567');
    expect(four).toContain('TEL;VALUE=uri;TYPE=home;PREF=1:tel:+442079460001');
    expect(four).toContain('N:Berg;Anna Maria;;;');
    expect(four).not.toMatch(/CHARSET|QUOTED-PRINTABLE|TYPE=INTERNET|;CELL|;HOME[;:]/);
    // Every card: BEGIN, VERSION first, an FN, END.
    for (const card of four.split('END:VCARD\r\n').filter(Boolean)) {
      expect(card.startsWith('BEGIN:VCARD\r\nVERSION:4.0\r\n')).toBe(true);
      expect(card).toMatch(/^FN:/m);
    }
  });

  it('reads a file of many cards, reporting the bad one by its place and keeping the rest', () => {
    const good = writeCards([{ contact: CONTACTS[1]! }, { contact: CONTACTS[2]! }], '3.0');
    const bad = 'BEGIN:VCARD\r\nVERSION:9.9\r\nFN:X\r\nEND:VCARD\r\n';
    const parsed = parseCards(good.replace('END:VCARD\r\n', `END:VCARD\r\n${bad}`));
    expect(parsed.contacts.map((c) => [c.index, c.contact.fn])).toEqual([
      [0, 'Anna Maria Berg'],
      [2, 'Mum'],
    ]);
    expect(parsed.errors).toHaveLength(1);
    expect(parsed.errors[0]).toMatch(/^Card 2 could not be read/);
  });
});
