// Random contacts written in each version read back equal (after normalizeContact), and
// their extra properties come back identical.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { contactOf, type Contact } from '../../../../main/core/contact';
import { formattedName, parseVCards, writeVCard, type VCardVersion } from '../../../../main/core/vcard';
import { expectSameContact } from './helpers';

// Characters that exercise escaping, folding, QP and UTF-8 boundaries, mixed with any
// printable grapheme.
const special = fc.constantFrom('a', 'Z', '0', ' ', ';', ',', '\\', ':', '=', '"', '\n', '\t', 'ü', 'ß', '€', 'Ж', 'Ω', '美', '😀', '👩‍👩‍👧', '\u0007');
const text = fc.oneof(fc.string({ unit: special, maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 30 }), fc.string({ unit: special, minLength: 60, maxLength: 200 }));
const oneLine = text.map((s) => s.replace(/[\r\n]/g, ' '));
const type = fc
  .subarray(['cell', 'work', 'home', 'fax', 'pref', 'voice', 'internet', 'iphone', 'x-custom', 'mobile', 'main'])
  .map((a) => a.join(','));
const phone = fc.oneof(fc.stringMatching(/^\+?[0-9][0-9 ()-]{2,18}$/), oneLine);
// The model's canonical ADR/ORG component escaping, written out here independently of the
// codec so the oracle does not share its bugs.
const component = (s: string) => s.replace(/\\/g, '\\\\').replace(/;/g, '\\;').replace(/,/g, '\\,').replace(/\r\n|\r|\n/g, '\\n');
const adr = fc
  .array(text, { minLength: 7, maxLength: 7 })
  .filter((parts) => parts.some((p) => p !== ''))
  .map((parts) => parts.map(component).join(';'));
const org = fc.oneof(
  fc.constant(''),
  fc
    .array(text, { minLength: 1, maxLength: 3 })
    .filter((parts) => parts[parts.length - 1] !== '')
    .map((parts) => parts.map(component).join(';')),
);
const url = fc.oneof(fc.webUrl({ withQueryParameters: true, withFragments: true }), oneLine);
const extra = fc.record({
  name: fc.constantFrom('X-FOO', 'item1.X-ABLabel', 'NICKNAME', 'CATEGORIES', 'X-Mixed-Case'),
  params: fc.constantFrom('', 'TYPE=HOME', 'TYPE=HOME,WORK', 'X-P=1'),
  // Raw values as a device of that version sends them: a 3.0/4.0 value has no raw line
  // break (it would be `\n`), a 2.1 one may (it travels in QUOTED-PRINTABLE).
  value: oneLine,
});

const contact: fc.Arbitrary<Contact> = fc
  .record({
    fn: fc.oneof(fc.constant(''), text),
    n: fc.array(text, { maxLength: 5 }),
    tel: fc.array(fc.record({ type, value: phone }), { maxLength: 4 }),
    email: fc.array(fc.record({ type, value: fc.oneof(fc.emailAddress(), oneLine) }), { maxLength: 3 }),
    adr: fc.array(fc.record({ type, value: adr }), { maxLength: 2 }),
    org,
    title: text,
    bday: fc.oneof(fc.constant(''), fc.constantFrom('1985-04-12', '--0415', '19790412'), oneLine),
    note: text,
    url: fc.array(fc.record({ type, value: url }), { maxLength: 2 }),
    extra: fc.array(extra, { maxLength: 4 }),
  })
  .map((p) => contactOf(p));

/** What the writer puts in FN (see write.ts: derived when empty, except in 2.1 when N
 *  names the person). */
function writtenFn(c: Contact, v: VCardVersion): string {
  const fnWritten = v !== '2.1' || c.fn !== '' || !c.n.some((p) => p !== '');
  return fnWritten ? formattedName(c) : '';
}

describe('round trip of random contacts', () => {
  for (const v of ['2.1', '3.0', '4.0'] as VCardVersion[]) {
    it(`vCard ${v}`, () => {
      fc.assert(
        fc.property(contact, fc.boolean(), (c, lf) => {
          const out = writeVCard(c, v, { uid: 'uid-1', lineEnding: lf ? '\n' : '\r\n' });
          const { cards, errors } = parseVCards(out);
          expect(errors).toEqual([]);
          expect(cards).toHaveLength(1);
          const back = cards[0];
          expect(back?.uid).toBe('uid-1');
          expect(back?.warnings).toEqual([]);
          expectSameContact(back?.contact ?? contactOf({}), { ...c, fn: writtenFn(c, v) });
          expect(back?.contact.extra).toEqual(c.extra);
        }),
        { numRuns: 300 },
      );
    });
  }

  it('byte input of the writer\'s output reads the same as the string', () => {
    fc.assert(
      fc.property(contact, fc.constantFrom<VCardVersion>('2.1', '3.0', '4.0'), (c, v) => {
        const out = writeVCard(c, v);
        expect(parseVCards(new TextEncoder().encode(out))).toEqual(parseVCards(out));
      }),
      { numRuns: 200 },
    );
  });
});
