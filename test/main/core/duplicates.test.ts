import { describe, expect, it } from 'vitest';
import { contactOf, normalizeContact } from '../../../main/core/contact';
import { DuplicateIndex, isDuplicate, nameKey, normalizeName } from '../../../main/core/duplicates';

const c = (fn: string, tel: string[] = [], email: string[] = []) =>
  normalizeContact(contactOf({ fn, tel: tel.map((value) => ({ type: '', value })), email: email.map((value) => ({ type: '', value })) }), 'GB');

describe('the duplicate detector', () => {
  it('folds case, white space and "Last, First"', () => {
    expect(normalizeName('  Uchida,   Mitsuko ')).toBe('mitsuko uchida');
    expect(normalizeName('MITSUKO  UCHIDA')).toBe('mitsuko uchida');
    expect(nameKey(contactOf({ n: ['Uchida', 'Mitsuko'] }))).toBe('mitsuko uchida');
  });
  it('NFC: a decomposed é equals a composed one', () => {
    expect(normalizeName('Andre\u0301 Previn')).toBe(normalizeName('Andr\u00e9 Previn'));
  });
  it('same name and a shared number in any format is a duplicate', () => {
    expect(isDuplicate(c('Mitsuko Uchida', ['020 7946 0000']), c('Uchida, Mitsuko', ['+44 20 7946 0000']))).toBe(true);
  });
  it('same name and a shared e-mail, case-folded, is a duplicate', () => {
    expect(isDuplicate(c('Mitsuko Uchida', [], ['MU@Example.org']), c('mitsuko uchida', [], ['mu@example.org']))).toBe(true);
  });
  it('same name without a shared way to reach them is not', () => {
    expect(isDuplicate(c('John Smith', ['020 7946 0001']), c('John Smith', ['020 7946 0002']))).toBe(false);
  });
  it('a shared number under another name is not', () => {
    expect(isDuplicate(c('John Smith', ['020 7946 0001']), c('Jane Smith', ['020 7946 0001']))).toBe(false);
  });
  it('two records identical in every element are duplicates even with no number', () => {
    expect(isDuplicate(c('Just A Name'), c('Just A Name'))).toBe(true);
  });
  it('the index finds the same as a scan, in insertion order', () => {
    const idx = new DuplicateIndex<number>();
    const all = [c('A B', ['020 7946 0001']), c('C D', ['020 7946 0002']), c('a  b', ['+442079460001']), c('A B', ['020 7946 0003'])];
    all.forEach((x, i) => idx.add(i, x));
    expect(idx.find(c('A B', ['020 7946 0001']))).toEqual([0, 2]);
    idx.remove(0);
    expect(idx.find(c('A B', ['020 7946 0001']))).toEqual([2]);
  });
});
