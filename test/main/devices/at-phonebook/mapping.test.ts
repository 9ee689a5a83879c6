import { describe, expect, it } from 'vitest';
import { contactOf, equalContacts } from '../../../../main/core/contact';
import { project } from '../../../../main/core/projection';
import { decodeText, encodeText, toRepresentable } from '../../../../main/devices/at-phonebook/charset';
import {
  contactToEntries,
  entriesToContacts,
  projectForPhone,
  projectedNameLength,
  type PhoneLimits,
} from '../../../../main/devices/at-phonebook/mapping';

const UCS2: PhoneLimits = { nameLength: 14, numberLength: 40, charset: 'UCS2' };
const GSM: PhoneLimits = { ...UCS2, charset: 'GSM' };

function roundTrip(c: ReturnType<typeof contactOf>, lim: PhoneLimits) {
  const entries = contactToEntries(c, lim).map((e, i) => ({ ...e, index: 10 + i }));
  return { entries, back: entriesToContacts(entries) };
}

describe('charsets', () => {
  it('GSM 03.38 carries Greek capitals and the escape table, and rejects bytes above 0x7F', () => {
    const s = 'ΔΩ €[]{}@£ñ';
    const b = encodeText(s, 'GSM');
    expect(b.includes(0x1b)).toBe(true);
    expect(decodeText(b, 'GSM')).toBe(s);
    expect(decodeText(Buffer.from([0x41, 0xff]), 'GSM')).toBeNull();
    expect(toRepresentable('Иван 张 😀', 'GSM')).toBe('???? ? ?');
  });
  it('UCS2 carries astral characters as surrogate pairs and rejects non-hex', () => {
    const s = 'Pizza 🍕 张伟';
    expect(decodeText(encodeText(s, 'UCS2'), 'UCS2')).toBe(s);
    expect(decodeText(Buffer.from('00G1'), 'UCS2')).toBeNull();
  });
});

describe('contacts <-> phonebook entries', () => {
  it('a contact with several numbers becomes suffixed entries and reads back as one contact', () => {
    const c = contactOf({
      fn: 'Uchida Mitsuko',
      tel: [
        { type: 'cell', value: '+447700900001' },
        { type: 'work', value: '+447700900002' },
        { type: 'home', value: '+447700900003' },
      ],
    });
    const { entries, back } = roundTrip(c, UCS2);
    expect(entries.map((e) => e.name)).toEqual(['Uchida Mitsu/M', 'Uchida Mitsu/W', 'Uchida Mitsu/H']);
    expect(back).toHaveLength(1);
    expect(back[0]!.indices).toEqual([10, 11, 12]);
    expect(equalContacts(back[0]!.contact, projectForPhone(c, UCS2))).toBe(true);
  });

  it('one untyped number is written without a suffix; entries the user typed stay separate contacts', () => {
    const { entries } = roundTrip(contactOf({ fn: 'Mom', tel: [{ type: '', value: '0123' }] }), UCS2);
    expect(entries).toEqual([{ name: 'Mom', number: '0123', index: 10 }]);
    const back = entriesToContacts([
      { index: 1, name: 'Bob', number: '1' },
      { index: 2, name: 'Bob', number: '2' },
    ]);
    expect(back).toHaveLength(2);
  });

  it('the hub projection with the capacity the sync point declares equals what the phone holds (UCS2)', () => {
    const cap = { fields: ['fn', 'tel'] as const, maxNameLength: projectedNameLength(UCS2) };
    const samples = [
      contactOf({ fn: 'Γιώργος Παπαδόπουλος', tel: [{ type: 'cell', value: '+302101234567' }], email: [{ type: '', value: 'g@x.gr' }] }),
      contactOf({ fn: '张伟', tel: [{ type: 'cell', value: '+8613800000000' }, { type: 'work', value: '+8613800000001' }] }),
      contactOf({ fn: 'Pizza 🍕 Napoli Centro', tel: [{ type: '', value: '+390811234567' }] }),
      contactOf({ fn: 'Иван Петров', tel: [] }),
    ];
    for (const c of samples) {
      const hub = project(c, { fields: [...cap.fields], maxNameLength: cap.maxNameLength });
      const { back } = roundTrip(hub, UCS2);
      expect(back).toHaveLength(1);
      expect(equalContacts(back[0]!.contact, hub)).toBe(true);
    }
  });

  it('a GSM-only phone replaces what it cannot show; the phone projection is stable on re-read', () => {
    const c = contactOf({ fn: '张伟 Zhang', tel: [{ type: 'cell', value: '+8613800000000' }] });
    const p = projectForPhone(c, GSM);
    expect(p.fn).toBe('?? Zhang');
    const { back } = roundTrip(c, GSM);
    expect(equalContacts(back[0]!.contact, p)).toBe(true);
    expect(equalContacts(projectForPhone(back[0]!.contact, GSM), p)).toBe(true);
  });

  it('numbers keep only dialable characters; unusual types reduce to a letter', () => {
    const p = projectForPhone(contactOf({ fn: 'X', tel: [{ type: 'cell,pref', value: '+44 20;ext=12' }, { type: 'fax,work', value: '123' }] }), UCS2);
    expect(p.tel).toEqual([
      { type: 'cell', value: '+4420' },
      { type: 'work', value: '123' },
    ]);
  });
});
