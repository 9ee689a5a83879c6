import { describe, expect, it } from 'vitest';
import { contactOf } from '../../../../main/core/contact';
import { parseVCard, writeVCard, VCardError, type VCardVersion } from '../../../../main/core/vcard';
import { octets, physicalLines } from './helpers';

const VERSIONS: VCardVersion[] = ['2.1', '3.0', '4.0'];

describe('writeVCard', () => {
  it('writes a 2.1 card the way Nokia phones do', () => {
    const c = contactOf({
      fn: 'Günther Müller',
      n: ['Müller', 'Günther'],
      tel: [
        { type: 'cell', value: '+491711234567' },
        { type: 'fax,work', value: '+49301234599' },
        { type: 'cell,pref', value: '+49170' },
      ],
      email: [{ type: 'home', value: 'g@example.de' }],
      extra: [{ name: 'X-IRMC-LUID', params: '', value: '000200000157' }],
    });
    expect(writeVCard(c, '2.1', { uid: 'u1' })).toBe(
      [
        'BEGIN:VCARD',
        'VERSION:2.1',
        'N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=C3=BCller;G=C3=BCnther;;;',
        'FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:G=C3=BCnther M=C3=BCller',
        'TEL;CELL;VOICE:+491711234567',
        'TEL;FAX;WORK:+49301234599',
        'TEL;CELL;VOICE;PREF:+49170',
        'EMAIL;INTERNET;HOME:g@example.de',
        'X-IRMC-LUID:000200000157',
        'UID:u1',
        'END:VCARD',
        '',
      ].join('\r\n'),
    );
  });

  it('types: bare in 2.1 (TYPE= for names 2.1 lacks), TYPE=a,b in 3.0, lower case and PREF=1 in 4.0', () => {
    const c = contactOf({ fn: 'x', tel: [{ type: 'pref,work,iphone', value: '1' }] });
    const tel = (v: VCardVersion) => physicalLines(writeVCard(c, v)).find((l) => l.startsWith('TEL'));
    expect(tel('2.1')).toBe('TEL;TYPE=IPHONE;WORK;VOICE;PREF:1');
    expect(tel('3.0')).toBe('TEL;TYPE=IPHONE,PREF,WORK:1');
    expect(tel('4.0')).toBe('TEL;VALUE=uri;TYPE=iphone,work;PREF=1:tel:1');
  });

  it('4.0 writes tel: URIs only for valid ones', () => {
    const c = contactOf({ fn: 'x', tel: [{ type: '', value: '+442079460000;ext=12' }, { type: '', value: '+44 20 7946 0000' }] });
    const tels = physicalLines(writeVCard(c, '4.0')).filter((l) => l.startsWith('TEL'));
    expect(tels).toEqual(['TEL;VALUE=uri:tel:+442079460000;ext=12', 'TEL:+44 20 7946 0000']);
  });

  it('escapes per version', () => {
    const c = contactOf({ fn: 'a;b,c', n: ['x;y', 'p,q'], note: 'l1\nl2 \\ end', org: 'Acme\\, Inc.;R&D' });
    const lines = (v: VCardVersion) => physicalLines(writeVCard(c, v));
    expect(lines('3.0')).toEqual(
      expect.arrayContaining(['N:x\\;y;p\\,q;;;', 'FN:a\\;b\\,c', 'NOTE:l1\\nl2 \\\\ end', 'ORG:Acme\\, Inc.;R&D']),
    );
    expect(lines('4.0')).toEqual(expect.arrayContaining(['N:x\\;y;p\\,q;;;', 'FN:a;b\\,c', 'NOTE:l1\\nl2 \\\\ end']));
    // 2.1: commas literal, ';' escaped only in structured values, line breaks in QP.
    expect(lines('2.1')).toEqual(
      expect.arrayContaining(['N:x\\;y;p,q;;;', 'FN:a;b,c', 'NOTE;ENCODING=QUOTED-PRINTABLE:l1=0D=0Al2 \\\\ end', 'ORG:Acme, Inc.;R&D']),
    );
  });

  it('folds 3.0/4.0 lines at 75 octets, never inside a UTF-8 sequence or a surrogate pair', () => {
    const c = contactOf({ fn: 'x', note: 'Ἀλέξανδρος 🌸 美咲 '.repeat(20) });
    for (const v of ['3.0', '4.0'] as VCardVersion[]) {
      const out = writeVCard(c, v);
      const lines = physicalLines(out);
      expect(lines.length).toBeGreaterThan(10);
      for (const l of lines) {
        expect(octets(l)).toBeLessThanOrEqual(75);
        // Each physical line is valid UTF-8 on its own.
        expect(() => new TextDecoder('utf-8', { fatal: true }).decode(new TextEncoder().encode(l))).not.toThrow();
        expect(l).not.toMatch(/[\ud800-\udbff]$/);
      }
      expect(parseVCard(out).contact.note).toBe(c.note);
    }
  });

  it('2.1 QP lines stay within 76 characters, break only between =XX triplets, and long ASCII is QP not folded', () => {
    const c = contactOf({ fn: 'x', note: `${'Straße '.repeat(30)}and a space at the end `, title: 'T'.repeat(100) });
    const out = writeVCard(c, '2.1');
    for (const l of physicalLines(out)) {
      expect(l.length).toBeLessThanOrEqual(76);
      expect(l).not.toMatch(/^ /);
      expect(l).not.toMatch(/ $/);
      expect(l).not.toMatch(/=[0-9A-F]?=$/);
    }
    expect(out).toContain('TITLE;ENCODING=QUOTED-PRINTABLE:TTT');
    const back = parseVCard(out).contact;
    expect(back.note).toBe(c.note);
    expect(back.title).toBe(c.title);
  });

  it('FN is always written in 3.0/4.0 (derived from N), N always in 2.1/3.0', () => {
    const c = contactOf({ n: ['Doe', 'Jane', '', 'Dr.'] });
    expect(physicalLines(writeVCard(c, '3.0'))).toEqual(expect.arrayContaining(['N:Doe;Jane;;Dr.;', 'FN:Dr. Jane Doe']));
    expect(physicalLines(writeVCard(c, '4.0'))).toContain('FN:Dr. Jane Doe');
    // 2.1 does not require FN; an invented one would read back as an edit.
    expect(writeVCard(c, '2.1')).not.toMatch(/^FN/m);
    const org = contactOf({ org: 'Acme\\, Inc.;Sales' });
    expect(physicalLines(writeVCard(org, '3.0'))).toEqual(expect.arrayContaining(['N:;;;;', 'FN:Acme\\, Inc.\\, Sales']));
    expect(writeVCard(org, '4.0')).not.toMatch(/^N:/m);
    expect(writeVCard(org, '2.1')).toMatch(/^FN:Acme, Inc., Sales\r$/m);
  });

  it('writes a 4.0 data: URI as it is (no escaped comma)', () => {
    const v = 'data:image/jpeg;base64,/9j/4AAQSkZJRgABAQAAAQABAAD';
    const out = writeVCard(contactOf({ fn: 'x', extra: [{ name: 'PHOTO', params: '', value: v }] }), '4.0');
    expect(out).toContain(`PHOTO:${v}\r\n`);
  });

  it('moves a photo between 3.0 inline base64, 4.0 data: URI and 2.1 BASE64', () => {
    const b64 = 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo'.repeat(4);
    const apple = contactOf({ fn: 'x', extra: [{ name: 'PHOTO', params: 'ENCODING=b;TYPE=JPEG', value: b64 }] });
    const v4 = parseVCard(writeVCard(apple, '4.0')).contact.extra;
    expect(v4).toEqual([{ name: 'PHOTO', params: '', value: `data:image/jpeg;base64,${b64}` }]);
    const v3 = parseVCard(writeVCard(contactOf({ fn: 'x', extra: v4 }), '3.0')).contact.extra;
    expect(v3).toEqual([{ name: 'PHOTO', params: 'ENCODING=b;TYPE=JPEG', value: b64 }]);
    const out21 = writeVCard(apple, '2.1');
    expect(out21).toMatch(/PHOTO;ENCODING=BASE64;JPEG:\r\n [A-Za-z0-9]{72}\r\n/);
    expect(out21).toMatch(/\r\n\r\nEND:VCARD/);
    expect(parseVCard(out21).contact.extra).toEqual([{ name: 'PHOTO', params: 'ENCODING=BASE64;TYPE=JPEG', value: b64 }]);
  });

  it('extras: non-ASCII and line breaks in 2.1 go QP; 3.0 gets \\n for a raw line break', () => {
    const c = contactOf({ fn: 'x', extra: [{ name: 'LABEL', params: 'TYPE=WORK', value: 'Straße 1\r\nMünchen' }] });
    expect(writeVCard(c, '2.1').replace(/=\r\n/g, '')).toContain('LABEL;WORK;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Stra=C3=9Fe 1=0D=0AM=C3=BCnchen');
    expect(writeVCard(c, '3.0')).toContain('LABEL;TYPE=WORK:Straße 1\\nMünchen');
  });

  it('skips extras whose name would break the card', () => {
    const c = contactOf({ fn: 'x', extra: [{ name: 'X BAD', params: '', value: '1' }, { name: 'UID', params: '', value: 'dup' }] });
    expect(writeVCard(c, '3.0')).not.toMatch(/X BAD|UID/);
  });

  it('line endings, PRODID and REV on request', () => {
    const out = writeVCard(contactOf({ fn: 'x' }), '3.0', { lineEnding: '\n', prodid: '-//Concord//EN', rev: '20240101T000000Z', uid: 'u' });
    expect(out).toBe('BEGIN:VCARD\nVERSION:3.0\nPRODID:-//Concord//EN\nN:;;;;\nFN:x\nREV:20240101T000000Z\nUID:u\nEND:VCARD\n');
  });

  it('refuses an unknown version', () => {
    expect(() => writeVCard(contactOf({}), '5.0' as VCardVersion)).toThrow(VCardError);
  });

  it('every version reads back its own output', () => {
    const c = contactOf({
      fn: 'Zoë "Z" O\'Brien; Jr.',
      n: ["O'Brien", 'Zoë', '', '', 'Jr.'],
      adr: [{ type: 'home', value: ';;1 Main St\\, Flat 2\\nBack door;Dún Laoghaire;;;Ireland' }],
      url: [{ type: 'work', value: 'https://example.ie/a?b=1,2;c' }],
      bday: '1990-02-03',
      title: 'Über-chef',
    });
    for (const v of VERSIONS) {
      const back = parseVCard(writeVCard(c, v)).contact;
      expect({ ...back, extra: [] }).toEqual({ ...c, extra: [] });
    }
  });
});
