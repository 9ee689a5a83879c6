import { describe, expect, it } from 'vitest';
import { parseVCard, parseVCards, VCardError } from '../../../../main/core/vcard';

const card = (version: string, ...lines: string[]) => ['BEGIN:VCARD', `VERSION:${version}`, ...lines, 'END:VCARD', ''].join('\r\n');
const latin1 = (s: string) => Uint8Array.from([...s].map((c) => c.charCodeAt(0)));

describe('unfolding', () => {
  it('joins CRLF + space and CRLF + tab, removing one white space character', () => {
    const c = parseVCard(card('3.0', 'FN:Anna', 'NOTE:one ', '  two', '\tthree'));
    expect(c.contact.note).toBe('one  twothree');
  });

  it('reads LF-only and CR-only input', () => {
    expect(parseVCard('BEGIN:VCARD\nVERSION:3.0\nFN:Ben\n  Smith\nEND:VCARD\n').contact.fn).toBe('Ben Smith');
    expect(parseVCard('BEGIN:VCARD\rVERSION:3.0\rFN:Ben\rEND:VCARD\r').contact.fn).toBe('Ben');
  });

  it('2.1 quoted-printable soft line breaks take the next line as it is', () => {
    const c = parseVCard(card('2.1', 'NOTE;ENCODING=QUOTED-PRINTABLE:abc=', ' def=', 'ghi'));
    expect(c.contact.note).toBe('abc defghi');
  });

  it('a soft break never swallows END:VCARD', () => {
    const { cards, errors } = parseVCards(card('2.1', 'FN:x', 'NOTE;ENCODING=QUOTED-PRINTABLE:abc='));
    expect(errors).toEqual([]);
    expect(cards[0]?.contact.note).toBe('abc');
  });

  it('a UTF-8 byte order mark is ignored', () => {
    expect(parseVCard('\ufeff' + card('3.0', 'FN:A')).contact.fn).toBe('A');
    expect(parseVCard(Uint8Array.from([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(card('3.0', 'FN:Ä'))])).contact.fn).toBe('Ä');
  });
});

describe('2.1 encodings and charsets', () => {
  it('decodes G=C3=BCnther', () => {
    const c = parseVCard(card('2.1', 'N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:G=C3=BCnther'));
    expect(c.contact.n).toEqual(['Günther']);
  });

  it('decodes ISO-8859-1 quoted-printable from a string and raw 8-bit from bytes', () => {
    expect(parseVCard(card('2.1', 'FN;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:J=FCrgen')).contact.fn).toBe('Jürgen');
    expect(parseVCard(latin1(card('2.1', 'FN;CHARSET=ISO-8859-1:J\xfcrgen'))).contact.fn).toBe('Jürgen');
  });

  it('windows-1252 bytes 0x80-0x9F (sent under either label) are not C1 controls', () => {
    expect(parseVCard(card('2.1', 'NOTE;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:=80 5 =93ok=94')).contact.note).toBe('€ 5 “ok”');
    expect(parseVCard(latin1(card('2.1', 'NOTE;CHARSET=WINDOWS-1252:\x96'))).contact.note).toBe('–');
  });

  it('in a string, CHARSET= of an unencoded value is moot: the text is already decoded', () => {
    expect(parseVCard(card('2.1', 'FN;CHARSET=ISO-8859-1:Jürgen')).contact.fn).toBe('Jürgen');
  });

  it('unlabelled bytes are UTF-8; invalid UTF-8 falls back to windows-1252 with a warning', () => {
    expect(parseVCard(new TextEncoder().encode(card('2.1', 'FN:Zoë'))).contact.fn).toBe('Zoë');
    const c = parseVCard(latin1(card('2.1', 'FN:Zo\xeb \x80')));
    expect(c.contact.fn).toBe('Zoë €');
    expect(c.warnings.join()).toMatch(/not valid UTF-8/);
  });

  it('an unknown charset is read as UTF-8 with a warning', () => {
    const c = parseVCard(card('2.1', 'FN;CHARSET=X-KLINGON;ENCODING=QUOTED-PRINTABLE:caf=C3=A9'));
    expect(c.contact.fn).toBe('café');
    expect(c.warnings.join()).toMatch(/unknown CHARSET/);
  });

  it('Shift_JIS and UTF-16BE', () => {
    expect(parseVCard(card('2.1', 'FN;CHARSET=SHIFT_JIS;ENCODING=QUOTED-PRINTABLE:=8ER=93c')).contact.fn).toBe('山田');
    expect(parseVCard(card('2.1', 'FN;CHARSET=UTF-16BE;ENCODING=QUOTED-PRINTABLE:=00A=00=E9')).contact.fn).toBe('Aé');
  });

  it('ENCODING=BASE64 and ENCODING=b text values are decoded', () => {
    const b = btoa(String.fromCharCode(...new TextEncoder().encode('Grüße\nzweite Zeile')));
    expect(parseVCard(card('2.1', `NOTE;CHARSET=UTF-8;ENCODING=BASE64:${b}`)).contact.note).toBe('Grüße\nzweite Zeile');
    expect(parseVCard(card('3.0', `NOTE;ENCODING=b:${b}`)).contact.note).toBe('Grüße\nzweite Zeile');
  });

  it('QP line breaks in a value become LF', () => {
    expect(parseVCard(card('2.1', 'NOTE;ENCODING=QUOTED-PRINTABLE:a=0D=0Ab')).contact.note).toBe('a\nb');
  });
});

describe('parameters and types', () => {
  it('bare 2.1 parameters, TYPE=, TYPE=a,b, TYPE=a;TYPE=b and quoted 4.0 lists read alike', () => {
    const types = (v: string, line: string) => parseVCard(card(v, 'FN:x', line)).contact.tel[0]?.type;
    expect(types('2.1', 'TEL;CELL;WORK:1')).toBe('cell,work');
    expect(types('2.1', 'TEL;TYPE=CELL;TYPE=WORK:1')).toBe('cell,work');
    expect(types('3.0', 'TEL;TYPE=cell,work:1')).toBe('cell,work');
    expect(types('3.0', 'TEL;type=CELL;type=WORK:1')).toBe('cell,work');
    expect(types('4.0', 'TEL;TYPE="cell,work":1')).toBe('cell,work');
  });

  it('work and fax stay distinct; voice and internet say nothing', () => {
    const c = parseVCard(card('2.1', 'TEL;WORK;FAX:1', 'TEL;WORK;VOICE:2', 'EMAIL;INTERNET;PREF:a@b'));
    expect(c.contact.tel).toEqual([
      { type: 'fax,work', value: '1' },
      { type: 'work', value: '2' },
    ]);
    expect(c.contact.email).toEqual([{ type: 'pref', value: 'a@b' }]);
  });

  it('PREF: 2.1 bare, 3.0 TYPE=pref and 4.0 PREF=n all give the label pref', () => {
    expect(parseVCard(card('2.1', 'TEL;PREF;CELL:1')).contact.tel[0]?.type).toBe('cell,pref');
    expect(parseVCard(card('3.0', 'TEL;TYPE=cell,pref:1')).contact.tel[0]?.type).toBe('cell,pref');
    expect(parseVCard(card('4.0', 'TEL;TYPE=cell;PREF=1:1')).contact.tel[0]?.type).toBe('cell,pref');
  });

  it('quoted parameter values may hold ":" and ";"', () => {
    const c = parseVCard(card('4.0', 'FN:x', 'ADR;LABEL="1 Main St; Town: here";TYPE=home:;;1 Main St;Town;;;'));
    expect(c.contact.adr).toEqual([{ type: 'home', value: ';;1 Main St;Town;;;' }]);
  });
});

describe('values', () => {
  it('unescapes \\, \\; \\n \\N \\\\ and keeps an unknown escape', () => {
    const c = parseVCard(card('3.0', 'FN:a\\,b\\;c', 'NOTE:1\\n2\\N3\\\\4\\q'));
    expect(c.contact.fn).toBe('a,b;c');
    expect(c.contact.note).toBe('1\n2\n3\\4\\q');
  });

  it('N has up to five unescaped components, trailing empties trimmed', () => {
    expect(parseVCard(card('3.0', 'FN:x', 'N:Doe\\, Jr;John;;Dr.;')).contact.n).toEqual(['Doe, Jr', 'John', '', 'Dr.']);
  });

  it('ADR keeps seven components in canonical vCard escaping; ORG drops trailing empties', () => {
    const c = parseVCard(card('3.0', 'FN:x', 'ADR;TYPE=home:;;Main St\\, 5;Town', 'ORG:Acme\\; Co;Sales;'));
    expect(c.contact.adr).toEqual([{ type: 'home', value: ';;Main St\\, 5;Town;;;' }]);
    expect(c.contact.org).toBe('Acme\\; Co;Sales');
  });

  it('empty slots (TEL;CELL:, ADR:;;;;;;) are not values', () => {
    const c = parseVCard(card('2.1', 'TEL;CELL:', 'ADR;HOME:;;;;;;', 'EMAIL;INTERNET: '));
    expect([c.contact.tel, c.contact.adr, c.contact.email]).toEqual([[], [], []]);
  });

  it('4.0 tel: URIs lose the scheme; Apple\'s escaped URL colons are unescaped', () => {
    expect(parseVCard(card('4.0', 'FN:x', 'TEL;VALUE=uri;TYPE=cell:tel:+44-20-7946-0000;ext=12')).contact.tel[0]?.value).toBe(
      '+44-20-7946-0000;ext=12',
    );
    expect(parseVCard(card('3.0', 'FN:x', 'URL:http\\://example.com/a\\,b')).contact.url[0]?.value).toBe('http://example.com/a,b');
  });

  it('property names are case-insensitive; group prefixes on modelled properties are dropped', () => {
    const c = parseVCard(card('3.0', 'fn:x', 'item1.EMAIL;type=INTERNET:a@example.com', 'item1.X-ABLabel:Private'));
    expect(c.contact.fn).toBe('x');
    expect(c.contact.email).toEqual([{ type: '', value: 'a@example.com' }]);
    expect(c.contact.extra).toEqual([{ name: 'item1.X-ABLabel', params: '', value: 'Private' }]);
  });
});

describe('extra properties', () => {
  it('keep name (group, case), normalized parameters and the raw escaped value', () => {
    const c = parseVCard(card('3.0', 'FN:x', 'X-Foo;type=a;X-P="q;r";TYPE=b:one\\,two', 'NICKNAME:Bob', 'CATEGORIES:a,b\\,c'));
    expect(c.contact.extra).toEqual([
      { name: 'X-Foo', params: 'TYPE=a,b;X-P="q;r"', value: 'one\\,two' },
      { name: 'NICKNAME', params: '', value: 'Bob' },
      { name: 'CATEGORIES', params: '', value: 'a,b\\,c' },
    ]);
  });

  it('2.1: QP and CHARSET are undone, bare parameters named, BASE64 kept', () => {
    const c = parseVCard(
      card('2.1', 'X-NICK;HOME;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:J=C3=B6rg', 'LOGO;ENCODING=B;GIF:R0lGODlh', 'X-URL;URL:http://x'),
    );
    expect(c.contact.extra).toEqual([
      { name: 'X-NICK', params: 'TYPE=HOME', value: 'Jörg' },
      { name: 'LOGO', params: 'ENCODING=BASE64;TYPE=GIF', value: 'R0lGODlh' },
      { name: 'X-URL', params: 'VALUE=URL', value: 'http://x' },
    ]);
  });

  it('UID, PRODID and REV are fields of the parsed card, VERSION nowhere; a second FN is extra', () => {
    const c = parseVCard(card('3.0', 'PRODID:-//X//Y//EN', 'REV:2024', 'UID:u-1', 'FN:First', 'FN:Second'));
    expect([c.uid, c.prodid, c.rev]).toEqual(['u-1', '-//X//Y//EN', '2024']);
    expect(c.contact.fn).toBe('First');
    expect(c.contact.extra).toEqual([{ name: 'FN', params: '', value: 'Second' }]);
  });

  it('a 4.0 data: photo is kept byte for byte', () => {
    const v = 'data:image/png;base64,iVBORw0KGgo=';
    expect(parseVCard(card('4.0', 'FN:x', `PHOTO:${v}`)).contact.extra).toEqual([{ name: 'PHOTO', params: '', value: v }]);
  });
});

describe('card structure', () => {
  it('a VERSION appearing late (Radicale sorts) is still found', () => {
    expect(parseVCard('BEGIN:VCARD\r\nFN:x\r\nN:a;b\r\nVERSION:4.0\r\nEND:VCARD\r\n').version).toBe('4.0');
  });

  it('no VERSION: a warning and a guess', () => {
    const c = parseVCard('BEGIN:VCARD\r\nTEL;CELL:1\r\nEND:VCARD\r\n');
    expect(c.version).toBe('2.1');
    expect(c.warnings.join()).toMatch(/no VERSION/);
  });

  it('an unsupported VERSION is an error with its line', () => {
    const r = parseVCards(card('5.0', 'FN:x'));
    expect(r.cards).toEqual([]);
    expect(r.errors).toEqual([{ index: 0, line: 2, message: expect.stringMatching(/unsupported VERSION/) }]);
    expect(() => parseVCard(card('5.0', 'FN:x'))).toThrow(VCardError);
  });

  it('a 2.1 AGENT card nested inside is skipped, not taken for a contact', () => {
    const r = parseVCards(card('2.1', 'FN:Boss', 'AGENT:', 'BEGIN:VCARD', 'VERSION:2.1', 'FN:Secretary', 'END:VCARD', 'TEL:1'));
    expect(r.errors).toEqual([]);
    expect(r.cards).toHaveLength(1);
    expect(r.cards[0]?.contact.fn).toBe('Boss');
    expect(r.cards[0]?.contact.tel).toEqual([{ type: '', value: '1' }]);
  });

  it('lines that are not properties are warned about and skipped', () => {
    const c = parseVCard(card('3.0', 'FN:x', 'this is no property', 'TEL:1'));
    expect(c.contact.tel).toHaveLength(1);
    expect(c.warnings.join()).toMatch(/line 4: not a property/);
  });

  it('parseVCard wants exactly one card', () => {
    expect(() => parseVCard(card('3.0', 'FN:a') + card('3.0', 'FN:b'))).toThrow(/expected one vCard, found 2/);
    expect(() => parseVCard('')).toThrow(VCardError);
  });
});
