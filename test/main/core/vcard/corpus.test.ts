// The corpus of device-style cards: every card reads without error, the key fields come
// out as a person would read them, and parse → write (same version) → parse loses nothing.
import { describe, expect, it } from 'vitest';
import { parseVCards, writeVCard, formattedName, type ParsedCard, type VCardVersion } from '../../../../main/core/vcard';
import { expectSameContact, fixtureBytes, fixtureNames } from './helpers';

function readAll(name: string): ParsedCard[] {
  const { cards, errors } = parseVCards(fixtureBytes(name));
  expect(errors).toEqual([]);
  expect(cards.length).toBeGreaterThan(0);
  return cards;
}

function one(name: string): ParsedCard {
  const cards = readAll(name);
  expect(cards).toHaveLength(1);
  return cards[0] as ParsedCard;
}

describe('vCard corpus', () => {
  it('has about twenty cards', () => {
    expect(fixtureNames().length).toBeGreaterThanOrEqual(20);
  });

  for (const name of fixtureNames()) {
    describe(name, () => {
      it('reads without warnings and round-trips in its own version', () => {
        for (const card of readAll(name)) {
          expect(card.warnings).toEqual([]);
          const written = writeVCard(card.contact, card.version, { uid: card.uid });
          const { cards, errors } = parseVCards(written);
          expect(errors).toEqual([]);
          expect(cards).toHaveLength(1);
          const back = cards[0] as ParsedCard;
          expect(back.version).toBe(card.version);
          expect(back.uid).toBe(card.uid);
          // FN is written even when the device sent none (3.0/4.0 require it).
          const expected = { ...card.contact, fn: back.contact.fn === card.contact.fn ? card.contact.fn : formattedName(card.contact) };
          expectSameContact(back.contact, expected);
          expect(back.contact.extra).toEqual(card.contact.extra);
          // A second pass is byte-identical: the writer is deterministic on its own output.
          expect(writeVCard(back.contact, back.version, { uid: back.uid })).toBe(written);
        }
      });

      it('keeps the modelled fields when written in the other versions', () => {
        for (const card of readAll(name)) {
          for (const v of ['2.1', '3.0', '4.0'] as VCardVersion[]) {
            const back = parseVCards(writeVCard(card.contact, v)).cards[0] as ParsedCard;
            expect(back.version).toBe(v);
            const fn = back.contact.fn === card.contact.fn ? card.contact.fn : formattedName(card.contact);
            expectSameContact({ ...back.contact, extra: [] }, { ...card.contact, fn, extra: [] });
            expect(back.contact.extra.map((x) => x.name)).toEqual(card.contact.extra.map((x) => x.name));
          }
        }
      });
    });
  }

  it('Nokia 2.1: UTF-8 quoted-printable names, work and fax apart, empty slot dropped', () => {
    const c = one('nokia-6230i-21-qp-utf8.vcf');
    expect(c.version).toBe('2.1');
    expect(c.contact.n).toEqual(['Müller', 'Günther']);
    expect(c.contact.fn).toBe('Günther Müller');
    expect(c.contact.tel).toEqual([
      { type: 'cell', value: '+491711234567' },
      { type: 'work', value: '+49301234567' },
      { type: 'fax,work', value: '+49301234599' },
    ]);
    expect(c.contact.note).toBe('Straßenfest am Samstag');
    expect(c.contact.extra).toEqual([{ name: 'X-IRMC-LUID', params: '', value: '000200000157' }]);
  });

  it('Sony Ericsson 2.1: ISO-8859-1 both quoted-printable and raw 8-bit', () => {
    const c = one('sonyericsson-k800i-21-latin1.vcf').contact;
    expect(c.n).toEqual(['Lefèvre', 'François']);
    expect(c.fn).toBe('François Lefèvre');
    expect(c.org).toBe('Société Générale de Test');
    expect(c.title).toBe('Ingénieur');
    expect(c.tel[0]).toEqual({ type: 'cell,pref', value: '+33612345678' });
  });

  it('Outlook 2.1: soft line breaks join without losing the space after them', () => {
    const c = one('outlook-2003-21-softbreaks.vcf');
    expect(c.contact.note).toBe(
      'Met at the Analytical Engine workshop in London; likes tea, not coffee.\n' +
        'Second line: call before 10:00 on weekdays, the office is closed on Fridays.',
    );
    expect(c.contact.adr).toEqual([{ type: 'work', value: ';;1 Engine House\\nUnit 4;London;;SW1A 1AA;United Kingdom' }]);
    expect(c.contact.org).toBe('Contoso Ltd;Research');
    expect(c.rev).toBe('20240105T101500Z');
    expect(c.contact.extra.find((x) => x.name === 'LABEL')).toEqual({
      name: 'LABEL',
      params: 'TYPE=WORK',
      value: '1 Engine House\r\nUnit 4\r\nLondon SW1A 1AA\r\nUnited Kingdom',
    });
  });

  it('Nokia 2.1 photo: unindented BASE64 lines are one value', () => {
    const photo = one('nokia-s40-21-photo.vcf').contact.extra.find((x) => x.name === 'PHOTO');
    expect(photo?.params).toBe('ENCODING=BASE64;TYPE=JPEG');
    expect(photo?.value).toMatch(/^\/9j\/4AAQSkZJRg[A-Za-z0-9+/]+=*$/);
    expect(atob(photo?.value ?? '').length).toBe(320);
  });

  it('Siemens 2.1: a bare QUOTED-PRINTABLE parameter, soft break inside a name', () => {
    expect(one('siemens-s65-21-bare-qp.vcf').contact.n).toEqual(['Παπαδόπουλος', 'Νίκος']);
  });

  it('iPhone 3.0: grouped labels kept with group and case, URL colons unescaped, photo raw', () => {
    const c = one('apple-ios17-30-ablabel.vcf');
    expect(c.uid).toBe('A1B2C3D4-E5F6-4711-8899-AABBCCDDEEFF');
    expect(c.prodid).toBe('-//Apple Inc.//iPhone OS 17.2//EN');
    expect(c.contact.org).toBe('Apple Inc.');
    expect(c.contact.url).toEqual([{ type: 'pref', value: 'http://www.apple.com' }]);
    expect(c.contact.tel).toEqual([
      { type: 'cell,pref', value: '+1 (408) 555-0101' },
      { type: '', value: '+1 (408) 555-0199' },
    ]);
    expect(c.contact.note).toBe('Spoke at WWDC; bring the demo units, chargers.\nSecond line.');
    const names = c.contact.extra.map((x) => x.name);
    expect(names).toContain('item2.X-ABLabel');
    expect(names).not.toContain('UID');
    expect(names).not.toContain('PRODID');
    expect(names).not.toContain('REV');
    expect(c.contact.extra.find((x) => x.name === 'X-SOCIALPROFILE')).toEqual({
      name: 'X-SOCIALPROFILE',
      params: 'TYPE=twitter',
      value: 'https\\://twitter.com/johnny',
    });
    expect(c.contact.extra.find((x) => x.name === 'PHOTO')?.params).toBe('ENCODING=b;TYPE=JPEG');
  });

  it('macOS company card: escaped comma in ORG stays escaped, FN unescaped', () => {
    const c = one('apple-macos-30-company.vcf').contact;
    expect(c.fn).toBe('Wayne Enterprises, Inc.');
    expect(c.org).toBe('Wayne Enterprises\\, Inc.;R&D');
    expect(c.n).toEqual([]);
  });

  it('SyncEvolution 3.0: no UID; PRODID and REV apart from the contact', () => {
    const c = one('syncevolution-30-nouid.vcf');
    expect(c.uid).toBeUndefined();
    expect(c.prodid).toContain('Synthesis');
    expect(c.rev).toBe('20240301T081500Z');
    expect(c.contact.tel.map((t) => t.type)).toEqual(['cell', 'fax,work', 'home']);
    expect(c.contact.note).toBe('Met at conference; likes coffee, tea\nsecond line');
  });

  it('Radicale 4.0: tel: URIs, PREF=1, data: photo untouched', () => {
    const c = one('radicale-40-types.vcf');
    expect(c.version).toBe('4.0');
    expect(c.contact.tel).toEqual([
      { type: 'work', value: '+46-8-123-456-78' },
      { type: 'cell,pref', value: '+46701234567' },
    ]);
    expect(c.contact.email[0]).toEqual({ type: 'home,pref', value: 'bjorn@example.se' });
    const photo = c.contact.extra.find((x) => x.name === 'PHOTO');
    expect(photo?.value.startsWith('data:image/jpeg;base64,/9j/')).toBe(true);
    expect(writeVCard(c.contact, '4.0').replace(/\r\n /g, '')).toContain(`PHOTO:${photo?.value}\r\n`);
  });

  it('Nextcloud 4.0: quoted TYPE list', () => {
    expect(one('nextcloud-40-pref.vcf').contact.tel[0]).toEqual({ type: 'cell', value: '+353-87-123-4567' });
  });

  it('Greek, Cyrillic, Shift_JIS and emoji come out as text', () => {
    expect(one('greek-30-folded.vcf').contact.note).toBe(
      'Συναντηθήκαμε στην Αθήνα το 2019, στο συνέδριο για την τεχνολογία. Του αρέσει ο ελληνικός καφές.',
    );
    const ru = one('cyrillic-21-qp.vcf').contact;
    expect(ru.n).toEqual(['Иванов', 'Дмитрий', 'Сергеевич']);
    expect(ru.note).toBe('Коллега по работе, московский офис.');
    const jp = one('docomo-21-shiftjis.vcf').contact;
    expect(jp.n).toEqual(['山田', '太郎']);
    expect(jp.note).toBe('大学の友人');
    expect(jp.extra.find((x) => x.name === 'SOUND')).toEqual({ name: 'SOUND', params: 'TYPE=X-IRMC-N', value: 'ﾔﾏﾀﾞ;ﾀﾛｳ;;;' });
    const tb = one('thunderbird-40-emoji.vcf').contact;
    expect(tb.fn).toBe('美咲 佐藤 🌸');
    expect(tb.note).toBe('誕生日パーティー🎂は土曜日, 駅前のカフェで。');
  });

  it('LF-only input with a tab fold', () => {
    const c = one('vdirsyncer-30-lf.vcf').contact;
    expect(c.note).toBe(
      'Met at conference; likes café, tea & Kraków.\nSecond line of a long note that definitely needs folding because it is longer than 75 octets.',
    );
  });

  it('an address book file: several cards, TYPE=a;TYPE=b equals TYPE=a,b', () => {
    const cards = readAll('addressbook-30-multi.vcf');
    expect(cards.map((c) => c.uid)).toEqual(['multi-1', 'multi-2', 'multi-3']);
    expect(cards[0]?.contact.tel[0]?.type).toBe('fax,work');
    expect(cards[1]?.contact.tel[0]?.type).toBe('fax,work');
    expect(cards[1]?.contact.extra).toEqual([{ name: 'X-CUSTOM', params: 'TYPE=HOME,WORK', value: 'kept' }]);
    expect(cards[2]?.contact.adr[0]?.value).toBe(';;Calle Mayor 3\\, 2º;Madrid;;28013;España');
  });

  it('the same address from a 2.1 phone and a 3.0 server is the same value', () => {
    const from21 = parseVCards('BEGIN:VCARD\r\nVERSION:2.1\r\nADR;WORK:;;Calle Mayor 3, 2º;Madrid;;28013;España\r\nEND:VCARD\r\n');
    const from30 = readAll('addressbook-30-multi.vcf')[2];
    expect(from21.cards[0]?.contact.adr).toEqual(from30?.contact.adr);
  });

  it('KDE 3.0: backslashes and escaped separators', () => {
    const c = one('kde-30-escapes.vcf').contact;
    expect(c.note).toBe('Path C:\\Music\\Symphonies; see also "New World", op. 95.\nTwo lines.');
    expect(c.extra.find((x) => x.name === 'CATEGORIES')?.value).toBe('Composers,Czech\\, 19th c.');
  });

  it('Outlook 2010 3.0 with 2.1 habits: CHARSET and QP in a 3.0 card', () => {
    const c = one('outlook-2010-30-mixed.vcf').contact;
    expect(c.n).toEqual(['Größ', 'Renée']);
    expect(c.extra.find((x) => x.name === 'LABEL')).toEqual({ name: 'LABEL', params: 'TYPE=WORK', value: 'Friedrichstraße 1\\n80331 München' });
  });
});
