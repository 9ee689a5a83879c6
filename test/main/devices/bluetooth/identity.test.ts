// Naming PBAP records across pulls, where the phone's handles shift with every deletion.
import { describe, expect, it } from 'vitest';
import { contactOf } from '../../../../main/core/contact';
import type { PbapCard } from '../../../../main/devices/pbap/cards';
import { readPhonebook } from '../../../../main/devices/pbap/cards';
import { assignLuids } from '../../../../main/devices/pbap/identity';

const card = (fn: string, tels: string[], uid?: string): PbapCard => ({ contact: contactOf({ fn, tel: tels.map((value) => ({ type: 'cell', value })) }), ...(uid ? { uid } : {}) });

describe('PBAP record names', () => {
  it('keeps each record its name through a deletion in the middle, an edited number and a renamed contact', () => {
    const first = [card('Anna', ['+441']), card('Bob', ['+442']), card('Cy', ['+443']), card('Di', ['+444']), card('Ed', ['+445'])];
    const a = assignLuids(first, [], 'int');
    expect(new Set(a.luids).size).toBe(5);
    const byName = new Map(first.map((c, i) => [c.contact.fn, a.luids[i]]));
    // Bob deleted (every later handle shifts), Cy's number edited, Di renamed, a new one added.
    const second = [card('Anna', ['+441']), card('Cy', ['+449']), card('Diana', ['+444']), card('Ed', ['+445']), card('Fay', ['+446'])];
    const b = assignLuids(second, a.index, 'int');
    expect(b.luids.slice(0, 4)).toEqual([byName.get('Anna'), byName.get('Cy'), byName.get('Di'), byName.get('Ed')]);
    expect(a.luids).not.toContain(b.luids[4]);
    // The same new card read again (a run that did not finish) gets the same name.
    expect(assignLuids(second, a.index, 'int').luids).toEqual(b.luids);
  });

  it('trusts the phone\'s own id over names, and keeps two identical cards apart', () => {
    const a = assignLuids([card('Sam', ['+1'], 'u1'), card('Sam', ['+1'], 'u2'), card('Twin', ['+7']), card('Twin', ['+7'])], [], 'sim1');
    expect(new Set(a.luids).size).toBe(4);
    expect(a.luids.every((l) => l.startsWith('sim1:'))).toBe(true);
    const b = assignLuids([card('Sam', ['+1'], 'u2'), card('Samuel', ['+1'], 'u1'), card('Twin', ['+7']), card('Twin', ['+7'])], a.index, 'sim1');
    expect(b.luids).toEqual([a.luids[1], a.luids[0], a.luids[2], a.luids[3]]);
  });

  it('reads the ids and leaves the phone\'s bookkeeping out of the contact; skips the empty owner card', () => {
    const vcf = [
      'BEGIN:VCARD\r\nVERSION:3.0\r\nFN:\r\nN:;;;;\r\nEND:VCARD',
      'BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ann\r\nTEL:+441\r\nX-BT-UID:A1B2\r\nX-IRMC-CALL-DATETIME;DIALED:20261130T101500\r\nX-CUSTOM:kept\r\nEND:VCARD',
      'BEGIN:VCARD\r\nVERSION:2.1\r\nFN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:J=C3=B6rg\r\nTEL;CELL:+492\r\nX-IRMC-LUID:0007\r\nEND:VCARD',
    ].join('\r\n');
    const { cards } = readPhonebook(Buffer.from(vcf));
    expect(cards.map((c) => [c.contact.fn, c.uid])).toEqual([
      ['Ann', 'A1B2'],
      ['Jörg', '0007'],
    ]);
    expect(cards[0]!.contact.extra.map((e) => e.name.toUpperCase())).toEqual(['X-CUSTOM']);
    expect(cards[1]!.contact.extra).toEqual([]);
  });
});
