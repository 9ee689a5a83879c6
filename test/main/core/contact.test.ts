import { describe, expect, it } from 'vitest';
import { canonicalType, contactOf, diffElements, fromElements, normalizeContact, normalizePhone, toElements } from '../../../main/core/contact';
import { project, shortenName } from '../../../main/core/projection';

describe('normalization', () => {
  it('puts numbers in E.164 with the default region', () => {
    expect(normalizePhone('020 7946 0000', 'GB')).toBe('+442079460000');
    expect(normalizePhone('+44 (0)20 7946-0000', 'DE')).toBe('+442079460000');
    expect(normalizePhone('030 1234567', 'DE')).toBe('+49301234567');
  });
  it('keeps what it cannot parse as the user typed it, folded', () => {
    expect(normalizePhone('  ask  reception ', 'GB')).toBe('ask reception');
  });
  it('keeps work and fax apart and drops labels that say nothing', () => {
    expect(canonicalType('WORK;FAX')).toBe('fax,work');
    expect(canonicalType('VOICE,WORK')).toBe('work');
    expect(canonicalType('mobile')).toBe('cell');
  });
  it('is NFC and idempotent', () => {
    const c = contactOf({ fn: ' Ande\u0301rs  Zorn ', tel: [{ type: 'CELL', value: '07700 900123' }] });
    const once = normalizeContact(c, 'GB');
    expect(once.fn).toBe('And\u00e9rs Zorn');
    expect(normalizeContact(once, 'GB')).toEqual(once);
  });
  it('writes a birthday one way, whichever client sent it (19580409 is 1958-04-09)', () => {
    const basic = normalizeContact(contactOf({ fn: 'Ada', bday: '19580409' }), 'GB');
    const extended = normalizeContact(contactOf({ fn: 'Ada', bday: '1958-04-09' }), 'GB');
    expect(basic.bday).toBe('1958-04-09');
    expect(basic).toEqual(extended);
    expect(normalizeContact(contactOf({ fn: 'Ada', bday: '--0409' }), 'GB').bday).toBe('--04-09');
    expect(normalizeContact(contactOf({ fn: 'Ada', bday: 'spring' }), 'GB').bday).toBe('spring');
  });
});

describe('data elements', () => {
  it('name multi-valued elements by type and position', () => {
    const c = contactOf({ tel: [{ type: 'work', value: '1' }, { type: 'fax,work', value: '2' }, { type: 'work', value: '3' }] });
    const els = toElements(c);
    expect([...els.values()]).toEqual(['1', '2', '3']);
    expect(fromElements(els)).toEqual(c);
  });
  it('a changed slot is an update, a new slot an add, a vanished slot a delete', () => {
    const a = toElements(contactOf({ fn: 'X', tel: [{ type: '', value: '1' }, { type: '', value: '2' }] }));
    const b = toElements(contactOf({ fn: 'X', tel: [{ type: '', value: '9' }] }));
    const d = diffElements(a, b);
    expect(d.map((x) => [x.from, x.to])).toEqual([['1', '9'], ['2', undefined]]);
  });
});

describe('projection', () => {
  it('cuts names by code point and trims', () => {
    expect(shortenName('Mitsuko Uchida-Smith', 8)).toBe('Mitsuko');
    expect(shortenName('😀😀😀', 2)).toBe('😀😀');
  });
  it('keeps only the fields a device holds and is idempotent', () => {
    const c = contactOf({ fn: 'Mitsuko Uchida', tel: [{ type: '', value: '+442079460000' }], email: [{ type: '', value: 'm@x' }] });
    const p = project(c, { fields: ['fn', 'tel'], maxNameLength: 10 });
    expect(p.email).toEqual([]);
    expect(p.fn).toBe('Mitsuko Uc');
    expect(project(p, { fields: ['fn', 'tel'], maxNameLength: 10 })).toEqual(p);
  });
});

describe('the fast path of phone normalization', () => {
  it('agrees with libphonenumber on every valid number written plainly, in several regions', async () => {
    const { parsePhoneNumberFromString } = await import('libphonenumber-js/max');
    const { generateContacts } = await import('../../../bench/lib/gen');
    const numbers = new Set<string>(['+44 (0)20 7946 0000', '+44 020 7946 0000', '(415) 555-0123', '0049 30 1234567', '+39 06 1234 5678', '+7 912 345-67-89', '8 912 345 67 89']);
    for (const c of generateContacts(5000, 11)) for (const t of c.tel ?? []) numbers.add(t.value);
    let compared = 0;
    for (const region of ['GB', 'DE', 'FR', 'US', 'IT', 'RU', 'JP']) {
      for (const n of numbers) {
        const p = parsePhoneNumberFromString(n, region as never);
        if (!p?.isValid()) continue;
        compared += 1;
        expect(normalizePhone(n, region), `${n} in ${region}`).toBe(p.format('E.164'));
      }
    }
    expect(compared).toBeGreaterThan(5000);
  });
});
