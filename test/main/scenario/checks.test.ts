// The duplicates invariant the scenario runner and the crash tests share: the first contact
// that duplicates an earlier one, after that one, or null.
import { describe, expect, it } from 'vitest';
import { contactOf, normalizeContact } from '../../../main/core/contact';
import { describeContact, firstDuplicate } from '../../../main/scenario/checks';

const c = (fn: string, tel: string) => normalizeContact(contactOf({ fn, tel: [{ type: 'cell', value: tel }] }), 'GB');

describe('firstDuplicate', () => {
  it('is null for distinct contacts, and names the first duplicate after the one it duplicates', () => {
    expect(firstDuplicate([])).toBeNull();
    expect(firstDuplicate([c('Anna Berg', '07700 900101'), c('Anna Berg', '07700 900102'), c('Ben Carter', '07700 900101')])).toBeNull();
    const list = [c('Anna Berg', '07700 900101'), c('Ben Carter', '07700 900102'), c('Cy Dale', '07700 900103'), c('ben carter', '+44 7700 900102'), c('Anna Berg', '+447700900101')];
    const dup = firstDuplicate(list);
    expect(dup).toEqual([list[1], list[3]]);
    expect(describeContact(dup![1])).toBe('{ben carter; tel +447700900102}');
  });
});
