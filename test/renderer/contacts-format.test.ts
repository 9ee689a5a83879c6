// How the Contacts screen shows stored values: numbers in the region's own way, addresses
// split into their parts and back, birthdays in words.
import { describe, expect, it } from 'vitest';
import { addressLine, addressParts, addressValue, formatBirthday, formatPhone } from '../../renderer/src/screens/contacts/format';

describe('formatPhone', () => {
  it('writes the region\'s own numbers nationally and others internationally', () => {
    expect(formatPhone('+447700900123', 'GB')).toBe('07700 900123');
    expect(formatPhone('+442079460018', 'GB')).toBe('020 7946 0018');
    expect(formatPhone('+4930901820', 'GB')).toBe('+49 30 901820');
    expect(formatPhone('+4930901820', 'DE')).toBe('030 901820');
    expect(formatPhone('+447700900123;ext=12', 'GB')).toBe('07700 900123 ext. 12');
  });

  it('shows text that is not an E.164 number as it is', () => {
    expect(formatPhone('Voicemail', 'GB')).toBe('Voicemail');
    expect(formatPhone('*100#', 'GB')).toBe('*100#');
  });
});

describe('addresses', () => {
  it('splits an ADR value into its seven parts and joins them back, escaped', () => {
    const v = ';;1 High Street\\; Flat 2;Oxford;;OX1 1AA;United Kingdom';
    const parts = addressParts(v);
    expect(parts).toEqual(['', '', '1 High Street; Flat 2', 'Oxford', '', 'OX1 1AA', 'United Kingdom']);
    expect(addressValue(parts)).toBe(v);
    expect(addressLine(v)).toBe('1 High Street; Flat 2, Oxford, OX1 1AA, United Kingdom');
    expect(addressValue(['', '', ' ', '', '', '', ''])).toBe('');
  });
});

describe('formatBirthday', () => {
  it('gives the date in words, without a year when none is stored', () => {
    expect(formatBirthday('1985-04-23')).toMatch(/23 April 1985|April 23, 1985/);
    expect(formatBirthday('--04-23')).toMatch(/^(23 April|April 23)$/);
    expect(formatBirthday('sometime in spring')).toBe('sometime in spring');
  });
});
