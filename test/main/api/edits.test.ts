// Edits made in Concord, in words for the Activity screen.
import { describe, expect, it } from 'vitest';
import { describeImport, describeUpdate } from '../../../main/api/edits';
import { contactOf } from '../../../main/core/contact';

const anna = contactOf({ fn: 'Anna Berg', tel: [{ type: 'cell', value: '+447700900123' }] });

describe('describeUpdate', () => {
  it('names the contact and each kind of field that changed', () => {
    const after = contactOf({ ...anna, tel: [{ type: 'cell', value: '07700 900999' }], email: [{ type: '', value: 'anna@example.org' }], bday: '1985-04-23' });
    expect(describeUpdate(anna, after, 'GB')).toBe('Changed Anna Berg: phone number, e-mail, birthday');
  });

  it('says a rename with the old and the new name', () => {
    expect(describeUpdate(anna, contactOf({ ...anna, fn: 'Anna Berg-Smith' }), 'GB')).toBe('Renamed Anna Berg to Anna Berg-Smith');
    expect(describeUpdate(anna, contactOf({ ...anna, fn: 'Anna B', note: 'hi' }), 'GB')).toBe('Renamed Anna Berg to Anna B; changed note');
  });

  it('has nothing to say when only the spelling of a number changed', () => {
    expect(describeUpdate(anna, contactOf({ ...anna, tel: [{ type: 'cell', value: '07700 900123' }] }), 'GB')).toBeNull();
  });
});

describe('describeImport', () => {
  it('names what was added and updated, the first five of each', () => {
    expect(describeImport(['Imogen Newperson'], ['Hannah Schmidt'])).toBe('Imported 2 contacts from a vCard file: added Imogen Newperson; updated Hannah Schmidt');
    const many = Array.from({ length: 8 }, (_, i) => `P${i}`);
    expect(describeImport(many, [])).toBe('Imported 8 contacts from a vCard file: added P0, P1, P2, P3, P4 and 3 more');
    expect(describeImport([], [])).toBeNull();
  });
});
